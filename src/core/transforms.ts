/**
 * Output transform of the GP: heavy-tailed or badly scaled objectives (losses that explode, Rosenbrock-like
 * ranges) break a GP fitted on raw values. Following HEBO (Cowen-Rivers et al., JAIR 2022), the objective is
 * shifted to start at 0, scaled, passed through a Yeo-Johnson power transform whose exponent maximizes the
 * Gaussian likelihood, and standardized. The exponent is capped at 1: for minimization the transform may compress
 * the bad (upper) tail but never stretch it at the expense of the good values. The transform is monotone, so the
 * ordering of the observations (and the incumbent) is unchanged.
 */

/** Range searched for the Yeo-Johnson exponent. */
export const POWER_LAMBDA_RANGE = [-2, 1] as const;

function yeoJohnsonNonNegative(u: number, lambda: number): number {
  return Math.abs(lambda) < 1e-8 ? Math.log1p(u) : (Math.pow(u + 1, lambda) - 1) / lambda;
}

/** (v - mean) / scale with the population standard deviation as the scale (1 when the values are all equal). */
function standardized(v: Float64Array): { out: Float64Array; mean: number; scale: number } {
  const n = v.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i] - mean) ** 2;
  const sd = Math.sqrt(ss / n);
  const out = new Float64Array(n);
  const scale = sd > 1e-12 * Math.max(1, Math.abs(mean)) ? sd : 1;
  for (let i = 0; i < n; i++) out[i] = (v[i] - mean) / scale;
  return { out, mean, scale };
}

export interface OutputTransform {
  /** The transformed, standardized observations (same order as the input). */
  readonly z: Float64Array;
  /** The fitted Yeo-Johnson exponent (1 = no warping), undefined when too few points to fit one. */
  readonly lambda?: number;
  /**
   * Maps a value on the transformed scale (a posterior mean, say) back to the objective's scale. Exact for the
   * observations; monotone, and continued below the smallest observation as far as the power allows (clamped there).
   */
  inverse(z: number): number;
}

/**
 * `raw` times a power of two that brings its largest magnitude near 1, when that magnitude is beyond 2^±500:
 * otherwise the squares below overflow (values above about 1e154) or underflow (below about 1e-154) and every
 * transformed value comes out 0. A power-of-two factor only changes exponents, and the transform is invariant to
 * the scale, so this changes nothing else; data within 2^±500 are left as they are.
 */
function moderated(raw: Float64Array): { values: Float64Array; undo: (v: number) => number } {
  let m = 0;
  for (let i = 0; i < raw.length; i++) m = Math.max(m, Math.abs(raw[i]));
  const e = Math.floor(Math.log2(m));
  if (!Number.isFinite(e) || Math.abs(e) <= 500) return { values: raw, undo: (v) => v };
  // 2^-e in two factors: one would overflow for the smallest subnormals (e = -1074).
  const half = Math.trunc(-e / 2);
  const f1 = 2 ** half;
  const f2 = 2 ** (-e - half);
  return { values: raw.map((v) => v * f1 * f2), undo: (v) => v / f2 / f1 };
}

/** Inverse of {@link yeoJohnsonNonNegative} in u, continued to psi below 0 while it is defined (clamped beyond). */
function yeoJohnsonInverse(psi: number, lambda: number): number {
  if (Math.abs(lambda) < 1e-8) return Math.expm1(psi);
  const base = lambda * psi + 1;
  return base > 0 ? Math.pow(base, 1 / lambda) - 1 : -1;
}

/**
 * Transforms objective values (to be minimized) for the GP. `lambda` fixes the Yeo-Johnson exponent instead of
 * fitting it (1: shift, scale and standardize only).
 */
export function transformOutputs(y: ArrayLike<number>, options: { readonly lambda?: number } = {}): OutputTransform {
  const n = y.length;
  const { values: raw, undo } = moderated(Float64Array.from(y));
  if (n < 4) {
    const st = standardized(raw);
    return { z: st.out, inverse: (z) => undo(z * st.scale + st.mean) };
  }
  let min = Infinity;
  for (let i = 0; i < n; i++) min = Math.min(min, raw[i]);
  // Scale by the root mean square distance from the best value. (Scaling by the median instead spreads the good
  // values further apart but measured worse precision near the optimum on Branin and the mixed problem.)
  const shifted = raw.map((v) => v - min);
  let scale = Math.sqrt(shifted.reduce((a, v) => a + v * v, 0) / n);
  if (!(scale > 0)) scale = 1;
  const u = shifted.map((v) => v / scale);
  let sumLog = 0;
  for (let i = 0; i < n; i++) sumLog += Math.log1p(u[i]);
  const loglik = (lambda: number): number => {
    let mean = 0;
    const psi = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      psi[i] = yeoJohnsonNonNegative(u[i], lambda);
      mean += psi[i];
    }
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (psi[i] - mean) ** 2;
    v /= n;
    if (!(v > 0) || !Number.isFinite(v)) return -Infinity;
    return -0.5 * n * Math.log(v) + (lambda - 1) * sumLog;
  };
  const lambda = options.lambda ?? fitLambda(loglik);
  const psi = u.map((v) => yeoJohnsonNonNegative(v, lambda));
  const st = standardized(psi);
  return { z: st.out, lambda, inverse: (z) => undo(yeoJohnsonInverse(z * st.scale + st.mean, lambda) * scale + min) };
}

/** The exponent in {@link POWER_LAMBDA_RANGE} that maximizes the profile likelihood `loglik`. */
function fitLambda(loglik: (lambda: number) => number): number {
  // Golden-section search: the profile likelihood is unimodal in lambda for all practical data.
  let [a, b] = POWER_LAMBDA_RANGE as readonly number[] as [number, number];
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = loglik(c);
  let fd = loglik(d);
  for (let it = 0; it < 60 && b - a > 1e-4; it++) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = loglik(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = loglik(d);
    }
  }
  return (a + b) / 2;
}
