/*
 * elfsyms.ts -- the default-version symbols a shared library defines, read
 * from its ELF dynamic symbol table. `vu-gen add` uses it to know whether
 * glibc has a function of a call's name: a compat-only symbol such as
 * ustat@GLIBC_2.2.5 is not one (no header declares it, nothing links to it).
 */
import { existsSync, readFileSync } from 'node:fs';

const SHT_DYNSYM = 11;
const SHT_GNU_VERSYM = 0x6fffffff;

/** defaultSymbols -- names of defined, default-version symbols of an ELF64 LE file. */
export function defaultSymbols(file: string): Set<string> {
  const out = new Set<string>();
  if (!existsSync(file)) return out;
  const b = readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return out; /* ELF64, little-endian */
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const sections = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return {
      type: b.readUInt32LE(o + 4),
      offset: Number(b.readBigUInt64LE(o + 0x18)),
      size: Number(b.readBigUInt64LE(o + 0x20)),
      link: b.readUInt32LE(o + 0x28),
      entsize: Number(b.readBigUInt64LE(o + 0x38)),
    };
  });
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM);
  if (dynsym === undefined) return out;
  const strtab = sections[dynsym.link];
  const count = dynsym.size / (dynsym.entsize || 24);
  for (let i = 1; i < count; i++) {
    const o = dynsym.offset + i * 24;
    const shndx = b.readUInt16LE(o + 6);
    if (shndx === 0) continue; /* undefined here */
    if (versym !== undefined && (b.readUInt16LE(versym.offset + i * 2) & 0x8000) !== 0) continue; /* hidden (compat) version */
    const nameOff = strtab.offset + b.readUInt32LE(o);
    const end = b.indexOf(0, nameOff);
    out.add(b.toString('latin1', nameOff, end));
  }
  return out;
}
