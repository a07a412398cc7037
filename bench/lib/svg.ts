/**
 * chart.svg: grouped bars of ratios to native on a log scale, one panel
 * for the micro benchmarks and one for the real workloads. Plain SVG
 * strings, no library.
 */

export interface Panel {
  title: string;
  groups: string[];
  /** note: what the series is, in the legend beside its label */
  series: { id: string; label: string; color?: string; note?: string }[];
  /** values[g][s]: ratio, or NaN when there is none */
  values: number[][];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const W = 1100;
const PANEL_H = 380;
const LEFT = 64;
const RIGHT = 16;
const BOTTOM = 96;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function tickFmt(x: number): string {
  return x >= 2 || x === 1 ? x.toFixed(0) : String(Number(x.toPrecision(2)));
}

/** decade and half-decade ticks between lo and hi, and near 1× the
 * steps a ratio of 1.05 or 1.2 is read against */
function ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  for (const v of [0.8, 0.9, 1.1, 1.2, 1.5]) if (v >= lo && v <= hi) out.push(v);
  return out.sort((a, b) => a - b);
}

/** legend entries, one per row: the colour, the label and what it is;
 * returns the rows' height */
function legend(p: Panel, y0: number, out: string[]): number {
  let ly = y0 + 30;
  const width = (t: { label: string; note?: string }) => 24 + (t.label.length + (t.note ? t.note.length + 3 : 0)) * 6;
  const cols = p.series.every((t) => width(t) < (W - LEFT - RIGHT) / 2) ? 2 : 1;
  const colW = (W - LEFT - RIGHT) / cols;
  p.series.forEach((s, si) => {
    const lx = LEFT + (si % cols) * colW;
    if (si % cols === 0 && si > 0) ly += 15;
    out.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${s.color ?? COLORS[si % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly + 9}" class="legend"><tspan font-weight="bold">${esc(s.label)}</tspan>${s.note ? ` — ${esc(s.note)}` : ''}</text>`);
  });
  return ly + 18 - y0;
}

function panel(p: Panel, y0: number): string {
  const finite = p.values.flat().filter((v) => Number.isFinite(v) && v > 0);
  const yLo = Math.min(0.9, ...finite.map((v) => v / 1.1));
  const hi = Math.max(2, ...finite.map((v) => v * 1.2));
  const out: string[] = [];
  out.push(`<text x="${LEFT}" y="${y0 + 20}" class="title">${esc(p.title)}</text>`);
  const top = y0 + legend(p, y0, out) + 8;
  const plotH = y0 + PANEL_H - BOTTOM - top;
  const plotW = W - LEFT - RIGHT;
  // a log scale opened up around 1×: sign(ln v)·|ln v|^0.6, so that 1.05×
  // and 1.2× are as far apart as 20× and 40×
  const f = (v: number) => Math.sign(Math.log(v)) * Math.abs(Math.log(v)) ** 0.6;
  const y = (v: number) => top + plotH * (1 - (f(v) - f(yLo)) / (f(hi) - f(yLo)));
  let lastLabel = Infinity;
  for (const t of ticks(yLo, hi).sort((a, b) => a - b)) {
    const ty = y(t);
    out.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" class="${t === 1 ? 'one' : [0.8, 0.9, 1.1, 1.2, 1.5].includes(t) ? 'fine' : 'grid'}"/>`);
    if (lastLabel - ty < 11 && t !== 1)
      continue;	// too close to the label below it
    out.push(`<text x="${LEFT - 6}" y="${ty.toFixed(1)}" class="tick" text-anchor="end" dominant-baseline="middle">${tickFmt(t)}×</text>`);
    lastLabel = ty;
  }
  const gw = plotW / Math.max(1, p.groups.length);
  const bw = Math.min(28, Math.max(2, (gw * 0.8) / Math.max(1, p.series.length)));
  p.groups.forEach((g, gi) => {
    const gx = LEFT + gi * gw + (gw - bw * p.series.length) / 2;
    p.series.forEach((s, si) => {
      const v = p.values[gi]?.[si];
      if (!Number.isFinite(v) || v <= 0) return;
      const yv = y(Math.min(v, hi));
      const base = y(1);
      const x = gx + si * bw;
      const [y1, y2] = yv < base ? [yv, base] : [base, yv];
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${Math.max(0.5, y2 - y1).toFixed(1)}" ` +
          `fill="${s.color ?? COLORS[si % COLORS.length]}"><title>${esc(`${s.label}, ${g}: ${fmt(v)}×`)}</title></rect>`,
      );
      // the value, above the bar (below it for a bar under 1×), upright
      const cx = (x + bw / 2).toFixed(1);
      const vy = (yv < base ? y1 - 3 : y2 + 3).toFixed(1);
      out.push(`<text x="${cx}" y="${vy}" class="value" text-anchor="${yv < base ? 'start' : 'end'}" ` +
        `transform="rotate(-90 ${cx} ${vy})" dominant-baseline="middle">${fmt(v)}${v > hi ? '+' : ''}</text>`);
    });
    const lx = LEFT + gi * gw + gw / 2;
    const ly = top + plotH + 14;
    out.push(`<text x="${lx.toFixed(1)}" y="${ly}" class="group" text-anchor="end" transform="rotate(-25 ${lx.toFixed(1)} ${ly})">${esc(g)}</text>`);
  });
  const mid = (top + plotH / 2).toFixed(1);
  out.push(`<text x="16" y="${mid}" class="axis" transform="rotate(-90 16 ${mid})" text-anchor="middle">ratio to native (log, opened up near 1×)</text>`);
  return out.join('\n');
}

export function chart(panels: Panel[], caption: string): string {
  const h = panels.length * PANEL_H + 30;
  const body = panels.map((p, i) => panel(p, i * PANEL_H)).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif">
<style>
.title { font-size: 15px; font-weight: bold; }
.tick, .legend { font-size: 11px; }
.value { font-size: 8px; fill: #333; }
.group { font-size: 11px; }
.axis { font-size: 12px; }
.grid { stroke: #ddd; stroke-width: 1; }
.fine { stroke: #eee; stroke-width: 1; stroke-dasharray: 3 3; }
.one { stroke: #000; stroke-width: 1.2; }
.caption { font-size: 11px; fill: #555; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
${body}
<text x="${LEFT}" y="${h - 10}" class="caption">${esc(caption)}</text>
</svg>
`;
}
