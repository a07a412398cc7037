/* vu_schema_json.ts -- emits generated-ts/vu.schema.json, the JSON Schema of vu.json. */
import type { LayerSpec, OptionSpec } from '../types.js';
import { bannerLines, type Emitter } from './context.js';

/** The schema of one option's value. */
export function optionSchema(o: OptionSpec): Record<string, unknown> {
  const base: Record<string, unknown> = (() => {
    switch (o.kind) {
      case 'string': return { type: 'string' };
      case 'path': case 'newpath': return { type: 'string', minLength: 1 };
      case 'path_list': return { type: 'array', items: { type: 'string', minLength: 1 } };
      case 'string_list': return { type: 'array', items: { type: 'string' } };
      case 'path_map': return { type: 'object', additionalProperties: { type: 'string', minLength: 1 } };
      case 'bool': return { type: 'boolean' };
      case 'int': return { type: 'integer' };
      case 'enum': return { enum: o.choices ?? [] };
      case 'object': return { type: 'object' };
      case 'string_or_number': return { type: ['string', 'number'] };
    }
  })();
  return {
    description: o.help,
    ...base,
    ...(o.default !== undefined ? { default: o.default } : {}),
    ...(o.example !== undefined ? { examples: [o.example] } : {}),
  };
}

function layerSchema(l: LayerSpec): Record<string, unknown> {
  return {
    description: l.summary,
    type: 'object',
    properties: {
      type: { const: l.name },
      $comment: { type: 'string', description: 'a note for people; vu ignores it' },
      ...Object.fromEntries(l.options.map((o) => [o.name, optionSchema(o)])),
    },
    required: ['type', ...l.options.filter((o) => o.required === true).map((o) => o.name)],
    additionalProperties: false,
  };
}

export const vuSchemaJson: Emitter = {
  path: 'generated-ts/vu.schema.json',
  emit(ctx) {
    const layers = ctx.inputs.layers.map((l) => l.spec);
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'vu.schema.json',
      $comment: bannerLines('vu.schema.json', 'the JSON Schema of vu.json.', 'layers').filter((l) => l !== '').join(' '),
      title: 'vu.json',
      description: 'The layer stack vu puts between a program and the kernel.',
      type: 'object',
      properties: {
        $schema: { type: 'string', description: 'the JSON Schema of this file, for editors' },
        $comment: { type: 'string', description: 'a note for people; vu ignores it' },
        intercept: {
          description: '"all": libc wrappers and Syscall User Dispatch; "libc": the wrappers only, no SUD cost',
          enum: ['all', 'libc'],
          default: 'all',
        },
        run_unvirtualized: {
          description: 'classes of programs vu cannot enter that may still run, unvirtualized: "setuid" (set-user-ID, set-group-ID, file capabilities), "static" (no dynamic loader), "foreign" (another ELF class or machine); by default they are refused at exec',
          type: 'array',
          items: { enum: ['setuid', 'static', 'foreign'] },
          uniqueItems: true,
        },
        layers: {
          description: 'the stack, from the first layer a call meets to the last',
          type: 'array',
          // discriminated by "type": a mistake in one layer is reported
          // against that layer's schema only (a plain oneOf listed every
          // layer's required options)
          items: layers.length === 0 ? false : {
            type: 'object',
            required: ['type'],
            properties: { type: { description: 'the layer (vu layers lists them)', enum: layers.map((l) => l.name) } },
            allOf: layers.map((l) => ({
              if: { properties: { type: { const: l.name } }, required: ['type'] },
              then: { $ref: `#/$defs/${l.name}` },
            })),
          },
        },
      },
      required: ['layers'],
      additionalProperties: false,
      $defs: Object.fromEntries(layers.map((l) => [l.name, layerSchema(l)])),
    };
    return `${JSON.stringify(schema, null, 2)}\n`;
  },
};
