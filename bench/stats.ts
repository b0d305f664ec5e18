/** Small statistics and formatting helpers shared by the benchmark scripts. */
import { Rng } from '../src/core/rng';

/** Percentile with linear interpolation between order statistics (numpy's default, as the anchors use). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile p must be in [0, 100]; got ${p}`);
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of an empty list');
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Python's `%.Ng` for one value: N significant digits, trailing zeros dropped, exponent form outside [1e-4, 10^N). */
function pyG(v: number, digits: number): string {
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(digits)))));
  if (exp < -4 || exp >= digits) return pyE(v, digits - 1).replace(/\.?0+e/, 'e');
  return Number(v.toPrecision(digits)).toString();
}

/** Python's `%.Ne`: mantissa with N decimals, exponent with sign and at least two digits. */
function pyE(v: number, decimals: number): string {
  const [m, e] = v.toExponential(decimals).split('e');
  const n = Number(e);
  return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

/** Formats a regret as the anchors do: 3 significant digits, exponent form below 1e-3 and from 1e4. */
export function fmtRegret(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return pyE(v, 2);
  return pyG(v, 3);
}

/** Formats a duration in milliseconds as the anchors do (3 decimals below 0.1 ms, 2 below 10 ms, else integer). */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0.1) return ms.toFixed(3);
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
}

/** Parses a seed list: `N` (0..N-1), `a-b` (inclusive) or `a,b,c`. */
export function parseSeeds(spec: string): number[] {
  const s = spec.trim();
  const bad = (): never => {
    throw new Error(`--seeds: cannot read ${JSON.stringify(spec)}; allowed: N (seeds 0..N-1), a-b (inclusive) or a,b,c of integers >= 0`);
  };
  let seeds: number[];
  if (/^\d+-\d+$/.test(s)) {
    const [a, b] = s.split('-').map(Number);
    if (b < a) bad();
    seeds = Array.from({ length: b - a + 1 }, (_, i) => a + i);
  } else if (/^\d+(,\d+)+$/.test(s)) {
    seeds = s.split(',').map(Number);
  } else if (/^\d+$/.test(s) && Number(s) > 0) {
    seeds = Array.from({ length: Number(s) }, (_, i) => i);
  } else {
    return bad();
  }
  return [...new Set(seeds)];
}

/** Resamples {@link bootstrapMedianRatio} draws unless told otherwise. */
export const BOOTSTRAP_RESAMPLES = 4000;

/** What {@link bootstrapMedianRatio} returns. */
export interface RatioInterval {
  /** Pairs (seeds) resampled. */
  readonly n: number;
  /** median(b) / median(a) over all pairs. */
  readonly ratio: number;
  /** Lower and upper percentile-bootstrap bounds at the requested level. */
  readonly lo: number;
  readonly hi: number;
  /** Share of the resamples whose ratio is at most `limit`. */
  readonly withinLimit: number;
}

/** median(b) / median(a), with 0 / 0 read as 1. */
function medianRatio(a: readonly number[], b: readonly number[]): number {
  const ma = median(a);
  const mb = median(b);
  return ma === 0 ? (mb === 0 ? 1 : Infinity) : mb / ma;
}

/**
 * Percentile-bootstrap interval of median(b) / median(a) over paired samples (runs of two modes on the same
 * seeds), resampling the pairs with replacement. It says how far a ratio of two medians over a few dozen seeds
 * can be trusted: for a bimodal regret, a 20-seed median is close to a coin flip between the modes.
 * Deterministic: the resampling draws from the optimizer's seeded generator.
 * @param resamples default {@link BOOTSTRAP_RESAMPLES}
 * @param level two-sided coverage, default 0.9
 * @param limit the ratio `withinLimit` is counted against, default 2
 */
export function bootstrapMedianRatio(
  pairs: readonly (readonly [number, number])[],
  opts: { resamples?: number; level?: number; limit?: number; seed?: number } = {},
): RatioInterval {
  if (pairs.length === 0) throw new RangeError('bootstrapMedianRatio of no pairs');
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = opts.level ?? 0.9;
  const limit = opts.limit ?? 2;
  const rng = new Rng(opts.seed ?? 0x2545f491);
  const n = pairs.length;
  const ratios: number[] = [];
  const a = new Array<number>(n);
  const b = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) [a[i], b[i]] = pairs[rng.int(n)];
    ratios.push(medianRatio(a, b));
  }
  ratios.sort((x, y) => x - y);
  const at = (q: number): number => ratios[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
  return {
    n,
    ratio: medianRatio(
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
    ),
    lo: at((1 - level) / 2),
    hi: at((1 + level) / 2),
    withinLimit: ratios.filter((x) => x <= limit).length / resamples,
  };
}
