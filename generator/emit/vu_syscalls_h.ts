/* vu_syscalls_h.ts -- emits generated-c/vu_syscalls.h. */
import { archBlocks, enumLists } from '../model.js';
import { blockBanner, type Emitter } from './context.js';

/** room for the longest of names plus its NUL, rounded up to 4 */
function room(names: string[]): number {
  return (Math.max(1, ...names.map((n) => n.length)) + 1 + 3) & ~3;
}

export const vuSyscallsH: Emitter = {
  path: 'generated-c/vu_syscalls.h',
  emit(ctx) {
    const args = ctx.syscalls.flatMap((s) => s.args);
    return ctx.templates.render('vu_syscalls.h', {
      banner: blockBanner('vu_syscalls.h', 'system call numbers, kinds and table types of vu.', 'table'),
      ...enumLists,
      arches: archBlocks(ctx.syscalls),
      nameLen: room(ctx.syscalls.map((s) => s.name)),
      argNameLen: room(args.map((a) => a.name)),
      strctLen: room(args.map((a) => a.strct ?? '')),
    });
  },
};
