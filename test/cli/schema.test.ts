/**
 * The JSON Schema that `vu init` points editors at (generated-ts/
 * vu.schema.json), run by a real validator (ajv, draft 2020-12): valid
 * configs pass; a mistake in a layer is reported against that layer only
 * (the schema discriminates on "type"; a plain oneOf listed every layer's
 * required options, issue 14); an unknown type names the known ones.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { ROOT } from '../helpers.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'generated-ts', 'vu.schema.json'), 'utf8'));
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

test('schema: the README\'s and the examples\' configs are valid', (t) => {
  for (const c of [
    { layers: [{ type: 'remap', map: { '/etc/passwd': '/etc/hostname' } }] },
    { intercept: 'libc', layers: [{ type: 'readonly', paths: ['/srv'] }, { type: 'hide', paths: ['/root/.ssh'] }] },
    { layers: [{ type: 'faketime', at: '2020-01-01T00:00:00Z' }, { type: 'trace', output: 't.jsonl', format: 'strace' }] },
  ]) t.true(validate(c), JSON.stringify(validate.errors));
});

test('schema: a mistake in one layer is reported against that layer only', (t) => {
  t.false(validate({ layers: [{ type: 'remap', mapp: {} }] }));
  const where = new Set((validate.errors ?? []).map((e) => e.schemaPath.split('/').slice(0, 3).join('/')));
  t.deepEqual([...where].filter((p) => p.startsWith('#/$defs/')), ['#/$defs/remap']);
  const msgs = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  t.true(msgs.some((m) => /must have required property 'map'/.test(m)), msgs.join('; '));
  t.false(msgs.some((m) => /'paths'|'source'|'lower'/.test(m)), msgs.join('; '));	// other layers' options
});

test('schema: an unknown layer type is one error that lists the types', (t) => {
  t.false(validate({ layers: [{ type: 'remapp' }] }));
  const e = (validate.errors ?? []).find((x) => x.keyword === 'enum');
  t.truthy(e);
  t.true((e!.params as { allowedValues: string[] }).allowedValues.includes('remap'));
});
