/**
 * What vu can enter: self-virtualization needs the dynamic loader (it is
 * ld.so that honours LD_PRELOAD), and ld.so ignores LD_PRELOAD of a
 * non-system path in secure-execution mode (setuid/setgid programs run by
 * another user). These checks let `vu run` refuse such a program with the
 * reason, instead of running it unvirtualized.
 */
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Resolve a command like execvp does; null when not found. */
export function which(cmd: string, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string | null {
  if (cmd.includes('/')) return resolve(cwd, cmd);
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const p = join(isAbsolute(dir) ? dir : resolve(cwd, dir || '.'), cmd);
    try {
      const st = statSync(p);
      if (!st.isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Where cmd is, or why it cannot be run, with the status a shell gives:
 * 127 not found (also a #! interpreter that is missing), 126 found but not
 * executable (a directory, no execute permission). Like execvp, a name
 * without a slash is looked up in PATH, where a non-executable match counts
 * only if no executable one follows. */
export type Located = { path: string } | { status: 126 | 127; message: string };

export function locate(cmd: string, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Located {
  const check = (p: string): Located => {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES') return { status: 126, message: `${cmd}: Permission denied` };
      if (code === 'ELOOP') return { status: 126, message: `${cmd}: Too many levels of symbolic links` };
      return { status: 127, message: `${cmd}: No such file or directory` };
    }
    if (st.isDirectory()) return { status: 126, message: `${cmd}: Is a directory` };
    try {
      accessSync(p, constants.X_OK);
    } catch {
      return { status: 126, message: `${cmd}: Permission denied` };
    }
    if (!st.isFile()) return { status: 126, message: `${cmd}: not a regular file` };
    return { path: p };
  };
  const interpreter = (p: string): Located => {
    let head: Buffer;
    try {
      head = readHead(p, 256);
    } catch {
      return { path: p }; // execute-only: the kernel reads it, we cannot
    }
    if (head[0] !== 0x23 || head[1] !== 0x21) return { path: p };
    const interp = head.toString('latin1').split('\n')[0].slice(2).trim().split(/[ \t]+/)[0];
    if (!interp) return { path: p };
    let ok = true;
    try {
      accessSync(interp, constants.X_OK);
    } catch {
      ok = false;
    }
    return ok ? { path: p } : { status: 127, message: `${cmd}: bad interpreter ${interp}: not found or not executable` };
  };
  if (cmd === '') return { status: 127, message: `'': command not found` };
  if (cmd.includes('/')) {
    const r = check(resolve(cwd, cmd));
    return 'path' in r ? interpreter(r.path) : r;
  }
  let denied: Located | null = null;
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const p = join(isAbsolute(dir) ? dir : resolve(cwd, dir || '.'), cmd);
    const r = check(p);
    if ('path' in r) return interpreter(r.path);
    if (r.status === 126 && !denied) {
      let isDir = false;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        /* unreadable */
      }
      if (!isDir) denied = { status: 126, message: `${p}: Permission denied` };
    }
  }
  return denied ?? { status: 127, message: `${cmd}: command not found` };
}

export interface Enterable {
  ok: boolean;
  /** why not, for the user */
  reason?: string;
  /** the class of "run_unvirtualized" (vu.json) that would let it run */
  kind?: 'setuid' | 'static' | 'foreign';
}

function readHead(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Does the ELF file at path have a PT_INTERP (dynamic loader)? */
function elfHasInterp(path: string): boolean | null {
  const head = readHead(path, 64);
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46) return null;
  const is64 = head[4] === 2;
  const le = head[5] === 1;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const phoff = is64 ? Number(le ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32)) : u32(head, 28);
  const phentsize = u16(head, is64 ? 54 : 42);
  const phnum = u16(head, is64 ? 56 : 44);
  const ph = readHead(path, phoff + phentsize * phnum).subarray(phoff);
  for (let i = 0; i < phnum; i++) if (u32(ph, i * phentsize) === 3) return true; // PT_INTERP
  return false;
}

/** Can vu enter the program at path (following #! interpreters)? */
export function canEnter(path: string, depth = 0): Enterable {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    return { ok: false, reason: `${path}: ${(e as Error).message}` };
  }
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if ((st.mode & 0o4000 && st.uid !== uid) || (st.mode & 0o2000 && st.gid !== gid))
    return {
      ok: false,
      kind: 'setuid',
      reason: `${path} is set-user-ID or set-group-ID: the loader runs it in secure-execution mode and ignores LD_PRELOAD, so vu cannot virtualize it`,
    };
  const head = readHead(path, 256);
  if (head[0] === 0x23 && head[1] === 0x21) {
    if (depth > 4) return { ok: false, reason: `${path}: too many levels of #! interpreters` };
    const line = head.toString('latin1').split('\n')[0].slice(2).trim();
    const interp = line.split(/[ \t]+/)[0];
    if (!interp) return { ok: true };
    return canEnter(interp, depth + 1);
  }
  const h = readHead(path, 20);
  if (h.length >= 20 && h.readUInt32BE(0) === 0x7f454c46 && (h[4] !== 2 || h.readUInt16LE(18) !== 62))
    return {
      ok: false,
      kind: 'foreign',
      reason: `${path} is an ELF of another class or machine (not x86_64): its loader cannot load vu's library, so vu cannot virtualize it`,
    };
  const dyn = elfHasInterp(path);
  if (dyn === false)
    return {
      ok: false,
      kind: 'static',
      reason: `${path} is statically linked: vu enters a program through the dynamic loader (LD_PRELOAD), which a static binary does not use, so it cannot virtualize it`,
    };
  return { ok: true };
}
