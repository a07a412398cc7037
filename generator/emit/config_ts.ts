/* config_ts.ts -- emits generated-ts/config.ts (the types of vu.json) with ts-morph. */
import { layerInterface } from '../model.js';
import type { OptionSpec } from '../types.js';
import { blockBanner, type Emitter } from './context.js';
import { jsdoc, newSourceFile, printSourceFile, tsString, tsUnion } from './ts.js';

/** The TS type of an option's value. */
export function optionTsType(o: OptionSpec): string {
  switch (o.kind) {
    case 'string': case 'path': case 'newpath': return 'string';
    case 'path_list': case 'string_list': return 'string[]';
    case 'path_map': return 'Record<string, string>';
    case 'bool': return 'boolean';
    case 'int': return 'number';
    case 'enum': return tsUnion(o.choices ?? []);
    case 'object': return 'Record<string, unknown>';
    case 'string_or_number': return 'string | number';
  }
}

function optionDoc(o: OptionSpec): string {
  const lines = [jsdoc(o.help)];
  if (o.default !== undefined) lines.push(`@default ${jsdoc(JSON.stringify(o.default))}`);
  return lines.join('\n');
}

export const configTs: Emitter = {
  path: 'generated-ts/config.ts',
  emit(ctx) {
    const banner = blockBanner('config.ts', 'the types of vu.json.', 'layers');
    const sf = newSourceFile('config.ts');
    const layers = ctx.inputs.layers.map((l) => l.spec);
    sf.addInterface({
      isExported: true,
      name: 'VuConfig',
      docs: ['A vu.json: the layer stack of a project.'],
      properties: [
        { name: '$schema', hasQuestionToken: true, type: 'string', docs: ['the JSON Schema of this file, for editors'] },
        { name: '$comment', hasQuestionToken: true, type: 'string', docs: ['a note for people; vu ignores it'] },
        { name: 'intercept', hasQuestionToken: true, type: tsUnion(['all', 'libc']), docs: ['"all" (default): libc wrappers and Syscall User Dispatch; "libc": the wrappers only, no SUD cost\n@default "all"'] },
        { name: 'run_unvirtualized', hasQuestionToken: true, type: `Array<${tsUnion(['setuid', 'static', 'foreign'])}>`, docs: ['classes of programs vu cannot enter that may still run, unvirtualized (by default they are refused at exec): "setuid" (set-user-ID, set-group-ID, file capabilities), "static" (no dynamic loader), "foreign" (another ELF class or machine)'] },
        { name: 'layers', type: 'VuLayer[]', docs: ['the stack, from the first layer a call meets to the last'] },
      ],
    });
    for (const l of layers) {
      sf.addInterface({
        isExported: true,
        name: layerInterface(l.name),
        docs: [jsdoc(l.summary)],
        properties: [
          { name: 'type', type: tsString(l.name) },
          { name: '$comment', hasQuestionToken: true, type: 'string', docs: ['a note for people; vu ignores it'] },
          ...l.options.map((o) => ({
            name: o.name,
            hasQuestionToken: o.required !== true,
            type: optionTsType(o),
            docs: [optionDoc(o)],
          })),
        ],
      });
    }
    sf.addTypeAlias({
      isExported: true,
      name: 'VuLayer',
      type: layers.length === 0 ? 'never' : layers.map((l) => layerInterface(l.name)).join(' | '),
    });
    sf.addTypeAlias({ isExported: true, name: 'LayerType', type: "VuLayer['type']" });
    return printSourceFile(sf, banner);
  },
};
