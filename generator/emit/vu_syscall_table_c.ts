/* vu_syscall_table_c.ts -- emits generated-c/vu_syscall_table.c. */
import { semHeaders } from '../model.js';
import { blockBanner, type Emitter } from './context.js';

export const vuSyscallTableC: Emitter = {
  path: 'generated-c/vu_syscall_table.c',
  emit(ctx) {
    return ctx.templates.render('vu_syscall_table.c', {
      banner: blockBanner('vu_syscall_table.c', 'vu_syscalls[] and vu_sems[], indexed by system call number.', 'table'),
      syscalls: ctx.syscalls,
      semHeaders: semHeaders(ctx.syscalls.map((s) => s.spec)),
    });
  },
};
