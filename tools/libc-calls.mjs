/**
 * libc-calls -- which system calls each glibc function can make, worked
 * out from the C library's own binary (issue 15), for the functions vu may
 * run with the SUD selector open (generated-c/vu_fn.def).
 *
 * - functions: the .eh_frame ranges (`readelf --debug-dump=frames`; glibc
 *   has no .symtab), exported names from its dynamic symbol table;
 * - a `syscall` instruction's number: the constant that reached %eax in
 *   its function (`mov $N` into a register, copies between registers,
 *   `xor r,r`), else "unknown" (glibc's syscall(): any call);
 * - reach: direct calls and jumps, followed transitively, and stdio's
 *   vtables: a function that takes the address of a vtable (a stream it
 *   makes: vfprintf's helper, sprintf's string) reaches its entries; a
 *   call through a slot (`call *0x38(%reg)`, in a function that checks a
 *   vtable) reaches that slot of _IO_file_jumps, the plain file stream a
 *   program's FILE is (vu takes the shortcut for no other kind);
 * - the walk stops at the error exits (abort, assertions, fortify), which
 *   end the process.
 * Each function gets two lists: any state, and a stream that already has
 * its buffer (then _IO_file_doallocate's slot is never called).
 *
 * Indirect calls other than stdio's (gconv modules, NSS, callbacks) are
 * not followed: the lists are what glibc itself can reach.
 *
 * Usage: node tools/libc-calls.mjs OUT.c [LIBC]  -- writes the C table
 *        (vu_fncalls.c); with no usable binutils or libc, a table that says
 *        "unknown" (the runtime then takes no shortcut a layer could miss)
 *        node tools/libc-calls.mjs --list NAME...  -- print the lists
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STOP = ['abort', '__assert_fail', '__assert_perror_fail', '__fortify_fail', '__chk_fail', '__stack_chk_fail', '__libc_fatal'];
const REG = { rax: 'a', eax: 'a', rbx: 'b', ebx: 'b', rcx: 'c', ecx: 'c', rdx: 'd', edx: 'd', rsi: 'si', esi: 'si', rdi: 'di', edi: 'di', rbp: 'bp', ebp: 'bp' };
for (let i = 8; i < 16; i++) REG[`r${i}`] = REG[`r${i}d`] = `r${i}`;

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error || !r.stdout) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr.slice(0, 300)}`);
  return r.stdout;
}

/** the C library this node runs on (the one programs here run on) */
export function runningLibc() {
  const m = /\s(\/\S*\/libc\.so\.6)$/m.exec(readFileSync('/proc/self/maps', 'utf8'));
  return m ? m[1] : '/lib/x86_64-linux-gnu/libc.so.6';
}

/** the x86_64 numbers and names of the table's calls */
export function callNames() {
  const table = JSON.parse(readFileSync(join(ROOT, 'syscalls.json'), 'utf8')).syscalls;
  const names = new Map();
  for (const s of table) if (s.nr?.x86_64 !== undefined) names.set(s.nr.x86_64, s.name);
  return names;
}

/**
 * analyze -- the call graph of libc. reach(name, buffered) gives the
 * numbers (and 'unknown') of the calls the exported function name can
 * make, or null when libc does not export it.
 */
