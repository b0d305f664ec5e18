/** Small statistics and formatting helpers shared by the benchmark scripts. */

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
