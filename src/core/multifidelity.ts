/**
 * Proposals for Hyperband from one Gaussian process over (configuration, resource): every value a trial reported at
 * a rung level (and at MaxResource) is an observation at its configuration plus one more coordinate, the resource on
 * a log scale mapped to [0, 1] (MinResource 0, MaxResource 1). Expected improvement is maximized at the maximal
 * resource (the coordinate fixed at 1), over the best posterior mean at MaxResource of the configurations seen. So a
 * trial cut at an early rung still informs the model, as far as the fitted resource lengthscale says values at that
 * rung predict values at MaxResource, and a rung that ranks configurations badly (a short lengthscale) is
 * discounted instead of modelled as the truth. (Joint models of this kind: Swersky et al., "Freeze-Thaw Bayesian
 * Optimization", 2014; Klein et al., "Model-based Asynchronous Hyperparameter and Neural Architecture Search"
 * (MOBSTER), 2020.)
 *
 * The initial design is the Bayesian strategy's (the same scrambled Sobol points for the same seed). Pending trials
 * are fantasized at their posterior mean at MaxResource, failed ones at no better than the incumbent, as the
 * Bayesian strategy does. Pure: the randomness comes from the seed and the number of trials.
 */
import { optimizeAcquisition } from './acquisition';
import { GP_BOUNDS, GaussianProcess, defaultTheta, fitHyperparameters, type Prediction } from './gp';
import { Rng, hashSeed } from './rng';
import { SearchSpace } from './space';
import { BAYESIAN_DEFAULTS, sobolDesign, subsetForFit, withNumericLengthscale } from './strategies/bayesian';
import { drawDistinct } from './strategies/random';
import { transformOutputs } from './transforms';
import type { HyperParameters, ObjectiveType, ParameterRanges } from './types';

/** What the model knows of one trial. */
export interface MultiFidelityTrial {
  readonly hyperParameters: HyperParameters;
  /** `[resource, value]` pairs: the trial's value after `resource` epochs (finite values only). */
  readonly observations: readonly (readonly [number, number])[];
  /** Running trials are fantasized; failed ones are kept away from; ended ones count by their observations. */
  readonly state: 'running' | 'ended' | 'failed';
}

export interface MultiFidelityConfig {
  readonly ranges: ParameterRanges;
  readonly type: ObjectiveType;
  readonly seed: number;
  readonly minResource: number;
  readonly maxResource: number;
  /** Most observations the hyperparameter fit uses (the best third and a seeded random rest). @default {@link MULTI_FIDELITY_DEFAULTS} */
  readonly maxHyperFitPoints?: number;
}

export const MULTI_FIDELITY_DEFAULTS = {
  /** Past this many observations the hyperparameters are fitted on a subset (each likelihood evaluation is O(n^3)). */
  maxHyperFitPoints: 1000,
} as const;

export interface MultiFidelityResult {
  readonly points: HyperParameters[];
  readonly modelState?: Record<string, unknown>;
}

/** The resource coordinate: log(r / min) / log(max / min), clamped to [0, 1]. */
export function resourceCoordinate(resource: number, minResource: number, maxResource: number): number {
  if (maxResource <= minResource) return 1;
  const s = Math.log(resource / minResource) / Math.log(maxResource / minResource);
  return Math.min(1, Math.max(0, s));
}

/** A GP over (configuration, resource) seen as a GP over configurations at MaxResource (the last coordinate 1). */
class AtMaxResource extends GaussianProcess {
  private lift(x: ArrayLike<number>): Float64Array {
    if (x.length === this.D) return Float64Array.from(x as ArrayLike<number>);
    const out = new Float64Array(this.D);
    for (let i = 0; i < x.length; i++) out[i] = x[i];
    out[this.D - 1] = 1;
    return out;
  }
  override predict(x: ArrayLike<number>): Prediction {
    return super.predict(this.lift(x));
  }
  override predictWithGradient(x: ArrayLike<number>, dims: readonly number[]): Prediction & { dMu: Float64Array; dSigma: Float64Array } {
    return super.predictWithGradient(this.lift(x), dims);
  }
  override addFantasy(x: Float64Array, floor = -Infinity): number {
    return super.addFantasy(this.lift(x), floor);
  }
}