export function analyze(libc = runningLibc()) {
  const nodes = [];
  for (const m of sh('readelf', ['--debug-dump=frames', libc]).matchAll(/ FDE cie=\w+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/g)) {
    nodes.push({ lo: parseInt(m[1], 16), hi: parseInt(m[2], 16), nrs: new Set(), out: new Set(), refs: new Set(), slots: new Set() });
  }
  nodes.sort((a, b) => a.lo - b.lo);
  const find = (a) => {
    let lo = 0, hi = nodes.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (nodes[mid].lo <= a) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return at >= 0 && a < nodes[at].hi ? at : -1;
  };
  const sec = /__libc_IO_vtables\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(sh('readelf', ['-SW', libc]));
  const vt = sec ? { addr: parseInt(sec[1], 16), off: parseInt(sec[2], 16), size: parseInt(sec[3], 16) } : { addr: 0, off: 0, size: 0 };
  const inVt = (a) => a >= vt.addr && a < vt.addr + vt.size;
  // code
  let cur = -1;
  let regs = new Map();
  let loads = new Map();	// register -> the offset it was loaded from (a vtable slot?)
  for (const line of sh('objdump', ['-d', '--no-show-raw-insn', libc]).split('\n')) {
    const m = /^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const n = find(parseInt(m[1], 16));
    if (n !== cur) { cur = n; regs = new Map(); loads = new Map(); }
    if (n < 0) continue;
    const op = m[2], args = m[3], node = nodes[n];
    let mm;
    if (op.startsWith('mov') && (mm = /^0x([0-9a-f]+)\(%r\w+\),%(\w+)$/.exec(args))) loads.set(mm[2], parseInt(mm[1], 16));
    else if ((mm = /,%(\w+)$/.exec(args))) loads.delete(mm[1]);
    if ((mm = /# ([0-9a-f]+) </.exec(args)) && inVt(parseInt(mm[1], 16))) node.refs.add(parseInt(mm[1], 16));
    if (op === 'syscall') {
      node.nrs.add(regs.has('a') ? regs.get('a') : 'unknown');
      regs.delete('a');
    } else if (op.startsWith('call') || op.startsWith('j')) {
      if ((mm = /^([0-9a-f]+) </.exec(args))) {
        const t = find(parseInt(mm[1], 16));
        if (t >= 0 && t !== n) node.out.add(t);
      } else if ((mm = /^\*0x([0-9a-f]+)\(%r\w+\)$/.exec(args))) {
        node.slots.add(parseInt(mm[1], 16));
      } else if ((mm = /^\*%(\w+)$/.exec(args)) && loads.has(mm[1])) {
        node.slots.add(loads.get(mm[1]));
      }
      if (op.startsWith('call')) regs.delete('a');
    } else if (op.startsWith('mov') && (mm = /^\$0x([0-9a-f]+),%(\w+)$/.exec(args)) && REG[mm[2]]) {
      regs.set(REG[mm[2]], parseInt(mm[1], 16));
    } else if (op.startsWith('mov') && (mm = /^%(\w+),%(\w+)$/.exec(args)) && REG[mm[2]]) {
      const v = REG[mm[1]] ? regs.get(REG[mm[1]]) : undefined;
      if (v === undefined) regs.delete(REG[mm[2]]); else regs.set(REG[mm[2]], v);
    } else if (op === 'xor' && (mm = /^%(\w+),%(\w+)$/.exec(args)) && mm[1] === mm[2] && REG[mm[1]]) {
      regs.set(REG[mm[1]], 0);
    } else if ((mm = /%(\w+)$/.exec(args)) && REG[mm[1]] && !/^(cmp|test|push)/.test(op)) {
      regs.delete(REG[mm[1]]);
    }
  }
  // a slot call counts in a function that checks a vtable (it takes the
  // section's address to compare)
  for (const node of nodes) if (!node.refs.size) node.slots.clear();
  const names = new Map();
  for (const l of sh('nm', ['-D', '--defined-only', libc]).split('\n')) {
    const m = /^([0-9a-f]+) ([TWiD]) (\S+?)(@@?\S+)?$/.exec(l);
    if (m && !names.has(m[3])) names.set(m[3], parseInt(m[1], 16));
  }
  const image = readFileSync(libc);
  const word = (a) => (inVt(a) && a + 8 <= vt.addr + vt.size ? Number(image.readBigUInt64LE(vt.off + (a - vt.addr))) : 0);
  /** the functions of the vtable at a (its 21 words: _IO_jump_t) */
  const entries = (a) => {
    const r = [];
    for (let s = 0; s < 0xa8; s += 8) {
      const t = find(word(a + s));
      if (t >= 0) r.push(t);
    }
    return r;
  };
  const fileJumps = names.get('_IO_file_jumps');
  const doalloc = names.get('_IO_file_doallocate');
  let doallocSlot = -1;
  if (fileJumps !== undefined) for (let s = 0; s < 0xa8; s += 8) if (word(fileJumps + s) === doalloc) doallocSlot = s;
  const stop = new Set(STOP.map((n) => find(names.get(n) ?? -1)).filter((x) => x >= 0));
  const reachOf = (start, buffered, why) => {
    const from = new Map();
    const seen = new Set([start]);
    const stack = [start];
    const nrs = new Set();
    const visit = (t) => {
      if (t >= 0 && !seen.has(t) && !stop.has(t)) { seen.add(t); stack.push(t); from.set(t, cur); }
    };
    let cur = start;
    while (stack.length) {
      const k = stack.pop();
      cur = k;
      if (why !== undefined && nodes[k].nrs.has(why)) {
        const path = [];
        for (let p = k; p !== undefined; p = from.get(p)) path.push(nameOf.get(nodes[p].lo) ?? nodes[p].lo.toString(16));
        console.log(path.join(' <- '));
      }
      const node = nodes[k];
      for (const x of node.nrs) nrs.add(x);
      for (const o of node.out) visit(o);
      for (const r of node.refs) if (r !== vt.addr) for (const e of entries(r)) visit(e);
      if (fileJumps !== undefined) for (const s of node.slots) if (s < 0xa8 && !(buffered && s === doallocSlot)) visit(find(word(fileJumps + s)));
    }
    return nrs;
  };
  const nameOf = new Map([...names].map(([n, a]) => [a, n]));
  const buildId = (/Build ID: ([0-9a-f]+)/.exec(sh('readelf', ['-n', libc])) ?? [])[1] ?? '';
  return {
    libc,
    buildId,
    reach(name, buffered = false, why = undefined) {
      const a = names.get(name);
      if (a === undefined || find(a) < 0) return null;
      return reachOf(find(a), buffered, why);
    },
  };
}

/** the ids of generated-c/vu_fn.def, in order */
export function fnNames() {
  return [...readFileSync(join(ROOT, 'generated-c/vu_fn.def'), 'utf8').matchAll(/^VU_FN\((\w+)\)$/gm)].map((m) => m[1]);
}

const END = 0xffff, ANY = 0xfffe;

/** the text of vu_fncalls.c */
export function reachC(libc = runningLibc()) {
  const fns = fnNames();
  let a = null, why = '';
  try {
    a = analyze(libc);
  } catch (e) {
    why = e.message.split('\n')[0];
  }
  const lines = [
    '/*',
    ' * vu_fncalls.c -- the system calls each glibc function of generated-c/vu_fn.def',
    ` * can make, worked out by tools/libc-calls.mjs from ${libc}`,
    ` * (build id ${a?.buildId || 'unknown'}) when libvu was built; do not edit.`,
    a ? ' * Per function: any state, then a stream that has its buffer; a list' : ` * Not worked out (${why.replace(/\*\//g, '* /')}):`,
    a ? ' * ends with 0xffff, 0xfffe is a call whose number is not known.' : ' * every shortcut is judged as if the function could make any call.',
    ' */',
    '#include "vu_fncalls.h"',
    '',
  ];
  const id = a ? a.buildId : '';
  lines.push(`const unsigned char vu_fncalls_build_id[] = { ${id ? id.match(/../g).map((h) => `0x${h}`).join(', ') : '0'} };`);
  lines.push(`const unsigned vu_fncalls_build_id_len = ${id.length / 2};`);
  lines.push(`const unsigned vu_fncalls_count = ${a ? fns.length : 0};`);
  const nrs = [];
  const at = [];
  const list = (set) => {
    const start = nrs.length;
    if (set === null) {	// not in this libc: vu never runs it
      nrs.push(END);
      return start;
    }
    const sorted = [...set].map((x) => (x === 'unknown' ? ANY : x)).sort((x, y) => x - y);
    nrs.push(...sorted, END);
    return start;
  };
  if (a) for (const fn of fns) at.push(list(a.reach(fn, false)), list(a.reach(fn, true)));
  lines.push(`const unsigned short vu_fncalls_at[] = { ${at.length ? at.join(', ') : '0'} };`);
  lines.push(`const unsigned short vu_fncalls_nrs[] = {`);
  for (let i = 0; i < nrs.length; i += 16) lines.push(`\t${nrs.slice(i, i + 16).join(', ')},`);
  if (!nrs.length) lines.push('\t0xffff,');
  lines.push('};', '');
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args[0] === '--why') {	// the chains from a function to a call number
    analyze().reach(args[1], true, Number(args[2]));
  } else if (args[0] === '--list') {
    const a = analyze();
    const nm = callNames();
    const show = (s) => (s === null ? '(not in libc)' : [...s].map((x) => nm.get(x) ?? x).sort().join(' '));
    for (const fn of args.slice(1)) console.log(`${fn}: ${show(a.reach(fn, false))} | buffered: ${show(a.reach(fn, true))}`);
  } else if (args[0]) {
    writeFileSync(args[0], reachC(args[1]));
  } else {
    console.error('usage: libc-calls.mjs OUT.c [LIBC] | --list NAME...');
    process.exit(2);
  }
}
