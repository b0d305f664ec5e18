/**
 * A small SVG plotting kit for the report: linear, logarithmic and band (categorical) scales with readable
 * ticks, and one chart kind (points plus optional step lines) that covers the convergence plot and the
 * objective-against-hyperparameter scatter plots. Pure string building: the output is inlined in one HTML file
 * that renders offline.
 */
import { ellipsize } from '../study/text';

/** Escapes text for XML/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A continuous axis. `log` requires a positive domain. */
export interface NumericAxis {
  /**
   * `symlog` is linear within ±`threshold` of zero and logarithmic beyond (both signs): for values that cross zero
   * or span decades on one side of it, so that the best values are not squeezed into a line by the worst.
   */
  readonly kind: 'linear' | 'log' | 'symlog';
  readonly domain: readonly [number, number];
  /** Where a `symlog` axis turns from linear to logarithmic (positive). @default 1 */
  readonly threshold?: number;
  readonly label: string;
  /** Integer ticks only (integer hyperparameters, trial numbers). @default false */
  readonly integer?: boolean;
}

/** A categorical axis: one band per value, in the order given. */
export interface BandAxis {
  readonly kind: 'band';
  readonly domain: readonly string[];
  readonly label: string;
}

export type Axis = NumericAxis | BandAxis;

export interface Scale {
  /** Pixel position of a value (for a band axis: the band's centre plus `jitter` in [-0.5, 0.5] bands). */
  pos(value: number | string, jitter?: number): number;
  ticks(): { value: number | string; label: string }[];
  /** Band width in pixels (0 for continuous axes). */
  readonly bandwidth: number;
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** A tick label: short, no floating-point noise (0.30000000000000004 -> 0.3). */
export function tickLabel(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) {
    const exp = Math.floor(Math.log10(abs) + 1e-9);
    const mant = Number((value / 10 ** exp).toPrecision(3));
    const power = `10${String(exp).replace(/./g, (d) => SUPERSCRIPT[d] ?? d)}`;
    return mant === 1 ? power : mant === -1 ? `-${power}` : `${mant}×${power}`;
  }
  return String(Number(value.toPrecision(6)));
}

/** `10ⁿ` with a superscript exponent. */
export function powerLabel(exponent: number): string {
  return exponent === 0 ? '1' : exponent === 1 ? '10' : `10${String(exponent).replace(/./g, (d) => SUPERSCRIPT[d] ?? d)}`;
}

/** Round tick step for a span and a wanted tick count (1, 2 or 5 times a power of ten). */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const error = raw / power;
  return power * (error >= 7.5 ? 10 : error >= 3.5 ? 5 : error >= 1.5 ? 2 : 1);
}

/** Linear ticks covering [lo, hi] at a round step. */
export function linearTicks(lo: number, hi: number, count: number, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  if (!Number.isFinite(hi - lo)) return [lo, 0, hi].filter((v) => v >= lo && v <= hi);
  let step = niceStep(hi - lo, count);
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/**
 * Log ticks: powers of ten (every k-th one over many decades), or 1-2-5 / 1-3 within decades when that many
 * ticks fit in `count`.
 */
export function logTicks(lo: number, hi: number, count = 6): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  if (!Number.isFinite(a) || !Number.isFinite(b)) return [lo, hi].filter((v) => v > 0 && Number.isFinite(v));
  const within = (v: number): boolean => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  for (const steps of [[1, 2, 5], [1, 3]]) {
    const ticks: number[] = [];
    for (let e = a; e <= b; e++) for (const m of steps) if (within(m * 10 ** e)) ticks.push(Number((m * 10 ** e).toPrecision(12)));
    if (ticks.length >= 2 && ticks.length <= count + 1) return ticks;
  }
  const every = Math.max(1, Math.ceil((b - a) / Math.max(1, count)));
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) if (e % every === 0 && within(10 ** e)) ticks.push(Number((10 ** e).toPrecision(12)));
  return ticks.length >= 2 ? ticks : [lo, hi].map((v) => Number(v.toPrecision(3)));
}

