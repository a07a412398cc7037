/**
 * vu -- run a program under libvu.so and manage its vu.json.
 * Exit status: 0 ok; the program's own for `run`; 1 errors found by
 * `check`; 2 bad usage; 125 vu itself failed; 126/127 as a shell.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { canEnter, locate } from './elf.js';
import { checkConfig, fakerootShow, findConfig, layerExample, libPath, manifests, packageRoot, resolvedConfig, version } from './lib.js';
import { bold, dim, fail, table } from './term.js';
import { formatSummary, summarize } from './trace-summary.js';

const HELP: Record<string, string> = {
  '': `vu ${'VERSION'} -- a process's own view of the system, from inside the process

usage: vu <command> [options]

commands:
  run [-c FILE] [--layer JSON]... [--trace FILE] -- CMD [ARGS...]
                      run CMD under the layer stack of vu.json
  check [FILE]        check a vu.json and print the stack it resolves to
  init [--force]      write a starter vu.json in the current folder
  layers [NAME] [--json]
                      the layer types, their options and examples
  trace summary FILE [--json]
                      per-syscall counts, errors and time of a vu trace
  fakeroot show STATE [DIR]
                      what a fakeroot state file records (owners, modes, devices)
  lib                 print the absolute path of libvu.so

options: -h, --help (also after a command), -V, --version

Config lookup: VU_CONFIG, else the nearest vu.json upward, else none.
Exit status: CMD's for run; 1: check found errors; 2: usage; 125: vu failed;
126/127: CMD not executable / not found. Colour only on a terminal; NO_COLOR
turns it off.`,
  run: `usage: vu run [-c FILE] [--layer JSON]... [--trace FILE] -- CMD [ARGS...]

Checks the config, then runs CMD with LD_PRELOAD=libvu.so and VU_CONFIG set.
  -c, --config FILE   the config (default: VU_CONFIG, else vu.json upward)
  --layer JSON        add a layer at the bottom of the stack, e.g.
                      --layer '{"type":"remap","map":{"/etc/passwd":"/etc/hostname"}}'
                      (relative paths in it are relative to the current folder)
  --trace FILE        add a trace layer at the top, writing to FILE
A static program runs through vu's own loader (vu-static, beside libvu.so).
Refuses, with the reason and status 125, a program vu cannot enter: a
set-user-ID or file-capability program, an ELF of another class or machine
(unless the config's "run_unvirtualized" names its class). CMD's exit status
is passed through (127: not found, 126: not executable).`,
  check: `usage: vu check [FILE]

Checks FILE (default: the config vu run would use) and prints the stack as
libvu will run it, with defaults filled in and paths made absolute. Errors
are printed as FILE:LINE:COL: message; exit status 1 when there are any.`,
  init: `usage: vu init [--force]

Writes a starter vu.json (with its $schema, so editors complete it) in the
current folder. --force overwrites an existing one.`,
  layers: `usage: vu layers [NAME] [--json]

Lists the layer types with their options (kind, required or default) and an
example; with NAME, only that layer.`,
  trace: `usage: vu trace summary FILE [--json]

Summarizes a trace written by the trace layer: per-syscall calls, errors and
time (like strace -c), how many calls trapped through SUD, the most touched
paths. --json prints the same as JSON.`,
  fakeroot: `usage: vu fakeroot show STATE [DIR]

Prints what the fakeroot layer's state file STATE records, one file a line:
its path (with DIR: the files under DIR that have a record) or its device
and inode (without), then the fields the program set (uid=, gid=, mode=
with its type letter, rdev=major,minor); the others are the real file's.
The last line counts the records. Exit status 1 when STATE cannot be read.`,
  lib: `usage: vu lib

Prints the absolute path of libvu.so (for LD_PRELOAD).`,
};

function help(cmd: string): never {
  process.stdout.write(HELP[cmd].replace('VERSION', version()) + '\n');
  process.exit(0);
}

function usage(msg: string, cmd = ''): never {
  process.stderr.write(`vu: ${msg}\n${HELP[cmd].split('\n\n')[cmd ? 0 : 1]}\nTry 'vu ${cmd ? cmd + ' ' : ''}--help'.\n`);
  process.exit(2);
}

function wantsHelp(args: string[]): boolean {
  const stop = args.indexOf('--');
  return (stop < 0 ? args : args.slice(0, stop)).some((a) => a === '-h' || a === '--help');
}

function cmdLib(): void {
  const lib = libPath();
  if (!existsSync(lib)) fail(`${lib} is missing: run npm install in ${packageRoot}`);
  process.stdout.write(lib + '\n');
}

function printErrors(errors: string[]): void {
  for (const e of errors) process.stderr.write(`vu: ${e}\n`);
}

function cmdCheck(args: string[]): void {
  if (args.length > 1) usage('check takes at most one FILE', 'check');
  const file = args[0] ? resolve(args[0]) : findConfig(process.cwd());
  if (!file) fail("no vu.json here or in any parent folder, and VU_CONFIG is not set; create one with 'vu init'", 1);
  const errors = checkConfig(file);
  if (errors.length) {
    printErrors(errors);
    process.stderr.write(`vu: ${errors.length} error${errors.length === 1 ? '' : 's'}; 'vu layers' lists the layer types and their options\n`);
    process.exit(1);
  }
  const r = resolvedConfig(file);
  if (!r) {
    // it changed between the check and this second read: say how it is now
    printErrors(checkConfig(file));
    fail(`${file}: changed while read (check it again)`, 1);
  }
  process.stdout.write(`${bold(file)}: ok, intercept ${r.intercept}, ${r.layers.length} layer${r.layers.length === 1 ? '' : 's'}\n`);
  if (r.run_unvirtualized?.length)
    process.stdout.write(`  run_unvirtualized: ${r.run_unvirtualized.join(', ')} (such programs run without the stack; the others are refused at exec)\n`);
  r.layers.forEach((l, i) => {
    const { type, ...opts } = l;
    process.stdout.write(`  ${i + 1}. ${bold(type)}\n`);
    for (const [k, v] of Object.entries(opts)) process.stdout.write(`       ${k}: ${JSON.stringify(v)}\n`);
  });
}

/** Absolute paths for path-kind options of a layer given on the command line. */
function absolutize(layer: Record<string, unknown>): Record<string, unknown> {
  const m = manifests().find((x) => x.name === layer.type);
  if (!m) return layer;
  const out = { ...layer };
  const abs = (p: unknown) => (typeof p === 'string' && !p.startsWith('~') ? resolve(p) : p);
  for (const o of m.options) {
    const v = out[o.name];
    if (v === undefined) continue;
    if (o.kind === 'path' || o.kind === 'newpath') out[o.name] = abs(v);
    else if (o.kind === 'path_list' && Array.isArray(v)) out[o.name] = v.map(abs);
    else if (o.kind === 'path_map' && v && typeof v === 'object')
      out[o.name] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [abs(k), abs(x)]));
  }
  return out;
}

