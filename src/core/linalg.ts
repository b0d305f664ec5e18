/**
 * Dense linear algebra on row-major Float64Arrays, written for the GP's hot path (a hand-written Cholesky on a
 * flat array is several times faster than a general matrix library at n in the hundreds). ml-matrix serves as
 * the fallback for matrices that stay indefinite even with jitter.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Relative jitters tried in turn when a Cholesky factorization fails (times the mean diagonal). */
export const JITTER_STEPS = [0, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2] as const;

/*
 * The inner loops below are unrolled by four by hand: V8 runs them about 25% faster that way (measured at n = 100
 * and 200). Every element still receives the same operations in the same order, so the results are bit for bit
 * those of the plain loops.
 */

/** s - sum over k in [from, to) of x[xo + k] * y[yo + k], subtracting term by term in order of k. */
function subtractDot(s: number, x: Float64Array, xo: number, y: ArrayLike<number>, yo: number, from: number, to: number): number {
  let k = from;
  for (; k + 4 <= to; k += 4) {
    s -= x[xo + k] * y[yo + k];
    s -= x[xo + k + 1] * y[yo + k + 1];
    s -= x[xo + k + 2] * y[yo + k + 2];
    s -= x[xo + k + 3] * y[yo + k + 3];
  }
  for (; k < to; k++) s -= x[xo + k] * y[yo + k];
  return s;
}

/** out[oo + j] += a * x[xo + j] for j in [0, count). */
function addScaled(out: Float64Array, oo: number, a: number, x: Float64Array, xo: number, count: number): void {
  let j = 0;
  for (; j + 4 <= count; j += 4) {
    out[oo + j] += a * x[xo + j];
    out[oo + j + 1] += a * x[xo + j + 1];
    out[oo + j + 2] += a * x[xo + j + 2];
    out[oo + j + 3] += a * x[xo + j + 3];
  }
  for (; j < count; j++) out[oo + j] += a * x[xo + j];
}

/**
 * In-place lower Cholesky factor of the symmetric n x n matrix `a` (only the lower triangle is read).
 * Returns false if the matrix is not numerically positive definite; `a` is then garbage.
 */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    const d = subtractDot(a[rj + j], a, rj, a, rj, 0, j);
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      a[ri + j] = subtractDot(a[ri + j], a, ri, a, rj, 0, j) * inv;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = 0;
  return true;
}

export interface CholeskyResult {
  /** Lower-triangular factor, row-major n x n. */
  readonly L: Float64Array;
  /** Absolute jitter added to the diagonal (0 when none was needed). */
  readonly jitter: number;
  /** True when even the largest jitter failed and the factor is of the eigenvalue-clipped matrix. */
  readonly clipped: boolean;
}

/**
 * Cholesky factor of symmetric `k`, adding only as much diagonal jitter as needed; as a last resort factors the
 * nearest matrix with eigenvalues clipped from below. Never throws on a finite input.
 */
export function safeCholesky(k: Float64Array, n: number): CholeskyResult {
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += k[i * n + i];
  meanDiag = Math.max(meanDiag / Math.max(n, 1), 1e-300);
  const work = new Float64Array(n * n);
  for (const rel of JITTER_STEPS) {
    work.set(k);
    const jitter = rel * meanDiag;
    for (let i = 0; i < n; i++) work[i * n + i] += jitter;
    if (choleskyInPlace(work, n)) return { L: work, jitter, clipped: false };
  }
  // Fallback: symmetric eigendecomposition, clip eigenvalues, rebuild, factor.
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const r: number[] = [];
    for (let j = 0; j < n; j++) {
      const v = i >= j ? k[i * n + j] : k[j * n + i];
      r.push(Number.isFinite(v) ? v : 0);
    }
    rows.push(r);
  }
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const floor = 1e-6 * meanDiag;
  const V = evd.eigenvectorMatrix;
  const lam = evd.realEigenvalues.map((l) => Math.max(l, floor));
  const rebuilt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let m = 0; m < n; m++) s += V.get(i, m) * lam[m] * V.get(j, m);
      rebuilt[i * n + j] = s;
      rebuilt[j * n + i] = s;
    }
  }
  for (let extra = 1e-6; ; extra *= 10) {
    work.set(rebuilt);
    for (let i = 0; i < n; i++) work[i * n + i] += extra * meanDiag;
    if (choleskyInPlace(work, n) || extra > 1e6) return { L: work, jitter: extra * meanDiag, clipped: true };
  }
}

/** Solves L x = b for lower-triangular L (n x n), returning x. */
export function forwardSolve(L: Float64Array, n: number, b: ArrayLike<number>, out = new Float64Array(n)): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    out[i] = subtractDot(b[i], L, ri, out, 0, 0, i) / L[ri + i];
  }
  return out;
}

/** Solves L^T x = b for lower-triangular L (n x n), returning x. */
export function backSolve(L: Float64Array, n: number, b: ArrayLike<number>, out = new Float64Array(n)): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * out[k];
    out[i] = s / L[i * n + i];
  }
  return out;
}

/** Solves (L L^T) x = b. */
export function cholSolve(L: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  return backSolve(L, n, forwardSolve(L, n, b));
}

/** (L L^T)^{-1} as a full symmetric row-major matrix. Row-oriented loops: O(n^3 / 3), cache-friendly. */
export function cholInverse(L: Float64Array, n: number): Float64Array {
  // Li = L^{-1}, row by row: Li[i, :] = (e_i - sum_{k<i} L[i, k] Li[k, :]) / L[i, i].
  const Li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    Li[ri + i] = 1;
    for (let k = 0; k < i; k++) {
      const a = L[ri + k];
      if (a === 0) continue;
      addScaled(Li, ri, -a, Li, k * n, k + 1);
    }
    const inv = 1 / L[ri + i];
    for (let j = 0; j <= i; j++) Li[ri + j] *= inv;
  }
  // A^{-1} = Li^T Li = sum_k outer(Li[k, :], Li[k, :]); accumulate the lower triangle, then mirror it.
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const a = Li[rk + i];
      if (a === 0) continue;
      addScaled(out, i * n, a, Li, rk, i + 1);
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out[j * n + i] = out[i * n + j];
  return out;
}

/**
 * Extends the Cholesky factor of an n x n matrix to the (n+1) x (n+1) matrix that adds a row `k` (covariances
 * with the existing points) and diagonal `kss`. O(n^2).
 */
export function cholAppend(L: Float64Array, n: number, k: ArrayLike<number>, kss: number): Float64Array {
  const m = n + 1;
  const out = new Float64Array(m * m);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) out[i * m + j] = L[i * n + j];
  const l = forwardSolve(L, n, k);
  let d = kss;
  for (let i = 0; i < n; i++) {
    out[n * m + i] = l[i];
    d -= l[i] * l[i];
  }
  out[n * m + n] = Math.sqrt(Math.max(d, 1e-12 * Math.max(kss, 1e-300)));
  return out;
}
