/**
 * Gaussian-process Bayesian optimization.
 *
 * 1. Initial design: scrambled Sobol points until `initialPoints` trials exist (and while fewer than two
 *    observations have completed).
 * 2. Model: the completed observations, objective transformed ({@link transformOutputs}), a Matérn-5/2 ARD GP
 *    with MAP hyperparameters (warm-started from the previous fit kept in the model state). Failed trials are
 *    left out of the fit: they cannot poison the model.
 * 3. Pending trials (asked but not yet told) and the earlier suggestions of the same batch are fantasized at the
 *    posterior mean (kriging believer) and the incumbent moves to the fantasy when it is better, so that a batch
 *    spreads out instead of piling onto one optimum. Failed trials are fantasized at no better than the incumbent:
 *    they carry no information about the objective's value, but the optimizer should not keep returning to a
 *    configuration (or its close neighbours) that failed.
 * 4. Each suggestion maximizes log expected improvement over the mixed space ({@link optimizeAcquisition}),
 *    never at a configuration already suggested or observed. The incumbent is the best posterior mean at an
 *    observation (equal to the best observation when the objective is noise-free).
 * 5. Parallel suggestions: of each wave of q concurrent trials (q = pending + asked), one searches the whole space
 *    and the others search near the best observations only (`scope: 'local'`: within a trust region of half-width
 *    `LOCAL_RADIUS` (acquisition.ts) of each continuous range around an incumbent), so that the extra points of a
 *    batch refine the best basin instead of exploring as a lone point would. The global one is the first model
 *    point of an ask made with nothing pending, or else every q-th trial; every point is global while the best
 *    observation is older than {@link STALL_WAVES} waves. With q = 1 (sequential) every point is
 *    global. Measured on the benchmark suite (bench/, 60 seeds, batches of 4): median Branin regret 2.8e-6 ->
 *    4.1e-7, Levy 1.40 -> 0.85; the mixed problem 8.2e-8 -> 1.5e-7 (sequential: 9.3e-7, 0.51, 1.1e-7). Local points
 *    are fantasized at no better than the incumbent (a global one at its posterior mean).
 * 6. An ask of more than `modelPointsPerAsk` (100) suggestions fills the rest with Sobol points, continuing the
 *    initial design's sequence: the model's cost grows with the cube of the ask.
 */
import { optimizeAcquisition } from '../acquisition';
import { GP_BOUNDS, GaussianProcess, defaultTheta, fitHyperparameters } from '../gp';
import { Rng, hashSeed } from '../rng';
import { SobolSequence } from '../sobol';
import type { SearchSpace } from '../space';
import { transformOutputs, type OutputTransform } from '../transforms';
import type { HyperParameters } from '../types';
import { drawDistinct } from './random';
import type { EncodedTrial, Strategy, StrategyContext, StrategyResult } from './strategy';

export const BAYESIAN_DEFAULTS = {
  initialPoints: (d: number): number => Math.max(5, Math.min(2 * d + 1, 20)),
  candidates: 2048,
  localSearchStarts: 5,
  maxFitPoints: 1000,
  /** At most this many observations enter the hyperparameter fit (each evaluation costs O(n^3)). */
  maxHyperFitPoints: 100,
  /** Floating-point operations allowed for scoring candidates (each costs O(n^2)); caps the count at large n. */
  candidateFlops: 2.5e7,
  /**
   * Most suggestions of one ask that the model places; the rest of a larger ask continue the scrambled Sobol
   * sequence of the initial design. Each model point conditions the GP on the ones before it, so an ask costs about
   * the cube of its size: 5-d, 12 observations, one ask of 100 took 1.1 s, of 200 5.4 s, of 300 15.8 s.
   */
  modelPointsPerAsk: 100,
  /**
   * Fitted noise variance (of the standardized, transformed objective) above which the objective counts as noisy and
   * the model is refitted without the power transform ({@link fitModel}). The noise-free benchmark functions fit 1e-9
   * (the lower bound) at most asks, Ackley up to 2e-2 but unwarped anyway (its exponent is 1); Levy and Rosenbrock fit
   * 1e-5 to 1e-3 at some asks (their fine structure taken for noise); the noisy ones (sd 0.1% to 1% of the range) 2e-3
   * to the upper bound. A threshold of 1e-5 helped mixed with 0.1% noise (0.0143 -> 0.0080) but made Levy 2.8x worse at
   * the median (bench/results/noisy-dev-unwarp). Measured on the noisy problems (bench/, seeds 100-119, median true
   * regret at the best reported trial, warped -> refitted unwarped): Branin noise 0.1% 0.065 -> 0.041, 1% 0.62 -> 0.37,
   * mixed 0.1% 0.031 -> 0.011, 1% 0.81 -> 0.56, Hartmann6 1% 0.128 -> 0.087, Hartmann6 0.1% unchanged (not warped);
   * branin_hetero (noise growing with x1) 0.24 -> 0.62, where one homoscedastic noise level fits neither region.
   */
  noisyVariance: 1e-3,
} as const;

