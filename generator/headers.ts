/*
 * headers.ts -- system call numbers from the installed kernel headers, the
 * source `vu-gen add` and the table test trust. x86_64 has a flat list;
 * aarch64 uses asm-generic/unistd.h, read here through a small
 * preprocessor with the defines arm64's asm/unistd.h sets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { KERNEL_HEADERS } from './paths.js';

/** What arch/arm64/include/uapi/asm/unistd.h defines before including asm-generic. */
export const ARM64_DEFINES: Record<string, string> = {
  __BITS_PER_LONG: '64',
  __ARCH_WANT_RENAMEAT: '',
  __ARCH_WANT_NEW_STAT: '',
  __ARCH_WANT_SET_GET_RLIMIT: '',
  __ARCH_WANT_TIME32_SYSCALLS: '',
  __ARCH_WANT_SYS_CLONE3: '',
  __ARCH_WANT_MEMFD_SECRET: '',
};

/** Names that are markers, not system calls. */
const NOT_CALLS = new Set(['syscalls', 'arch_specific_syscall']);

/** The `#define __NR_name N` lines of a flat header (unistd_64.h). */
export function flatNumbers(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)) {
    if (!NOT_CALLS.has(m[1])) out.set(m[1], Number(m[2]));
  }
  return out;
}

/* ---- a preprocessor just big enough for asm-generic/unistd.h ---- */

type Tok = string;

function tokenize(expr: string): Tok[] {
  const toks = expr.match(/defined|[A-Za-z_]\w*|\d+|\|\||&&|==|!=|<=|>=|[()!<>+\-]/g);
  return toks ?? [];
}

/** evalIf -- the value of an #if expression under defines. */
export function evalIf(expr: string, defines: Map<string, string>): boolean {
  const toks = tokenize(expr.replace(/\/\*.*?\*\//g, ''));
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const value = (name: string): number => {
    const v = defines.get(name);
    if (v === undefined) return 0;
    return /^\d+$/.test(v.trim()) ? Number(v.trim()) : 1;
  };
  const primary = (): number => {
    const t = next();
    if (t === '(') {
      const v = or();
      next();
      return v;
    }
    if (t === '!') return primary() === 0 ? 1 : 0;
    if (t === 'defined') {
      const paren = peek() === '(';
      if (paren) next();
      const name = next();
      if (paren) next();
      return defines.has(name) ? 1 : 0;
    }
    if (/^\d+$/.test(t)) return Number(t);
    return value(t);
  };
  const cmp = (): number => {
    let v = primary();
    while (['==', '!=', '<', '>', '<=', '>='].includes(peek())) {
      const op = next();
      const w = primary();
      v = Number(op === '==' ? v === w : op === '!=' ? v !== w : op === '<' ? v < w : op === '>' ? v > w : op === '<=' ? v <= w : v >= w);
    }
    return v;
  };
  const and = (): number => {
    let v = cmp();
    while (peek() === '&&') {
      next();
      const w = cmp();
      v = Number(v !== 0 && w !== 0);
    }
    return v;
  };
  const or = (): number => {
    let v = and();
    while (peek() === '||') {
      next();
      const w = and();
      v = Number(v !== 0 || w !== 0);
    }
    return v;
  };
  return or() !== 0;
}

/** genericNumbers -- the __NR_* of asm-generic/unistd.h for an architecture. */
export function genericNumbers(text: string, initial: Record<string, string> = ARM64_DEFINES): Map<string, number> {
  const defines = new Map(Object.entries(initial));
  const stack: { outer: boolean; taken: boolean; active: boolean }[] = [];
  const active = () => (stack.length === 0 ? true : stack[stack.length - 1].active);
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.replace(/\/\*.*?\*\//g, '').trim();
    const m = /^#\s*(\w+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, dir, rest] = m;
    if (dir === 'if' || dir === 'ifdef' || dir === 'ifndef') {
      const outer = active();
      const cond = dir === 'if' ? evalIf(rest, defines) : dir === 'ifdef' ? defines.has(rest.trim()) : !defines.has(rest.trim());
      stack.push({ outer, taken: cond, active: outer && cond });
    } else if (dir === 'elif') {
      const f = stack[stack.length - 1];
      const cond = !f.taken && evalIf(rest, defines);
      f.active = f.outer && cond;
      f.taken ||= cond;
    } else if (dir === 'else') {
      const f = stack[stack.length - 1];
      f.active = f.outer && !f.taken;
      f.taken = true;
    } else if (dir === 'endif') {
      stack.pop();
    } else if (!active()) {
      continue;
    } else if (dir === 'define') {
      const d = /^(\w+)(\()?\s*(.*)$/.exec(rest);
      if (d && d[2] === undefined) defines.set(d[1], d[3].trim());
    } else if (dir === 'undef') {
      defines.delete(rest.trim());
    }
  }
  const resolve = (v: string, depth = 0): number | undefined => {
    if (/^\d+$/.test(v)) return Number(v);
    const next = defines.get(v);
    return next === undefined || depth > 8 ? undefined : resolve(next.trim(), depth + 1);
  };
  const out = new Map<string, number>();
  for (const [name, v] of defines) {
    if (!name.startsWith('__NR_') || NOT_CALLS.has(name.slice(5))) continue;
    const n = resolve(v.trim());
    if (n !== undefined) out.set(name.slice(5), n);
  }
  return out;
}

export interface KernelNumbers {
  x86_64: Map<string, number>;
  aarch64: Map<string, number>;
}

/** kernelNumbers -- both architectures from the installed headers. */
export function kernelNumbers(files = KERNEL_HEADERS): KernelNumbers {
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  return {
    x86_64: flatNumbers(read(files.x86_64)),
    aarch64: genericNumbers(read(files.aarch64)),
  };
}
