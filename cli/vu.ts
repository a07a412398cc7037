/**
 * vu -- run a program under libvu.so, check a config, print the library path.
 *
 *   vu run [-c FILE] -- CMD [ARGS...]
 *   vu check [FILE]
 *   vu lib
 *
 * Exit status: that of CMD for `run`; 125 when vu itself fails (bad config,
 * missing library); 127 when CMD is not found; 1 for `check` on errors.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkConfig, findConfig, libPath } from './lib.js';

const USAGE = `usage: vu run [-c FILE] -- CMD [ARGS...]
       vu check [FILE]
       vu lib`;

function fail(msg: string, status = 125): never {
  process.stderr.write(`vu: ${msg}\n`);
  process.exit(status);
}

function cmdLib(): void {
  const lib = libPath();
  if (!existsSync(lib)) fail(`${lib} is missing: run npm install`);
  process.stdout.write(lib + '\n');
}

function cmdCheck(args: string[]): void {
  const file = args[0] ? resolve(args[0]) : findConfig(process.cwd());
  if (!file) fail('no vu.json here or in any parent folder, and VU_CONFIG is not set', 1);
  const errors = checkConfig(file);
  for (const e of errors) process.stderr.write(`vu: ${e}\n`);
  if (errors.length) process.exit(1);
  process.stdout.write(`vu: ${file}: ok\n`);
}

function cmdRun(args: string[]): void {
  let config: string | null = null;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-c' || a === '--config') {
      if (i + 1 >= args.length) fail(`${a} needs a FILE\n${USAGE}`, 2);
      config = resolve(args[++i]);
    } else if (a.startsWith('-')) {
      fail(`unknown option ${a}\n${USAGE}`, 2);
    } else {
      break;
    }
  }
  const cmd = args.slice(i);
  if (!cmd.length) fail(`no command to run\n${USAGE}`, 2);
  const file = config ?? findConfig(process.cwd());
  if (file) {
    const errors = checkConfig(file);
    for (const e of errors) process.stderr.write(`vu: ${e}\n`);
    if (errors.length) fail('not running the program: fix the configuration first');
  }
  const lib = libPath();
  if (!existsSync(lib)) fail(`${lib} is missing: run npm install`);
  const pre = process.env.LD_PRELOAD;
  const env = {
    ...process.env,
    LD_PRELOAD: pre ? `${lib}:${pre}` : lib,
    VU_CONFIG: file ?? '',
  };
  const child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit', env });
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

const [verb, ...rest] = process.argv.slice(2);
switch (verb) {
  case 'run':
    cmdRun(rest);
    break;
  case 'check':
    cmdCheck(rest);
    break;
  case 'lib':
    cmdLib();
    break;
  case '-h':
  case '--help':
  case undefined:
    process.stdout.write(USAGE + '\n');
    if (!verb) process.exit(2);
    break;
  default:
    fail(`unknown command ${verb}\n${USAGE}`, 2);
}
