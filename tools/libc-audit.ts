/**
 * libc-audit -- which of glibc's exported functions make path-taking or
 * descriptor-creating system calls inside glibc, and what "libc" mode does
 * about each (issue 13). Made from glibc's own binary, not by hand:
 *
 * - functions: the .eh_frame ranges (`readelf --debug-dump=frames`), glibc
 *   has no .symtab; exported names from its dynamic symbol table;
 * - code: `objdump -d`; a `syscall` gets the number of the nearest
 *   `mov $N,%eax` (or `xor %eax,%eax`) before it in its function, else "?"
 *   (glibc's syscall(), numbers passed in registers);
 * - reach: direct calls and jumps between functions, followed transitively
 *   (indirect calls -- NSS modules, stdio's vtables, function pointers --
 *   are not seen: the audit is a lower bound);
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

const STOP = [
  'abort', '__assert_fail', '__assert_perror_fail', '__assert', '__fortify_fail', '__chk_fail', '__stack_chk_fail',
  '__libc_fatal', 'malloc', 'calloc', 'realloc', 'free', 'memalign', 'posix_memalign', 'aligned_alloc', 'valloc',
  'pvalloc', 'reallocarray', '__libc_malloc', '__libc_calloc', '__libc_realloc', '__libc_free', '__libc_memalign',
];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** a tool's output (readelf exits 1 on glibc's .eh_frame warnings: its
 * output is still whole) */
function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error || !r.stdout) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr.slice(0, 300)}`);
  return r.stdout;
}

interface Node { lo: number; hi: number; nrs: Set<number | '?'>; out: Set<number> }

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
  // functions: FDE ranges
  const nodes: Node[] = [];
  for (const m of sh('readelf', ['--debug-dump=frames', libc]).matchAll(/ FDE cie=\w+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/g)) {
    nodes.push({ lo: parseInt(m[1], 16), hi: parseInt(m[2], 16), nrs: new Set(), out: new Set() });
  }
  nodes.sort((a, b) => a.lo - b.lo);
  const find = (a: number): number => {
    let lo = 0, hi = nodes.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (nodes[mid].lo <= a) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return at >= 0 && a < nodes[at].hi ? at : -1;
  };
  // code
  let cur = -1;
  let eax: number | '?' = '?';
  let since = 0;
  for (const line of sh('objdump', ['-d', '--no-show-raw-insn', libc]).split('\n')) {
    const m = /^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const addr = parseInt(m[1], 16);
    const op = m[2];
    const args = m[3];
    const n = find(addr);
    if (n !== cur) { cur = n; eax = '?'; since = 0; }
    if (n < 0) continue;
    since++;
    let mm: RegExpExecArray | null;
    if ((mm = /^\$0x([0-9a-f]+),%(e|r)ax$/.exec(args)) && op.startsWith('mov')) { eax = parseInt(mm[1], 16); since = 0; }
    else if (op === 'xor' && /^%eax,%eax$/.test(args)) { eax = 0; since = 0; }
    else if (op === 'syscall') nodes[n].nrs.add(since <= 12 ? eax : '?');
    else if ((op.startsWith('call') || op.startsWith('j')) && (mm = /^([0-9a-f]+) </.exec(args))) {
      const t = find(parseInt(mm[1], 16));
      if (t >= 0 && t !== n) nodes[n].out.add(t);
    }
  }
  // exported functions
  // (the public names, and the __ ones programs call: the nocancel opens,
  // the old stat ABI)
  const exported = new Map<string, number>();
  const allExported = new Map<string, number>();
  for (const l of sh('nm', ['-D', '--defined-only', libc]).split('\n')) {
    const m = /^([0-9a-f]+) ([TWi]) (\S+?)(@@?\S+)?$/.exec(l);
    if (!m) continue;
    allExported.set(m[3], parseInt(m[1], 16));
    if (!m[3].startsWith('_') || /^__(open|fopen|f?x?l?xstat|lxstat|fxstat|creat)/.test(m[3])) exported.set(m[3], parseInt(m[1], 16));
  }
  const vu = new Set(sh('nm', ['-D', '--defined-only', libvu]).split('\n').map((l) => l.split(' ')[2]).filter(Boolean).map((s) => s.replace(/@.*$/, '')));
  // where the walk stops: the error paths every function has (abort,
  // assertions, fortify: they end the process) and the allocator (its own
  // rare opens -- malloc's tunables, mtrace -- would make every function
  // that allocates "reach" openat); both are listed as functions themselves
  const stop = new Set<number>();
  for (const name of STOP) {
    const a = exported.get(name) ?? allExported.get(name);
    if (a !== undefined && find(a) >= 0) stop.add(find(a));
  }
  // reach
  const memo = new Map<number, Set<number | '?'>>();
  const reach = (start: number): Set<number | '?'> => {
    const got = memo.get(start);
    if (got) return got;
    const seen = new Set<number>([start]);
    const stack = [start];
    const nrs = new Set<number | '?'>();
    while (stack.length) {
      const k = stack.pop()!;
      for (const x of nodes[k].nrs) nrs.add(x);
      for (const o of nodes[k].out) if (!seen.has(o) && !stop.has(o)) { seen.add(o); stack.push(o); }
    }
    memo.set(start, nrs);
    return nrs;
  };
  const rows: AuditRow[] = [];
  for (const [fn, addr] of [...exported].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const k = find(addr);
    if (k < 0) continue;
    const calls = [...reach(k)].filter((x): x is number => x !== '?' && interesting.has(x)).map((x) => interesting.get(x)!).sort();
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
    '(by direct calls inside glibc; indirect ones -- NSS modules, stdio vtables -- are not followed).',
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
