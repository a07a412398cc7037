/**
 * What machine the numbers come from: CPU model, cores, kernel, glibc,
 * node, the load while the bench ran.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { run } from './util.js';

export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  glibc: string;
  node: string;
  memory_gib: number;
  virtualized: string;
  date: string;
  load_start: number[];
  load_end?: number[];
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    /* fall through */
  }
  return cpus()[0]?.model ?? 'unknown';
}

function glibc(): string {
  const r = run('getconf', ['GNU_LIBC_VERSION']);
  if (r.status === 0) return r.stdout.trim();
  return run('ldd', ['--version']).stdout.split('\n')[0] ?? 'unknown';
}

function hypervisor(): string {
  try {
    if (/^flags\s*:.*\bhypervisor\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'))) {
      const r = run('systemd-detect-virt', []);
      return r.status === 0 ? `guest (${r.stdout.trim()})` : 'guest';
    }
  } catch {
    /* unknown */
  }
  return 'bare metal (no hypervisor flag)';
}

export function machine(): Machine {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    kernel: release(),
    glibc: glibc(),
    node: process.version,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    virtualized: hypervisor(),
    date: new Date().toISOString(),
    load_start: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
