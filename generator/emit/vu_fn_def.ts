/* vu_fn_def.ts -- emits generated-c/vu_fn.def, the ids of the glibc
 * functions vu may run with the selector open. */
import { blockBanner, type Emitter } from './context.js';

export const vuFnDef: Emitter = {
  path: 'generated-c/vu_fn.def',
  emit(ctx) {
    const names: string[] = [];
    for (const s of ctx.syscalls) for (const l of s.spec.libc ?? []) if (!names.includes(l.name)) names.push(l.name);
    return ctx.templates.render('vu_fn.def', {
      banner: blockBanner('vu_fn.def', 'one id for every glibc function a wrapper may run with the SUD selector open.', 'table'),
      names,
    });
  },
};
