/**
 * Property test generated from the table (issue 10, item 4).
 *
 * For every call of syscalls.json that can change a file system object
 * (`does.kind` write, create, delete, rename, link, meta, and open, which
 * changes with write flags: docs/TABLE.md), and every form of naming the
 * call accepts (absolute, relative to the cwd, a dirfd, AT_EMPTY_PATH on an
 * O_PATH or O_RDONLY fd, /proc/self/fd/N/name, /proc/self/fd/N, a symlink
 * from outside into the tree, the tree's parent renamed first, and for
 * openat2 each RESOLVE_* flag), the probe test/probes/fsprops.c runs one
 * case, through glibc ("libc") and as an inline syscall instruction
 * ("raw", which only SUD sees: run in "intercept": "all" only):
 *
 * - readonly: the case fails with the errno a REAL read-only bind mount
 *   gives (EROFS, or the kernel's own: EEXIST, EXDEV, EBUSY, EBADF...), and
 *   the tree is unchanged (a native process snapshots it after every case:
 *   names, types, modes, owners, link counts, sizes, mtime, ctime, symlink
 *   targets, contents, xattrs);
 * - hide: the case, and every read (stat, lstat, access, open O_RDONLY,
 *   readlink, *getxattr, *listxattr, statx, getdents64, execve, chdir...),
 *   fails with ENOENT, listings of the tree's parent leave the tree out,
 *   and nothing changes.
 *
 * Coverage is enforced by the table: a changing call of syscalls.json
 * without a case, or without a case for a naming form its `does` entry
 * accepts (a dirfd, AT_EMPTY_PATH, a followed last component, openat2's
 * RESOLVE_*), fails the first tests. Until `does` is in the table, the kinds
 * come from FALLBACK below (derived from docs/TABLE.md the same way).
 *
 * The errnos expected under readonly come from running the same probe
 * natively under a real read-only bind mount (root, unshare -m, mount
 * --bind, remount ro) when this machine allows one; otherwise from
 * test/props/readonly.expected.txt, recorded that way (re-record with
 * VU_PROPS_RECORD=1 as root). Known, documented differences from the real
 * mount are in KNOWN below.
 *
 * Each case is one ava test, titled like
 *   readonly: fchmodat2 file via AT_EMPTY_PATH on an O_PATH fd (raw, all) -> EROFS
 * and its message names the probe's case id, which re-runs alone with
 *   test/probes/bin/fsprops run ro|hide BASE 'CASE-ID' libc|raw|both
 * (see the probe's header).
 */
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LIB, ROOT, probe, tmpdir, writeConfig } from '../helpers.js';

const PROBE = probe('fsprops');
const EXPECTED_FILE = join(ROOT, 'test', 'props', 'readonly.expected.txt');

/* ---- the table ---- */

interface PathSem { arg: string; dirfd?: string; role?: string; follow?: boolean; empty?: string; flags?: string }
interface Does { kind: string; paths?: PathSem[]; fd?: string; open?: { flags?: string; how?: string; fixed?: string } }
interface Entry { name: string; args: Array<{ name: string; type: string }>; does?: Does }

const table: Entry[] = JSON.parse(readFileSync(join(ROOT, 'syscalls.json'), 'utf8')).syscalls;

/** kinds that can change a file system object (docs/TABLE.md); `open` with write flags */
const CHANGING = new Set(['open', 'write', 'create', 'delete', 'rename', 'link', 'meta']);

/** docs/TABLE.md applied by hand, for a table without `does` */
const FALLBACK: Record<string, string> = {
  open: 'open', openat: 'open', openat2: 'open', creat: 'open', open_by_handle_at: 'open',
  truncate: 'write', ftruncate: 'write', fallocate: 'write',
  mkdir: 'create', mkdirat: 'create', mknod: 'create', mknodat: 'create', symlink: 'create', symlinkat: 'create',
  unlink: 'delete', unlinkat: 'delete', rmdir: 'delete',
  rename: 'rename', renameat: 'rename', renameat2: 'rename',
  link: 'link', linkat: 'link',
  ...Object.fromEntries(['chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'lchown', 'fchown', 'fchownat',
    'utime', 'utimes', 'futimesat', 'utimensat', 'setxattr', 'lsetxattr', 'fsetxattr', 'removexattr',
    'lremovexattr', 'fremovexattr', 'setxattrat', 'removexattrat', 'file_setattr'].map((n) => [n, 'meta'])),
};

