/** The GP and its numerics, checked against closed forms, finite differences and Monte Carlo. */
import { FANTASY_NOISE, GP_BOUNDS, GaussianProcess, defaultTheta, fitHyperparameters, negLogPosterior } from '../../src/core/gp';
import { cholAppend, cholInverse, safeCholesky, choleskyInPlace } from '../../src/core/linalg';
import { minimizeLbfgs } from '../../src/core/lbfgs';
import { logEI, logH, normCdf, normPdf } from '../../src/core/normal';
import { Rng } from '../../src/core/rng';
import { SobolSequence } from '../../src/core/sobol';
import { transformOutputs } from '../../src/core/transforms';

function randomInputs(n: number, seed: number, withCategorical = true) {
  const rng = new Rng(seed);
  const D = withCategorical ? 3 : 2;
  const X = Array.from({ length: n }, () => Float64Array.from([rng.next(), rng.next(), ...(withCategorical ? [rng.int(3)] : [])]));
  const y = Float64Array.from(X, (x) => Math.sin(6 * x[0]) + (x[1] - 0.5) ** 2 + (withCategorical ? 0.3 * x[2] : 0));
  const categorical = Uint8Array.from({ length: D }, (_, d) => (withCategorical && d === 2 ? 1 : 0));
  return { X, y, categorical };
}

