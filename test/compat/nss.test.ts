/**
 * Users and groups through vu's view (issue 13): glibc's getpwnam and its
 * kin read /etc/passwd and /etc/group with internal opens, which "libc"
 * mode used to miss; runtime/libc/nss.c rebuilds them as an NSS front (the
 * sources of the view's nsswitch.conf, "files" read with vu's fopen, the
 * others glibc's modules). Real programs (id, getent, stat, ls, python's
 * pwd and grp) under a remap of /etc/passwd and /etc/group that adds a
 * user and two groups, in both modes, against a model: the remapped files
 * plus what the other sources add natively.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tmpdir, writeConfig } from '../helpers.js';

const MODES = ['libc', 'all'] as const;
const USER = 'vutest:x:4242:4343:vu test:/home/vutest:/bin/sh';
// a group line longer than the first buffers (glibc's and vu's: 1 KiB):
// ERANGE, and the lookup again with more room
const MEMBERS = Array.from({ length: 400 }, (_, i) => `member${i}`).join(',');
const GROUPS = ['vugroup:x:4343:vutest', 'vuextra:x:4444:root,vutest', `vubig:x:4545:${MEMBERS},vutest`];

function files(): { dir: string; passwd: string; group: string } {
  const dir = tmpdir('vu-nss-');
  const passwd = join(dir, 'passwd');
  const group = join(dir, 'group');
  writeFileSync(passwd, readFileSync('/etc/passwd', 'utf8').trimEnd() + '\n' + USER + '\n');
  writeFileSync(group, readFileSync('/etc/group', 'utf8').trimEnd() + '\n' + GROUPS.join('\n') + '\n');
  return { dir, passwd, group };
}

function sh(script: string, config: string | null): string {
  const r = run('/bin/sh', ['-c', script], config === null ? { vu: false } : { config });
  if (r.status !== 0) throw new Error(`status ${r.status}: ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

for (const mode of MODES) {
  test(`${mode}: id, getent, stat, ls and python see the users and groups of a remapped /etc/passwd and /etc/group`, (t) => {
    const F = files();
    const owned = join(F.dir, 'owned');
    writeFileSync(owned, 'x\n');
    sh(`chown 4242:4444 ${owned}`, null);
    const config = writeConfig({ intercept: mode, layers: [{ type: 'remap', map: { '/etc/passwd': F.passwd, '/etc/group': F.group } }] });
    // natively the user does not exist
    t.regex(run('id', ['vutest'], { vu: false }).stderr, /no such user/);
    const out = sh([
      'id vutest', 'getent passwd vutest', 'getent passwd 4242', 'getent group vuextra', 'getent group 4343',
      `stat -c '%U %G' ${owned}`, `ls -ln ${owned} | cut -d' ' -f3,4`, `ls -l ${owned} | cut -d' ' -f3,4`,
      'python3 -c "import pwd, grp, os; print(pwd.getpwnam(\'vutest\').pw_dir, pwd.getpwuid(4242).pw_name, grp.getgrgid(4444).gr_mem, os.getgrouplist(\'vutest\', 4343))"',
      'python3 -c "import grp; g = grp.getgrnam(\'vubig\'); print(len(g.gr_mem), g.gr_mem[-1], len(grp.getgrgid(4545).gr_mem))"',
      'getent group vubig | wc -c',
    ].join('; '), config).split('\n');
    t.deepEqual(out.slice(0, 12), [
      'uid=4242(vutest) gid=4343(vugroup) groups=4343(vugroup),4444(vuextra),4545(vubig)',
      USER, USER, GROUPS[1], GROUPS[0],
      'vutest vuextra', '4242 4444', 'vutest vuextra',
      "/home/vutest vutest ['root', 'vutest'] [4343, 4444, 4545]",
      '401 vutest 401', String(GROUPS[2].length + 1),
      '',
    ]);
  });

  test(`${mode}: getent lists the remapped files, and what the other sources add, in order`, (t) => {
    const F = files();
    const config = writeConfig({ intercept: mode, layers: [{ type: 'remap', map: { '/etc/passwd': F.passwd, '/etc/group': F.group } }] });
    for (const [db, file] of [['passwd', '/etc/passwd'], ['group', '/etc/group']] as const) {
      const native = sh(`getent ${db}`, null).trimEnd().split('\n');
      const inFile = readFileSync(file, 'utf8').trimEnd().split('\n').filter((l) => l && !l.startsWith('#'));
      // natively: the file, then what the other sources (systemd) add
      t.deepEqual(native.slice(0, inFile.length), inFile, `${db}: natively the file comes first`);
      const extra = native.slice(inFile.length);
      const remapped = readFileSync(db === 'passwd' ? F.passwd : F.group, 'utf8').trimEnd().split('\n');
      const got = sh(`getent ${db}`, config).trimEnd().split('\n');
      t.deepEqual(got, [...remapped, ...extra.filter((l) => !remapped.some((r) => r.split(':')[0] === l.split(':')[0]))]);
    }
  });

  test(`${mode}: the view's nsswitch.conf orders the sources, and its [STATUS=ACTION] items are followed`, (t) => {
    const F = files();
    const conf = (line: string) => {
      const p = join(F.dir, `nsswitch-${Math.random().toString(36).slice(2)}.conf`);
      writeFileSync(p, `# a test's\npasswd: ${line}\ngroup: files\n`);
      return writeConfig({ intercept: mode, layers: [{ type: 'remap', map: { '/etc/passwd': F.passwd, '/etc/group': F.group, '/etc/nsswitch.conf': p } }] });
    };
    const lookup = (config: string) => run('getent', ['passwd', 'vutest'], { config }).stdout.trim();
    t.is(lookup(conf('files')), USER);
    t.is(lookup(conf('nosuchsource files')), USER, 'a source without a module is unavailable: the next is asked');
    t.is(lookup(conf('nosuchsource [UNAVAIL=return] files')), '', 'UNAVAIL=return stops there');
    t.is(lookup(conf('files [SUCCESS=continue] nosuchsource')), USER, 'the last success stays');
    t.is(lookup(conf('nosuchsource [!SUCCESS=return] files')), '', '!SUCCESS=return');
  });
}

test('libc: with no layer that wants openat, glibc\'s own functions answer (the real files)', (t) => {
  const config = writeConfig({ intercept: 'libc', layers: [{ type: 'uname', sysname: 'VuOS' }] });
  const native = sh('id root; getent passwd | wc -l; getent group | wc -l', null);
  t.is(sh('id root; getent passwd | wc -l; getent group | wc -l', config), native);
});
