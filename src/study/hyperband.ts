/**
 * `Strategy: Hyperband` in sagetune's engine: the study's side of the pure rules in core/hyperband.ts.
 *
 * - Settings: `MinResource` (default 1) and `MaxResource` from `StrategyConfig.HyperbandStrategyConfig`, the latter
 *   inferred from the static hyperparameters as SageMaker does when absent; `Sagetune.Hyperband.ReductionFactor`
 *   (default 3); `Sagetune.Hyperband.Proposals` (default 'Bayesian'; 'Random' proposes uniformly at random: classic
 *   Hyperband, a baseline for benchmarks).
 * - Each new trial draws a bracket (recorded on it), every bracket equally likely (core/hyperband-brackets.ts);
 *   each tick judges the running trials that reached new rungs (recorded too, so that a rung judges a trial once,
 *   against the values known then) and stops those cut or at `MaxResource`. A trial stopped at `MaxResource` is
 *   complete: it counts as Completed.
 * - With Proposals 'Bayesian', new configurations come from one GP over (configuration, resource)
 *   (core/multifidelity.ts, {@link hyperbandProposals}): every trial enters with its values at the rung levels it
 *   reached and at `MaxResource`, running ones as pending; expected improvement is taken at `MaxResource`. (Before
 *   issue 15's measurements the model was one rung's, as BOHB's: the highest rung with enough values, trials cut
 *   below it entered at their last value, which on learning curves that cross told the model that the slow, better
 *   learners were bad; {@link hyperbandHistory} still gives that view to the Random proposals, which only need the
 *   configurations already seen.)
 */
import { bracketCount, hyperbandStep, rungLevels, valueAt, type HyperbandDecision, type HyperbandSettings } from '../core/hyperband';
import type { HistoryTrial, HyperParameters, ObjectiveType, OptimizerHistory, ParameterRanges } from '../core/types';
import { suggestMultiFidelity, type MultiFidelityTrial } from '../core/multifidelity';
import { HYPERBAND_DEFAULTS, inferMaxResource } from './constants';
import type { TuningRequest } from './request';
import { objectiveType } from './study';
import type { Study, Trial } from './types';
import { drawFromWeights, equalBracketWeights } from '../core/hyperband-brackets';


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

/** The rung the optimizer models: the highest level (MaxResource included) with at least `minimum` values. */
export function modelResource(study: Study, settings: HyperbandSettings, minimum: number): number {
  const levels = [...rungLevels(settings), settings.maxResource];
  let chosen = levels[0];
  for (const level of levels) {
    const count = study.trials.filter((t) => valueAt(reportedValues(t), level) !== undefined).length;
    if (count >= minimum) chosen = level;
  }
  return chosen;
}

/**
 * The optimizer's view of a Hyperband study (see the module documentation), with warm-start observations first.
 * `minimum`: how many values a rung needs to be modelled (at least the number of hyperparameters plus one).
 */
export function hyperbandHistory(study: Study, settings: HyperbandSettings, minimum: number): OptimizerHistory {
  const resource = modelResource(study, settings, minimum);
  const trials: HistoryTrial[] = (study.warmStartTrials ?? []).map((w, i) => ({ id: `warm-${i}`, hyperParameters: w.hyperParameters, state: 'completed' as const, value: w.objective }));
  for (const t of [...study.trials].sort((a, b) => a.number - b.number)) {
    const values = reportedValues(t);
    const atRung = valueAt(values, resource);
    const base = { id: t.suggestionId, hyperParameters: t.hyperParameters };
    if (atRung !== undefined) trials.push({ ...base, state: 'completed', value: atRung });
    else if (t.status === 'InProgress') trials.push({ ...base, state: 'pending' });
    else if (values.length > 0) trials.push({ ...base, state: 'completed', value: values[values.length - 1] });
    else if (typeof t.objective === 'number' && Number.isFinite(t.objective)) trials.push({ ...base, state: 'completed', value: t.objective });
    else trials.push({ ...base, state: 'failed', ...(t.failureReason ? { reason: t.failureReason } : {}) });
  }
  return { trials, ...(study.optimizerState ? { modelState: study.optimizerState } : {}) };
}

/** How many brackets a study has (for the report). */
export function hyperbandBrackets(settings: HyperbandSettings): number {
  return bracketCount(settings);
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
