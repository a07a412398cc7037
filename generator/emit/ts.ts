/*
 * ts.ts -- ts-morph plumbing shared by the TypeScript emitters: an
 * in-memory project, string literals, and the final formatting.
 */
import { IndentationText, Project, QuoteKind, type SourceFile } from 'ts-morph';

/** A fresh, empty source file in an in-memory project. */
export function newSourceFile(name: string): SourceFile {
  const project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces, quoteKind: QuoteKind.Single },
  });
  return project.createSourceFile(name, '');
}

/** The text of sf, formatted, after the generated-file header. */
export function printSourceFile(sf: SourceFile, banner: string): string {
  sf.formatText({ indentSize: 2, tabSize: 2, convertTabsToSpaces: true });
  return `${banner}\n\n${sf.getFullText().trim()}\n`;
}

/** A single-quoted TS string literal. */
export function tsString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** A union of string literal types. */
export function tsUnion(values: readonly string[]): string {
  return values.map(tsString).join(' | ');
}

/** Text safe inside a JSDoc comment. */
export function jsdoc(s: string): string {
  return s.replace(/\*\//g, '* /');
}
