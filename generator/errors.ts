/*
 * errors.ts -- one error type for everything the user can fix: bad input,
 * bad command line. The CLI prints each message on its own line and exits 1.
 */

export class GenError extends Error {
  readonly messages: string[];

  constructor(messages: string | string[]) {
    const list = Array.isArray(messages) ? messages : [messages];
    super(list.join('\n'));
    this.messages = list;
  }
}

/** A JSON path under construction: `syscalls[12] (openat).args[1].type`. */
export class JsonPath {
  private constructor(private readonly text: string) {}

  static root(): JsonPath {
    return new JsonPath('');
  }

  key(name: string): JsonPath {
    const part = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
    return new JsonPath(this.text === '' ? part : `${this.text}.${part}`);
  }

  /** An array element, labelled with its name when it has one. */
  index(i: number, label?: unknown): JsonPath {
    const tag = typeof label === 'string' && label !== '' ? ` (${label})` : '';
    return new JsonPath(`${this.text}[${i}]${tag}`);
  }

  toString(): string {
    return this.text === '' ? '(top level)' : this.text;
  }
}
