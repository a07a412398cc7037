/**
 * The compatibility matrix: real programs run natively, under a
 * pass-through stack ({"layers": []}, "all" mode: SUD armed, every
 * process-model path taken) and under a remap stack whose remapped file the
 * programs never touch. Output and exit status must be identical to native.
 *
 * Each case is a bash script run in a fresh folder ($W) with a fixed
 * environment (HOME, TZ, LC_ALL, git identity and dates); only the folder's
 * path is normalized, everything else must match byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIB, ROOT, have as haveTool } from '../helpers.js';

export type Mode = 'native' | 'pass' | 'remap';

export interface Case {
  name: string;
  /** column "program" of the table */
  program: string;
  /** bash script, run with cwd $W (an empty folder) */
  script: string;
  /** part of the quick subset (sanitizer runs) */
  quick?: boolean;
  /** a command that must exist, else the case cannot run */
  needs?: string;
  timeout?: number;
  /** output matches, but vu is not in the process (KNOWN.md) */
  known?: string;
}

/** Where the untouched remapped file points: a path no program uses. */
export const UNTOUCHED = '/vu-compat/never-touched';

const TREE = `
mkdir -p tree/a/b tree/c tree/empty
printf 'one\\n' > tree/a/one.txt
printf 'two\\ntwo\\n' > tree/a/b/two.txt
seq 1 2000 > tree/c/numbers
printf '#!/bin/sh\\necho hi\\n' > tree/c/run.sh
chmod 755 tree/c/run.sh
ln -s ../a/one.txt tree/c/link
find tree -exec touch -h -d @1600000000 {} +
`;

