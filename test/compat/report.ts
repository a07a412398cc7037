/**
 * report.ts -- run the compatibility matrix and print it as a Markdown table
 * (program, pass-through, remap stack), with the first difference of every
 * case that does not match native. Exit 1 on a difference.
 *
 *   node --import=tsx test/compat/report.ts [--quick] [--preload LIST] [--env K=V]...
 *
 * --preload replaces libvu.so in LD_PRELOAD (the sanitizer build: libasan
 * first, then build/asan/libvu-asan.so).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGo, cases, have, runCase, type Mode, type Outcome } from './matrix.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const extra: Record<string, string> = {};
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--preload') extra.LD_PRELOAD = args[++i];
  if (args[i] === '--env') {
    const [k, ...v] = args[++i].split('=');
    extra[k] = v.join('=');
  }
}

function firstDiff(a: Outcome, b: Outcome): string {
  for (const k of ['status', 'signal', 'stdout', 'stderr'] as const) {
    if (a[k] === b[k]) continue;
    if (typeof a[k] !== 'string') return `${k}: ${a[k]} vs ${b[k]}`;
    const al = String(a[k]).split('\n'), bl = String(b[k]).split('\n');
    for (let i = 0; i < Math.max(al.length, bl.length); i++)
      if (al[i] !== bl[i]) return `${k} line ${i + 1}: native ${JSON.stringify(al[i] ?? '')} vs ${JSON.stringify(bl[i] ?? '')}`;
  }
  return '';
}

if (have('go')) process.env.VU_COMPAT_GO = buildGo(mkdtempSync(join(tmpdir(), 'vu-compat-go-')));
let failed = 0;
const notes: string[] = [];
console.log('| program | case | pass-through | remap stack |');
console.log('|---|---|---|---|');
for (const c of cases) {
  if (quick && !c.quick) continue;
  if (c.needs && !have(c.needs)) {
    console.log(`| ${c.program} | ${c.name} | not run (no ${c.needs}) | not run |`);
    continue;
  }
  const t0 = Date.now();
  const native = runCase(c, 'native');
  const cells = (['pass', 'remap'] as Mode[]).map((m) => {
    const r = runCase(c, m, extra);
    const d = firstDiff(native, r);
    if (!d) return c.known ? `same output, ${c.known}` : 'same as native';
    failed++;
    notes.push(`${c.name} (${m}): ${d}`);
    return '**differs**';
  });
  const ok = native.status === 0 ? '' : ` (native exit ${native.status})`;
  console.log(`| ${c.program} | ${c.name}${ok} | ${cells[0]} | ${cells[1]} |`);
  process.stderr.write(`${c.name}: ${Date.now() - t0} ms\n`);
}
if (notes.length) console.log('\n' + notes.map((n) => `- ${n}`).join('\n'));
process.exit(failed ? 1 : 0);
