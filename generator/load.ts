/*
 * load.ts -- read the inputs from disk: the syscall table and the layer
 * manifests. Only JSON syntax is checked here; validate.ts checks meaning.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { GenError } from './errors.js';

/** A parsed JSON file with the name to use in messages. */
export interface JsonFile {
  file: string;
  text: string;
  data: unknown;
}

/** How a file is named in messages: relative to the cwd when inside it. */
export function displayName(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * errorOffset -- where the first JSON syntax error of text is (V8's
 * message does not always say). A strict recursive-descent pass.
 */
export function errorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const lit = (w: string) => {
    if (text.startsWith(w, i)) i += w.length;
    else fail();
  };
  const str = () => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws(); str(); ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail();
      }
    } else if (c === '"') str();
    else if (c === 't') lit('true');
    else if (c === 'f') lit('false');
    else if (c === 'n') lit('null');
    else {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!m) fail();
      else i += m[0].length;
    }
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (pos) {
    return pos as number;
  }
}

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

/** readJson -- parse file, or throw a GenError "FILE:LINE:COL: what". */
export function readJson(file: string, label = displayName(file)): JsonFile {
  if (!existsSync(file)) throw new GenError(`${label}: not found`);
  const text = readFileSync(file, 'utf8');
  try {
    return { file: label, text, data: JSON.parse(text) };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    const pos = errorOffset(text);
    const where = pos >= 0 ? `:${lineCol(text, pos)}` : '';
    const what = pos >= 0 && pos < text.length ? `unexpected ${JSON.stringify(text[pos])}` : pos >= 0 ? 'unexpected end' : msg;
    throw new GenError(`${label}${where}: invalid JSON: ${what}`);
  }
}

/** The layer manifests of dir (NAME.json, or NAME/NAME.json for a layer in
 * a folder of its own), sorted by file name. */
export function readLayerFiles(dir: string): JsonFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? path.join(e.name, `${e.name}.json`) : e.name))
    .filter((f) => f.endsWith('.json') && existsSync(path.join(dir, f)))
    .sort((a, b) => (path.basename(a) < path.basename(b) ? -1 : path.basename(a) > path.basename(b) ? 1 : 0))
    .map((f) => readJson(path.join(dir, f), path.join(displayName(dir), f)));
}