const usesDoes = table.some((e) => e.does);
const kindOf = (e: Entry): string | undefined => e.does?.kind ?? (usesDoes ? undefined : FALLBACK[e.name]);
const changingCalls = table.filter((e) => CHANGING.has(kindOf(e) ?? ''));

const PATH_FORMS = ['abs', 'cwd', 'procdir', 'symlink', 'renamed'];
const FD_FORMS = [...PATH_FORMS, 'dirfd', 'procfd', 'empty'];
const RESOLVE_FORMS = ['in-root', 'beneath', 'no-symlinks', 'no-magiclinks', 'no-xdev'];

/** the naming forms a call accepts, from its `does` (or its argument types) */
function formsOf(e: Entry): string[] {
  const d = e.does;
  if (!d) {
    // no `does` yet: a dirfd argument allows the dirfd forms, an fd argument the fd forms
    if (e.args.some((a) => a.type === 'dirfd')) return [...PATH_FORMS, 'dirfd'];
    if (e.args.some((a) => a.type === 'fd')) return FD_FORMS;
    return PATH_FORMS;
  }
  const p = d.paths?.find((x) => x.role !== 'content');
  if (!p) return FD_FORMS; // an fd call: the fd is opened by each form (and O_PATH)
  const forms = [...PATH_FORMS];
  if (p.dirfd) forms.push('dirfd');
  if (p.empty) forms.push('empty');
  if (p.role === 'object' && p.follow) forms.push('procfd');
  if (d.open?.how) forms.push(...RESOLVE_FORMS);
  return forms;
}

/* ---- the probe's cases ---- */

interface Case { id: string; call: string; variant: string; form: string; impl: 'libc' | 'raw'; how: string }

