/**
 * `Strategy: Hyperband` in sagetune's engine: the study's side of the pure rules in core/hyperband.ts.
 *
 * - Settings: `MinResource` (default 1) and `MaxResource` from `StrategyConfig.HyperbandStrategyConfig`, the latter
 *   inferred from the static hyperparameters as SageMaker does when absent; `Sagetune.Hyperband.ReductionFactor`
 *   (default 3); `Sagetune.Hyperband.Proposals` (default 'Bayesian'; 'Random' proposes uniformly at random: classic
 *   Hyperband, a baseline for benchmarks).
 * - Each new trial draws a bracket (recorded on it), every bracket equally likely (equalBracketWeights in core/hyperband.ts);
 *   each tick judges the running trials that reached new rungs (recorded too, so that a rung judges a trial once,
 *   against the values known then) and stops those cut or at `MaxResource`. A trial stopped at `MaxResource` is
 *   complete: it counts as Completed.
 * - With Proposals 'Bayesian', new configurations come from one GP over (configuration, resource)
 *   (core/multifidelity.ts, {@link hyperbandProposals}): every trial enters with its values at the rung levels it
 *   reached and at `MaxResource`, running ones as pending; expected improvement is taken at `MaxResource`. (Before
 *   issue 15's measurements the model was one rung's, as BOHB's: the highest rung with enough values, trials cut
 *   below it entered at their last value, which on learning curves that cross told the model that the slow, better
 *   learners were bad.) With Proposals 'Random' the random strategy proposes from the study's ordinary history: it
 *   needs only the configurations already seen.
 */
import { drawFromWeights, equalBracketWeights, hyperbandStep, rungLevels, valueAt, type HyperbandDecision, type HyperbandSettings } from '../core/hyperband';
import type { HyperParameters, ObjectiveType, ParameterRanges } from '../core/types';
import { suggestMultiFidelity, type MultiFidelityTrial } from '../core/multifidelity';
import { HYPERBAND_DEFAULTS, inferMaxResource } from './constants';
import type { TuningRequest } from './request';
import { objectiveType } from './study';
import type { Study, Trial } from './types';

/**
 * The settings of the Hyperband that sagetune's engine runs for a study: undefined when its strategy is not Hyperband
 * or SageMaker's own tuning job runs it (`Engine: native`: its rungs are SageMaker's, not these).
 */
export function engineHyperbandSettings(request: TuningRequest): HyperbandSettings | undefined {
  // The strategy first: a report reads the requests of study files, whose other fields it does not assume.
  if (request.HyperParameterTuningJobConfig.Strategy !== 'Hyperband' || request.Sagetune.Engine === 'native') return undefined;
  return hyperbandSettings(request);
}

/** The Hyperband settings of a request, or undefined when its strategy is not Hyperband. */
export function hyperbandSettings(request: TuningRequest): HyperbandSettings | undefined {
  const config = request.HyperParameterTuningJobConfig;
  if (config.Strategy !== 'Hyperband') return undefined;
  const hb = config.StrategyConfig?.HyperbandStrategyConfig;
  const maxResource = hb?.MaxResource ?? inferMaxResource(request.TrainingJobDefinition?.StaticHyperParameters as Record<string, unknown> | undefined)?.value;
  // The request was validated: MaxResource is given or inferable.
  if (maxResource === undefined) throw new Error('Hyperband without MaxResource: the request was not validated');
  return {
    minResource: hb?.MinResource ?? 1,
    maxResource,
    reductionFactor: request.Sagetune.Hyperband?.ReductionFactor ?? HYPERBAND_DEFAULTS.ReductionFactor,
  };
}

/** The finite objective values a trial reported, in order: its resource used is their count. */
export function reportedValues(trial: Trial): number[] {
  return (trial.objectiveSeries ?? []).map((p) => p.value).filter(Number.isFinite);
}

/** The bracket of a new trial of this study. */
export function newTrialBracket(study: Study, settings: HyperbandSettings, trialNumber: number): number {
  const seed = study.request.HyperParameterTuningJobConfig.RandomSeed ?? 0;
  return drawFromWeights(equalBracketWeights(settings), seed, trialNumber);
}

/** This tick's decisions for the running trials (continue past a rung, stop at a rung, stop at MaxResource). */
export function hyperbandDecisions(study: Study, settings: HyperbandSettings): HyperbandDecision[] {
  const views = study.trials.map((t) => ({
    number: t.number,
    bracket: t.hyperband?.bracket ?? 0,
    values: reportedValues(t),
    passed: t.hyperband?.passed ?? 0,
    running: t.status === 'InProgress' && t.launchedAt !== undefined && t.stopRequestedAt === undefined,
  }));
  return hyperbandStep(views, settings, objectiveType(study));
}

/** Applies the decisions to the study's trials (recorded before anything is stopped). */
export function applyHyperbandDecisions(study: Study, decisions: readonly HyperbandDecision[], at: string): void {
  for (const d of decisions) {
    const trial = study.trials.find((t) => t.number === d.number);
    if (!trial) continue;
    trial.hyperband = { ...(trial.hyperband ?? { bracket: 0 }), passed: d.passed };
    if (d.kind === 'continue') continue;
    trial.stopRequestedAt = at;
    trial.stopReason = d.reason;
    if (d.kind === 'max') trial.hyperband.reachedMax = true;
  }
}

/** The values a trial reported at the rung levels and at MaxResource: `[resource, value]` pairs. */
export function rungObservations(values: readonly number[], settings: HyperbandSettings): [number, number][] {
  const out: [number, number][] = [];
  for (const level of [...rungLevels(settings), settings.maxResource]) {
    const v = valueAt(values, level);
    if (v !== undefined) out.push([level, v]);
  }
  return out;
}

/**
 * New configurations from the model over (configuration, resource) (core/multifidelity.ts): every trial with its
 * values at the rung levels it reached, warm-start observations at MaxResource.
 */
export function hyperbandProposals(
  study: Study,
  settings: HyperbandSettings,
  ranges: ParameterRanges,
  type: ObjectiveType,
  n: number,
): { suggestions: { id: string; hyperParameters: HyperParameters }[]; modelState?: Record<string, unknown> } {
  const trials: MultiFidelityTrial[] = (study.warmStartTrials ?? []).map((w) => ({
    hyperParameters: w.hyperParameters,
    observations: Number.isFinite(w.objective) ? [[settings.maxResource, w.objective]] : [],
    state: 'ended' as const,
  }));
  for (const t of [...study.trials].sort((a, b) => a.number - b.number)) {
    const values = reportedValues(t);
    const observations = rungObservations(values, settings);
    const state = t.status === 'InProgress' ? 'running' : t.status === 'Failed' && observations.length === 0 ? 'failed' : 'ended';
    trials.push({ hyperParameters: t.hyperParameters, observations, state });
  }
  const seed = study.request.HyperParameterTuningJobConfig.RandomSeed ?? 0;
  const res = suggestMultiFidelity({ ranges, type, seed, minResource: settings.minResource, maxResource: settings.maxResource }, trials, n, study.optimizerState);
  return {
    suggestions: res.points.map((hp, i) => ({ id: `hb-${study.trials.length + 1 + i}`, hyperParameters: hp })),
    ...(res.modelState ? { modelState: res.modelState } : {}),
  };
}