export const cases: Case[] = [
  {
    name: 'ls -lR', program: 'coreutils ls', quick: true,
    script: `${TREE}ls -lR --time-style=+%s tree; ls -la --time-style=+%s tree/c; ls -1 /usr/bin | head -20 | wc -l`,
  },
  {
    name: 'cp -a', program: 'coreutils cp', quick: true,
    script: `${TREE}cp -a tree copy && ls -lR --time-style=+%s copy && diff -r tree copy && echo same; cp -r tree/a plain; ls -l --time-style=+%s plain | tail -n +2 | awk '{print $1, $5, $9}'`,
  },
  {
    name: 'mv', program: 'coreutils mv', quick: true,
    script: `${TREE}mv tree/a/one.txt tree/c/ && mv tree/a tree/c/ && mv tree moved && find moved | sort; mv moved/nope x 2>&1; echo "status $?"`,
  },
  {
    name: 'rm -r', program: 'coreutils rm', quick: true,
    script: `${TREE}cp -a tree t2; rm -r tree; ls; rm -rf t2/c; find t2 | sort; rm t2 2>&1; echo "status $?"; rm -r t2 && ls -A`,
  },
  {
    name: 'find', program: 'findutils find', quick: true,
    script: `${TREE}find tree | sort; find tree -type f -name '*.txt' | sort; find tree -perm -u+x -type f; find tree -type l -printf '%p -> %l\\n'; find tree -empty; find tree -newermt @1500000000 | wc -l; find /usr/share/zoneinfo -maxdepth 1 -type d | wc -l`,
  },
  {
    name: 'tar', program: 'tar (+gzip)', quick: true,
    script: `${TREE}tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf t.tar tree && tar tvf t.tar && mkdir out && tar xf t.tar -C out && diff -r tree out/tree && echo same
tar --sort=name --mtime=@0 --owner=0 --group=0 -czf t.tgz tree && tar tzf t.tgz | wc -l && tar xzf t.tgz -C out --overwrite && echo ok`,
  },
  {
    name: 'stat', program: 'coreutils stat', quick: true,
    script: `${TREE}stat -c '%n %s %a %A %F %h %U %G %Y' tree tree/a/one.txt tree/c/link tree/c/run.sh; stat -L -c '%n %F %s' tree/c/link; stat -f -c '%T' .; stat nosuch 2>&1; echo "status $?"`,
  },
  {
    name: 'sort', program: 'coreutils sort', quick: true,
    script: `seq 1 100000 | awk '{print ($1 * 7919) % 100003, $1}' > in.txt
sort -n in.txt | md5sum; sort -k2,2n -k1,1n --parallel=2 -S 1M -T . in.txt | md5sum; sort -u -n in.txt | wc -l; sort -c in.txt 2>&1; echo "status $?"`,
  },
  {
    name: 'du', program: 'coreutils du', quick: true,
    script: `${TREE}du -a tree | sort -k2; du -s --apparent-size tree; du -sh tree/c`,
  },
  {
    name: 'ln', program: 'coreutils ln', quick: true,
    script: `${TREE}ln -s tree/a/one.txt sym && ln tree/a/b/two.txt hard && readlink sym && cat sym && stat -c '%h %n' hard tree/a/b/two.txt && ln -sf tree/c/numbers sym && readlink -f sym | sed "s|$PWD|W|"; ln sym sym 2>&1; echo "status $?"`,
  },
  {
    name: 'chmod', program: 'coreutils chmod', quick: true,
    script: `${TREE}chmod -R u=rwX,go=rX tree && find tree -exec stat -c '%a %n' {} + | sort -k2; chmod 600 tree/a/one.txt; chmod g+s tree/c; stat -c '%a %A' tree/a/one.txt tree/c; chmod 777 nosuch 2>&1; echo "status $?"`,
  },
  {
    name: 'bash pipes', program: 'bash', quick: true,
    script: `seq 1 100000 | grep 7 | sort -rn | head -3; echo "\${PIPESTATUS[@]}"; set -o pipefail; false | true; echo $?; yes | head -c 100000 | wc -c; printf 'a\\nb\\n' | while read -r l; do echo "<$l>"; done`,
  },
  {
    name: 'bash subshells', program: 'bash', quick: true,
    script: `x=$(echo hi; (echo nested; exit 3); echo "inner $?"); echo "$x"; (cd / && pwd); pwd | sed "s|$PWD|W|"; { echo a; echo b; } | wc -l; echo $( (exit 4); echo $? ); bash -c 'exit 5'; echo $?; out=$(sh -c 'echo from sh; exit 2'); echo "$out $?"`,
  },
  {
    name: 'bash here-docs', program: 'bash', quick: true,
    script: `v=value
cat <<EOF
expanded $v $((6 * 7))
EOF
cat <<'EOF'
literal $v
EOF
cat <<-EOF
	tab-stripped $v
	EOF
tr a-z A-Z <<< "here string"
wc -l <<EOF
$(seq 1 5000)
EOF`,
  },
  {
    name: 'bash redirections', program: 'bash', quick: true,
    script: `exec 3>f; echo one >&3; echo two >&3; exec 3>&-; cat f; echo three >> f; cat < f | wc -l
ls nosuch 2>&1 | sed 's/^ls: //'; ls nosuch 2>/dev/null; echo "status $?"; { echo out; echo err >&2; } > both 2>&1; sort both
exec 4<f; read -r line <&4; echo "read: $line"; exec 4<&-
diff <(seq 3) <(seq 3) && echo same; cat <(echo procsub) ; echo x > >(cat); wait
set -C; echo y > f 2>&1 | sed 's/.*: //'; set +C; : > f; wc -c < f`,
  },
  {
    name: 'bash job control', program: 'bash (set -m, &, wait, jobs, kill %1)', quick: true,
    script: `set -m
sleep 30 & sleep 30 &
jobs
kill %1
# (bash may reap and report job 1 before wait looks: "no such job", 127,
# natively too, 1 run in 10; both mean the job died)
wait %1 2>/dev/null; s=$?; case $s in 127|143) echo "wait 1: killed";; *) echo "wait 1: $s";; esac
jobs
kill -TERM %2; wait; echo "all waited"
(exit 7) & wait $!; echo "status $?"
set +m; for i in 1 2 3; do (sleep 0.0$i; echo "job $i" > out$i) & done; wait; cat out1 out2 out3
jobs; echo end`,
  },
  {
    name: 'python3', program: 'python3', quick: true,
    script: `cat > t.py <<'EOF'
import os, json, subprocess, threading, tempfile, shutil, glob, multiprocessing as mp, concurrent.futures as cf

def sq(x):
    return x * x

def main():
    os.makedirs('d/e', exist_ok=True)
    for i in range(50):
        with open(f'd/e/f{i}.json', 'w') as f:
            json.dump({'i': i, 'sq': i * i}, f)
    print(sum(json.load(open(p))['sq'] for p in glob.glob('d/e/*.json')))
    print(subprocess.run(['sh', '-c', 'echo sub; exit 3'], capture_output=True, text=True))
    print(subprocess.check_output('ls d/e | wc -l', shell=True).decode().strip())
    res = []
    ts = [threading.Thread(target=lambda k=k: res.append(len(open(f'd/e/f{k}.json').read()))) for k in range(20)]
    [t.start() for t in ts]; [t.join() for t in ts]
    print(sorted(res)[:3], len(res))
    for method in ('fork', 'spawn', 'forkserver'):
        with mp.get_context(method).Pool(2) as p:
            print(method, sum(p.map(sq, range(100))))
    with cf.ThreadPoolExecutor(8) as ex:
        print(sum(ex.map(lambda p: os.stat(p).st_size, glob.glob('d/e/*'))))
    with tempfile.TemporaryDirectory(dir='.') as t:
        shutil.copytree('d', os.path.join(t, 'copy'))
        print(len(os.listdir(os.path.join(t, 'copy', 'e'))))
    shutil.rmtree('d'); print(os.path.exists('d'))
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(w, b'from child'); os._exit(9)
    os.close(w); print(os.read(r, 100), os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))

if __name__ == '__main__':
    main()
EOF
timeout 60 python3 t.py 2>&1 | tail -30`,

  },
  {
    name: 'perl', program: 'perl', quick: true,
    script: `${TREE}perl -e '
use strict; use warnings;
opendir(my $d, "tree/a") or die; my @e = sort grep { !/^\\./ } readdir $d; print "@e\\n";
open(my $f, "<", "tree/c/numbers") or die; my $s = 0; $s += $_ while <$f>; print "$s\\n";
my $pid = fork(); if ($pid == 0) { exit 7 } waitpid($pid, 0); print $? >> 8, "\\n";
print scalar(\`ls tree | wc -l\`);
system("sh", "-c", "exit 3"); print $? >> 8, "\\n";
open(my $p, "-|", "seq", "1", "3") or die; print join(",", map { chomp; $_ } <$p>), "\\n";
open(my $o, ">", "out.txt") or die; print $o "x" x 1000; close $o; print -s "out.txt", "\\n";
mkdir "newdir" or die; rename "out.txt", "newdir/o" or die; print join(" ", glob("newdir/*")), "\\n";
'`,
  },
  {
    name: 'git', program: 'git (init, add, commit, log, status, clone)',
    script: `git init -q -b main src && cd src
for i in 1 2 3; do printf 'line %s\\n' $i > f$i.txt; git add f$i.txt; git commit -q -m "commit $i"; done
echo change >> f1.txt; printf 'new\\n' > untracked.txt
git status --short; git log --oneline --stat; git diff --stat
git add -A && git commit -q -m "all" && git rev-parse HEAD
cd .. && git clone -q src local-clone && git clone -q --no-local "file://$PWD/src" file-clone
git -C local-clone log --oneline | wc -l; git -C file-clone log --format='%H %s' | head -2; git -C file-clone fsck 2>&1; git -C file-clone status --short | wc -l`,
  },
  {
    name: 'make -j2 + gcc', program: 'make -j2 + gcc',
    script: `mkdir proj && cd proj
for i in 1 2 3 4 5 6; do printf '#include "p.h"\\nint f%s(int x) { return x * %s; }\\n' $i $i > f$i.c; done
printf 'int f1(int);int f2(int);int f3(int);int f4(int);int f5(int);int f6(int);\\n' > p.h
printf '#include <stdio.h>\\n#include "p.h"\\nint main(void) { printf("%%d\\\\n", f1(1)+f2(2)+f3(3)+f4(4)+f5(5)+f6(6)); return 0; }\\n' > main.c
printf 'OBJS = main.o f1.o f2.o f3.o f4.o f5.o f6.o\\nprog: $(OBJS)\\n\\t$(CC) -o $@ $(OBJS)\\n%%.o: %%.c p.h\\n\\t$(CC) -O1 -Wall -c $<\\nclean:\\n\\trm -f prog $(OBJS)\\n' > Makefile
make -j2 2>&1 | sort; ./prog; make -j2; make -j2 clean >/dev/null; make -j2 -s && ./prog && ls *.o | wc -l`,
  },
  {
    name: 'node', program: 'node (fs, child_process, worker_threads, fs.promises in parallel)',
    script: `cat > t.mjs <<'EOF'
import fs from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
fs.mkdirSync('d');
for (let i = 0; i < 300; i++) fs.writeFileSync(\`d/f\${i}\`, 'x'.repeat(i));
console.log(fs.readdirSync('d').length, fs.statSync('d/f299').size);
// the libuv thread pool: 300 reads and stats in parallel
const sizes = await Promise.all(fs.readdirSync('d').map(async (f) => (await fs.promises.readFile('d/' + f)).length));
console.log(sizes.reduce((a, b) => a + b, 0));
const st = await Promise.all(fs.readdirSync('d').map((f) => fs.promises.stat('d/' + f)));
console.log(st.filter((s) => s.isFile()).length);
await fs.promises.writeFile('w.txt', 'written');
console.log(await fs.promises.readFile('w.txt', 'utf8'));
console.log(execFileSync('sh', ['-c', 'echo child; ls d | wc -l']).toString().trim());
const p = spawn('cat'); let out = '';
p.stdout.on('data', (d) => out += d); p.stdin.end('piped through cat');
await new Promise((r) => p.on('close', r)); console.log(out);
const code = 'const { parentPort } = require("node:worker_threads"); const fs = require("node:fs"); parentPort.postMessage(fs.readdirSync("d").length + fs.readFileSync("w.txt", "utf8"));';
const msgs = await Promise.all([1, 2, 3, 4].map(() => new Promise((res) => new Worker(code, { eval: true }).on('message', res))));
console.log(msgs.join(' '));
fs.rmSync('d', { recursive: true }); console.log(fs.existsSync('d'));
EOF
node t.mjs`,
  },
  {
    name: 'go (cgo)', program: 'Go, cgo (raw syscalls from the Go runtime)', needs: 'go',
    script: `"$VU_COMPAT_GO/cgo" "$W"`,
  },
  {
    name: 'go (static)', program: 'Go, static (CGO_ENABLED=0)', needs: 'go',
    script: `"$VU_COMPAT_GO/static" "$W"`,
    known: 'not virtualized: LD_PRELOAD cannot enter a static binary (KNOWN.md 1)',
  },
];

