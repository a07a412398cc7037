/*
 * list.ts -- `vu-gen list`: the table as text, one system call a line.
 */
import { GenError } from './errors.js';
import { FAMILIES, type TableSpec } from './types.js';

/** listTable -- aligned columns name, x86_64, aarch64, family, libc. */
export function listTable(table: TableSpec, family?: string): string {
  if (family !== undefined && !FAMILIES.includes(family as never)) {
    throw new GenError(`vu-gen list: unknown family "${family}" (expected one of ${FAMILIES.join(' ')})`);
  }
  const rows = table.syscalls
    .filter((s) => family === undefined || s.family === family)
    .sort((a, b) => a.nr.x86_64 - b.nr.x86_64)
    .map((s) => [
      s.name,
      String(s.nr.x86_64),
      s.nr.aarch64 === undefined ? '-' : String(s.nr.aarch64),
      s.family,
      (s.libc ?? []).map((l) => (l.custom ? `${l.name}*` : l.name)).join(' ') || '-',
    ]);
  const head = ['name', 'x86_64', 'aarch64', 'family', 'libc (* = hand-written)'];
  const all = [head, ...rows];
  const width = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const numeric = [false, true, true, false, false];
  const line = (r: string[]) =>
    r.map((c, i) => (i === r.length - 1 ? c : numeric[i] ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  return [...all.map(line), `${rows.length} system call${rows.length === 1 ? '' : 's'}`].join('\n');
}
