/**
 * `vu trace summary FILE [--json]`: what strace -c gives, from a vu trace
 * (JSON lines of the trace layer): per system call the calls, errors and
 * time, how many came through libc and through SUD traps, and the paths
 * touched most.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { SYSCALLS } from '../generated-ts/syscalls.js';
import { table } from './term.js';

interface Line {
  pid?: number;
  name?: string;
  src?: string;
  dur_us?: number;
  ret?: number;
  errno?: string;
  args?: Record<string, unknown>;
}

export interface SyscallStat {
  name: string;
  calls: number;
  errors: number;
  us: number;
  libc: number;
  sud: number;
}

export interface Summary {
  lines: number;
  bad: number;
  processes: number;
  calls: number;
  sud: number;
  syscalls: SyscallStat[];
  paths: Array<{ path: string; calls: number }>;
}

const pathArgs = new Map<string, string[]>(
  SYSCALLS.map((s) => [s.name, s.args.filter((a) => a.type === 'path').map((a) => a.name)]),
);

/** the arguments of an strace-format line, split at the top-level commas
 * (strings may hold commas, structures and lists nest) */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0, quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (text.trim()) out.push(text.slice(start).trim());
  return out;
}

const STRACE = /^(?:\[pid\s+)?(\d+)\]?\s+(?:(\w+)\((.*?)\)?\s+=\s+(\?|-?\d+|0x[0-9a-f]+)(?:\s+(E[A-Z0-9]+)\b)?.*?(?:<(\d+\.\d+)>)?\s*$|(\w+)\((.*)<unfinished \.\.\.>\s*$|<\.\.\. (\w+) resumed>)/;

/** a line of the trace layer's "strace" format (PID NAME(ARGS) = RET
 * [ERRNO (text)] [<seconds>]), or null; a call split by another
 * process's line counts at its first part (name set), its resumed part
 * has no name */
function straceLine(text: string): Line | null {
  const m = STRACE.exec(text);
  if (!m) return null;
  if (m[9]) return { pid: Number(m[1]) };
  const name = m[2] ?? m[7];
  const rawArgs = m[2] ? m[3] : m[8];
  const list = splitArgs(rawArgs ?? '');
  const args: Record<string, unknown> = {};
  const info = SYSCALLS.find((x) => x.name === name);
  info?.args.forEach((a, i) => {
    const v = list[i];
    if (v === undefined) return;
    try {
      args[a.name] = /^".*"$/.test(v) ? JSON.parse(v.replace(/\\x([0-9a-f]{2})/g, '\\u00$1')) : v;
    } catch {
      args[a.name] = v.slice(1, -1);	// an escape JSON does not have (octal): as written
    }
  });
  return {
    pid: Number(m[1]),
    name,
    src: 'strace',
    ret: m[4] && m[4] !== '?' ? Number(m[4]) : undefined,
    errno: m[5],
    dur_us: m[6] ? Number(m[6]) * 1e6 : 0,
    args,
  };
}

export async function summarize(file: string): Promise<Summary> {
  const per = new Map<string, SyscallStat>();
  const paths = new Map<string, number>();
  const pids = new Set<number>();
  let lines = 0;
  let bad = 0;
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const text of rl) {
    if (!text.trim()) continue;
    lines++;
    let l: Line | null;
    try {
      l = JSON.parse(text) as Line;
    } catch {
      l = straceLine(text);	// a trace written with "format": "strace"
      if (!l) {
        bad++;
        continue;
      }
      if (!l.name) continue;	// the rest of a call whose line came before
    }
    if (!l.name) {
      bad++;
      continue;
    }
    if (l.pid !== undefined) pids.add(l.pid);
    let s = per.get(l.name);
    if (!s) per.set(l.name, (s = { name: l.name, calls: 0, errors: 0, us: 0, libc: 0, sud: 0 }));
    s.calls++;
    if (l.errno) s.errors++;
    s.us += l.dur_us ?? 0;
    if (l.src === 'sud') s.sud++;
    else if (l.src !== 'strace') s.libc++;
    for (const a of pathArgs.get(l.name) ?? []) {
      const p = l.args?.[a];
      if (typeof p === 'string') paths.set(p, (paths.get(p) ?? 0) + 1);
    }
  }
  const syscalls = [...per.values()].sort((a, b) => b.us - a.us || b.calls - a.calls || a.name.localeCompare(b.name));
  return {
    lines,
    bad,
    processes: pids.size,
    calls: syscalls.reduce((n, s) => n + s.calls, 0),
    sud: syscalls.reduce((n, s) => n + s.sud, 0),
    syscalls,
    paths: [...paths.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 10)
      .map(([path, calls]) => ({ path, calls })),
  };
}

export function formatSummary(s: Summary): string {
  const total = s.syscalls.reduce((n, x) => n + x.us, 0) || 1;
  const rows = [['% time', 'seconds', 'usecs/call', 'calls', 'errors', 'via SUD', 'syscall']];
  for (const x of s.syscalls)
    rows.push([
      ((100 * x.us) / total).toFixed(2),
      (x.us / 1e6).toFixed(6),
      String(Math.round(x.us / x.calls)),
      String(x.calls),
      x.errors ? String(x.errors) : '',
      x.sud ? String(x.sud) : '',
      x.name,
    ]);
  rows.push(['100.00', (total / 1e6).toFixed(6), '', String(s.calls), String(s.syscalls.reduce((n, x) => n + x.errors, 0)), String(s.sud), 'total']);
  let out = table(rows, new Set([0, 1, 2, 3, 4, 5])) + '\n';
  out += `\n${s.processes} process${s.processes === 1 ? '' : 'es'}, ${s.calls} calls, ${s.sud} through SUD traps`;
  if (s.bad) out += `, ${s.bad} unreadable line${s.bad === 1 ? '' : 's'}`;
  out += '\n';
  if (s.paths.length) {
    out += '\nmost touched paths:\n';
    out += table(s.paths.map((p) => [String(p.calls), p.path]), new Set([0])) + '\n';
  }
  return out;
}
