/* vu_libc_h.ts -- emits generated-c/vu_libc.h (real functions of custom wrappers). */
import { LIBC_INCLUDES, LIBC_OPTIONAL_INCLUDES, libcGroups } from '../model.js';
import { blockBanner, type Emitter } from './context.js';

export const vuLibcH: Emitter = {
  path: 'generated-c/vu_libc.h',
  emit(ctx) {
    return ctx.templates.render('vu_libc.h', {
      banner: blockBanner('vu_libc.h', 'the real libc functions behind the wrappers, for runtime/.', 'table'),
      includes: LIBC_INCLUDES,
      optionalIncludes: LIBC_OPTIONAL_INCLUDES,
      groups: libcGroups(ctx.syscalls),
    });
  },
};