describe('Gaussian process', () => {
  it('interpolates its training points when the noise is tiny', () => {
    const inputs = randomInputs(15, 1);
    const theta = Float64Array.from([Math.log(0.3), Math.log(0.5), Math.log(1), 0, Math.log(1e-9)]);
    const gp = new GaussianProcess(inputs, theta);
    inputs.X.forEach((x, i) => {
      const p = gp.predict(x);
      expect(p.mu).toBeCloseTo(inputs.y[i], 4);
      expect(p.sigma).toBeLessThan(1e-3);
    });
    // Far from the data the posterior returns to the prior.
    const far = new GaussianProcess({ ...inputs, X: inputs.X.map((x) => Float64Array.from([x[0] * 0.01, x[1] * 0.01, x[2]])) }, Float64Array.from([Math.log(0.01), Math.log(0.01), Math.log(0.01), 0, Math.log(1e-6)]));
    const p = far.predict([0.9, 0.9, 1]);
    expect(p.mu).toBeCloseTo(far.mean, 6);
    expect(p.sigma).toBeCloseTo(1, 6);
  });

  it('has a marginal-likelihood gradient that matches finite differences', () => {
    const inputs = randomInputs(25, 2);
    const theta = Float64Array.from([Math.log(0.2), Math.log(0.7), Math.log(1.5), Math.log(0.8), Math.log(1e-3)]);
    const grad = new Float64Array(theta.length);
    negLogPosterior(theta, inputs, grad);
    for (let i = 0; i < theta.length; i++) {
      const h = 1e-5;
      const up = Float64Array.from(theta);
      const dn = Float64Array.from(theta);
      up[i] += h;
      dn[i] -= h;
      const fd = (negLogPosterior(up, inputs) - negLogPosterior(dn, inputs)) / (2 * h);
      expect(Math.abs(grad[i] - fd)).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
    }
  });

  it('fits hyperparameters that improve on the prior mode and learns an irrelevant input has a long lengthscale', () => {
    const rng = new Rng(5);
    const X = Array.from({ length: 40 }, () => Float64Array.from([rng.next(), rng.next()]));
    const y = Float64Array.from(X, (x) => Math.sin(8 * x[0]));
    const inputs = { X, y, categorical: new Uint8Array(2) };
    const theta = fitHyperparameters(inputs, { starts: [defaultTheta(2)] });
    expect(negLogPosterior(theta, inputs)).toBeLessThan(negLogPosterior(defaultTheta(2), inputs));
    expect(theta[1] - theta[0]).toBeGreaterThan(1); // lengthscale of x1 at least e times that of x0
  });

  it('estimates its constant mean by generalized least squares, so a dense cluster of good points does not pull it down', () => {
    // 12 points packed near x = 0.1 with value 0 (where a search concentrates) and 6 spread points with value 1.
    const X = [
      ...Array.from({ length: 12 }, (_, i) => Float64Array.from([0.1 + 0.001 * i])),
      ...[0.35, 0.5, 0.6, 0.7, 0.85, 1].map((v) => Float64Array.from([v])),
    ];
    const y = Float64Array.from(X, (x) => (x[0] < 0.2 ? 0 : 1));
    const theta = Float64Array.from([Math.log(0.05), 0, Math.log(1e-6)]);
    const gp = new GaussianProcess({ X, y, categorical: new Uint8Array(1) }, theta);
    // The arithmetic mean is 1/3; the cluster counts about as one observation, so GLS gives about 6/7.
    expect(gp.mean).toBeGreaterThan(0.8);
    expect(gp.mean).toBeLessThan(1);
    // Closed form: (1' K^-1 y) / (1' K^-1 1).
    const n = X.length;
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) K[i * n + j] = gp.kernel(X[i], X[j]) + (i === j ? gp.noise : 0);
    const Kinv = cholInverse(safeCholesky(K, n).L, n);
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      num += Kinv[i * n + j] * y[j];
      den += Kinv[i * n + j];
    }
    expect(gp.mean).toBeCloseTo(num / den, 8);
    // Far from every observation the prediction returns to that mean, not to the cluster's value.
    const far = new GaussianProcess({ X: X.slice(0, 12).concat([Float64Array.from([0.35])]), y: y.slice(0, 13), categorical: new Uint8Array(1) }, theta);
    expect(far.predict([0.9]).mu).toBeCloseTo(far.mean, 6);
  });

  it('gives its posterior means at the data in O(n), equal to predictions there, smoothing a noisy observation', () => {
    const inputs = randomInputs(20, 4);
    const y = Float64Array.from(inputs.y);
    y[3] -= 0.5; // an outlier below the surface
    const gp = new GaussianProcess({ ...inputs, y }, Float64Array.from([Math.log(0.3), Math.log(0.5), Math.log(1), 0, Math.log(0.05)]));
    const means = gp.meansAtData();
    inputs.X.forEach((x, i) => expect(means[i]).toBeCloseTo(gp.predict(x).mu, 9));
    expect(means[3]).toBeGreaterThan(y[3] + 0.05);
    // Fantasies enter with their own (tiny) noise; the means at every conditioning point still match predictions.
    const at = Float64Array.from([0.42, 0.17, 2]);
    gp.addFantasy(at, means[3] + 1);
    const after = gp.meansAtData();
    [...inputs.X, at].forEach((x, i) => expect(after[i]).toBeCloseTo(gp.predict(x).mu, 6));
  });

  it('caps numeric lengthscales (an input the user tunes is never irrelevant) but not categorical ones', () => {
    // y depends on x0 alone: unbounded, the fit would send x1 and the categorical x2 to very long lengthscales.
    const rng = new Rng(9);
    const X = Array.from({ length: 30 }, () => Float64Array.from([rng.next(), rng.next(), rng.int(3)]));
    const y = Float64Array.from(X, (x) => Math.sin(8 * x[0]));
    const categorical = Uint8Array.from([0, 0, 1]);
    const theta = fitHyperparameters({ X, y, categorical }, { starts: [defaultTheta(3, categorical)] });
    expect(GP_BOUNDS.maxNumericLengthscale(3)).toBe(3);
    expect(GP_BOUNDS.maxNumericLengthscale(24)).toBeCloseTo(6, 12); // grows like sqrt(D) beyond 6 dimensions
    expect(Math.exp(theta[1])).toBeCloseTo(3, 6); // x1 irrelevant: at the cap
    expect(Math.exp(theta[2])).toBeGreaterThan(3); // categorical: past it
  });

  it('predicts gradients of mean and deviation that match finite differences', () => {
    const inputs = randomInputs(20, 3);
    const gp = new GaussianProcess(inputs, Float64Array.from([Math.log(0.3), Math.log(0.4), Math.log(1), 0, Math.log(1e-4)]));
    const x = Float64Array.from([0.37, 0.61, 1]);
    const p = gp.predictWithGradient(x, [0, 1]);
    for (const [j, d] of [0, 1].entries()) {
      const h = 1e-6;
      const up = Float64Array.from(x);
      const dn = Float64Array.from(x);
      up[d] += h;
      dn[d] -= h;
      expect(p.dMu[j]).toBeCloseTo((gp.predict(up).mu - gp.predict(dn).mu) / (2 * h), 5);
      expect(p.dSigma[j]).toBeCloseTo((gp.predict(up).sigma - gp.predict(dn).sigma) / (2 * h), 5);
    }
  });

  it('fantasizes at the posterior mean without moving the mean elsewhere, and shrinks the variance there', () => {
    const inputs = randomInputs(12, 4, false);
    const gp = new GaussianProcess(inputs, Float64Array.from([Math.log(0.3), Math.log(0.3), 0, Math.log(1e-6)]));
    const probe = Float64Array.from([0.2, 0.8]);
    const before = gp.predict(probe);
    const at = Float64Array.from([0.5, 0.5]);
    const sBefore = gp.predict(at).sigma;
    gp.addFantasy(at);
    expect(gp.predict(probe).mu).toBeCloseTo(before.mu, 8);
    expect(gp.predict(at).sigma).toBeLessThan(Math.min(0.01, sBefore / 10));
  });

  it('fantasizes a latent value: the variance collapses at the fantasy even when the fitted noise is large', () => {
    const inputs = randomInputs(12, 4, false);
    const noise = 0.05;
    const gp = new GaussianProcess(inputs, Float64Array.from([Math.log(0.3), Math.log(0.3), 0, Math.log(noise)]));
    const at = Float64Array.from([0.5, 0.5]);
    const near = Float64Array.from([0.51, 0.5]);
    const sNear = gp.predict(near).sigma;
    const value = gp.addFantasy(at, 0.25);
    expect(value).toBeGreaterThanOrEqual(0.25);
    // With the fitted noise the latent standard deviation at `at` could not fall below about sqrt(noise / 2) = 0.16.
    expect(gp.predict(at).sigma).toBeLessThan(Math.sqrt(FANTASY_NOISE) * 2);
    expect(gp.predict(at).mu).toBeCloseTo(value, 4);
    // A point a thirtieth of a lengthscale away is now nearly known too, so a batch does not line up beside it.
    expect(gp.predict(near).sigma).toBeLessThan(sNear / 4);
  });
});

