#!/usr/bin/env node
// sources.mjs -- libvu's C and assembly sources for binding.gyp, in link
// order: what every process runs, then the generated wrappers, then the
// code a process runs only when its config or mode asks for it (layers
// with state of their own, the trace, the static loader, glibc functions
// vu rebuilds, VU_STATS, site rewriting). The linker lays .text out in
// this order, and the kernel maps a library's text 64 KiB around
// each page first touched: cold code kept together stays unmapped in a
// process that never runs it (resident memory, issue 12).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(new URL('.', import.meta.url).pathname, '..');
const list = (dir, re = /\.(c|S)$/) =>
  readdirSync(join(root, dir), { withFileTypes: true })
    .filter((e) => e.isFile() && re.test(e.name))
    .map((e) => `${dir}/${e.name}`)
    .sort();
const subdirs = (dir) =>
  readdirSync(join(root, dir), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${dir}/${e.name}`).sort();

const all = [
  ...subdirs('runtime').flatMap((d) => list(d)),
  ...list('layers'),
  ...subdirs('layers').flatMap((d) => list(d)),
  ...list('generated-c'),
];
const cold = [
  /^layers\/(trace|overlay|fakeroot)\//, /^layers\/(faketime|deny|uname|plugin)\.c$/,
  /^runtime\/process\/static\.c$/, /^runtime\/libc\/(nss|ftw|glob|tempfile)\.c$/,
  /^runtime\/core\/(stats|rewrite|x86len)\.c$/, /^runtime\/core\/rewrite_entry\.S$/,
];
const isCold = (f) => cold.some((re) => re.test(f));
const wrappers = (f) => f === 'generated-c/vu_libc.c';
const out = [
  ...all.filter((f) => !isCold(f) && !wrappers(f)),
  ...all.filter(wrappers),
  ...all.filter(isCold),
];
process.stdout.write(out.join('\n') + '\n');
