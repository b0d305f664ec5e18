/**
 * `TrainingJobEarlyStoppingType: Auto`: the median stopping rule, as SageMaker applies it.
 *
 * A running trial that has reported `k` intermediate objective values (`k` is its step, like SageMaker's epoch) is
 * stopped when the best of its values so far is worse than the median, over the completed trials that reported at
 * least `k` values, of their running averages over their first `k` values. It is judged only once
 * `k >= Sagetune.EarlyStopping.GracePeriodSteps` (default 1) and when at least `Sagetune.EarlyStopping.MinimumTrials`
 * (default 3) completed trials reach step `k`. Steps rather than seconds make trials comparable whatever their
 * speed (a small model's epoch is quicker than a large one's).
 */
import type { ObjectiveType } from '../core/types';
import { EARLY_STOPPING_DEFAULTS } from './constants';
import { better, objectiveType } from './study';
import type { Study, Trial } from './types';

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function finiteValues(trial: Trial): number[] {
  return (trial.objectiveSeries ?? []).map((p) => p.value).filter((v) => Number.isFinite(v));
}

/** The median rule for one running trial: the reason to stop it, or undefined to let it run. */
export function medianStoppingReason(
  trial: Trial,
  completed: readonly Trial[],
  type: ObjectiveType,
  options: { minimumTrials: number; gracePeriodSteps: number },
): string | undefined {
  const own = finiteValues(trial);
  const k = own.length;
  if (k === 0 || k < options.gracePeriodSteps) return undefined;
  const best = own.reduce((a, b) => (better(b, a, type) ? b : a));
  const averages: number[] = [];
  for (const other of completed) {
    if (other.number === trial.number) continue;
    const values = finiteValues(other);
    if (values.length < k) continue;
    averages.push(values.slice(0, k).reduce((a, b) => a + b, 0) / k);
  }
  if (averages.length < options.minimumTrials) return undefined;
  const m = median(averages);
  if (!better(m, best, type)) return undefined;
  const show = (v: number): number => Number(v.toPrecision(6));
  return `Early stopping: best objective ${show(best)} after ${k} step${k === 1 ? '' : 's'} is worse than the median ${show(m)} of ${averages.length} completed trials' running averages`;
}

/** The running trials the median rule stops now, with the reason for each. */
export function earlyStoppingDecisions(study: Study): { trial: Trial; reason: string }[] {
  if (study.request.HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType !== 'Auto') return [];
  const options = {
    minimumTrials: study.request.Sagetune.EarlyStopping?.MinimumTrials ?? EARLY_STOPPING_DEFAULTS.MinimumTrials,
    gracePeriodSteps: study.request.Sagetune.EarlyStopping?.GracePeriodSteps ?? EARLY_STOPPING_DEFAULTS.GracePeriodSteps,
  };
  const type = objectiveType(study);
  const completed = study.trials.filter((t) => t.status === 'Completed');
  const out: { trial: Trial; reason: string }[] = [];
  for (const trial of study.trials) {
    if (trial.status !== 'InProgress' || !trial.launchedAt || trial.stopRequestedAt) continue;
    const reason = medianStoppingReason(trial, completed, type, options);
    if (reason) out.push({ trial, reason });
  }
  return out;
}