/**
 * When the best observation is older than this many waves of concurrent trials (rounded up), the local points have
 * stopped paying off: every point of the next wave searches the whole space (a kriging believer batch) until one
 * improves on the best. Only parallel suggestions are affected; a sequential search is global anyway. Measured on
 * seeds outside the report's (batches of 4, mean log10 regret, paired by seed): Levy, 200 seeds, -0.70 -> -0.96
 * (median 0.30 -> 0.14; sequential: 0.091); over 60 seeds, Levy -0.74 -> -0.98, the mixed problem -6.91 -> -7.17,
 * Branin -6.75 -> -6.31 (median 2.3e-7 -> 3.3e-7: all global points spread over its three minima), Ackley 0.27 ->
 * 0.34, Hartmann3, Hartmann6 and Rosenbrock within noise. One wave (4 trials) instead of 1.5 did as well on Levy and
 * cost Branin more (-6.11); two waves did nothing.
 */
export const STALL_WAVES = 1.5;

export class BayesianStrategy implements Strategy {
  suggest(ctx: StrategyContext): StrategyResult {
    const { space, rng, trials } = ctx;
    const D = space.size;
    const opts = ctx.bayesian;
    const nInit = opts.initialPoints ?? BAYESIAN_DEFAULTS.initialPoints(D);
    const completed = trials.filter((t) => t.state === 'completed' && Number.isFinite(t.y));
    const taken = new Set(ctx.seen);
    const points: HyperParameters[] = [];

    const distinctY = new Set(completed.map((t) => t.y)).size;
    const addSobolPoint = sobolDesign(space, ctx.seed, trials.length, taken, points, rng);
    // Design points only: the model state passes through unchanged.
    const designOnly = (): StrategyResult => ({ points, modelState: ctx.modelState ? { ...ctx.modelState } : undefined });
    while (points.length < ctx.n && (trials.length + points.length < nInit || completed.length < 2 || distinctY < 2)) {
      if (!addSobolPoint()) return designOnly();
    }
    if (points.length === ctx.n) return designOnly();

    // Model.
    const { used, X, gp, theta } = fitModel(space, completed, opts, rng, ctx.modelState);
    // Incumbent: the best posterior mean at an observation, not the best observation. They agree for a noise-free
    // objective; with a fitted noise the best observation is often a lucky draw below the smoothed surface, and
    // improving on it looks so unlikely near the data that expected improvement only rewards the far corners
    // (Picheny et al. 2013, "plug-in" EI).
    const means = gp.meansAtData();
    let best = Infinity;
    for (let i = 0; i < means.length; i++) best = Math.min(best, means[i]);
    let pending = 0;
    for (const t of trials) {
      if (t.state === 'failed') gp.addFantasy(t.x, best);
      else if (t.state === 'pending') {
        best = Math.min(best, gp.addFantasy(t.x));
        pending++;
      }
    }
    for (const hp of points) best = Math.min(best, gp.addFantasy(space.encode(hp)));
    const order = used.map((_, i) => i).sort((a, b) => means[a] - means[b]);
    const incumbents = order.slice(0, 5).map((i) => X[i]);
    const n = gp.size;
    const candidates = Math.max(
      256,
      Math.min(opts.candidates ?? BAYESIAN_DEFAULTS.candidates, Math.floor(BAYESIAN_DEFAULTS.candidateFlops / (n * n + 1))),
    );
    const wave = pending + ctx.n;
    const stalled = sinceBest(completed) >= Math.ceil(STALL_WAVES * wave);
    const firstModelPoint = points.length;
    const modelEnd = Math.min(ctx.n, firstModelPoint + BAYESIAN_DEFAULTS.modelPointsPerAsk);
    while (points.length < modelEnd) {
      const global =
        stalled || (points.length === firstModelPoint && pending === 0) || (trials.length + points.length) % wave === 0;
      const res = optimizeAcquisition(gp, space, taken, rng, {
        candidates,
        localSearchStarts: opts.localSearchStarts ?? BAYESIAN_DEFAULTS.localSearchStarts,
        incumbents,
        best,
        scope: global ? 'global' : 'local',
      });
      let hp: HyperParameters | undefined;
      if (res) {
        hp = space.decode(res.x);
      } else {
        [hp] = drawDistinct(space, taken, 1, rng, () => space.fromUnit(Array.from({ length: D }, () => rng.next())));
      }
      if (!hp) break;
      taken.add(space.key(hp));
      points.push(hp);
      if (points.length < modelEnd) {
        // A local point is fantasized at no better than the incumbent, so the next local points keep refining
        // around the incumbent (60 seeds, batches of 4: Rosenbrock 26 -> 19) instead of chasing an imagined one.
        if (global) best = Math.min(best, gp.addFantasy(space.encode(hp)));
        else gp.addFantasy(space.encode(hp), best);
      }
    }
    while (points.length < ctx.n && addSobolPoint());
    return { points, modelState: { theta: Array.from(theta) } };
  }

