/**
 * When an event-driven runner should look at a study again. The deployed state machine does not poll: a training
 * job's state-change event wakes it as soon as a job ends. What no event announces is covered by a timer, and this
 * module chooses it, from the study alone (pure: `now` is passed in):
 *
 * - a launch that was deferred (an instance quota, throttling) is tried again after `retryLaunchSeconds`;
 * - a stop that was sent is checked again after `stopCheckSeconds` (its Stopped event normally comes first);
 * - the median stopping rule needs intermediate values, which no event announces: once it can act (enough
 *   completed trials), the study is looked at about `earlyStoppingChecksPerTrial` times per typical trial
 *   duration, never more often than once a minute (SageMaker publishes metrics at one-minute resolution);
 * - `ResourceLimits.MaxRuntimeInSeconds` ends the study on time;
 * - otherwise `maxWaitSeconds` bounds the wait, in case an event is lost.
 *
 * Cost is the reason for the spacing: every wake is a few Step Functions state transitions and a Lambda call.
 */
import { EARLY_STOPPING_DEFAULTS } from './constants';
import { activeRuntimeSeconds } from './study';
import type { Study } from './types';

/** Options of {@link nextWake}. Seconds throughout. */
export interface WakeScheduleOptions {
  /** Longest wait without an event: the bound for a lost event or an unannounced change. @default 900 */
  readonly maxWaitSeconds?: number;
  /** Wait before a deferred launch is tried again. @default 60 */
  readonly retryLaunchSeconds?: number;
  /** Wait before a sent stop is checked again, should its event not come. @default 120 */
  readonly stopCheckSeconds?: number;
  /** Early-stopping checks per typical trial duration (the median duration of completed trials). @default 12 */
  readonly earlyStoppingChecksPerTrial?: number;
}

/** Why the timer has the length it has. */
export type WakeReason = 'lost-event-bound' | 'deferred-launch' | 'stop-check' | 'early-stopping' | 'runtime-limit';

/** The timer of the next wait. */
export interface WakeSchedule {
  /** Whole seconds, at least 1. */
  readonly seconds: number;
  readonly reason: WakeReason;
}

export const WAKE_DEFAULTS = { maxWaitSeconds: 900, retryLaunchSeconds: 60, stopCheckSeconds: 120, earlyStoppingChecksPerTrial: 12 } as const;

/** Shortest early-stopping interval: SageMaker publishes training metrics once a minute. */
const MIN_EARLY_STOPPING_SECONDS = 60;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Seconds between two early-stopping checks, or undefined when the median rule cannot act now. */
export function earlyStoppingInterval(study: Study, checksPerTrial: number = WAKE_DEFAULTS.earlyStoppingChecksPerTrial): number | undefined {
  if (study.request.HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType !== 'Auto') return undefined;
  const candidates = study.trials.some((t) => t.status === 'InProgress' && t.launchedAt && !t.stopRequestedAt);
  if (!candidates) return undefined;
  const minimum = study.request.Sagetune.EarlyStopping?.MinimumTrials ?? EARLY_STOPPING_DEFAULTS.MinimumTrials;
  const durations = study.trials
    .filter((t) => t.status === 'Completed' && t.startedAt && t.endedAt)
    .map((t) => (Date.parse(t.endedAt!) - Date.parse(t.startedAt!)) / 1000)
    .filter((d) => Number.isFinite(d) && d >= 0);
  if (durations.length < minimum) return undefined;
  return Math.max(MIN_EARLY_STOPPING_SECONDS, median(durations) / Math.max(1, checksPerTrial));
}

/**
 * Seconds between two Hyperband checks (a running trial may reach a rung at any epoch): the median time per epoch
 * of the trials that reported values, at least a minute (SageMaker publishes metrics once a minute); undefined
 * when the study is not Hyperband or nothing runs.
 */
export function hyperbandInterval(study: Study): number | undefined {
  if (study.request.HyperParameterTuningJobConfig.Strategy !== 'Hyperband' || study.request.Sagetune.Engine === 'native') return undefined;
  const running = study.trials.filter((t) => t.status === 'InProgress' && t.launchedAt && !t.stopRequestedAt);
  if (running.length === 0) return undefined;
  const perEpoch = study.trials
    .map((t) => t.objectiveSeries ?? [])
    .filter((s) => s.length > 0)
    .map((s) => s[s.length - 1].t / s.length)
    .filter((v) => Number.isFinite(v) && v > 0);
  return Math.max(MIN_EARLY_STOPPING_SECONDS, perEpoch.length > 0 ? median(perEpoch) : MIN_EARLY_STOPPING_SECONDS);
}

/** The timer of the next wait of a study that is still running. */
export function nextWake(study: Study, now: number, options: WakeScheduleOptions = {}): WakeSchedule {
  const maxWait = options.maxWaitSeconds ?? WAKE_DEFAULTS.maxWaitSeconds;
  let best: WakeSchedule = { seconds: maxWait, reason: 'lost-event-bound' };
  const consider = (seconds: number | undefined, reason: WakeReason): void => {
    if (seconds !== undefined && Number.isFinite(seconds) && seconds < best.seconds) best = { seconds, reason };
  };
  const running = study.trials.filter((t) => t.status === 'InProgress');
  if (study.status === 'InProgress' && running.some((t) => !t.launchedAt && !t.stopRequestedAt)) {
    consider(options.retryLaunchSeconds ?? WAKE_DEFAULTS.retryLaunchSeconds, 'deferred-launch');
  }
  if (running.some((t) => t.stopRequestedAt)) consider(options.stopCheckSeconds ?? WAKE_DEFAULTS.stopCheckSeconds, 'stop-check');
  if (study.status === 'InProgress') {
    consider(earlyStoppingInterval(study, options.earlyStoppingChecksPerTrial), 'early-stopping');
    consider(hyperbandInterval(study), 'early-stopping');
    const limit = study.request.HyperParameterTuningJobConfig.ResourceLimits.MaxRuntimeInSeconds;
    if (limit !== undefined) consider(Math.max(0, limit - activeRuntimeSeconds(study, now)) + 1, 'runtime-limit');
  }
  return { seconds: Math.max(1, Math.ceil(best.seconds)), reason: best.reason };
}