describe('log expected improvement', () => {
  it('matches a Monte Carlo estimate of the expected improvement', () => {
    const rng = new Rng(11);
    for (const [mu, sigma, best] of [[0, 1, 0], [0.5, 0.3, 0.2], [-1, 2, -2.5], [1, 0.5, 0]]) {
      let sum = 0;
      let sum2 = 0;
      const N = 200000;
      for (let i = 0; i < N; i++) {
        const imp = Math.max(best - (mu + sigma * rng.normal()), 0);
        sum += imp;
        sum2 += imp * imp;
      }
      const mean = sum / N;
      const se = Math.sqrt((sum2 / N - mean * mean) / N);
      const ei = Math.exp(logEI(mu, sigma, best).value);
      expect(Math.abs(ei - mean)).toBeLessThan(4 * se + 1e-12);
      // Closed form too.
      const z = (best - mu) / sigma;
      expect(ei).toBeCloseTo(sigma * (normPdf(z) + z * normCdf(z)), 12);
    }
  });

  it('stays finite, monotone and smooth far in the tail where plain EI underflows to zero', () => {
    let prev = -Infinity;
    for (let z = -1e4; z <= 5; z += z < -100 ? 97.3 : 0.37) {
      const h = logH(z);
      expect(Number.isFinite(h.value)).toBe(true);
      expect(h.value).toBeGreaterThan(prev);
      prev = h.value;
      const e = 1e-6 * Math.max(1, Math.abs(z));
      const fd = (logH(z + e).value - logH(z - e).value) / (2 * e);
      expect(Math.abs(h.dz - fd)).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
    }
    expect(Math.exp(logH(-40).value)).toBe(0); // plain EI would be exactly zero here
    expect(logH(-40).value).toBeCloseTo(-800 - 0.5 * Math.log(2 * Math.PI) - 2 * Math.log(40), 2); // asymptote -z^2/2 - log(2 pi)/2 - 2 log|z|
  });

  it('has derivatives in mu and sigma that match finite differences', () => {
    for (const [mu, sigma, best] of [[0.3, 0.2, 0], [5, 0.1, 0], [-1, 1, 0]]) {
      const g = logEI(mu, sigma, best);
      const h = 1e-7;
      expect(g.dMu).toBeCloseTo((logEI(mu + h, sigma, best).value - logEI(mu - h, sigma, best).value) / (2 * h), 3);
      expect(g.dSigma).toBeCloseTo((logEI(mu, sigma + h, best).value - logEI(mu, sigma - h, best).value) / (2 * h), 3);
    }
  });
});

