/**
 * Limited-memory BFGS with simple box constraints (projection onto the box, bound-active coordinates frozen for
 * the step), and a backtracking Armijo line search. Minimizes; used for the GP's marginal likelihood (in
 * log-hyperparameter space) and for the acquisition function (in the unit box).
 */

export interface LbfgsOptions {
  readonly lower?: ArrayLike<number>;
  readonly upper?: ArrayLike<number>;
  /** @default 100 */
  readonly maxIterations?: number;
  /** Stop when the projected gradient's max-norm falls below this. @default 1e-6 */
  readonly gradientTolerance?: number;
  /** Stop when the relative decrease of f over an iteration falls below this. @default 1e-10 */
  readonly functionTolerance?: number;
  /** History size. @default 8 */
  readonly memory?: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  readonly evaluations: number;
}

/** `fg(x, grad)` writes the gradient into `grad` and returns f(x); a non-finite f rejects the point. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

export function minimizeLbfgs(fg: ObjectiveWithGradient, x0: ArrayLike<number>, opts: LbfgsOptions = {}): LbfgsResult {
  const n = x0.length;
  const lo = opts.lower;
  const hi = opts.upper;
  const maxIter = opts.maxIterations ?? 100;
  const gtol = opts.gradientTolerance ?? 1e-6;
  const ftol = opts.functionTolerance ?? 1e-10;
  const m = opts.memory ?? 8;

  const project = (x: Float64Array): void => {
    if (!lo || !hi) return;
    for (let i = 0; i < n; i++) x[i] = Math.min(Math.max(x[i], lo[i]), hi[i]);
  };
  const x = Float64Array.from(x0);
  project(x);
  let g = new Float64Array(n);
  let f = fg(x, g);
  let evals = 1;
  if (!Number.isFinite(f)) return { x, f, iterations: 0, evaluations: evals };

  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const free = new Uint8Array(n);
  let iter = 0;
  for (; iter < maxIter; iter++) {
    // Coordinates at a bound with the gradient pushing outward are frozen for this step.
    let pgNorm = 0;
    for (let i = 0; i < n; i++) {
      const atLo = lo && x[i] <= lo[i] && g[i] > 0;
      const atHi = hi && x[i] >= hi[i] && g[i] < 0;
      free[i] = atLo || atHi ? 0 : 1;
      if (free[i]) pgNorm = Math.max(pgNorm, Math.abs(g[i]));
    }
    if (pgNorm < gtol) break;

    // Two-loop recursion on the free coordinates.
    const q = new Float64Array(n);
    for (let i = 0; i < n; i++) q[i] = free[i] ? g[i] : 0;
    const alpha = new Array<number>(S.length);
    for (let k = S.length - 1; k >= 0; k--) {
      let a = 0;
      for (let i = 0; i < n; i++) if (free[i]) a += S[k][i] * q[i];
      a *= rho[k];
      alpha[k] = a;
      for (let i = 0; i < n; i++) if (free[i]) q[i] -= a * Y[k][i];
    }
    if (S.length > 0) {
      const k = S.length - 1;
      let sy = 0, yy = 0;
      for (let i = 0; i < n; i++) {
        sy += S[k][i] * Y[k][i];
        yy += Y[k][i] * Y[k][i];
      }
      const gamma = sy / yy;
      for (let i = 0; i < n; i++) q[i] *= gamma;
    } else {
      // First step: scale so the largest move is modest.
      let gmax = 0;
      for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(q[i]));
      const scale = gmax > 0 ? Math.min(1, 0.1 / gmax) * 1 : 1;
      for (let i = 0; i < n; i++) q[i] *= scale;
    }
    for (let k = 0; k < S.length; k++) {
      let b = 0;
      for (let i = 0; i < n; i++) if (free[i]) b += Y[k][i] * q[i];
      b *= rho[k];
      for (let i = 0; i < n; i++) if (free[i]) q[i] += S[k][i] * (alpha[k] - b);
    }
    const d = new Float64Array(n);
    let slope = 0;
    for (let i = 0; i < n; i++) {
      d[i] = free[i] ? -q[i] : 0;
      slope += d[i] * g[i];
    }
    if (!(slope < 0)) {
      // Not a descent direction (curvature information went stale): restart with steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      let gmax = 0;
      for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(free[i] ? g[i] : 0));
      const scale = gmax > 0 ? Math.min(1, 0.1 / gmax) : 1;
      slope = 0;
      for (let i = 0; i < n; i++) {
        d[i] = free[i] ? -g[i] * scale : 0;
        slope += d[i] * g[i];
      }
      if (!(slope < 0)) break;
    }

    // Backtracking line search along the projected path.
    let step = 1;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let fNew = NaN;
    let accepted = false;
    for (let ls = 0; ls < 30; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      project(xNew);
      let dec = 0;
      for (let i = 0; i < n; i++) dec += g[i] * (xNew[i] - x[i]);
      fNew = fg(xNew, gNew);
      evals++;
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * dec) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
      sy += s[i] * y[i];
    }
    const fOld = f;
    x.set(xNew);
    g = gNew;
    f = fNew;
    if (sy > 1e-12) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    if (Math.abs(fOld - f) <= ftol * Math.max(1, Math.abs(f))) {
      iter++;
      break;
    }
  }
  return { x, f, iterations: iter, evaluations: evals };
}
