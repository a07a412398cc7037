/* syscalls_ts.ts -- emits generated-ts/syscalls.ts with ts-morph. */
import { StructureKind, VariableDeclarationKind } from 'ts-morph';
import { ARG_TYPES, FAMILIES } from '../types.js';
import type { SyscallModel } from '../model.js';
import { blockBanner, type Emitter } from './context.js';
import { newSourceFile, printSourceFile, tsString, tsUnion } from './ts.js';

function entryLiteral(s: SyscallModel): string {
  const nr = s.nr.aarch64 === null ? `{ x86_64: ${s.nr.x86_64} }` : `{ x86_64: ${s.nr.x86_64}, aarch64: ${s.nr.aarch64} }`;
  const args = s.args.map((a) => `{ name: ${tsString(a.name)}, type: ${tsString(a.type)} }`).join(', ');
  const libc = (s.spec.libc ?? []).map((l) => tsString(l.name)).join(', ');
  return `{ name: ${tsString(s.name)}, nr: ${nr}, family: ${tsString(s.family)}, args: [${args}], libc: [${libc}] }`;
}

export const syscallsTs: Emitter = {
  path: 'generated-ts/syscalls.ts',
  emit(ctx) {
    const banner = blockBanner('syscalls.ts', 'the system calls vu knows, for TypeScript.', 'table');
    const sf = newSourceFile('syscalls.ts');
    sf.addTypeAlias({ isExported: true, name: 'ArgType', type: tsUnion(ARG_TYPES), docs: ['Semantic kind of an argument.'] });
    sf.addTypeAlias({ isExported: true, name: 'Family', type: tsUnion(FAMILIES) });
    sf.addInterface({
      kind: StructureKind.Interface,
      isExported: true,
      name: 'SyscallArg',
      properties: [
        { name: 'name', type: 'string', isReadonly: true },
        { name: 'type', type: 'ArgType', isReadonly: true },
      ],
    });
    sf.addInterface({
      isExported: true,
      name: 'SyscallInfo',
      properties: [
        { name: 'name', type: 'string', isReadonly: true, docs: ['kernel name'] },
        { name: 'nr', type: '{ readonly x86_64: number; readonly aarch64?: number }', isReadonly: true, docs: ['number per architecture; aarch64 absent where the call does not exist'] },
        { name: 'family', type: 'Family', isReadonly: true },
        { name: 'args', type: 'readonly SyscallArg[]', isReadonly: true },
        { name: 'libc', type: 'readonly string[]', isReadonly: true, docs: ['libc entry points that reach the call'] },
      ],
    });
    sf.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: ['Sorted by x86_64 number.'],
      declarations: [{
        name: 'SYSCALLS',
        initializer: (w) => {
          w.write('[').newLine();
          for (const s of ctx.syscalls) w.indent().write(`${entryLiteral(s)},`).newLine();
          w.write('] as const satisfies readonly SyscallInfo[]');
        },
      }],
    });
    sf.addTypeAlias({ isExported: true, name: 'SyscallName', type: "(typeof SYSCALLS)[number]['name']" });
    return printSourceFile(sf, banner);
  },
};