/** A config made of the base stack plus command-line layers, kept under
 * the temp folder by content (children exec'ed later still find it). */
/** The config vu run writes: the base config's layers (resolved), the
 * --trace layer first, the --layer ones last, one layer per line (lines[i]:
 * the 1-based line of layer i, so that an error's position names the
 * option it came from). */
function composeConfig(base: string | null, extra: Record<string, unknown>[], trace: string | null): { file: string; origin: (line: number) => string | null } {
  let layers: unknown[] = [];
  const from: string[] = [];
  let intercept = 'all';
  if (base) {
    const r = resolvedConfig(base);
    if (!r) fail('internal error: the config checked but did not resolve');
    layers = r.layers;
    intercept = r.intercept;
    for (let k = 0; k < layers.length; k++) from.push(`${base} (layer ${k + 1})`);
  }
  if (trace) {
    layers = [{ type: 'trace', output: resolve(trace) }, ...layers];
    from.unshift(`--trace ${trace}`);
  }
  extra.forEach((l, k) => from.push(`--layer ${k + 1} ${JSON.stringify(l)}`));
  layers = [...layers, ...extra.map(absolutize)];
  const head = [
    '{',
    `  "$comment": ${JSON.stringify(`made by vu run from ${base ?? 'the command line'}`)},`,
    `  "intercept": ${JSON.stringify(intercept)},`,
    '  "layers": [',
  ];
  const text = [...head, ...layers.map((l, k) => `    ${JSON.stringify(l)}${k + 1 < layers.length ? ',' : ''}`), '  ]', '}'].join('\n') + '\n';
  const dir = join(tmpdir(), `vu-${process.getuid?.() ?? 'u'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `run-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.json`);
  writeFileSync(file, text, { mode: 0o600 });	// (its time: the last run that used it)
  pruneRunConfigs(dir, file);
  return { file, origin: (line: number) => from[line - head.length - 1] ?? null };
}

/** Configs of earlier `vu run`s are kept by content, so that a program
 * exec'ed long after its parent still finds its one; those no run has
 * used for a week go. */
function pruneRunConfigs(dir: string, keep: string): void {
  const week = Date.now() - 7 * 24 * 3600 * 1000;
  try {
    for (const name of readdirSync(dir)) {
      const f = join(dir, name);
      if (!/^run-[0-9a-f]{16}\.json$/.test(name) || f === keep) continue;
      try {
        if (statSync(f).mtimeMs < week) rmSync(f, { force: true });
      } catch {
        // another vu run removed it first
      }
    }
  } catch {
    // an unreadable folder: nothing to prune
  }
}

function cmdRun(args: string[]): void {
  let config: string | null = null;
  let trace: string | null = null;
  const extra: Record<string, unknown>[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    const value = () => (i + 1 < args.length ? args[++i] : usage(`${a} needs a value`, 'run'));
    if (a === '--') {
      i++;
      break;
    } else if (a === '-c' || a === '--config') config = resolve(value());
    else if (a === '--trace') trace = value();
    else if (a === '--layer') {
      const text = value();
      let layer: unknown;
      try {
        layer = JSON.parse(text);
      } catch (e) {
        usage(`--layer ${text}: not JSON (${(e as Error).message})`, 'run');
      }
      if (!layer || typeof layer !== 'object' || Array.isArray(layer)) usage(`--layer ${text}: must be a JSON object with a "type"`, 'run');
      extra.push(layer as Record<string, unknown>);
    } else if (a.startsWith('-')) usage(`unknown option ${a}`, 'run');
    else break;
  }
  const cmd = args.slice(i);
  if (!cmd.length) usage('no command to run', 'run');
  let file = config ?? findConfig(process.cwd());
  if (!file && process.env.VU_CONFIG === undefined)
    process.stderr.write(
      `vu: no vu.json in ${process.cwd()} or its parents, and VU_CONFIG is not set: ` +
        (extra.length || trace ? 'running with the command-line layers only\n' : "running without layers ('vu init' writes one)\n"),
    );
  if (file) {
    const errors = checkConfig(file);
    if (errors.length) {
      printErrors(errors);
      fail(`not running ${cmd[0]}: fix the configuration first ('vu check' shows the errors)`);
    }
  }
  if (extra.length || trace) {
    const composed = composeConfig(file, extra, trace);
    file = composed.file;
    const errors = checkConfig(file);
    if (errors.length) {
      // FILE:LINE:COL of the file vu run wrote: the option it came from
      printErrors(errors.map((e) => {
        const m = e.startsWith(`${file}:`) ? /^(\d+):\d+: (.*)$/s.exec(e.slice(file!.length + 1)) : null;
        const o = m ? composed.origin(Number(m[1])) : null;
        return o ? `${o}: ${m![2]}` : e;
      }));
      fail(`not running ${cmd[0]}: a --layer is wrong ('vu layers' lists the layer types and options)`);
    }
  }
  const found = locate(cmd[0]);
  if (!('path' in found)) fail(found.message, found.status);
  const exe = found.path;
  let enter = canEnter(exe);
  // a static program: vu's own loader (vu-static, beside libvu.so) maps it
  // into a process where libvu is preloaded and armed
  // ("run_unvirtualized": ["static"] runs it natively instead)
  const loader = join(dirname(libPath()), 'vu-static');
  const allowed = file ? (resolvedConfig(file)?.run_unvirtualized ?? []) : [];
  const viaLoader = !enter.ok && enter.kind === 'static' && existsSync(loader) && !allowed.includes('static');
  if (viaLoader) enter = { ok: true };
  if (!enter.ok && !(enter.kind && allowed.includes(enter.kind))) fail(`not running ${cmd[0]}: ${enter.reason}`);
  if (!enter.ok) process.stderr.write(`vu: running ${cmd[0]} unvirtualized: ${enter.reason} ("run_unvirtualized": ["${enter.kind}"] in ${file})\n`);
  const lib = libPath();
  if (!existsSync(lib)) fail(`${lib} is missing: run npm install in ${packageRoot}`);
  const pre = process.env.LD_PRELOAD;
  const env = { ...process.env, LD_PRELOAD: pre ? `${lib}:${pre}` : lib, VU_CONFIG: file ?? '' };
  const child = viaLoader
    ? spawn(loader, cmd.slice(1), { stdio: 'inherit', env: { ...env, VU_STATIC_EXE: exe }, argv0: cmd[0] })
    : spawn(cmd[0], cmd.slice(1), { stdio: 'inherit', env });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(s, forward(s));
  child.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') fail(`${cmd[0]}: command not found`, 127);
    if (e.code === 'EACCES') fail(`${cmd[0]}: permission denied`, 126);
    fail(`${cmd[0]}: ${e.message}`);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 125);
  });
}

function cmdInit(args: string[]): void {
  const force = args.includes('--force');
  const rest = args.filter((a) => a !== '--force');
  if (rest.length) usage(`unexpected ${rest[0]}`, 'init');
  const file = resolve('vu.json');
  if (existsSync(file) && !force) fail(`${file} exists; use --force to overwrite it`, 1);
  const schema = join(packageRoot, 'generated-ts', 'vu.schema.json');
  let rel = relative(dirname(file), schema);
  if (!rel.startsWith('.')) rel = './' + rel;
  const names = manifests().map((m) => m.name).join(', ');
  const text = `{
  "$schema": ${JSON.stringify(rel)},
  "$comment": "The layers a call meets, first to last. Layer types: ${names}. 'npx vu layers' shows their options; 'npx vu check' checks this file.",
  "intercept": "all",
  "layers": [
    {
      "$comment": "an example: programs that read /etc/passwd get /etc/hostname",
      "type": "remap",
      "map": { "/etc/passwd": "/etc/hostname" }
    }
  ]
}
`;
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\nnext: 'npx vu check' to see the stack, 'npx vu run -- cat /etc/passwd' to try it\n`);
}

