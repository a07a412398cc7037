/**
 * Before measuring: build the bench's C programs (and libvu.so if it is
 * missing), get proot if it can be had, write the vu configs (finding out
 * which layer types this build of libvu has), make the fixtures of the
 * real workloads once, in bench/.cache, and build the static programs.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH, CACHE, LIB, ROOT, baseEnv, bin, log, run, which } from './util.js';

export const SEED_FROM = '/etc/passwd';
export const SEED_TO = '/etc/hostname';
export const BIND_TARGET = '/opt/vu-bench-bind';

export function build(): void {
  if (!existsSync(LIB)) {
    log(`${LIB} is missing: building it (node-gyp rebuild)`);
    const r = run('npx', ['node-gyp', 'rebuild'], { cwd: ROOT });
    if (r.status !== 0 || !existsSync(LIB)) throw new Error(`cannot build libvu.so:\n${r.stderr.slice(-2000)}`);
  }
  const r = run('make', ['-s', '-C', BENCH]);
  if (r.status !== 0) throw new Error(`make -C bench failed:\n${r.stdout}${r.stderr}`);
}

export interface Proot {
  path: string | null;
  version: string | null;
  note: string;
}

/** proot, installed with apt-get when it is missing and allowed. */
export function proot(allowInstall: boolean): Proot {
  let path = which('proot');
  let note = 'proot was installed';
  if (!path && !allowInstall) {
    note = 'proot is not installed (quick mode does not install it)';
  } else if (!path) {
    log('proot is missing: apt-get install -y proot');
    const env = { ...baseEnv(), DEBIAN_FRONTEND: 'noninteractive' };
    let r = run('apt-get', ['install', '-y', '-qq', 'proot'], { env, timeout: 300_000 });
    if (r.status !== 0) {
      run('apt-get', ['update', '-qq'], { env, timeout: 300_000 });
      r = run('apt-get', ['install', '-y', '-qq', 'proot'], { env, timeout: 300_000 });
    }
    path = which('proot');
    note = path
      ? 'proot was missing; the harness installed it with apt-get'
      : `proot is missing and apt-get could not install it: ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
  }
  let version: string | null = null;
  if (path) {
    const v = run(path, ['--version']);
    const m = /proot\s+v?([0-9][\w.-]*)/i.exec(v.stdout + v.stderr);
    version = m ? m[1] : null;
    // proot must work here (it needs ptrace): try the seed
    const t = run(path, ['-b', `${SEED_TO}:${SEED_FROM}`, 'cat', SEED_FROM]);
    if (t.status !== 0 || t.stdout !== readFileSync(SEED_TO, 'utf8')) {
      note = `proot is installed but does not work here: ${t.stderr.trim().split('\n').pop()}`;
      path = null;
    }
  }
  return { path, version, note };
}

export interface Configs {
  seedLibc: string;
  seedAll: string;
  stackAll: string;
  stackLibc: string;
  stackLayers: string[];
  trace: string | null;
  traceOut: string;
  notes: string[];
}

function writeJson(file: string, obj: unknown): string {
  // (rewritten only when it changes: a config keeps its age, and vu its
  // compiled form -- runtime/config/compiled.c compiles none younger than 2 s)
  const text = JSON.stringify(obj, null, 2) + '\n';
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
  return file;
}

/** Errors of a config according to this libvu (cfgparse calls its
 * vu_config_check): '' when it is good. */
export function configErrors(file: string): string {
  const r = run(bin('cfgparse'), [LIB, file, '1']);
  const m = /"errors":(\d+)/.exec(r.stdout);
  if (r.status !== 0 || !m) return (r.stderr || 'cfgparse failed').trim();
  return m[1] === '0' ? '' : r.stderr.trim() || `${m[1]} errors`;
}

function underVu(config: string, cmd: string, args: string[]) {
  return run(cmd, args, { env: { ...baseEnv(), LD_PRELOAD: LIB, VU_CONFIG: config } });
}

export function configs(): Configs {
  const dir = join(CACHE, 'configs');
  const fx = fixturesForStack();
  mkdirSync(dir, { recursive: true });
  const remap = { type: 'remap', map: { [SEED_FROM]: SEED_TO } };
  const notes: string[] = [];
  const seedLibc = writeJson(join(dir, 'seed-libc.json'), { intercept: 'libc', layers: [remap] });
  const seedAll = writeJson(join(dir, 'seed-all.json'), { intercept: 'all', layers: [remap] });

  // the four-layer stack of the spec, when this libvu has those layer types
  const four = [
    { type: 'bind', source: fx.bindSource, target: BIND_TARGET },
    { type: 'readonly', paths: ['/usr/share', fx.readonly] },
    { type: 'hide', paths: [fx.secret] },
    remap,
  ];
  let layers: Record<string, unknown>[] = four;
  const probe = writeJson(join(dir, 'stack-probe.json'), { intercept: 'all', layers: four });
  const err = configErrors(probe);
  if (err) {
    layers = [remap];
    notes.push(
      `The four-layer stack (bind, readonly, hide, remap) does not load in this build ` +
        `(${err.split('\n')[0].replace(/^.*?: /, '')}): the "vu stack" rows use remap only.`,
    );
  } else {
    const bad = checkStack(probe, fx);
    if (bad) {
      layers = [remap];
      notes.push(`The four-layer stack loads but misbehaves (${bad}): the "vu stack" rows use remap only.`);
    }
  }
  const stackLayers = layers.map((l) => String(l.type));
  const stackAll = writeJson(join(dir, 'stack-all.json'), { intercept: 'all', layers });
  const stackLibc = writeJson(join(dir, 'stack-libc.json'), { intercept: 'libc', layers });

  // the same stack with the trace layer on top, when it exists
  const traceOut = join(CACHE, 'trace', 'vu-trace.jsonl');
  mkdirSync(join(CACHE, 'trace'), { recursive: true });
  let trace: string | null = writeJson(join(dir, 'trace-all.json'), {
    intercept: 'all',
    layers: [{ type: 'trace', output: traceOut }, ...layers],
  });
  const terr = configErrors(trace);
  if (terr) {
    notes.push(`No trace layer in this build (${terr.split('\n')[0].replace(/^.*?: /, '')}): no "vu + trace" column.`);
    trace = null;
  } else {
    rmSync(traceOut, { force: true });
    const r = underVu(trace, 'cat', [SEED_FROM]);
    if (r.status !== 0 || !existsSync(traceOut)) {
      notes.push(`The trace layer loads but wrote no ${traceOut} (status ${r.status}): no "vu + trace" column.`);
      trace = null;
    }
    rmSync(traceOut, { force: true });
  }
  return { seedLibc, seedAll, stackAll, stackLibc, stackLayers, trace, traceOut, notes };
}

export interface ScaleConfigs {
  /** paths in the large configs */
  entries: number;
  /** one-layer "libc" configs: remap (1: the seed; n: the seed and n - 1
   * more), hide and readonly (1: the first generated path; n: all) */
  remap1: string;
  remapN: string;
  hide1: string;
  hideN: string;
  readonly1: string;
  readonlyN: string;
}

/** The configs of bench/lib/instr.ts's scaling rows, in .cache/configs:
 * remap, hide and readonly with one path and with `n`. The paths are
 * files made once in .cache/paths-N/ (folders of 100), so hide and
 * readonly find each at start-up as they would a real one; remap maps
 * each to /etc/hostname besides the seed (its one-path config is the
 * seed's, seed-libc.json). */
export function scaleConfigs(cfg: Configs, n: number): ScaleConfigs {
  const dir = join(CACHE, 'configs');
  mkdirSync(dir, { recursive: true });
  const root = join(CACHE, `paths-${n}`);
  const paths: string[] = [];
  for (let i = 0; i < n; i++) paths.push(join(root, `d${Math.floor(i / 100)}`, `p${i % 100}`));
  if (!existsSync(join(root, '.bench-complete'))) {
    log(`making ${root} (${n} files, once)`);
    rmSync(root, { recursive: true, force: true });
    for (let i = 0; i < n; i++) {
      if (i % 100 === 0) mkdirSync(join(root, `d${i / 100}`), { recursive: true });
      writeFileSync(paths[i], '');
    }
    writeFileSync(join(root, '.bench-complete'), '');
  }
  const libc = (name: string, layer: Record<string, unknown>) => writeJson(join(dir, `${name}.json`), { intercept: 'libc', layers: [layer] });
  const map: Record<string, string> = { [SEED_FROM]: SEED_TO };
  for (const p of paths.slice(0, n - 1)) map[p] = SEED_TO;
  return {
    entries: n,
    remap1: cfg.seedLibc,
    remapN: libc(`remap-${n}`, { type: 'remap', map }),
    hide1: libc('hide-1', { type: 'hide', paths: paths.slice(0, 1) }),
    hideN: libc(`hide-${n}`, { type: 'hide', paths }),
    readonly1: libc('readonly-1', { type: 'readonly', paths: paths.slice(0, 1) }),
    readonlyN: libc(`readonly-${n}`, { type: 'readonly', paths }),
  };
}

/** Does the four-layer stack do what it says? '' when it does. */
function checkStack(config: string, fx: StackFixtures): string {
  const host = readFileSync(SEED_TO, 'utf8');
  if (underVu(config, 'cat', [SEED_FROM]).stdout !== host) return 'remap: cat /etc/passwd';
  if (underVu(config, 'cat', [join(BIND_TARGET, 'hello.txt')]).stdout !== 'hello from bind\n') return 'bind';
  if (underVu(config, 'test', ['-e', fx.secret]).status === 0) return 'hide';
  const w = underVu(config, 'sh', ['-c', `echo x > ${fx.readonly}/new`]);
  const leaked = existsSync(join(fx.readonly, 'new'));
  rmSync(join(fx.readonly, 'new'), { force: true });
  if (w.status === 0 || leaked) return 'readonly';
  return '';
}

interface StackFixtures {
  bindSource: string;
  readonly: string;
  secret: string;
}

function fixturesForStack(): StackFixtures {
  const bindSource = join(CACHE, 'bind-src');
  const readonly = join(CACHE, 'readonly');
  const secret = join(CACHE, 'secret');
  mkdirSync(bindSource, { recursive: true });
  mkdirSync(readonly, { recursive: true });
  writeFileSync(join(bindSource, 'hello.txt'), 'hello from bind\n');
  writeFileSync(secret, 'not for the program\n');
  return { bindSource, readonly, secret };
}

/** A git repository of `files` files in folders of 100, made once. */
export function gitRepo(files: number): string {
  const dir = join(CACHE, `git-${files}`);
  if (existsSync(join(dir, '.bench-complete'))) return dir;
  log(`making ${dir} (${files} files, once)`);
  rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < files; i++) {
    const d = join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i % 100}.txt`), `file ${i}\n`);
  }
  const git = (args: string[]) => {
    const r = run('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], { cwd: dir });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  git(['init', '-q']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'bench fixture']);
  run('git', ['status', '--porcelain'], { cwd: dir }); // refresh the index once
  writeFileSync(join(dir, '.git', 'info', 'exclude'), '.bench-complete\n');
  writeFileSync(join(dir, '.bench-complete'), '');
  return dir;
}

/** A small C project (units files, a Makefile with all and clean). */
export function cProject(units: number): string {
  const dir = join(CACHE, `cproj-${units}`);
  if (existsSync(join(dir, 'Makefile'))) return dir;
  log(`making ${dir} (${units} C files, once)`);
  mkdirSync(dir, { recursive: true });
  const objs: string[] = [];
  let mainDecl = '';
  let mainCall = '';
  for (let u = 0; u < units; u++) {
    let src = `#include <stdio.h>\n#include <string.h>\n#include "common.h"\n\n`;
    for (let f = 0; f < 12; f++) {
      src +=
        `static int helper_${u}_${f}(const char *s, int n)\n{\n\tint h = ${f};\n` +
        `\tfor (int i = 0; i < n && s[i]; i++)\n\t\th = h * 31 + s[i] + (i % ${f + 2});\n` +
        `\tif (h % 7 == ${f % 7})\n\t\tsnprintf(shared_buf, sizeof(shared_buf), "%d/%s", h, s);\n\treturn h;\n}\n\n`;
    }
    src += `int unit_${u}(const char *s)\n{\n\tint t = 0;\n`;
    for (let f = 0; f < 12; f++) src += `\tt += helper_${u}_${f}(s, (int)strlen(s) - ${f % 3});\n`;
    src += `\treturn t;\n}\n`;
    writeFileSync(join(dir, `unit${u}.c`), src);
    objs.push(`unit${u}.o`);
    mainDecl += `int unit_${u}(const char *s);\n`;
    mainCall += `\tt += unit_${u}(argc > 1 ? argv[1] : "bench");\n`;
  }
  writeFileSync(join(dir, 'common.h'), 'extern char shared_buf[64];\n');
  writeFileSync(
    join(dir, 'main.c'),
    `#include <stdio.h>\n${mainDecl}char shared_buf[64];\n\nint main(int argc, char **argv)\n{\n\tint t = 0;\n\n${mainCall}\tprintf("%d\\n", t);\n\treturn 0;\n}\n`,
  );
  objs.push('main.o');
  writeFileSync(
    join(dir, 'Makefile'),
    `CFLAGS = -O2 -Wall\nOBJS = ${objs.join(' ')}\n\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n\n` +
      `%.o: %.c common.h\n\t$(CC) $(CFLAGS) -c -o $@ $<\n\nclean:\n\trm -f prog $(OBJS)\n\n.PHONY: clean\n`,
  );
  return dir;
}

/** A text file of `lines` lines of words (the shell pipeline's input), made once. */
export function textFile(lines: number): string {
  const file = join(CACHE, `text-${lines}.txt`);
  if (existsSync(file)) return file;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`w${(i * 7919) % 1009} line ${i} of the bench w${i % 97}`);
  writeFileSync(file, out.join('\n') + '\n');
  return file;
}

