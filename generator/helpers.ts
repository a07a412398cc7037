/*
 * helpers.ts -- every handlebars helper of vu-gen. They format values; they
 * decide nothing (that is model.ts's job). Templates are compiled with
 * knownHelpersOnly, so a helper missing here is a compile error.
 */
import type { HelperDelegate } from 'handlebars';

/** C string literal of s, or NULL for null. */
export function cString(s: string | null): string {
  if (s === null) return 'NULL';
  let out = '"';
  let prev = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, '0')}`;
    else if (ch === '?' && prev === '?') out += '\\?'; /* no trigraph, no -Wtrigraphs */
    else out += ch;
    prev = ch;
  }
  return `${out}"`;
}

/** Text safe inside a C block comment. */
export function cComment(s: string): string {
  return s.replace(/\*\//g, '* /').replace(/\s+/g, ' ').trim();
}

export const helpers: Record<string, HelperDelegate> = {
  /** {{cstr x}} -- C string literal or NULL */
  cstr: (s: unknown) => cString(s === null || s === undefined ? null : String(s)),
  /** {{comment x}} -- text for a C comment */
  comment: (s: unknown) => cComment(String(s)),
  /** {{join list ", "}} */
  join: (list: unknown, sep: unknown) => (list as unknown[]).join(String(sep)),
  /** {{ifnull x "fallback"}} -- x, or the fallback when x is null */
  ifnull: (v: unknown, fallback: unknown) => (v === null || v === undefined ? fallback : v),
};

export const helperNames = Object.keys(helpers);