function cmdLayers(args: string[]): void {
  const json = args.includes('--json');
  const names = args.filter((a) => a !== '--json');
  let ms = manifests();
  if (names.length) {
    ms = ms.filter((m) => names.includes(m.name));
    const unknown = names.filter((n) => !ms.some((m) => m.name === n));
    if (unknown.length) fail(`unknown layer type ${unknown.join(', ')} (known: ${manifests().map((m) => m.name).join(', ')})`, 1);
  }
  if (json) {
    process.stdout.write(JSON.stringify(ms.map((m) => ({ ...m, example: layerExample(m) })), null, 2) + '\n');
    return;
  }
  for (const m of ms) {
    process.stdout.write(`${bold(m.name)} -- ${m.summary}\n`);
    const rows = m.options.map((o) => [
      `  ${o.name}`,
      o.kind + (o.choices ? ` (${o.choices.join('|')})` : ''),
      o.required ? 'required' : o.default !== undefined ? `default ${JSON.stringify(o.default)}` : 'optional',
      o.help ?? '',
    ]);
    if (rows.length) process.stdout.write(table(rows) + '\n');
    process.stdout.write(dim(`  example: ${JSON.stringify(layerExample(m))}`) + '\n\n');
  }
}

async function cmdTrace(args: string[]): Promise<void> {
  if (args[0] !== 'summary') usage(args[0] ? `unknown trace command ${args[0]}` : 'trace needs a command', 'trace');
  const json = args.includes('--json');
  const files = args.slice(1).filter((a) => a !== '--json');
  if (files.length !== 1) usage('trace summary takes one FILE', 'trace');
  if (!existsSync(files[0])) fail(`${files[0]}: no such file`, 1);
  const s = await summarize(files[0]);
  if (s.bad && !s.calls)
    fail(`${files[0]}: not a vu trace: none of its ${s.bad} line${s.bad === 1 ? ' is' : 's are'} a trace line (JSON lines, or the "strace" format)`, 1);
  process.stdout.write(json ? JSON.stringify(s, null, 2) + '\n' : formatSummary(s));
}

