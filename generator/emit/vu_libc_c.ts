/* vu_libc_c.ts -- emits generated-c/vu_libc.c, the libc wrappers. */
import { libcGroups } from '../model.js';
import { blockBanner, type Emitter } from './context.js';

export const vuLibcC: Emitter = {
  path: 'generated-c/vu_libc.c',
  emit(ctx) {
    return ctx.templates.render('vu_libc.c', {
      banner: blockBanner('vu_libc.c', 'the libc entry points vu interposes (LD_PRELOAD fast path).', 'table'),
      groups: libcGroups(ctx.syscalls),
    });
  },
};