export interface Outcome {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

let cfgDir: string | undefined;
/** The two configs (written once per process). */
export function configs(): Record<Exclude<Mode, 'native'>, string> {
  if (!cfgDir) {
    cfgDir = mkdtempSync(join(tmpdir(), 'vu-compat-cfg-'));
    writeFileSync(join(cfgDir, 'pass.json'), '{"layers": []}\n');
    writeFileSync(join(cfgDir, 'remap.json'), JSON.stringify({ layers: [{ type: 'remap', map: { [UNTOUCHED]: '/etc/hostname' } }] }));
  }
  return { pass: join(cfgDir, 'pass.json'), remap: join(cfgDir, 'remap.json') };
}

/** The environment every case runs in (the same in every mode). */
export function baseEnv(home: string): Record<string, string> {
  const keep = ['PATH', 'TERM', 'VU_COMPAT_GO'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k]) env[k] = process.env[k] as string;
  return {
    ...env,
    HOME: home,
    TZ: 'UTC',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'vu', GIT_AUTHOR_EMAIL: 'vu@example.invalid', GIT_AUTHOR_DATE: '@1600000000 +0000',
    GIT_COMMITTER_NAME: 'vu', GIT_COMMITTER_EMAIL: 'vu@example.invalid', GIT_COMMITTER_DATE: '@1600000000 +0000',
  };
}