describe('linear algebra', () => {
  const spd = (n: number, seed: number): Float64Array => {
    const rng = new Rng(seed);
    const B = Float64Array.from({ length: n * n }, () => rng.normal());
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += B[i * n + k] * B[j * n + k];
      A[i * n + j] = s;
    }
    return A;
  };

  it('factors, inverts and extends a positive definite matrix', () => {
    const n = 8;
    const A = spd(n, 1);
    const { L, jitter } = safeCholesky(A, n);
    expect(jitter).toBe(0);
    const inv = cholInverse(L, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += A[i * n + k] * inv[k * n + j];
      expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
    }
    // Appending a row gives the factor of the bigger matrix.
    const big = spd(n + 1, 2);
    const small = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) small[i * n + j] = big[i * (n + 1) + j];
    const Ls = safeCholesky(small, n).L;
    const appended = cholAppend(Ls, n, Array.from({ length: n }, (_, j) => big[n * (n + 1) + j]), big[n * (n + 1) + n]);
    const full = Float64Array.from(big);
    expect(choleskyInPlace(full, n + 1)).toBe(true);
    appended.forEach((v, i) => expect(v).toBeCloseTo(full[i], 10));
  });

  it('adds only as much jitter as a singular matrix needs, and falls back for an indefinite one without throwing', () => {
    const n = 3;
    const singular = Float64Array.from([1, 1, 0, 1, 1, 0, 0, 0, 1]); // rows 0 and 1 equal
    const s = safeCholesky(singular, n);
    expect(s.jitter).toBeGreaterThan(0);
    expect(s.jitter).toBeLessThan(1e-6);
    expect(s.clipped).toBe(false);
    const indefinite = Float64Array.from([1, 2, 0, 2, 1, 0, 0, 0, 1]);
    const r = safeCholesky(indefinite, n);
    expect(r.clipped).toBe(true);
    expect(Array.from(r.L).every(Number.isFinite)).toBe(true);
  });

  it('minimizes the Rosenbrock function with L-BFGS and respects box bounds', () => {
    const rosen = (x: Float64Array, g: Float64Array): number => {
      g[0] = -2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] * x[0]);
      g[1] = 200 * (x[1] - x[0] * x[0]);
      return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] * x[0]) ** 2;
    };
    const free = minimizeLbfgs(rosen, [-1.2, 1], { maxIterations: 500, gradientTolerance: 1e-9 });
    expect(free.x[0]).toBeCloseTo(1, 5);
    expect(free.x[1]).toBeCloseTo(1, 5);
    const boxed = minimizeLbfgs(rosen, [-1.2, 0.2], { lower: [-2, -2], upper: [0.5, 0.5], maxIterations: 500 });
    expect(boxed.x[0]).toBeLessThanOrEqual(0.5);
    expect(boxed.x[0]).toBeCloseTo(0.5, 3); // the constrained optimum sits on the bound x0 = 0.5, x1 = 0.25
    expect(boxed.x[1]).toBeCloseTo(0.25, 3);
  });
});

describe('Sobol sequence', () => {
  it.each([false, true])('places exactly one of the first 2^k points in each dyadic interval of every coordinate (scrambled: %s)', (scrambled) => {
    const dim = 30;
    const seq = new SobolSequence(dim, scrambled ? new Rng(3) : undefined);
    const k = 6;
    const pts = Array.from({ length: 2 ** k }, (_, i) => seq.point(i));
    for (let d = 0; d < dim; d++) {
      const bins = new Set(pts.map((p) => Math.floor(p[d] * 2 ** k)));
      expect(bins.size).toBe(2 ** k);
    }
    // The first two coordinates form a (0, m, 2)-net: one point in each 8 x 8 box of 64 points.
    const boxes = new Set(pts.map((p) => `${Math.floor(p[0] * 8)},${Math.floor(p[1] * 8)}`));
    expect(boxes.size).toBe(64);
  });
});

describe('output transform', () => {
  it('keeps the order of the observations and tames a heavy upper tail', () => {
    const y = [1, 2, 3, 5, 8, 13, 1e3, 1e5];
    const { z, lambda } = transformOutputs(y);
    for (let i = 1; i < y.length; i++) expect(z[i]).toBeGreaterThan(z[i - 1]);
    expect(lambda).toBeLessThan(0.5);
    // The best points are spread further apart than plain standardization leaves them next to the outliers.
    const mean = y.reduce((a, b) => a + b) / y.length;
    const sd = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / y.length);
    expect((z[1] - z[0]) / ((y[1] - y[0]) / sd)).toBeGreaterThan(3);
    // A light-tailed sample is left (nearly) linear: the exponent never exceeds 1.
    expect(transformOutputs([5, 4, 4.5, 1, 0.5, 0.2, 0.1, 0]).lambda).toBeLessThanOrEqual(1);
  });

  it('is invariant to the scale of the objective, even at 1e300 and 1e-300 where squares overflow', () => {
    const y = [3, 1, 4, 1.5, 9, 2.6, 5, 35];
    const ref = transformOutputs(y);
    for (const k of [-1000, -600, 600, 1000]) {
      // exact: a power-of-two factor (the results stay normal numbers) only changes exponents
      const scaled = y.map((v) => v * 2 ** k);
      const t = transformOutputs(scaled);
      expect(Array.from(t.z)).toEqual(Array.from(ref.z));
      expect(t.lambda).toBe(ref.lambda);
    }
    const z = transformOutputs([1e300, 2e300, 3e300, 5e300]).z;
    expect(new Set(z).size).toBe(4);
    for (let i = 1; i < 4; i++) expect(z[i]).toBeGreaterThan(z[i - 1]);
  });
});