const [verb, ...rest] = process.argv.slice(2);
if (verb === '-V' || verb === '--version') {
  process.stdout.write(`vu ${version()}\n`);
  process.exit(0);
}
if (verb === undefined) usage('no command');
if (verb === '-h' || verb === '--help' || verb === 'help') help(rest[0] && HELP[rest[0]] ? rest[0] : '');
if (!(verb in HELP)) usage(`unknown command ${verb}`);
if (wantsHelp(rest)) help(verb);
switch (verb) {
  case 'run':
    cmdRun(rest);
    break;
  case 'check':
    cmdCheck(rest);
    break;
  case 'init':
    cmdInit(rest);
    break;
  case 'layers':
    cmdLayers(rest);
    break;
  case 'trace':
    await cmdTrace(rest);
    break;
  case 'fakeroot':
    if (rest[0] !== 'show' || rest.length < 2 || rest.length > 3) usage(rest[0] === 'show' ? 'show needs STATE [DIR]' : `unknown fakeroot command ${rest[0] ?? '(none)'}`, 'fakeroot');
    {
      const out = fakerootShow(resolve(rest[1]), rest[2] ? resolve(rest[2]) : '');
      if (out.startsWith('error: ')) fail(out.slice('error: '.length).trimEnd(), 1);
      process.stdout.write(out);
    }
    break;
  case 'lib':
    if (rest.length) usage(`unexpected ${rest[0]}`, 'lib');
    cmdLib();
    break;
}