function list(mode: 'ro' | 'hide'): Case[] {
  const r = spawnSync(PROBE, ['list', mode], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PROBE} list ${mode}: ${r.stderr} (build it: make -C test/probes)`);
  return r.stdout.trim().split('\n').map((line) => {
    const [id, call, how] = line.split(' ');
    const m = /^([^:]+):(.+)@([^/]+)\/(libc|raw)$/.exec(id)!;
    return { id, call, variant: m[2], form: m[3], impl: m[4] as 'libc' | 'raw', how };
  });
}

const cases = { ro: list('ro'), hide: list('hide') };

/* ---- running it ---- */

type Outcome = Map<string, { errno: string; rename?: string; changed?: string }>;

function parse(out: string): Outcome {
  const m: Outcome = new Map();
  for (const line of out.trim().split('\n')) {
    if (!line) continue;
    const [id, errno, ...rest] = line.split(' ');
    const o: { errno: string; rename?: string; changed?: string } = { errno };
    for (const f of rest) {
      if (f.startsWith('rename=')) o.rename = f.slice(7);
      if (f.startsWith('changed=')) o.changed = f.slice(8);
    }
    m.set(id, o);
  }
  return m;
}

const canMount = spawnSync(PROBE, ['canmount'], { encoding: 'utf8' });
const mountReason = canMount.status === 0 ? '' : (canMount.stdout || canMount.stderr).trim() || `exit ${canMount.status}`;

/** the probe natively, the tree a real read-only bind mount (synchronous: the titles need the errnos) */
function runMount(): Outcome {
  const r = spawnSync(PROBE, ['run', 'ro', tmpdir('vu-props-mnt-'), 'all', 'both', 'mount'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`fsprops under a read-only bind mount: exit ${r.status}: ${r.stderr}`);
  return parse(r.stdout);
}

const mount: Outcome | undefined = canMount.status === 0 ? runMount() : undefined;
const stored: Outcome = existsSync(EXPECTED_FILE) ? parse(readFileSync(EXPECTED_FILE, 'utf8')) : new Map();
if (mount && process.env.VU_PROPS_RECORD) {
  writeFileSync(EXPECTED_FILE, [...mount].map(([id, o]) => `${id} ${o.errno}${o.rename ? ` rename=${o.rename}` : ''}\n`).join(''));
}
const expectedRo: Outcome = mount ?? stored;

const pexec = promisify(execFile);

/** the probe with the child under vu: base folder, config, the impls to run */
async function runVu(mode: 'ro' | 'hide', intercept: 'all' | 'libc'): Promise<Outcome> {
  const base = tmpdir(`vu-props-${mode}-`);
  const T = join(base, 'P', 'T');
  const layer = mode === 'ro' ? { type: 'readonly', paths: [T] } : { type: 'hide', paths: [T] };
  const config = writeConfig({ intercept, layers: [layer] }, tmpdir());
  const env: Record<string, string> = { ...(process.env as Record<string, string>), FSPROPS_PRELOAD: LIB, FSPROPS_CONFIG: config };
  delete env.LD_PRELOAD;
  delete env.VU_CONFIG;
  const { stdout } = await pexec(PROBE, ['run', mode, base, 'all', intercept === 'all' ? 'both' : 'libc'],
    { env, timeout: 60_000, maxBuffer: 64 << 20 });
  return parse(stdout);
}

const runs: Record<string, Promise<Outcome>> = {};
const outcome = (mode: 'ro' | 'hide', intercept: 'all' | 'libc') =>
  (runs[`${mode}/${intercept}`] ??= runVu(mode, intercept));

/* ---- titles ---- */

const FORM_TITLE: Record<string, string> = {
  abs: 'an absolute path', cwd: 'a path relative to the cwd', dirfd: 'a dirfd',
  empty: 'AT_EMPTY_PATH on an O_PATH fd', 'empty-rdfd': 'AT_EMPTY_PATH on an O_RDONLY fd',
  procdir: '/proc/self/fd/N/name', procfd: '/proc/self/fd/N of an O_PATH fd',
  symlink: 'a symlink from outside into the tree', renamed: "the tree's parent renamed first",
  'in-root': 'RESOLVE_IN_ROOT (absolute path inside a dirfd)', beneath: 'RESOLVE_BENEATH',
  'no-symlinks': 'RESOLVE_NO_SYMLINKS', 'no-magiclinks': 'RESOLVE_NO_MAGICLINKS', 'no-xdev': 'RESOLVE_NO_XDEV',
};
function formTitle(c: Case): string {
  const f = FORM_TITLE[c.form] ?? c.form;
  if (c.how === 'fd') return c.form === 'empty' ? 'an O_PATH fd' : `an fd opened by ${f}`;
  if (c.how === 'handle') return `a handle of ${f}`;
  return f;
}
const title = (layer: string, c: Case, intercept: string, want: string) =>
  `${layer}: ${c.call} ${c.variant} via ${formTitle(c)} (${c.impl}, ${intercept}) -> ${want}`;

/* ---- known, documented differences from a real read-only bind mount ----
 * - Renaming a folder that holds the tree (form "renamed"): the kernel moves
 *   the mount along; vu refuses with EBUSY (layers/readonly.md, Limits). The
 *   case then names the tree by its old name; its errno must still match.
 * - RESOLVE_NO_XDEV into the tree with a read-only open: the real tree is
 *   another mount, so even a read crossing into it is EXDEV; vu's tree is
 *   no mount and a read is not refused. (An open for WRITING must still say
 *   EXDEV, as the kernel does: that is not excused.) */
function knownDifference(c: Case, got: string, want: string): string | undefined {
  if (c.form === 'no-xdev' && want === 'EXDEV' && got === 'OK' && ['RDONLY-file', 'RDONLY|APPEND-file'].includes(c.variant))
    return 'RESOLVE_NO_XDEV: a read crossing into a real mount is EXDEV; vu has no mount';
  return undefined;
}

/* ---- coverage, from the table ---- */

for (const mode of ['ro', 'hide'] as const) {
  const layer = mode === 'ro' ? 'readonly' : 'hide';
  test(`${layer}: every call of syscalls.json that can change a file (${usesDoes ? '`does`' : 'fallback list'}) has cases, for each naming form it accepts`, (t) => {
    t.true(changingCalls.length >= 40, `only ${changingCalls.length} changing calls in the table`);
    const have = new Map<string, Set<string>>();
    for (const c of cases[mode]) {
      if (!have.has(c.call)) have.set(c.call, new Set());
      have.get(c.call)!.add(c.form === 'empty-rdfd' ? 'empty' : c.form);
    }
    const missing: string[] = [];
    for (const e of changingCalls) {
      const got = have.get(e.name);
      if (!got) { missing.push(`${e.name} (kind ${kindOf(e)}): no case at all`); continue; }
      for (const f of formsOf(e)) if (!got.has(f)) missing.push(`${e.name}: no case naming it via ${FORM_TITLE[f] ?? f}`);
      // raw always (libc too where glibc has a function)
      if (!cases[mode].some((c) => c.call === e.name && c.impl === 'raw')) missing.push(`${e.name}: no raw case`);
    }
    t.deepEqual(missing, [], 'add the cases to test/probes/fsprops.c');
    t.log(`${changingCalls.length} changing calls (${usesDoes ? 'from does' : 'fallback'}): ${changingCalls.map((e) => e.name).join(' ')}`);
  });
}

test('hide: the reads named by the issue have cases (stat, lstat, access, open O_RDONLY, readlink, getxattr, listxattr, statx, getdents64, execve, chdir)', (t) => {
  const calls = new Set(cases.hide.map((c) => c.call));
  const want = ['stat', 'lstat', 'access', 'open', 'openat', 'openat2', 'readlink', 'getxattr', 'listxattr', 'statx', 'getdents64', 'execve', 'chdir'];
  t.deepEqual(want.filter((n) => !calls.has(n)), []);
  // the other path-taking reads of the table, for information
  const reads = table.filter((e) => ['read', 'exec', 'chdir'].includes(kindOf(e) ?? '') && e.does?.paths?.length);
  t.log('reads of the table without a hide case:', reads.filter((e) => !calls.has(e.name)).map((e) => e.name).join(' ') || 'none');
});

/* ---- the real mount ---- */

if (mount) {
  test('readonly: the recorded errnos (test/props/readonly.expected.txt) are those of a real read-only bind mount here', (t) => {
    const diff: string[] = [];
    for (const [id, o] of mount) {
      const s = stored.get(id);
      if (!s || s.errno !== o.errno) diff.push(`${id}: recorded ${s?.errno ?? '(none)'}, mount now ${o.errno}`);
    }
    t.deepEqual(diff, [], 're-record with VU_PROPS_RECORD=1');
  });
  test('readonly: under a real read-only bind mount no case changes the tree, and renaming the parent of the mount works', (t) => {
    t.deepEqual([...mount].filter(([, o]) => o.changed).map(([id, o]) => `${id}: ${o.changed}`), []);
    t.true([...mount.values()].filter((o) => o.rename).every((o) => o.rename === 'OK'));
  });
} else {
  test.skip(`readonly: compare with a real read-only bind mount (cannot make one here: ${mountReason}; using test/props/readonly.expected.txt)`, () => {});
}

/* ---- the cases ---- */

for (const [mode, layer] of [['ro', 'readonly'], ['hide', 'hide']] as const) {
  for (const intercept of ['all', 'libc'] as const) {
    for (const c of cases[mode]) {
      if (intercept === 'libc' && c.impl === 'raw') continue; // raw calls are seen in "all" mode only
      const want = mode === 'hide' ? 'ENOENT' : expectedRo.get(c.id)?.errno ?? 'a refusal (no recorded errno)';
      test(title(layer, c, intercept, want), async (t) => {
        const o = (await outcome(mode, intercept)).get(c.id);
        const where = `case ${c.id} (${mode}, "intercept": "${intercept}")`;
        t.truthy(o, `${where}: the probe printed no line`);
        if (!o) return;
        t.is(o.changed, undefined, `${where}: the tree changed: ${o.changed}`);
        if (mode === 'hide') {
          t.is(o.errno, 'ENOENT', `${where}: ${o.errno === 'OK' ? 'reached the hidden object' : `errno ${o.errno}`}`);
          return;
        }
        if (c.form === 'renamed' && o.rename && o.rename !== 'OK') {
          // documented: vu refuses to rename a folder that holds a read-only tree
          t.is(o.rename, 'EBUSY', `${where}: renaming the tree's parent`);
        }
        const exp = expectedRo.get(c.id)?.errno;
        if (!exp) {
          t.not(o.errno, 'OK', `${where}: no recorded errno (VU_PROPS_RECORD=1 as root) and the call went through`);
          return;
        }
        const known = knownDifference(c, o.errno, exp);
        if (known) { t.log(`known difference: ${known}`); return; }
        t.is(o.errno, exp, `${where}: vu ${o.errno}, a real read-only bind mount ${exp}`);
      });
    }
  }
}
