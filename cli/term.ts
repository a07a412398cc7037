/**
 * Terminal output: colour only on a TTY, never with NO_COLOR set
 * (https://no-color.org), always with FORCE_COLOR=1.
 */
const useColour = (stream: NodeJS.WriteStream): boolean => {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR === '1') return true;
  return Boolean(stream.isTTY);
};

function paint(code: string, stream: NodeJS.WriteStream) {
  return (s: string): string => (useColour(stream) ? `\x1b[${code}m${s}\x1b[0m` : s);
}

export const red = paint('31', process.stderr);
export const yellow = paint('33', process.stderr);
export const bold = paint('1', process.stdout);
export const dim = paint('2', process.stdout);
export const green = paint('32', process.stdout);

/** "vu: msg" on stderr. */
export function warn(msg: string): void {
  process.stderr.write(`${yellow('vu:')} ${msg}\n`);
}

/** "vu: msg" on stderr, then exit (125: vu's own failure). */
export function fail(msg: string, status = 125): never {
  process.stderr.write(`${red('vu:')} ${msg}\n`);
  process.exit(status);
}

/** Format rows as aligned columns. */
export function table(rows: string[][], right: Set<number> = new Set()): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 && !right.has(i) ? c : right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
