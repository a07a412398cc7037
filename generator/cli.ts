/*
 * cli.ts -- the vu-gen command line.
 *
 *   vu-gen                     regenerate generated-c/ and generated-ts/
 *   vu-gen --check             exit 1 when they are stale or missing
 *   vu-gen list [--family F]   the table
 *   vu-gen add NAME... [--signature 'long name(int fd, ...)'] [--nr N] [--does JSON]
 *
 * Where it reads and writes: --table FILE, --layers DIR, --out DIR,
 * --catalog FILE, --templates DIR, --decode FILE (defaults: the vu package).
 */
import path from 'node:path';
import { addSyscalls } from './add.js';
import { GenError } from './errors.js';
import { generate, loadInputs, staleOutputs, writeOutputs } from './generate.js';
import { listTable } from './list.js';
import { readJson } from './load.js';
import { defaultPaths, type GenPaths } from './paths.js';
import { terminalAsk } from './prompt.js';
import { validateTable } from './validate.js';

const USAGE = `usage: vu-gen [--check] [--table FILE] [--layers DIR] [--decode FILE] [--out DIR]
       vu-gen list [--family F] [--table FILE]
       vu-gen add NAME... [--signature 'long name(int fd, const char *path)'] [--nr N]
                  [--nr-aarch64 N] [--family F] [--libc NAMES|--no-libc] [--table FILE]
                  [--does '{"kind": "read", "paths": [{"arg": "pathname", "role": "object", "follow": true}]}']
         (what the call does: docs/TABLE.md; asked on a terminal when the catalog does not say)`;

interface Cli {
  command: 'generate' | 'check' | 'list' | 'add' | 'help';
  names: string[];
  paths: GenPaths;
  family?: string;
  signature?: string;
  nr?: number;
  nrAarch64?: number;
  libc?: string[];
  does?: string;
}

const VALUE_OPTIONS = new Set(['--table', '--layers', '--out', '--catalog', '--templates', '--decode', '--family', '--signature', '--nr', '--nr-aarch64', '--libc', '--does']);

function parseNumber(opt: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new GenError(`vu-gen: ${opt} wants a number, got "${v}"`);
  return Number(v);
}

/** parseArgs -- argv (without node and the script) to a Cli. */
export function parseArgs(argv: string[]): Cli {
  const cli: Cli = { command: 'generate', names: [], paths: defaultPaths() };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let value: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (VALUE_OPTIONS.has(a) && value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new GenError(`vu-gen: ${a} needs a value\n${USAGE}`);
    }
    const abs = () => path.resolve(value as string);
    switch (a) {
      case '--check': cli.command = 'check'; break;
      case '-h': case '--help': cli.command = 'help'; break;
      case '--table': cli.paths.table = abs(); break;
      case '--layers': cli.paths.layers = abs(); break;
      case '--out': cli.paths.out = abs(); break;
      case '--catalog': cli.paths.catalog = abs(); break;
      case '--templates': cli.paths.templates = abs(); break;
      case '--decode': cli.paths.decode = abs(); break;
      case '--family': cli.family = value; break;
      case '--signature': cli.signature = value; break;
      case '--nr': cli.nr = parseNumber(a, value as string); break;
      case '--nr-aarch64': cli.nrAarch64 = parseNumber(a, value as string); break;
      case '--libc': cli.libc = (value as string).split(',').map((s) => s.trim()).filter((s) => s !== ''); break;
      case '--no-libc': cli.libc = []; break;
      case '--does': cli.does = value; break;
      default:
        if (a.startsWith('-')) throw new GenError(`vu-gen: unknown option ${a}\n${USAGE}`);
        words.push(a);
    }
  }
  if (words.length > 0) {
    const [cmd, ...rest] = words;
    if (cmd !== 'list' && cmd !== 'add') throw new GenError(`vu-gen: unknown command "${cmd}"\n${USAGE}`);
    if (cli.command === 'check') throw new GenError(`vu-gen: --check does not go with ${cmd}`);
    cli.command = cmd;
    cli.names = rest;
  }
  if (cli.command === 'list' && cli.names.length > 0) throw new GenError(`vu-gen list: unexpected "${cli.names[0]}"`);
  if (cli.command !== 'add' && (cli.signature !== undefined || cli.nr !== undefined || cli.libc !== undefined || cli.does !== undefined)) {
    throw new GenError('vu-gen: --signature, --nr, --libc and --does go with `vu-gen add`');
  }
  return cli;
}

/** main -- run one command; returns the exit status. */
export function main(argv: string[]): number {
  try {
    const cli = parseArgs(argv);
    switch (cli.command) {
      case 'help':
        console.log(USAGE);
        return 0;
      case 'list':
        console.log(listTable(validateTable(readJson(cli.paths.table)), cli.family));
        return 0;
      case 'check': {
        const stale = staleOutputs(cli.paths.out, generate(cli.paths, loadInputs(cli.paths)));
        if (stale.length === 0) {
          console.log('generated-c/ and generated-ts/ are fresh');
          return 0;
        }
        console.error(`vu-gen --check: ${stale.length} generated file${stale.length === 1 ? ' is' : 's are'} not up to date; run \`npx vu-gen\`:`);
        for (const s of stale) console.error(`  ${s}`);
        return 1;
      }
      case 'add': {
        const { entries, changed, compile } = addSyscalls(cli.paths, cli.names, {
          signature: cli.signature, nr: cli.nr, nrAarch64: cli.nrAarch64, family: cli.family, libc: cli.libc,
          does: cli.does, ask: terminalAsk(),
        });
        for (const e of entries) console.log(e);
        reportWritten(changed);
        if (!compile.checked) console.error(`vu-gen add: generated-c/ ${compile.output}`);
        if (compile.ok) return 0;
        console.error('vu-gen add: the entry is written, but generated-c/ does not compile with it:');
        console.error(compile.output);
        console.error('fix its ctypes (or the libc entry\'s "ret"/"ctypes", or mark it "custom": true) and rerun `npx vu-gen`');
        return 1;
      }
      case 'generate': {
        reportWritten(writeOutputs(cli.paths.out, generate(cli.paths)));
        return 0;
      }
    }
  } catch (e) {
    if (e instanceof GenError) {
      for (const m of e.messages) console.error(m);
      return 1;
    }
    throw e;
  }
}

function reportWritten(changed: string[]): void {
  if (changed.length === 0) console.log('vu-gen: everything was up to date');
  for (const c of changed) console.log(`wrote ${c}`);
}