  /**
   * The model's posterior mean of the objective (oriented for minimization, on the objective's scale) at each
   * completed trial the model is fitted on, by index in `ctx.trials`. Uses the hyperparameters kept in the model
   * state as they are (fitting them only when there are none), so it is cheap and leaves the model state alone.
   * Undefined with fewer than two distinct completed values (no model).
   */
  recommend(ctx: StrategyContext): Map<number, number> | undefined {
    const completed = ctx.trials.filter((t) => t.state === 'completed' && Number.isFinite(t.y));
    if (completed.length < 2 || new Set(completed.map((t) => t.y)).size < 2) return undefined;
    const { used, gp, transform } = fitModel(ctx.space, completed, ctx.bayesian, ctx.rng, ctx.modelState, true);
    const means = gp.meansAtData();
    const index = new Map(ctx.trials.map((t, i) => [t, i]));
    return new Map(used.map((t, i) => [index.get(t) as number, transform.inverse(means[i])]));
  }
}

/** The model of one ask: the observations it is fitted on, their transform, and the GP with MAP hyperparameters. */
interface Model {
  readonly used: EncodedTrial[];
  readonly X: Float64Array[];
  readonly transform: OutputTransform;
  readonly theta: Float64Array;
  readonly gp: GaussianProcess;
}

/**
 * Fits the GP to the completed trials (at most `maxFitPoints` of them). With `fixedTheta` (a query that must not
 * move the model, such as {@link BayesianStrategy.recommend}) the kept hyperparameters are used as they are.
 */
function fitModel(
  space: StrategyContext['space'],
  completed: EncodedTrial[],
  opts: StrategyContext['bayesian'],
  rng: Rng,
  modelState: StrategyContext['modelState'],
  fixedTheta = false,
): Model {
  const D = space.size;
  const used = selectFitPoints(completed, opts.maxFitPoints ?? BAYESIAN_DEFAULTS.maxFitPoints, rng);
  let transform = transformOutputs(used.map((t) => t.y as number));
  const { z } = transform;
  const categorical = Uint8Array.from(space.dims, (d) => (d.kind === 'categorical' ? 1 : 0));
  const X = used.map((t) => t.x);
  const fitIdx = subsetForFit(z, BAYESIAN_DEFAULTS.maxHyperFitPoints, rng);
  /** The observations the hyperparameters are fitted on (all of them, or the subset `fitIdx`), for values `y`. */
  const fitInputsOf = (y: Float64Array) => (fitIdx ? { X: fitIdx.map((i) => X[i]), y: Float64Array.from(fitIdx, (i) => y[i]), categorical } : { X, y, categorical });
  // Starts of the hyperparameter fit (the likelihood is multimodal, and with few observations a fit warm-started
  // alone keeps a poor optimum for many trials): the previous fit when there is one, the prior's mode, and numeric
  // lengthscales of half their cap; cold, short lengthscales too, unless the data are large enough to have been
  // subsampled. Measured (60 seeds, mean log10 regret): restarting from the mode at every ask, not every tenth
  // trial, took Levy from -1.03 to -1.24 sequential and -0.51 to -0.73 in batches of 4, Ackley sequential from 0.42
  // to 0.26; the half-cap start then Levy in batches of 4 to -0.84 (median 0.21 -> 0.13) and Ackley sequential to
  // 0.10. Past maxHyperFitPoints observations a warm fit (on a subsample) starts from the previous fit alone: with
  // that much data the optimum moves little from one ask to the next, and each start costs about 40 likelihood
  // evaluations of O(100^3). Measured (sequential, budget 200, seeds 0-19, against all three starts): Hartmann6
  // regret after 150 and 200 evaluations within 0.01 log10 (SE 0.02), Ackley -0.20 (SE 0.12) and +0.02 (SE 0.05);
  // ask(1) past 100 observations 341 -> 173 ms (Hartmann6) and 366 -> 148 ms (Ackley). A cold fit keeps its two
  // starts: the mode alone, for a caller that never passes the model state back, cost Ackley +0.32 (SE 0.15) after
  // 150 evaluations and Hartmann6 +0.05 (SE 0.03) (10 seeds).
  const starts: Float64Array[] = [];
  const prev = modelState?.theta;
  const warm = Array.isArray(prev) && prev.length === D + 2 && prev.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (warm) starts.push(Float64Array.from(prev as number[]));
  if (!warm || !fitIdx) {
    starts.push(defaultTheta(D, categorical), withNumericLengthscale(D, categorical, GP_BOUNDS.maxNumericLengthscale(D) / 2));
    if (!warm && !fitIdx) starts.push(withNumericLengthscale(D, categorical, 0.2));
  }
  let theta = fixedTheta && warm ? Float64Array.from(prev as number[]) : fitHyperparameters(fitInputsOf(z), { starts });
  let gp = new GaussianProcess({ X, y: z, categorical }, theta);
  // A noisy objective: the power transform stretches the best values apart, and the best values of a noisy
  // objective are its luckiest draws, so the warped model mistakes their noise for structure near the optimum (a
  // lucky draw becomes a deep, narrow dip that expected improvement keeps probing). When the fitted noise says the
  // objective is noisy, the model is refitted on the unwarped values (shifted, scaled and standardized only), where
  // the noise is as large near the optimum as elsewhere.
  if (gp.noise > BAYESIAN_DEFAULTS.noisyVariance && transform.lambda !== undefined && transform.lambda < 1) {
    transform = transformOutputs(used.map((t) => t.y as number), { lambda: 1 });
    if (!fixedTheta) theta = fitHyperparameters(fitInputsOf(transform.z), { starts: [theta, ...starts] });
    gp = new GaussianProcess({ X, y: transform.z, categorical }, theta);
  }
  return { used, X, transform, theta, gp };
}

