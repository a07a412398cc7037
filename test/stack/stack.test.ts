/**
 * Layers compose: a stack of several behaves as each in order. The issue's
 * own case: trace + bind + readonly + hide run `git init && git add -A &&
 * git commit` in a bound work tree.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tmpdir, writeConfig } from '../helpers.js';

function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      h.update(`${p} ${st.mode} ${st.size}\n`);
      if (st.isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

test('stack: trace + bind + readonly + hide run git init/add/commit in a bound work tree', (t) => {
  const base = tmpdir();
  const src = join(base, 'src');
  const ro = join(base, 'ro');
  const secret = join(base, 'secret');
  mkdirSync(src);
  mkdirSync(ro);
  mkdirSync(secret);
  writeFileSync(join(src, 'a.txt'), 'hello\n');
  mkdirSync(join(src, 'sub'));
  writeFileSync(join(src, 'sub', 'b.txt'), 'world\n');
  writeFileSync(join(ro, 'data'), 'read only\n');
  writeFileSync(join(secret, 'key'), 'k\n');
  const roHash = treeHash(ro);
  const config = writeConfig(
    {
      layers: [
        { type: 'trace', output: join(base, 'trace.jsonl') },
        { type: 'bind', source: src, target: '/work/project' },
        { type: 'readonly', paths: [ro] },
        { type: 'hide', paths: [secret] },
      ],
    },
    base,
  );
  const env = { GIT_AUTHOR_NAME: 'vu', GIT_AUTHOR_EMAIL: 'vu@example.org', GIT_COMMITTER_NAME: 'vu', GIT_COMMITTER_EMAIL: 'vu@example.org', HOME: base };
  const script = [
    'cd /work/project',
    'pwd',
    'git init -q .',
    'git add -A',
    'git commit -q -m first',
    'git log --format=%s',
    'git ls-files',
    'git status --porcelain',
    `cat ${ro}/data`,
    `{ echo x > ${ro}/data; } 2>/dev/null || echo readonly-refused`,
    `ls ${secret} 2>/dev/null || echo secret-hidden`,
    `ls ${base} | grep -c secret || true`,
  ].join(' && ');
  const r = run('bash', ['-c', script], { config, env, cwd: base });
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.is(r.stdout, '/work/project\nfirst\na.txt\nsub/b.txt\nread only\nreadonly-refused\nsecret-hidden\n0\n');
  // the commit landed in the source, the read-only tree did not change
  t.true(existsSync(join(src, '.git', 'HEAD')));
  t.is(treeHash(ro), roHash);
  // the trace saw the program through the bind: paths as the program named them
  const lines = readFileSync(join(base, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; args?: Record<string, unknown> });
  t.true(lines.some((l) => l.name === 'chdir' && l.args?.filename === '/work/project'));
  t.true(lines.some((l) => l.args && Object.values(l.args).some((v) => typeof v === 'string' && v.startsWith('/work/project/.git'))));
});
