/* vu_syscall_table_c.ts -- emits generated-c/vu_syscall_table.c. */
import { archBlocks, semHeaders } from '../model.js';
import { blockBanner, type Emitter } from './context.js';

export const vuSyscallTableC: Emitter = {
  path: 'generated-c/vu_syscall_table.c',
  emit(ctx) {
    return ctx.templates.render('vu_syscall_table.c', {
      banner: blockBanner('vu_syscall_table.c', 'vu_syscalls[] and vu_sems[], indexed by system call number.', 'table'),
      syscalls: ctx.syscalls,
      semHeaders: semHeaders(ctx.syscalls.map((s) => s.spec)),
      otherArches: archBlocks(ctx.syscalls).map((b) => {
        const arch = b.arch as 'x86_64' | 'aarch64';
        return {
          directive: b.directive,
          cond: b.cond,
          names: ctx.others
            .filter((o) => typeof o.nr[arch] === 'number' && (o.nr[arch] as number) < b.count)
            .map((o) => ({ name: o.name, nr: o.nr[arch] as number }))
            .sort((x, y) => x.nr - y.nr),
        };
      }),
    });
  },
};
