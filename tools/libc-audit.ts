/**
 * libc-audit -- which of glibc's exported functions make path-taking or
 * descriptor-creating system calls inside glibc, and what "libc" mode does
 * about each (issue 13). Made from glibc's own binary, not by hand:
 *
 * - the calls each function can make: tools/libc-calls.mjs (the call
 *   graph from .eh_frame and objdump, syscall numbers through registers,
 *   direct calls and stdio's vtables followed; other indirect calls --
 *   NSS modules, gconv, function pointers -- are not: a lower bound), the
 *   same walk the runtime's shortcuts are decided by;
 * - functions: exported names from the dynamic symbol table;
 * - which calls matter: the table (syscalls.json) -- an argument of type
 *   path or a descriptor as result;
 * - what vu does: libvu.so exports the function (its wrapper, or its own
 *   version of it) -> "wrapped"; else a gap of "libc" mode (in "all" mode
 *   the calls trap or go through glibc's image: every one reaches the
 *   stack).
 *
 * Usage: node --import=tsx tools/libc-audit.ts [--json] [LIBC] [LIBVU]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from './libc-calls.mjs';

export interface AuditRow {
  fn: string;
  calls: string[];	// the path or descriptor calls it can reach
  status: 'wrapped' | 'gap';
}
export interface Audit {
  libc: string;
  functions: number;
  rows: AuditRow[];
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** a tool's output */
function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error || !r.stdout) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr.slice(0, 300)}`);
  return r.stdout;
}

export function audit(libc = '/lib/x86_64-linux-gnu/libc.so.6', libvu = join(ROOT, 'build/Release/libvu.so')): Audit {
  // the table: numbers (x86_64) of calls that take a path or make a descriptor
  const table = JSON.parse(readFileSync(join(ROOT, 'syscalls.json'), 'utf8')).syscalls as Array<{
    name: string; nr: { x86_64?: number }; args?: Array<{ type: string }>; ret?: string;
  }>;
  const interesting = new Map<number, string>();
  for (const s of table) {
    const nr = s.nr?.x86_64;
    if (nr === undefined) continue;
    if ((s.args ?? []).some((a) => a.type === 'path') || s.ret === 'fd') interesting.set(nr, s.name);
  }
  // the call graph (tools/libc-calls.mjs: the one the runtime's table of
  // shortcuts is made by)
  const graph = analyze(libc) as { reach(name: string): Set<number | 'unknown'> | null };
  // exported functions (the public names, and the __ ones programs call:
  // the nocancel opens, the old stat ABI)
  const exported = new Set<string>();
  for (const l of sh('nm', ['-D', '--defined-only', libc]).split('\n')) {
    const m = /^([0-9a-f]+) ([TWi]) (\S+?)(@@?\S+)?$/.exec(l);
    if (m && (!m[3].startsWith('_') || /^__(open|fopen|f?x?l?xstat|lxstat|fxstat|creat)/.test(m[3]))) exported.add(m[3]);
  }
  const vu = new Set(sh('nm', ['-D', '--defined-only', libvu]).split('\n').map((l) => l.split(' ')[2]).filter(Boolean).map((s) => s.replace(/@.*$/, '')));
  const rows: AuditRow[] = [];
  for (const fn of [...exported].sort()) {
    const reach = graph.reach(fn);
    if (!reach) continue;
    const calls = [...reach].filter((x): x is number => x !== 'unknown' && interesting.has(x)).map((x) => interesting.get(x)!).sort();
    if (!calls.length) continue;
    rows.push({ fn, calls, status: vu.has(fn) ? 'wrapped' : 'gap' });
  }
  return { libc, functions: exported.size, rows };
}

/** the group of the documented gaps (test/compat/libc-gaps.json) that
 * names fn, or null */
export function gapGroup(fn: string): { name: string; why: string } | null {
  const groups = JSON.parse(readFileSync(join(ROOT, 'test/compat/libc-gaps.json'), 'utf8')).groups as Array<{ name: string; why: string; functions: string[] }>;
  return groups.find((g) => new RegExp(`^(${g.functions.join('|')})$`).test(fn)) ?? null;
}

function markdown(a: Audit): string {
  const gaps = a.rows.filter((r) => r.status === 'gap');
  const wrapped = a.rows.filter((r) => r.status === 'wrapped');
  const lines = [
    '# "libc" mode: glibc functions that make path or descriptor calls inside glibc',
    '',
    `Made by \`npm run audit:libc\` (tools/libc-audit.ts) from ${a.libc}: ${a.functions} exported`,
    `functions, ${a.rows.length} of them reach a system call that takes a path or makes a descriptor`,
    '(by direct calls inside glibc and stdio\'s vtables, tools/libc-calls.mjs; other indirect ones -- NSS modules, gconv -- are not followed).',
    '',
    `- **wrapped** (${wrapped.length}): libvu.so exports the function; its calls go through the stack in both modes.`,
    `- **gap** (${gaps.length}): "libc" mode does not see the calls these make (in "all" mode they trap or go`,
    '  through glibc\'s image, and reach the stack). The reasons, by group, are in',
    '  test/compat/libc-gaps.json; a new gap fails `test/compat/libc-audit.test.ts`.',
    '',
    '| function | calls it can make | libc mode |',
    '|---|---|---|',
    ...a.rows.map((r) => `| \`${r.fn}\` | ${r.calls.join(', ')} | ${r.status === 'wrapped' ? 'rebuilt by vu' : `gap: ${gapGroup(r.fn)?.name ?? '**undocumented**'}`} |`),
    '',
    '## The gaps, by group',
    '',
    ...[...new Set(gaps.map((r) => gapGroup(r.fn)?.name ?? 'undocumented'))].map((name) => {
      const members = gaps.filter((r) => (gapGroup(r.fn)?.name ?? 'undocumented') === name);
      const why = members.length ? gapGroup(members[0].fn)?.why ?? 'not in test/compat/libc-gaps.json' : '';
      return `- **${name}** (${members.length}): ${why}.`;
    }),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const json = args[0] === '--json';
  const rest = json ? args.slice(1) : args;
  const a = audit(rest[0], rest[1]);
  process.stdout.write(json ? JSON.stringify(a, null, 1) + '\n' : markdown(a));
}
