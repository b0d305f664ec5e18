/**
 * When a study ends: `TuningJobCompletionCriteria`, `ResourceLimits` and the failure rule. Pure functions of the
 * study and the time; the tick applies them.
 *
 * Rules, in the order they are checked:
 * 1. **First trials all failed.** When the first `min(3, MaxNumberOfTrainingJobs)` trials (by number) have all
 *    ended Failed and no trial has completed, the study fails: the training itself is broken, and running the
 *    rest of the budget would only repeat the failure. The reason lists each trial's failure.
 * 2. **TargetObjectiveMetricValue.** A completed trial whose objective reaches the target (`<=` for Minimize, `>=`
 *    for Maximize) completes the study.
 * 3. **BestObjectiveNotImproving.** Completed trials are taken in the order they ended. A trial improves when it
 *    beats the best value before it by at least 1% of that value's magnitude (SageMaker's "by 1% or greater"); any
 *    better value counts when the best is 0. When `MaxNumberOfTrainingJobsNotImproving` trials in a row have not
 *    improved, the study completes.
 * 4. **ConvergenceDetected** (`CompleteOnConvergence: Enabled`). With `W = Sagetune.Convergence.Window` (default
 *    10) and `tol = Sagetune.Convergence.Tolerance` (default 1e-3): once at least `2W` trials have completed, the
 *    study has converged when the best value improved, over the last `W` completed trials, by no more than
 *    `tol` times the spread (max - min) of all completed objectives. Measuring against the spread makes the rule
 *    independent of the objective's scale and offset.
 * 5. **MaxRuntimeInSeconds.** The runtime the study has been driven (see `activeRuntimeSeconds`) reaches the limit.
 * The tick also ends a study when its trial budget is spent (`MaxNumberOfTrainingJobs` trials recorded and none
 * running) or a finite search space is exhausted.
 */
import type { ObjectiveType } from '../core/types';
import { CONVERGENCE_DEFAULTS } from './constants';
import { activeRuntimeSeconds, completedTrials, objectiveType } from './study';
import type { Study } from './types';

/** Why a study should end now, and how. */
export interface Ending {
  readonly status: 'Completed' | 'Failed';
  readonly reason: string;
}

/** How a local trial's failure reason introduces the command that ran (see the local backend). */
export const COMMAND_LINE = '\nthe command was: ';

/** Number of first trials whose failure fails the study. */
export function failFastCount(study: Study): number {
  const max = study.request.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs;
  return Math.min(3, max ?? 3);
}

function firstTrialsFailed(study: Study): Ending | undefined {
  const n = failFastCount(study);
  if (study.trials.some((t) => t.status === 'Completed')) return undefined;
  const first = [...study.trials].sort((a, b) => a.number - b.number).slice(0, n);
  if (first.length < n || !first.every((t) => t.status === 'Failed')) return undefined;
  // Trials that failed alike (the usual case: the same bug in the script) share one line, so that a long traceback is
  // shown once rather than once per trial.
  // A reason that names its own job (a log path, the job name) is compared with the name taken out.
  // So is the command line a local trial's reason ends with (its hyperparameters differ): the first one is shown.
  const byReason = new Map<string, { numbers: number[]; shown: string }>();
  for (const t of first) {
    const reason = (t.failureReason ?? 'no reason given').split(t.jobName).join('<job>');
    const key = reason.split(COMMAND_LINE)[0];
    const group = byReason.get(key);
    if (group) group.numbers.push(t.number);
    else byReason.set(key, { numbers: [t.number], shown: reason });
  }
  const details = [...byReason.values()]
    .map(({ numbers, shown }) => `${numbers.length === 1 ? 'trial' : 'trials'} ${numbers.join(', ')}: ${shown}`)
    .join('; ');
  return {
    status: 'Failed',
    reason: `The first ${n} trial${n === 1 ? '' : 's'} all failed, so the study stopped; fix the cause, then start a new study (another HyperParameterTuningJobName, or remove this one). ${details}`,
  };
}

function reaches(value: number, target: number, type: ObjectiveType): boolean {
  return type === 'Maximize' ? value >= target : value <= target;
}

function improves(value: number, best: number, type: ObjectiveType): boolean {
  const margin = Math.abs(best) * 0.01;
  return type === 'Maximize' ? value > best && value - best >= margin : value < best && best - value >= margin;
}

/** The number of completed trials, in the order they ended, since the last one that improved the best by 1%. */
export function trialsNotImproving(values: readonly number[], type: ObjectiveType): number {
  let best: number | undefined;
  let since = 0;
  for (const v of values) {
    if (best === undefined || improves(v, best, type)) {
      best = v;
      since = 0;
      continue;
    }
    // Better by less than 1%: the best moves, but the trial does not count as an improvement.
    if (type === 'Maximize' ? v > best : v < best) best = v;
    since++;
  }
  return since;
}

/** Whether the convergence rule holds for these completed values (in the order they ended). */
export function hasConverged(values: readonly number[], type: ObjectiveType, window: number, tolerance: number): boolean {
  if (values.length < 2 * window) return false;
  const bestOf = (xs: readonly number[]): number => (type === 'Maximize' ? Math.max(...xs) : Math.min(...xs));
  const before = bestOf(values.slice(0, values.length - window));
  const now = bestOf(values);
  const spread = Math.max(...values) - Math.min(...values);
  const improvement = type === 'Maximize' ? now - before : before - now;
  return improvement <= tolerance * spread;
}

/** The criterion that ends the study now, if any (rules 1-5 above). */
export function checkCompletion(study: Study, now: number): Ending | undefined {
  const config = study.request.HyperParameterTuningJobConfig;
  const type = objectiveType(study);
  const failed = firstTrialsFailed(study);
  if (failed) return failed;
  const completed = completedTrials(study);
  const values = completed.map((t) => t.objective);
  const criteria = config.TuningJobCompletionCriteria;
  const target = criteria?.TargetObjectiveMetricValue;
  if (target !== undefined) {
    const hit = completed.find((t) => reaches(t.objective, target, type));
    if (hit) return { status: 'Completed', reason: `TargetObjectiveMetricValue ${target} reached by trial ${hit.number} (${hit.objective})` };
  }
  const patience = criteria?.BestObjectiveNotImproving?.MaxNumberOfTrainingJobsNotImproving;
  if (patience !== undefined && trialsNotImproving(values, type) >= patience) {
    return { status: 'Completed', reason: `BestObjectiveNotImproving: the last ${patience} completed trials did not improve the best objective by 1% or more` };
  }
  if (criteria?.ConvergenceDetected?.CompleteOnConvergence === 'Enabled') {
    const window = study.request.Sagetune.Convergence?.Window ?? CONVERGENCE_DEFAULTS.Window;
    const tolerance = study.request.Sagetune.Convergence?.Tolerance ?? CONVERGENCE_DEFAULTS.Tolerance;
    if (hasConverged(values, type, window, tolerance)) {
      return {
        status: 'Completed',
        reason: `ConvergenceDetected: over the last ${window} completed trials the best objective improved by no more than ${tolerance} of the objective's spread`,
      };
    }
  }
  const maxRuntime = config.ResourceLimits.MaxRuntimeInSeconds;
  if (maxRuntime !== undefined && activeRuntimeSeconds(study, now) >= maxRuntime) {
    return { status: 'Completed', reason: `MaxRuntimeInSeconds (${maxRuntime} s) reached` };
  }
  return undefined;
}