/** Up to `n` new configurations (see the module documentation). */
export function suggestMultiFidelity(
  config: MultiFidelityConfig,
  trials: readonly MultiFidelityTrial[],
  n: number,
  modelState?: Readonly<Record<string, unknown>>,
): MultiFidelityResult {
  const space = SearchSpace.fromRanges(config.ranges, 'Bayesian');
  const D = space.size;
  const sign = config.type === 'Maximize' ? -1 : 1;
  const rng = new Rng(hashSeed(config.seed, trials.length, n));
  const encoded = trials.map((t) => {
    const hp = space.normalize(t.hyperParameters);
    return { ...t, x: space.encode(hp), key: space.key(hp) };
  });
  const taken = new Set(encoded.map((t) => t.key));
  const points: HyperParameters[] = [];
  const rows: Float64Array[] = [];
  const ys: number[] = [];
  for (const t of encoded) {
    for (const [r, v] of t.observations) {
      if (!Number.isFinite(v)) continue;
      const row = new Float64Array(D + 1);
      row.set(t.x);
      row[D] = resourceCoordinate(r, config.minResource, config.maxResource);
      rows.push(row);
      ys.push(sign * v);
    }
  }

  // Initial design: the Bayesian strategy's Sobol points (point i for the i-th trial).
  const nInit = BAYESIAN_DEFAULTS.initialPoints(D);
  const addSobolPoint = sobolDesign(space, config.seed, trials.length, taken, points, rng);
  const design = (): MultiFidelityResult => ({ points, ...(modelState ? { modelState: { ...modelState } } : {}) });
  while (points.length < n && (trials.length + points.length < nInit || ys.length < 2 || new Set(ys).size < 2)) {
    if (!addSobolPoint()) return design();
  }
  if (points.length === n) return design();

  // Model over (configuration, resource).
  const categorical = Uint8Array.from([...space.dims.map((d) => (d.kind === 'categorical' ? 1 : 0)), 0]);
  let transform = transformOutputs(ys);
  const starts: Float64Array[] = [];
  const prev = modelState?.theta;
  if (Array.isArray(prev) && prev.length === D + 3 && prev.every((v) => typeof v === 'number' && Number.isFinite(v))) starts.push(Float64Array.from(prev as number[]));
  starts.push(defaultTheta(D + 1, categorical), withNumericLengthscale(D + 1, categorical, GP_BOUNDS.maxNumericLengthscale(D + 1) / 2));
  const fitIdx = subsetForFit(transform.z, config.maxHyperFitPoints ?? MULTI_FIDELITY_DEFAULTS.maxHyperFitPoints, rng);
  const fitInputs = (z: Float64Array) => (fitIdx ? { X: fitIdx.map((i) => rows[i]), y: Float64Array.from(fitIdx, (i) => z[i]), categorical } : { X: rows, y: z, categorical });
  let theta = fitHyperparameters(fitInputs(transform.z), { starts });
  let gp = new AtMaxResource({ X: rows, y: transform.z, categorical }, theta);
  if (gp.noise > BAYESIAN_DEFAULTS.noisyVariance && transform.lambda !== undefined && transform.lambda < 1) {
    transform = transformOutputs(ys, { lambda: 1 });
    theta = fitHyperparameters(fitInputs(transform.z), { starts: [theta, ...starts] });
    gp = new AtMaxResource({ X: rows, y: transform.z, categorical }, theta);
  }

  // Incumbent: the best posterior mean at MaxResource among the configurations with observations.
  const observed = encoded.filter((t) => t.observations.length > 0);
  const means = observed.map((t) => gp.predict(t.x).mu);
  let best = Infinity;
  for (const m of means) best = Math.min(best, m);
  const incumbents = observed
    .map((t, i) => ({ x: t.x, m: means[i] }))
    .sort((a, b) => a.m - b.m)
    .slice(0, 5)
    .map((o) => o.x);
  for (const t of encoded) {
    if (t.state === 'failed') gp.addFantasy(t.x, best);
    else if (t.state === 'running') best = Math.min(best, gp.addFantasy(t.x));
  }
  const size = gp.size;
  const candidates = Math.max(256, Math.min(BAYESIAN_DEFAULTS.candidates, Math.floor(BAYESIAN_DEFAULTS.candidateFlops / (size * size + 1))));
  while (points.length < n) {
    const res = optimizeAcquisition(gp, space, taken, rng, { candidates, localSearchStarts: BAYESIAN_DEFAULTS.localSearchStarts, incumbents, best, scope: 'global' });
    let hp: HyperParameters | undefined;
    if (res) hp = space.decode(res.x);
    else [hp] = drawDistinct(space, taken, 1, rng, () => space.fromUnit(Array.from({ length: D }, () => rng.next())));
    if (!hp) break;
    taken.add(space.key(hp));
    points.push(hp);
    if (points.length < n) best = Math.min(best, gp.addFantasy(space.encode(hp)));
  }
  return { points, modelState: { theta: Array.from(theta) } };
}
