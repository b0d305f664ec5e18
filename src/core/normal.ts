/**
 * The normal distribution and the log expected improvement, computed stably far into the tails
 * (Ament et al., "Unexpected Improvements to Expected Improvement for Bayesian Optimization", NeurIPS 2023).
 */

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const C1 = 0.5 * Math.log(2 * Math.PI);
const C2 = 0.5 * Math.log(Math.PI / 2);
const INV_SQRT_EPS = 1 / Math.sqrt(Number.EPSILON);

/** erf(x) by its Taylor series; accurate for |x| <= 2. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * sum;
}

/** Scaled complementary error function exp(x^2) erfc(x), for x >= 0. */
function erfcxNonNegative(x: number): number {
  if (x < 2) return Math.exp(x * x) * (1 - erfSeries(x));
  // Continued fraction (Laplace): erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return 1 / (SQRT_PI * f);
}

/** exp(x^2) erfc(x). Overflows to Infinity for x below about -26. */
export function erfcx(x: number): number {
  if (x >= 0) return erfcxNonNegative(x);
  return 2 * Math.exp(x * x) - erfcxNonNegative(-x);
}

export function erfc(x: number): number {
  if (x >= 0) return x < 2 ? 1 - erfSeries(x) : Math.exp(-x * x) * erfcxNonNegative(x);
  return 2 - erfc(-x);
}

/** Standard normal density. */
export function normPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** Standard normal CDF. */
export function normCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** log(1 - exp(a)) for a < 0, accurate near 0 and far below it. */
function log1mexp(a: number): number {
  return a > -Math.LN2 ? Math.log(-Math.expm1(a)) : Math.log1p(-Math.exp(a));
}

/**
 * log h(z) with h(z) = phi(z) + z Phi(z) (so that EI = sigma h((best - mu) / sigma) for minimization), and its
 * derivative d log h / dz = Phi(z) / h(z). Finite for every finite z.
 */
export function logH(z: number): { value: number; dz: number } {
  if (z > -1) {
    const cdf = normCdf(z);
    const h = normPdf(z) + z * cdf;
    return { value: Math.log(h), dz: cdf / h };
  }
  if (z > -INV_SQRT_EPS) {
    const ex = erfcxNonNegative(-z / SQRT2);
    const logA = Math.log(-z * ex) + C2;
    const value = -0.5 * z * z - C1 + log1mexp(logA);
    // Phi(z)/h(z) = 0.5 erfcx(-z/sqrt2) sqrt(2 pi) / (1 - exp(logA)).
    const dz = (0.5 * ex) / INV_SQRT_2PI / -Math.expm1(logA);
    return { value, dz };
  }
  return { value: -0.5 * z * z - C1 - 2 * Math.log(-z), dz: -z - 2 / z };
}

/**
 * Log expected improvement below `best` of a normal belief N(mu, sigma^2) (minimization), with its partial
 * derivatives with respect to mu and sigma.
 */
export function logEI(mu: number, sigma: number, best: number): { value: number; dMu: number; dSigma: number } {
  const z = (best - mu) / sigma;
  const h = logH(z);
  // d/dmu: dz/dmu = -1/sigma. d/dsigma: 1/sigma + dlogh/dz * (-z/sigma).
  return { value: h.value + Math.log(sigma), dMu: -h.dz / sigma, dSigma: (1 - h.dz * z) / sigma };
}