/** Run one case in one mode; the folder's path is replaced by $W. */
export function runCase(c: Case, mode: Mode, extraEnv: Record<string, string> = {}): Outcome {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'vu-compat-')));
  const w = join(base, 'w');
  const home = join(base, 'home');
  mkdirSync(w);
  mkdirSync(home);
  const env: Record<string, string> = { ...baseEnv(home), W: w, ...extraEnv };
  if (mode !== 'native') {
    env.LD_PRELOAD = extraEnv.LD_PRELOAD ?? LIB;
    env.VU_CONFIG = configs()[mode];
  }
  const r = spawnSync('bash', ['-c', c.script], {
    cwd: w, env, encoding: 'utf8', timeout: c.timeout ?? 120_000, maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  const norm = (s: string) => s.split(base).join('$T');
  return { status: r.status, signal: r.signal, stdout: norm(r.stdout), stderr: norm(r.stderr) };
}

/** Build the Go programs once (cgo and static) into dir; returns dir. */
export function buildGo(dir: string): string {
  const src = join(ROOT, 'test', 'compat', 'go');
  const env = { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'off' } as Record<string, string>;
  delete env.LD_PRELOAD;
  for (const [out, cgo] of [['cgo', '1'], ['static', '0']]) {
    const r = spawnSync('go', ['build', '-o', join(dir, out), '.'], { cwd: src, env: { ...env, CGO_ENABLED: cgo }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`go build (${out}): ${r.stderr}`);
  }
  return dir;
}

export function have(cmd: string): boolean {
  return haveTool(cmd);
}
