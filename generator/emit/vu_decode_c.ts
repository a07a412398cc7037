/* vu_decode_c.ts -- emits generated-c/vu_decode.c. */
import { decodeModel } from '../model.js';
import { blockBanner, type Emitter } from './context.js';

export const vuDecodeC: Emitter = {
  path: 'generated-c/vu_decode.c',
  emit(ctx) {
    return ctx.templates.render('vu_decode.c', {
      banner: blockBanner('vu_decode.c', 'the decode tables and which table decodes each argument.', 'decode'),
      ...decodeModel(ctx.inputs, ctx.syscalls),
    });
  },
};