/**
 * Completed trials (in the order they were created) since the best one: how long the search has gone without
 * improving. 0 when the latest completed trial is the best.
 */
function sinceBest(completed: readonly EncodedTrial[]): number {
  let best = 0;
  for (let i = 1; i < completed.length; i++) if ((completed[i].y as number) < (completed[best].y as number)) best = i;
  return completed.length === 0 ? 0 : completed.length - 1 - best;
}

/**
 * The initial design: Sobol point i for the i-th trial (so the design is the same however it is batched), scrambled
 * by the seed. The returned function adds the next point not yet `taken` to `points` (and to `taken`); false when the
 * space has none left.
 */
export function sobolDesign(space: SearchSpace, seed: number, firstIndex: number, taken: Set<string>, points: HyperParameters[], rng: Rng): () => boolean {
  const sobol = new SobolSequence(space.size, new Rng(hashSeed(seed, 0x5083)));
  let index = firstIndex;
  return () => {
    const [hp] = drawDistinct(space, taken, 1, rng, () => space.fromUnit(sobol.point(index++)));
    if (!hp) return false;
    taken.add(space.key(hp));
    points.push(hp);
    return true;
  };
}

/** The prior's mode with every numeric (non-categorical) lengthscale set to `ell`. */
export function withNumericLengthscale(D: number, categorical: Uint8Array, ell: number): Float64Array {
  const theta = defaultTheta(D, categorical);
  for (let d = 0; d < D; d++) if (!categorical[d]) theta[d] = Math.log(ell);
  return theta;
}

/** All completed trials, or when there are more than `max`, the best half of `max` plus a random spread of the rest. */
function selectFitPoints(completed: EncodedTrial[], max: number, rng: Rng): EncodedTrial[] {
  if (completed.length <= max) return completed;
  const sorted = completed.slice().sort((a, b) => (a.y as number) - (b.y as number));
  const keep = sorted.slice(0, Math.floor(max / 2));
  const rest = rng.shuffle(sorted.slice(Math.floor(max / 2)));
  return keep.concat(rest.slice(0, max - keep.length));
}

/** Indices of the observations used to fit hyperparameters when there are more than `max`: the best third, the rest at random. */
export function subsetForFit(z: Float64Array, max: number, rng: Rng): number[] | undefined {
  if (z.length <= max) return undefined;
  const order = Array.from(z.keys()).sort((a, b) => z[a] - z[b]);
  const best = order.slice(0, Math.floor(max / 3));
  const rest = rng.shuffle(order.slice(Math.floor(max / 3)));
  return best.concat(rest.slice(0, max - best.length));
}
