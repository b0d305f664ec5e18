/**
 * The configuration the optimizer recommends ({@link Optimizer.recommend}: the completed trial with the best
 * posterior mean), beside the best reported trial, and the words that say why when the two differ. Pure: the
 * optimizer is rebuilt from the study as a tick rebuilds it, and asked nothing but `recommend()`.
 */
import { createOptimizer, type Optimizer, type StrategyName } from '../core';
import { optimizerHistory } from '../study/tick';
import type { Study } from '../study/types';
import { formatNumber } from './format';
import { studyObjective, studyRanges } from './rows';

/** A study's recommendation. Trial numbers are the study's; predicted values are in the metric's units. */
export interface StudyRecommendation {
  /** Trial whose model estimate (posterior mean) of the metric is best. */
  readonly trial: number;
  readonly objective: number;
  readonly predicted: number;
  /** The best reported trial, and the model's estimate of its value. */
  readonly bestTrial: number;
  readonly bestObjective: number;
  readonly bestPredicted?: number;
}

const OUR_STRATEGIES: readonly StrategyName[] = ['Bayesian', 'Random', 'Sobol', 'Grid'];

/**
 * The recommendation of a study's optimizer, when it is a trial of the study other than the best reported one;
 * undefined when they are the same trial, when there is no model (a model-free strategy, too few trials), or when
 * the optimizer cannot be rebuilt (a study whose strategy only SageMaker runs).
 */
export function studyRecommendation(study: Study): StudyRecommendation | undefined {
  // Asked at every look of a wait loop and by each view at the end of a run: the model is refitted only when what it
  // depends on changed (the completed trials' values and the kept model state).
  const key = JSON.stringify([
    study.name,
    study.request.HyperParameterTuningJobConfig,
    study.warmStartTrials?.length ?? 0,
    study.trials.map((t) => (t.status === 'InProgress' ? null : [t.suggestionId, t.status, t.objective ?? null])),
    study.optimizerState ?? null,
  ]);
  const cached = recent.get(key);
  if (cached) return cached.value;
  const value = computeRecommendation(study);
  recent.set(key, { value });
  if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value as string);
  return value;
}

/** The last few recommendations computed, by what they depend on (oldest first). */
const recent = new Map<string, { value: StudyRecommendation | undefined }>();
const RECENT_MAX = 8;

function computeRecommendation(study: Study): StudyRecommendation | undefined {
  const config = study.request.HyperParameterTuningJobConfig as { Strategy?: string; RandomSeed?: number } | undefined;
  const strategy = (config?.Strategy ?? 'Bayesian') as StrategyName;
  if (!OUR_STRATEGIES.includes(strategy)) return undefined;
  let optimizer: Optimizer;
  try {
    optimizer = createOptimizer(
      { ParameterRanges: studyRanges(study), Objective: { Type: studyObjective(study).type }, Strategy: strategy, RandomSeed: config?.RandomSeed },
      optimizerHistory(study),
    );
  } catch {
    return undefined;
  }
  const rec = optimizer.recommend();
  if (!rec || rec.basis !== 'posterior-mean' || rec.id === rec.bestReported.id || rec.predicted === undefined) return undefined;
  const numberOf = (id: string): number | undefined => study.trials.find((t) => t.suggestionId === id)?.number;
  const trial = numberOf(rec.id);
  const bestTrial = numberOf(rec.bestReported.id);
  if (trial === undefined || bestTrial === undefined) return undefined;
  return {
    trial,
    objective: rec.value,
    predicted: rec.predicted,
    bestTrial,
    bestObjective: rec.bestReported.value,
    ...(rec.bestReported.predicted !== undefined ? { bestPredicted: rec.bestReported.predicted } : {}),
  };
}

/** Two lines for a text summary: the recommended trial, and why it is not the best reported one. */
export function describeRecommendation(rec: StudyRecommendation, metricName: string): string[] {
  const best = rec.bestPredicted !== undefined ? `, estimated at ${formatNumber(rec.bestPredicted)}` : '';
  return [
    `Recommended trial ${rec.trial}: ${metricName} estimated at ${formatNumber(rec.predicted)} (reported ${formatNumber(rec.objective)}).`,
    `  Why not trial ${rec.bestTrial} (reported ${formatNumber(rec.bestObjective)}${best}): the model fitted to every trial reads part of ` +
      'its value as noise (its neighbours reported worse), so trial ' +
      `${rec.trial} is the better bet; rerun both to check.`,
  ];
}
