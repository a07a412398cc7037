// build.mjs -- the package's install and prepare steps, skipped when their
// output is newer than every input: `npx vu` in vu's own checkout installs
// the checkout into npx's cache (npm's rule for a package's own bin), which
// runs these again; with the build fresh it answers at once instead of
// rebuilding libvu.so (22-54 s). `npm test` and `npm run build` always build.
//   node tools/build.mjs native   node-gyp rebuild, unless libvu.so and vu-static are fresh
//   node tools/build.mjs ts       tsc, unless dist/ is fresh
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const what = process.argv[2];

/** the newest mtime of the files under paths that a build reads (a
 * layer's .md page is no input: editing it rebuilds nothing) */
function newest(paths) {
  let t = 0;
  const walk = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else if (!/\.(md|txt)$/.test(p)) t = Math.max(t, s.mtimeMs);
  };
  for (const p of paths) walk(join(root, p));
  return t;
}
function oldest(paths) {
  let t = Infinity;
  for (const p of paths) t = existsSync(join(root, p)) ? Math.min(t, statSync(join(root, p)).mtimeMs) : -1;
  return t;
}
function sh(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: false });
  process.exit(r.status ?? 1);
}

if (what === 'native') {
  // each output against its own inputs: `node-gyp build` relinks libvu.so
  // alone when only the library's sources changed
  // (and the C library: the table of its functions' calls is made from it
  // by tools/libc-calls.mjs)
  const libc = /\s(\/\S*\/libc\.so\.6)$/m.exec(readFileSync('/proc/self/maps', 'utf8'))?.[1];
  const libcTime = libc && existsSync(libc) ? statSync(libc).mtimeMs : 0;
  const fresh = oldest(['build/Release/libvu.so']) > Math.max(libcTime, newest(['runtime', 'layers', 'generated-c', 'binding.gyp', 'tools/libc-calls.mjs'])) &&
    oldest(['build/Release/vu-static']) > newest(['runtime/vu-static.c', 'binding.gyp']);
  if (fresh && !process.env.VU_FORCE_BUILD) process.exit(0);
  process.stderr.write('vu: building libvu.so and vu-static (node-gyp rebuild: about a minute on 2 cores)\n');
  sh(process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp', ['rebuild']);
} else if (what === 'ts') {
  const fresh = oldest(['dist/cli/vu.js', 'dist/generator/cli.js']) >
    newest(['cli', 'generator', 'generated-ts', 'tsconfig.json']);
  if (fresh && !process.env.VU_FORCE_BUILD) process.exit(0);
  process.stderr.write('vu: compiling the command line tools and vu-gen (tsc)\n');
  sh(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
} else {
  process.stderr.write('usage: node tools/build.mjs native|ts\n');
  process.exit(2);
}
