/*
 * paths.ts -- where vu-gen reads and writes by default: everything relative
 * to the package (the folder with vu's package.json), never to the cwd.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** packageRoot -- the nearest folder above this file whose package.json is vu's. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'vu') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('vu-gen: cannot find the vu package root');
    dir = up;
  }
}

/** The files vu-gen works on; the CLI can point each elsewhere. */
export interface GenPaths {
  table: string;
  layers: string;
  out: string;
  templates: string;
  catalog: string;
  /** names for numbers, for trace decoding */
  decode: string;
}

export function defaultPaths(root = packageRoot()): GenPaths {
  return {
    table: path.join(root, 'syscalls.json'),
    layers: path.join(root, 'layers'),
    out: root,
    templates: path.join(root, 'generator', 'templates'),
    catalog: path.join(root, 'generator', 'catalog.json'),
    decode: path.join(root, 'generator', 'decode.json'),
  };
}

/** The kernel headers `vu-gen add` takes numbers from. */
export const KERNEL_HEADERS = {
  x86_64: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
  aarch64: '/usr/include/asm-generic/unistd.h',
};
