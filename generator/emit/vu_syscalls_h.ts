/* vu_syscalls_h.ts -- emits generated-c/vu_syscalls.h. */
import { archBlocks, enumLists } from '../model.js';
import { blockBanner, type Emitter } from './context.js';

export const vuSyscallsH: Emitter = {
  path: 'generated-c/vu_syscalls.h',
  emit(ctx) {
    return ctx.templates.render('vu_syscalls.h', {
      banner: blockBanner('vu_syscalls.h', 'system call numbers, kinds and table types of vu.', 'table'),
      ...enumLists,
      arches: archBlocks(ctx.syscalls),
    });
  },
};
