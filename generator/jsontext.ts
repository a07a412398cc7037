/*
 * jsontext.ts -- edit syscalls.json as text, so that `vu-gen add` changes
 * only the lines of the new entry and keeps the file's own layout.
 */
import { GenError } from './errors.js';

interface Span {
  start: number;
  end: number;
}

/** A minimal JSON scanner that records where the values are. */
class Scanner {
  i = 0;

  constructor(private readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  /** value -- skip one value; returns its span. */
  value(onArray?: (items: Span[], open: number, close: number) => void, key?: string, wanted?: string): Span {
    this.ws();
    const start = this.i;
    const c = this.s[this.i];
    if (c === '{') {
      this.i++;
      this.ws();
      if (this.s[this.i] === '}') return { start, end: ++this.i };
      for (;;) {
        this.ws();
        const k = this.string();
        this.ws();
        this.i++; /* : */
        this.value(onArray, k, wanted);
        this.ws();
        if (this.s[this.i++] === '}') break;
      }
    } else if (c === '[') {
      const open = this.i++;
      const items: Span[] = [];
      this.ws();
      if (this.s[this.i] === ']') this.i++;
      else for (;;) {
        items.push(this.value());
        this.ws();
        if (this.s[this.i++] === ']') break;
      }
      if (onArray && key === wanted) onArray(items, open, this.i - 1);
    } else if (c === '"') {
      this.string();
    } else {
      while (this.i < this.s.length && /[^\s,\]}]/.test(this.s[this.i])) this.i++;
    }
    return { start, end: this.i };
  }

  string(): string {
    const start = this.i++;
    while (this.s[this.i] !== '"') this.i += this.s[this.i] === '\\' ? 2 : 1;
    this.i++;
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }
}

/** The spans of the elements of the top-level "syscalls" array. */
export function syscallSpans(text: string): { items: Span[]; open: number; close: number } {
  let found: { items: Span[]; open: number; close: number } | undefined;
  const sc = new Scanner(text);
  sc.value((items, open, close) => {
    if (found === undefined) found = { items, open, close };
  }, undefined, 'syscalls');
  if (!found) throw new GenError('syscalls.json: no "syscalls" array');
  return found;
}

function depth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const items = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...items.map(depth));
}

function oneLine(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${v.map(oneLine).join(', ')}]`;
  const e = Object.entries(v);
  return e.length === 0 ? '{}' : `{ ${e.map(([k, x]) => `${JSON.stringify(k)}: ${oneLine(x)}`).join(', ')} }`;
}

/**
 * formatEntry -- the layout of docs/DESIGN.md: one key a line, arrays of
 * objects one element a line, and small flat values (nr, an argument, a
 * libc entry point) on one line.
 */
export function formatEntry(v: unknown, indent: string, step = '  '): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = indent + step;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const items = v.map((x) => inner + (depth(x) <= 2 ? oneLine(x) : formatEntry(x, inner, step)));
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const e = Object.entries(v);
  if (e.length === 0) return '{}';
  const body = e.map(([k, x]) => {
    const arrayOfObjects = Array.isArray(x) && x.some((y) => y !== null && typeof y === 'object');
    const val = depth(x) <= 1 && !arrayOfObjects ? oneLine(x) : formatEntry(x, inner, step);
    return `${inner}${JSON.stringify(k)}: ${val}`;
  });
  return `{\n${body.join(',\n')}\n${indent}}`;
}

/**
 * insertEntry -- text with entry inserted as element `index` of "syscalls".
 * When the file is plain JSON.stringify(.., 2) output, the entry is too.
 */
export function insertEntry(text: string, entry: unknown, index: number): string {
  const { items, open, close } = syscallSpans(text);
  const lineStart = (pos: number) => text.lastIndexOf('\n', pos - 1) + 1;
  const arrayIndent = /^[ \t]*/.exec(text.slice(lineStart(open)))![0];
  const indent = items.length > 0 ? text.slice(lineStart(items[0].start), items[0].start) : `${arrayIndent}  `;
  const plain = (() => {
    try {
      return JSON.stringify(JSON.parse(text), null, 2) === text.trimEnd();
    } catch {
      return false;
    }
  })();
  const body = plain ? JSON.stringify(entry, null, 2).replace(/\n/g, `\n${indent}`) : formatEntry(entry, indent);
  if (items.length === 0) {
    return `${text.slice(0, open)}[\n${indent}${body}\n${arrayIndent}]${text.slice(close + 1)}`;
  }
  if (index < items.length) {
    const at = items[index].start;
    return `${text.slice(0, at)}${body},\n${indent}${text.slice(at)}`;
  }
  const at = items[items.length - 1].end;
  return `${text.slice(0, at)},\n${indent}${body}${text.slice(at)}`;
}
