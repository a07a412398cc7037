/* syscalls_ts.ts -- emits generated-ts/syscalls.ts with ts-morph. */
import { StructureKind, VariableDeclarationKind } from 'ts-morph';
import { ARG_TYPES, FAMILIES, ID_WHICH, IDS_OF, OP_KINDS, PATH_ROLES } from '../types.js';
import { NO_DOES, type SyscallModel } from '../model.js';
import { blockBanner, type Emitter } from './context.js';
import { newSourceFile, printSourceFile, tsString, tsUnion } from './ts.js';

/** A TS literal of a JSON value (strings single-quoted, keys bare when they can be). */
function tsLiteral(v: unknown): string {
  if (typeof v === 'string') return tsString(v);
  if (Array.isArray(v)) return `[${v.map(tsLiteral).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const body = Object.entries(v).map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : tsString(k)}: ${tsLiteral(x)}`);
    return body.length === 0 ? '{}' : `{ ${body.join(', ')} }`;
  }
  return JSON.stringify(v);
}

function entryLiteral(s: SyscallModel): string {
  const nr = s.nr.aarch64 === null ? `{ x86_64: ${s.nr.x86_64} }` : `{ x86_64: ${s.nr.x86_64}, aarch64: ${s.nr.aarch64} }`;
  const args = s.args.map((a) => `{ name: ${tsString(a.name)}, type: ${tsString(a.type)} }`).join(', ');
  const libc = (s.spec.libc ?? []).map((l) => tsString(l.name)).join(', ');
  const does = tsLiteral(s.spec.does ?? NO_DOES);
  return `{ name: ${tsString(s.name)}, nr: ${nr}, family: ${tsString(s.family)}, args: [${args}], libc: [${libc}], does: ${does} }`;
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
    sf.addTypeAlias({ isExported: true, name: 'OpKind', type: tsUnion(OP_KINDS), docs: ['What a call does to the file system (docs/TABLE.md).'] });
    sf.addTypeAlias({ isExported: true, name: 'PathRole', type: tsUnion(PATH_ROLES) });
    sf.addInterface({
      isExported: true,
      name: 'SyscallPath',
      docs: ['One path argument of a call (syscalls.json does.paths[]).'],
      properties: [
        { name: 'arg', type: 'string', isReadonly: true },
        { name: 'dirfd', type: 'string', isReadonly: true, hasQuestionToken: true, docs: ['absent: relative to the cwd'] },
        { name: 'role', type: 'PathRole', isReadonly: true },
        { name: 'follow', type: 'boolean', isReadonly: true, hasQuestionToken: true, docs: ['last component followed when no flag says otherwise (absent for "content")'] },
        { name: 'flags', type: 'string', isReadonly: true, hasQuestionToken: true },
        { name: 'nofollow', type: 'string', isReadonly: true, hasQuestionToken: true },
        { name: 'follow_flag', type: 'string', isReadonly: true, hasQuestionToken: true },
        { name: 'empty', type: 'string', isReadonly: true, hasQuestionToken: true },
        { name: 'null_is_fd', type: 'boolean', isReadonly: true, hasQuestionToken: true },
        { name: 'empty_needs_fd', type: 'boolean', isReadonly: true, hasQuestionToken: true },
      ],
    });
    sf.addInterface({
      isExported: true,
      name: 'SyscallBit',
      docs: ['A bit (a C macro) of a flags argument.'],
      properties: [
        { name: 'flags', type: 'string', isReadonly: true },
        { name: 'flag', type: 'string', isReadonly: true },
      ],
    });
    sf.addInterface({
      isExported: true,
      name: 'SyscallDoes',
      docs: ['What a call does (syscalls.json "does"; docs/TABLE.md).'],
      properties: [
        { name: 'kind', type: 'OpKind', isReadonly: true },
        { name: 'paths', type: 'readonly SyscallPath[]', isReadonly: true, hasQuestionToken: true },
        { name: 'fd', type: 'string', isReadonly: true, hasQuestionToken: true, docs: ['the descriptor it acts on'] },
        { name: 'open', type: '{ readonly flags?: string; readonly how?: string; readonly size?: string; readonly fixed?: string }', isReadonly: true, hasQuestionToken: true, docs: ['kind open: where its open flags are'] },
        { name: 'ids', type: `{ readonly get?: ${tsUnion(IDS_OF.slice(1))}; readonly set?: ${tsUnion(IDS_OF.slice(1))}; readonly which?: readonly (${tsUnion(ID_WHICH)})[] }`, isReadonly: true, hasQuestionToken: true, docs: ['an id call: what it gets or sets'] },
        { name: 'time', type: '{ readonly clock?: { readonly arg?: string; readonly fixed?: string; readonly fd?: string; readonly timer?: string }; readonly now?: string; readonly now_ret?: boolean; readonly deadline?: string; readonly abs?: SyscallBit; readonly file_times?: string; readonly timer_out?: string }', isReadonly: true, hasQuestionToken: true, docs: ['what it does with a clock\'s time'] },
        { name: 'xattr', type: "{ readonly op?: 'set' | 'get' | 'list' | 'remove'; readonly name?: string; readonly value?: string; readonly size?: string; readonly args?: string }", isReadonly: true, hasQuestionToken: true, docs: ['a call on extended attributes: set (kind meta, the default), get or list (kind read), remove (kind meta)'] },
        { name: 'node', type: '{ readonly mode: string; readonly dev: string }', isReadonly: true, hasQuestionToken: true, docs: ['kind create: a node of mode\'s type, device dev'] },
        { name: 'exchange', type: 'SyscallBit', isReadonly: true, hasQuestionToken: true, docs: ['kind rename: the bit that swaps the names'] },
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
        { name: 'does', type: 'SyscallDoes', isReadonly: true, docs: ['what it does to the file system ({ kind: "none" } when the table says nothing)'] },
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
