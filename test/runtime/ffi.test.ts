/**
 * libvu's own functions, called in-process through ffi-rs: the config
 * checker that `vu check` uses. Loading the library with dlopen must not
 * arm anything in the host process (it is not preloaded).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { DataType, load, open } from 'ffi-rs';
import { LIB, seedConfig, writeConfig } from '../helpers.js';

open({ library: 'vu', path: LIB });

function errors(path: string): string {
  return load({
    library: 'vu',
    funcName: 'vu_config_errors',
    retType: DataType.String,
    paramsType: [DataType.String],
    paramsValue: [path],
  }) as string;
}

test('ffi: vu_config_errors is empty for a good config', (t) => {
  t.is(errors(seedConfig()), '');
});

test('ffi: vu_config_errors lists FILE:LINE:COL lines', (t) => {
  const file = writeConfig('{"layers": [\n  {"type": "remap", "map": {"/x": 1}}\n]}');
  t.is(errors(file), `${file}:2:35: remap.map must be a string, not a number\n`);
});

test('ffi: loading libvu.so into a process does not virtualize it', (t) => {
  // node itself still reads the real /etc/passwd after dlopen
  t.regex(readFileSync('/etc/passwd', 'utf8'), /^root:/);
});