export interface StaticProg {
  id: string;
  label: string;
  exe: string;
}

export interface StaticSetup {
  progs: StaticProg[];
  /** the file the programs read, and what vu and proot show in its place */
  data: string;
  other: string;
  /** the real workloads' stack with `data` remapped to `other` */
  config: string;
  notes: string[];
}

/** The static programs (bench/static/: gcc -static, CGO_ENABLED=0 go
 * build), their input files and their vu config; a program that cannot be
 * built is left out with a note. */
export function staticSetup(cfg: Configs): StaticSetup {
  const dir = join(CACHE, 'static');
  mkdirSync(dir, { recursive: true });
  const notes: string[] = [];
  const progs: StaticProg[] = [];
  // the same size, other bytes: the sum of the bytes read tells them apart
  const data = join(dir, 'data.txt');
  const other = join(dir, 'other.txt');
  writeFileSync(data, 'the real file\n'.repeat(100));
  writeFileSync(other, 'the remapped!\n'.repeat(100));
  const c = run('make', ['-s', '-C', BENCH, 'static']);
  if (c.status === 0) progs.push({ id: 'c', label: 'C, gcc -static (glibc)', exe: bin('orc-static') });
  else notes.push(`No static C program: gcc -static failed (${(c.stderr || c.stdout).trim().split('\n').pop()}).`);
  if (!which('go')) notes.push('go is not installed: no static Go program.');
  else {
    const exe = bin('orc-static-go');
    const env = { ...baseEnv(), CGO_ENABLED: '0', GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(CACHE, 'gocache') };
    const g = run('go', ['build', '-o', exe, 'orc.go'], { cwd: join(BENCH, 'static'), env });
    if (g.status === 0) progs.push({ id: 'go', label: 'Go, CGO_ENABLED=0', exe });
    else notes.push(`No static Go program: go build failed (${(g.stderr || g.stdout).trim().split('\n').pop()}).`);
  }
  const stack = JSON.parse(readFileSync(cfg.stackAll, 'utf8')) as { layers: { type: string; map?: Record<string, string> }[] };
  for (const l of stack.layers) if (l.type === 'remap') l.map = { ...l.map, [data]: other };
  const config = writeJson(join(CACHE, 'configs', 'static-all.json'), stack);
  return { progs, data, other, config, notes };
}

/** The python3 of the system (a pyenv shim would add a bash and a pyenv
 * to every run). */
export function python(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}
