/* vu_layer_types_c.ts -- emits generated-c/vu_layer_types.c, the layer registry. */
import { layerModels } from '../model.js';
import { blockBanner, type Emitter } from './context.js';

export const vuLayerTypesC: Emitter = {
  path: 'generated-c/vu_layer_types.c',
  emit(ctx) {
    const layers = layerModels(ctx.inputs.layers);
    return ctx.templates.render('vu_layer_types.c', {
      banner: blockBanner('vu_layer_types.c', 'the option descriptors of every layer type and the registry.', 'layers'),
      layers,
      count: layers.length,
    });
  },
};
