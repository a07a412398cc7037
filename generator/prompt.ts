/*
 * prompt.ts -- ask for the "does" of a new entry (docs/TABLE.md) when
 * neither --does nor the catalog gives one: the kind, then each path's role
 * and whether the kernel follows it. Used by `vu-gen add` on a terminal.
 */
import { readSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { GenError } from './errors.js';
import { OP_KINDS, PATH_ROLES, type DoesPathSpec, type DoesSpec, type OpKind, type PathRole, type SyscallSpec } from './types.js';

/** One question, one answer line (trimmed). */
export type Ask = (question: string) => string;

/** The terminal: questions on stderr, answers from stdin (fd 0); null when stdin is not a TTY. */
export function terminalAsk(): Ask | null {
  if (!isatty(0)) return null;
  return (question: string) => {
    writeSync(2, question);
    const buf = Buffer.alloc(1);
    let line = '';
    for (;;) {
      let n: number;
      try {
        n = readSync(0, buf, 0, 1, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
      if (n === 0) {
        if (line === '') throw new GenError('vu-gen add: no answer (end of input)');
        break;
      }
      const ch = buf.toString('utf8', 0, n);
      if (ch === '\n') break;
      line += ch;
    }
    return line.trim();
  };
}

function choose<T extends string>(ask: Ask, question: string, choices: readonly T[], def?: T): T {
  for (let tries = 0; tries < 5; tries++) {
    const a = ask(`${question} [${choices.join('/')}]${def !== undefined ? ` (${def})` : ''}: `);
    if (a === '' && def !== undefined) return def;
    if ((choices as readonly string[]).includes(a)) return a as T;
  }
  throw new GenError(`vu-gen add: ${question}: expected one of ${choices.join(' ')}`);
}

function yesNo(ask: Ask, question: string): boolean {
  return choose(ask, question, ['y', 'n'] as const) === 'y';
}

/** optional -- an answer that may be empty (then undefined). */
function optional(ask: Ask, question: string): string | undefined {
  const a = ask(`${question} (empty: none): `);
  return a === '' ? undefined : a;
}

/**
 * promptDoes -- ask, argument by argument, what entry does. tell shows the
 * entry first (stderr by default).
 */
export function promptDoes(entry: SyscallSpec, ask: Ask, tell: (s: string) => void = (s) => { writeSync(2, s); }): DoesSpec {
  const names = (types: string[]) => entry.args.filter((a) => types.includes(a.type)).map((a) => a.name);
  const pathArgs = names(['path']);
  const dirfds = names(['dirfd']);
  const fds = names(['fd', 'dirfd']);
  const flagArgs = names(['at_flags', 'open_flags', 'int', 'uint', 'long', 'ulong']);
  const args = entry.args.map((a) => `${a.name}:${a.type}`).join(', ');
  tell(`${entry.name}(${args}): what does it do? (docs/TABLE.md)\n`);
  const kind: OpKind = choose(ask, 'kind', OP_KINDS, 'unknown');
  const does: DoesSpec = { kind };
  const paths: DoesPathSpec[] = [];
  if (kind !== 'none' && kind !== 'io') {
    const free = [...dirfds];
    for (const arg of pathArgs) {
      const role: PathRole = choose(ask, `${arg}: role`, PATH_ROLES.filter((r) => r !== 'content'), 'object');
      const p: DoesPathSpec = { arg, role, follow: yesNo(ask, `${arg}: does the kernel follow a symlink in its last component when no flag says otherwise?`) };
      if (free.length === 1) p.dirfd = free.shift();
      else if (free.length > 1) {
        const d = choose(ask, `${arg}: its dirfd`, [...free, '-'] as const, free[0]);
        if (d !== '-') { p.dirfd = d; free.splice(free.indexOf(d), 1); }
      }
      if (flagArgs.length > 0) {
        const f = optional(ask, `${arg}: the argument whose bits change following (${flagArgs.join('/')})`);
        if (f !== undefined) {
          p.flags = f;
          const bit = optional(ask, p.follow ? `${arg}: the flag that stops following (AT_SYMLINK_NOFOLLOW, O_NOFOLLOW...)` : `${arg}: the flag that starts following (AT_SYMLINK_FOLLOW...)`);
          if (bit !== undefined) p[p.follow ? 'nofollow' : 'follow_flag'] = bit;
          const empty = optional(ask, `${arg}: the flag that lets "" name the dirfd (AT_EMPTY_PATH)`);
          if (empty !== undefined) p.empty = empty;
        }
      }
      paths.push(p);
    }
    if (paths.length > 0) does.paths = paths;
  }
  const unclaimed = fds.filter((f) => !paths.some((p) => p.dirfd === f));
  if (kind !== 'none' && unclaimed.length > 0) {
    does.fd = unclaimed.length === 1 ? unclaimed[0] : choose(ask, 'the descriptor it acts on', unclaimed, unclaimed[0]);
  }
  if (kind === 'open') {
    const oflags = names(['open_flags']);
    does.open = oflags.length > 0 ? { flags: oflags[0] } : { fixed: ask('its fixed open flags (O_CREAT|O_WRONLY...): ') };
  }
  return does;
}


/** The message when nothing says what a new entry does and nobody can be asked. */
export function noDoesMessage(name: string, catalog: string): string {
  return `vu-gen add: ${name}: takes a path, fd or dirfd, and neither ${catalog} nor the command line says what it does; ` +
    `give it with --does '{"kind": "read", "paths": [{"arg": "pathname", "role": "object", "follow": true}]}' (see docs/TABLE.md), or run on a terminal to be asked`;
}
