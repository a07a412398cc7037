/* vu_map.ts -- emits generated-c/vu.map, the linker version script. */
import { libcSymbols } from '../model.js';
import { blockBanner, type Emitter } from './context.js';

export const vuMap: Emitter = {
  path: 'generated-c/vu.map',
  emit(ctx) {
    return ctx.templates.render('vu.map', {
      banner: blockBanner('vu.map', 'the version script of libvu.so: interposed libc names and vu_*, nothing else.', 'table'),
      symbols: libcSymbols(ctx.syscalls),
    });
  },
};