/** A scale mapping an axis's domain onto the pixel range [r0, r1] (r1 < r0 for a y axis). */
export function makeScale(axis: Axis, r0: number, r1: number, tickCount = 6): Scale {
  if (axis.kind === 'band') {
    const n = Math.max(1, axis.domain.length);
    const band = (r1 - r0) / n;
    return {
      bandwidth: Math.abs(band),
      pos: (value, jitter = 0) => {
        const i = axis.domain.indexOf(String(value));
        return r0 + band * ((i < 0 ? 0 : i) + 0.5 + jitter);
      },
      ticks: () => axis.domain.map((v) => ({ value: v, label: v })),
    };
  }
  const [d0, d1] = axis.domain;
  const c = axis.threshold ?? 1;
  const f = axis.kind === 'log' ? Math.log10 : axis.kind === 'symlog' ? (v: number): number => symlog(v, c) : (v: number): number => v;
  // In halves (exact), so that a domain spanning most of the doubles does not overflow to Infinity and NaN.
  const half0 = f(d0) / 2;
  const span = f(d1) / 2 - half0 || 1;
  return {
    bandwidth: 0,
    pos: (value) => r0 + ((f(Number(value)) / 2 - half0) / span) * (r1 - r0),
    ticks: () => {
      const values =
        axis.kind === 'log' ? logTicks(d0, d1, tickCount) : axis.kind === 'symlog' ? symlogTicks(d0, d1, c, tickCount) : linearTicks(d0, d1, tickCount, axis.integer);
      // On a log axis that reaches tiny or huge values, every tick is written as a power of ten, for one style.
      const powers = axis.kind === 'log' && values.some((v) => v < 1e-3 || v >= 1e5) && values.every((v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9);
      return values.map((v) => ({ value: v, label: powers ? powerLabel(Math.round(Math.log10(v))) : tickLabel(v) }));
    },
  };
}

/** The symmetric log transform: sign(v)·log10(1 + |v|/c). */
export function symlog(v: number, c: number): number {
  return Math.sign(v) * Math.log10(1 + Math.abs(v) / c);
}

/** The inverse of {@link symlog}, kept within what a double holds. */
function symexp(u: number, c: number): number {
  const v = Math.sign(u) * c * (10 ** Math.abs(u) - 1);
  return Math.min(Math.max(v, -Number.MAX_VALUE), Number.MAX_VALUE);
}

/**
 * Ticks of a symlog axis: zero (when inside) and ± powers of ten from the threshold outwards, every k-th power when
 * there are too many; a round linear step instead when the domain spans less than a decade beyond the threshold.
 */
export function symlogTicks(lo: number, hi: number, c: number, count = 6): number[] {
  const reach = Math.max(Math.abs(lo), Math.abs(hi));
  if (!(hi > lo) || reach / c < 10) return linearTicks(lo, hi, count);
  const first = Math.ceil(Math.log10(c) - 1e-9);
  const last = Math.floor(Math.log10(reach) + 1e-9);
  const within = (v: number): boolean => v >= lo && v <= hi;
  for (let every = 1; ; every++) {
    const ticks: number[] = [];
    for (let e = last; e >= first; e -= every) {
      const v = Number((10 ** e).toPrecision(12));
      if (within(-v)) ticks.push(-v);
      if (within(v)) ticks.push(v);
    }
    if (within(0)) ticks.push(0);
    if (ticks.length <= count + 1 || every > last - first) return [...new Set(ticks)].sort((a, b) => a - b);
  }
}

/**
 * The axis for an objective's values: linear, logarithmic when they are positive and span a decade or more, and
 * symlog when they cross zero (or are all negative) and the largest magnitude is a hundred times the typical one
 * near the best, so that a few terrible trials do not flatten the progress among the good ones.
 */
export function objectiveAxis(values: readonly number[], label: string): NumericAxis {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { kind: 'linear', domain: [0, 1], label };
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (lo > 0 && hi / lo >= 10) return { kind: 'log', domain: padDomain(lo, hi, 'log', 0.06), label };
  const magnitudes = finite.map(Math.abs).filter((v) => v > 0).sort((a, b) => a - b);
  const reach = Math.max(Math.abs(lo), Math.abs(hi));
  // The threshold is a small typical magnitude (the 20th percentile): the values nearest zero stay linear.
  const threshold = magnitudes.length > 0 ? Math.max(magnitudes[Math.floor((magnitudes.length - 1) * 0.2)], reach * 1e-9) : 1;
  if (lo <= 0 && reach / threshold >= 100) {
    const u0 = symlog(lo, threshold);
    const u1 = symlog(hi, threshold);
    const pad = (u1 - u0) * 0.06;
    return { kind: 'symlog', threshold, domain: [symexp(u0 - pad, threshold), symexp(u1 + pad, threshold)], label };
  }
  return { kind: 'linear', domain: padDomain(lo, hi, 'linear', 0.06), label };
}

/**
 * Pads a numeric domain so that points do not sit on the frame: by `fraction` of the span (linear) or of the
 * decades (log). A zero-width domain is widened around its value.
 */
export function padDomain(lo: number, hi: number, kind: 'linear' | 'log', fraction = 0.05): [number, number] {
  const finite = (v: number): number => Math.min(Math.max(v, -Number.MAX_VALUE), Number.MAX_VALUE);
  if (kind === 'log') {
    const a = Math.log10(lo);
    const b = Math.log10(hi);
    const pad = b > a ? (b - a) * fraction : 0.5;
    // The padding never takes the domain past what a double holds (1e308 above, its own smallest value below):
    // values spanning ~300 decades padded to 0 or Infinity, and the ticks between never ended.
    return [10 ** Math.max(a - pad, Math.min(a, -307)), 10 ** Math.min(b + pad, Math.max(b, 308))];
  }
  if (hi > lo) {
    // In halves, so that the span of values near the limits of a double does not overflow.
    const pad = (hi / 2 - lo / 2) * 2 * fraction;
    return [finite(lo - pad), finite(hi + pad)];
  }
  const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return [finite(lo - pad), finite(hi + pad)];
}

/** ' (log scale)' or ' (symmetric log scale)' for an axis label, '' for a linear or band axis. */
export function scaleNote(axis: Axis): string {
  return axis.kind === 'log' ? ' (log scale)' : axis.kind === 'symlog' ? ' (symmetric log scale)' : '';
}

/** One point of a chart. */
export interface PlotPoint {
  readonly x: number | string;
  /** Absent for a point without a value (a failed trial): drawn as a cross on the chart's "no value" strip. */
  readonly y?: number;
  readonly color: string;
  /** Hover text (an SVG `<title>`). */
  readonly title: string;
  /** Drawn larger, with a ring (the best trial). */
  readonly highlight?: boolean;
  /** Drawn as an open circle (a trial stopped early: its last value, not a final one). */
  readonly hollow?: boolean;
  /** Horizontal offset within a band in [-0.5, 0.5] bands, for categorical strips. */
  readonly jitter?: number;
  /** The trial the point shows (its `data-trial`). */
  readonly trial?: number;
}

export interface PlotLine {
  readonly points: readonly (readonly [number, number])[];
  readonly color: string;
  /** Draw as a step function (horizontal then vertical), as a best-so-far curve. @default false */
  readonly step?: boolean;
  readonly label?: string;
}

export interface ChartSpec {
  readonly width: number;
  readonly height: number;
  readonly x: Axis;
  readonly y: NumericAxis;
  readonly points: readonly PlotPoint[];
  readonly lines?: readonly PlotLine[];
  /** Accessible name of the chart. */
  readonly title: string;
  /** Label of the strip under the plot where points without a y value go. @default 'failed' */
  readonly missingLabel?: string;
}

const AXIS_COLOR = '#9aa3ad';
const GRID_COLOR = '#e9edf1';
const TEXT_COLOR = '#4a5560';
const FAIL_COLOR = '#d1495b';

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Renders a chart as an inline `<svg>` element with a fixed viewBox that scales to its container's width. */
export function renderChart(spec: ChartSpec): string {
  const hasMissing = spec.points.some((p) => p.y === undefined);
  const margin = { top: 12, right: 16, bottom: 46, left: 64 };
  const strip = hasMissing ? 18 : 0;
  const plotLeft = margin.left;
  const plotRight = spec.width - margin.right;
  const plotTop = margin.top;
  const plotBottom = spec.height - margin.bottom - strip;
  const xs = makeScale(spec.x, plotLeft, plotRight, Math.max(3, Math.floor((plotRight - plotLeft) / 80)));
  const ys = makeScale(spec.y, plotBottom, plotTop, Math.max(3, Math.floor((plotBottom - plotTop) / 45)));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${spec.width} ${spec.height}" role="img" aria-label="${escapeXml(spec.title)}" class="chart">`,
  );
  out.push(`<title>${escapeXml(spec.title)}</title>`);

  // Grid and y ticks.
  for (const t of ys.ticks()) {
    const y = fmt(ys.pos(t.value));
    out.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${y}" y2="${y}" stroke="${GRID_COLOR}"/>`);
    out.push(`<text x="${plotLeft - 6}" y="${y}" dy="0.32em" text-anchor="end" class="tick">${escapeXml(t.label)}</text>`);
  }
  // X ticks (band labels are cut when long; the full value is in the tooltip of every point).
  const xTicks = xs.ticks();
  const maxBandChars = spec.x.kind === 'band' ? Math.max(3, Math.floor(xs.bandwidth / 7)) : 99;
  for (const t of xTicks) {
    const x = fmt(xs.pos(t.value));
    if (spec.x.kind !== 'band') out.push(`<line x1="${x}" x2="${x}" y1="${plotTop}" y2="${plotBottom + strip}" stroke="${GRID_COLOR}"/>`);
    const label = ellipsize(t.label, maxBandChars);
    out.push(`<text x="${x}" y="${plotBottom + strip + 16}" text-anchor="middle" class="tick">${escapeXml(label)}</text>`);
  }
  if (spec.x.kind === 'band') {
    for (let i = 1; i < spec.x.domain.length; i++) {
      const x = fmt(plotLeft + (i * (plotRight - plotLeft)) / spec.x.domain.length);
      out.push(`<line x1="${x}" x2="${x}" y1="${plotTop}" y2="${plotBottom + strip}" stroke="${GRID_COLOR}"/>`);
    }
  }
  // Frame: left and bottom axes.
  out.push(`<line x1="${plotLeft}" x2="${plotLeft}" y1="${plotTop}" y2="${plotBottom + strip}" stroke="${AXIS_COLOR}"/>`);
  out.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${plotBottom + strip}" y2="${plotBottom + strip}" stroke="${AXIS_COLOR}"/>`);
  if (hasMissing) {
    out.push(
      `<rect x="${plotLeft}" y="${plotBottom + 2}" width="${plotRight - plotLeft}" height="${strip - 2}" fill="#fbeff1"/>`,
      `<text x="${plotLeft - 6}" y="${plotBottom + strip / 2 + 1}" dy="0.32em" text-anchor="end" class="tick fail">${escapeXml(spec.missingLabel ?? 'failed')}</text>`,
    );
  }
  // Axis labels.
  out.push(
    `<text x="${fmt((plotLeft + plotRight) / 2)}" y="${spec.height - 6}" text-anchor="middle" class="axis-label">${escapeXml(spec.x.label)}${scaleNote(spec.x)}</text>`,
  );
  out.push(
    `<text transform="translate(14 ${fmt((plotTop + plotBottom) / 2)}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeXml(spec.y.label)}${scaleNote(spec.y)}</text>`,
  );

  for (const line of spec.lines ?? []) {
    if (line.points.length === 0) continue;
    const coords = line.points.map(([x, y]) => [xs.pos(x), ys.pos(y)] as const);
    let d = `M${fmt(coords[0][0])},${fmt(coords[0][1])}`;
    for (let i = 1; i < coords.length; i++) {
      d += line.step ? `H${fmt(coords[i][0])}V${fmt(coords[i][1])}` : `L${fmt(coords[i][0])},${fmt(coords[i][1])}`;
    }
    out.push(`<path d="${d}" fill="none" stroke="${line.color}" stroke-width="2.2" stroke-linejoin="round"/>`);
  }

  // Highlighted points last so that they sit on top.
  const ordered = [...spec.points].sort((a, b) => Number(a.highlight ?? false) - Number(b.highlight ?? false));
  for (const p of ordered) {
    const x = fmt(xs.pos(p.x, p.jitter ?? 0));
    const title = `<title>${escapeXml(p.title)}</title>`;
    const g = `<g class="pt${p.highlight ? ' best' : ''}"${p.trial !== undefined ? ` data-trial="${p.trial}"` : ''}>`;
    if (p.y === undefined) {
      const y = plotBottom + strip / 2 + 1;
      out.push(
        `${g}<path d="M${x},${y} m-3.5,-3.5 l7,7 m0,-7 l-7,7" stroke="${FAIL_COLOR}" stroke-width="1.8"/>${title}</g>`,
      );
    } else if (p.highlight) {
      out.push(
        `${g}<circle cx="${x}" cy="${fmt(ys.pos(p.y))}" r="8" fill="none" stroke="#e07a1f" stroke-width="2.5"/><circle cx="${x}" cy="${fmt(ys.pos(p.y))}" r="4.5" fill="${p.color}" stroke="#fff" stroke-width="1"/>${title}</g>`,
      );
    } else if (p.hollow) {
      out.push(`${g}<circle cx="${x}" cy="${fmt(ys.pos(p.y))}" r="4" fill="#fff" stroke="${p.color}" stroke-width="1.8"/>${title}</g>`);
    } else {
      out.push(
        `${g}<circle cx="${x}" cy="${fmt(ys.pos(p.y))}" r="4.5" fill="${p.color}" fill-opacity="0.85" stroke="#fff" stroke-width="0.8"/>${title}</g>`,
      );
    }
  }
  out.push('</svg>');
  return out.join('');
}

/** Interpolates a colour ramp (hex stops) at t in [0, 1]. */
export function ramp(stops: readonly string[], t: number): string {
  const clamped = Math.min(1, Math.max(0, t));
  const pos = clamped * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  const f = pos - i;
  const rgb = (hex: string): number[] => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  const a = rgb(stops[i]);
  const b = rgb(stops[i + 1]);
  return `#${a.map((v, k) => Math.round(v + (b[k] - v) * f).toString(16).padStart(2, '0')).join('')}`;
}

export { FAIL_COLOR, TEXT_COLOR };
