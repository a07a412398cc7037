/* vu_decode_h.ts -- emits generated-c/vu_decode.h. */
import { decodeModel } from '../model.js';
import { blockBanner, type Emitter } from './context.js';

export const vuDecodeH: Emitter = {
  path: 'generated-c/vu_decode.h',
  emit(ctx) {
    return ctx.templates.render('vu_decode.h', {
      banner: blockBanner('vu_decode.h', 'names for the numbers in system call arguments (trace decoding).', 'decode'),
      ...decodeModel(ctx.inputs, ctx.syscalls),
    });
  },
};
