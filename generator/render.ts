/*
 * render.ts -- load and compile the handlebars templates (strict, no HTML
 * escaping, only the helpers of helpers.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { helperNames, helpers } from './helpers.js';

export class Templates {
  private readonly hb = Handlebars.create();
  private readonly cache = new Map<string, Handlebars.TemplateDelegate>();

  constructor(private readonly dir: string) {
    for (const [name, fn] of Object.entries(helpers)) this.hb.registerHelper(name, fn);
    /* _NAME.hbs: a partial, {{> NAME}} */
    for (const f of readdirSync(dir)) {
      const m = /^_(\w+)\.hbs$/.exec(f);
      if (m) this.hb.registerPartial(m[1], readFileSync(path.join(dir, f), 'utf8'));
    }
  }

  /** render -- fill templates/<name>.hbs with model. */
  render(name: string, model: object): string {
    let t = this.cache.get(name);
    if (t === undefined) {
      const source = readFileSync(path.join(this.dir, `${name}.hbs`), 'utf8');
      t = this.hb.compile(source, {
        strict: true,
        noEscape: true,
        knownHelpersOnly: true,
        knownHelpers: Object.fromEntries(helperNames.map((n) => [n, true])),
      });
      this.cache.set(name, t);
    }
    return t(model);
  }
}
