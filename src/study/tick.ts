/**
 * The tick: one step of the tuning loop, shared by every runner (the local loop calls it repeatedly, the Lambda
 * once per state-machine iteration). It keeps no state of its own between calls: everything lives in the study.
 *
 * One tick:
 * 1. reads the study (with its version);
 * 2. reconciles the launched running trials with the backend (`poll`) and records what ended: completed with
 *    its objective, failed with its reason (an infrastructure failure is retried under the same trial number and
 *    a new job name, up to `RetryStrategy.MaximumRetryAttempts`), stopped, or lost with its runner (run again);
 * 3. picks the laggards to stop early (median rule, `TrainingJobEarlyStoppingType: Auto`; or Hyperband's rungs,
 *    see `hyperband.ts`);
 * 4. checks the completion criteria and budgets (see `criteria.ts`); a study that must end, or was asked to stop,
 *    winds down (`Stopping`): its running trials are stopped and it ends once none runs;
 * 5. asks the optimizer, rebuilt from the study, for configurations to fill the free parallel slots within the
 *    trial budget, and records them as new InProgress trials with their job names;
 * 6. writes the study (conditional on the version read) when anything changed: every decision is now on record;
 * 7. acts: stops the trials marked for stopping, launches every InProgress trial not yet confirmed launched;
 * 8. writes the study again with the launch confirmations.
 *
 * A tick that dies at any line can be run again: before step 6 nothing was decided for good; after it, the record
 * says what to do, stops are idempotent, and a launch under a recorded job name adopts a job that already exists.
 * A lost race on a write throws `StudyConflictError` without acting; the caller runs the tick again.
 *
 * The optimizer sees Completed trials with their objective, trials stopped early with the last value they reported
 * (as SageMaker does; a pessimistic value for a laggard), running ones as pending and the rest as failed. Only
 * Completed trials compete for the best trial and the completion criteria.
 */
import { MAX_ASK, createOptimizer } from '../core';
import type { HistoryTrial, HyperParameters, OptimizerHistory, StrategyName } from '../core/types';
import { checkCompletion } from './criteria';
import { earlyStoppingDecisions } from './early-stopping';
import { applyHyperbandDecisions, hyperbandDecisions, hyperbandProposals, hyperbandSettings, newTrialBracket } from './hyperband';
import { StudyNotFoundError, TrialLaunchDeferredError, TrialLaunchError } from './errors';
import type { StudyEvent } from './events';
import { INTERRUPTED_REASON, bestCompletedTrial, briefReason, closeSession, isTerminal, iso, maxParallel, objectiveType, requeueTrial, trialJobName } from './study';
import type { Clock, Study, StudyStore, Trial, TrialBackend, TrialUpdate } from './types';

const LAST_TICK_REFRESH_MS = 60_000;

/** What a tick needs. */
export interface TickDeps {
  readonly store: StudyStore;
  readonly backend: TrialBackend;
  readonly clock: Clock;
  /**
   * Milliseconds since the epoch after which the tick starts no further stop or launch: what it did is recorded and
   * it returns with `partial` set, so that the caller runs the next tick at once (a Lambda nearing its timeout).
   * @default no deadline
   */
  readonly deadline?: number;
}

/** What a tick did. */
export interface TickResult {
  /** The study as last written. */
  readonly study: Study;
  /** Its version in the store. */
  readonly version: string;
  /** True when the study has ended (Completed, Failed or Stopped): no further tick is needed. */
  readonly done: boolean;
  /** What happened, in order. */
  readonly events: StudyEvent[];
  /** Seconds to wait before the next tick (`Sagetune.PollIntervalSeconds`); 0 when done or partial. */
  readonly nextTickSeconds: number;
  /** True when the tick reached its deadline before every stop and launch was sent: run the next tick at once. */
  readonly partial?: boolean;
}

/** The optimizer's view of the study: warm-start observations, then the trials in suggestion order. */
export function optimizerHistory(study: Study): OptimizerHistory {
  const trials: HistoryTrial[] = (study.warmStartTrials ?? []).map((w, i) => ({
    id: `warm-${i}`,
    hyperParameters: w.hyperParameters,
    state: 'completed' as const,
    value: w.objective,
  }));
  for (const t of [...study.trials].sort((a, b) => a.number - b.number)) {
    const value = typeof t.objective === 'number' && Number.isFinite(t.objective) ? t.objective : undefined;
    if (t.status === 'InProgress') trials.push({ id: t.suggestionId, hyperParameters: t.hyperParameters, state: 'pending' });
    else if ((t.status === 'Completed' || t.status === 'Stopped') && value !== undefined) {
      trials.push({ id: t.suggestionId, hyperParameters: t.hyperParameters, state: 'completed', value });
    } else trials.push({ id: t.suggestionId, hyperParameters: t.hyperParameters, state: 'failed', ...(t.failureReason ? { reason: t.failureReason } : {}) });
  }
  return { trials, ...(study.optimizerState ? { modelState: study.optimizerState } : {}) };
}

function lastValue(trial: Trial): number | undefined {
  const series = trial.objectiveSeries ?? [];
  for (let i = series.length - 1; i >= 0; i--) if (Number.isFinite(series[i].value)) return series[i].value;
  return undefined;
}

function maxRetries(study: Study): number {
  return study.request.TrainingJobDefinition?.RetryStrategy?.MaximumRetryAttempts ?? 0;
}

/** Applies one backend update to a running trial; returns the events it causes. */
function applyUpdate(study: Study, trial: Trial, update: TrialUpdate, now: number): StudyEvent[] {
  const at = iso(now);
  if (update.objectiveSeries) trial.objectiveSeries = [...update.objectiveSeries];
  if (update.finalMetrics) trial.finalMetrics = { ...update.finalMetrics };
  if (update.startedAt && !trial.startedAt) trial.startedAt = update.startedAt;
  if (update.status === 'InProgress') return [];
  const jobName = trial.jobName;
  const base = { time: now, trial: trial.number, jobName };
  if (update.interrupted || (trial.interrupting && update.status !== 'Completed')) {
    const reason = trial.interrupting
      ? INTERRUPTED_REASON
      : `Lost: ${update.failureReason ?? 'the process running it ended with its runner'}; run again`;
    trial.interruptions = (trial.interruptions ?? 0) + 1;
    requeueTrial(study.name, trial, reason, at);
    return [{ type: 'trial-requeued', ...base, reason }];
  }
  const endedAt = update.endedAt ?? at;
  if (update.status === 'Completed') {
    const objective = update.objective;
    if (typeof objective === 'number' && Number.isFinite(objective)) {
      trial.status = 'Completed';
      trial.objective = objective;
      trial.endedAt = endedAt;
      return [{ type: 'trial-completed', ...base, objective }];
    }
    const metric = study.request.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective?.MetricName ?? 'objective';
    trial.status = 'Failed';
    trial.failureReason = update.failureReason ?? `The training ended without reporting the objective metric ${metric}`;
    trial.endedAt = endedAt;
    return [{ type: 'trial-failed', ...base, reason: trial.failureReason, retrying: false }];
  }
  if (update.status === 'Failed') {
    const reason = update.failureReason ?? 'The training job failed';
    if (update.retryable && (trial.retries ?? 0) < maxRetries(study)) {
      trial.retries = (trial.retries ?? 0) + 1;
      requeueTrial(study.name, trial, `Retryable failure: ${reason}`, endedAt);
      return [{ type: 'trial-failed', ...base, reason, retrying: true }];
    }
    trial.status = 'Failed';
    trial.failureReason = reason;
    trial.endedAt = endedAt;
    return [{ type: 'trial-failed', ...base, reason, retrying: false }];
  }
  if (trial.hyperband?.reachedMax) {
    // Stopped by Hyperband at MaxResource: as far as the study goes, its training is complete.
    const objective = typeof update.objective === 'number' && Number.isFinite(update.objective) ? update.objective : lastValue(trial);
    if (objective !== undefined) {
      trial.status = 'Completed';
      trial.objective = objective;
      trial.endedAt = endedAt;
      return [{ type: 'trial-completed', ...base, objective }];
    }
  }
  // Stopped: early-stopped trials keep their last reported value as objective, as SageMaker does.
  trial.status = 'Stopped';
  trial.endedAt = endedAt;
  trial.stopReason = trial.stopReason ?? update.failureReason ?? 'Stopped';
  const objective = typeof update.objective === 'number' && Number.isFinite(update.objective) ? update.objective : lastValue(trial);
  if (objective !== undefined) trial.objective = objective;
  return [{ type: 'trial-stopped', ...base, reason: trial.stopReason, ...(objective !== undefined ? { objective } : {}) }];
}

/** Marks every running trial to be stopped (recorded before acting). */
function markAllForStopping(study: Study, reason: string, at: string): void {
  for (const t of study.trials) {
    if (t.status === 'InProgress' && !t.stopRequestedAt) {
      t.stopRequestedAt = at;
      t.stopReason = reason;
    }
  }
}

/** Ends a winding-down study once no trial runs. */
function settle(study: Study, now: number, events: StudyEvent[]): void {
  if (study.status !== 'Stopping' || study.trials.some((t) => t.status === 'InProgress')) return;
  const ending = study.ending ?? { status: 'Stopped' as const, reason: 'Stopped by request' };
  study.status = ending.status;
  study.statusReason = ending.reason;
  study.endedAt = iso(now);
  delete study.ending;
  closeSession(study, now);
  events.push({ type: 'study-ended', time: now, status: study.status, reason: study.statusReason });
}

function endNow(study: Study, status: 'Completed' | 'Failed', reason: string, now: number, events: StudyEvent[]): void {
  study.status = 'Stopping';
  study.ending = { status, reason };
  markAllForStopping(study, briefReason(reason), iso(now));
  settle(study, now, events);
  // A study with trials to stop first announces that it is winding down.
  if (study.status === 'Stopping') events.push({ type: 'study-stopping', time: now, reason });
}

/**
 * Runs one tick of the study `name`. See the module documentation for the steps and their guarantees.
 * @throws StudyNotFoundError when the study does not exist; StudyConflictError when another writer won a race
 *   (run the tick again); any error of the store or backend (the tick is safe to run again).
 */
export async function tick(name: string, deps: TickDeps): Promise<TickResult> {
  const { store, backend, clock } = deps;
  const read = await store.read(name);
  if (!read) throw new StudyNotFoundError(name);
  const study = structuredClone(read.value);
  let version = read.version;
  const events: StudyEvent[] = [];
  if (isTerminal(study.status)) return { study, version, done: true, events, nextTickSeconds: 0 };

  let now = clock.now();
  const at = iso(now);
  const type = objectiveType(study);
  const bestBefore = bestCompletedTrial(study);

  // 2. Reconcile launched running trials.
  const launched = study.trials.filter((t) => t.status === 'InProgress' && t.launchedAt);
  if (launched.length > 0) {
    const updates = await backend.poll(study, launched);
    for (const update of updates) {
      const trial = launched.find((t) => t.number === update.number);
      if (trial && trial.status === 'InProgress') events.push(...applyUpdate(study, trial, update, now));
    }
  }
  const bestAfter = bestCompletedTrial(study);
  if (bestAfter && (!bestBefore || bestAfter.number !== bestBefore.number)) {
    events.push({ type: 'best', time: now, trial: bestAfter.number, objective: bestAfter.objective });
  }

  const hyperband = hyperbandSettings(study.request);
  if (study.status === 'InProgress') {
    // 3. Early stopping: the median rule, or Hyperband's rungs.
    if (hyperband) applyHyperbandDecisions(study, hyperbandDecisions(study, hyperband), at);
    for (const { trial, reason } of earlyStoppingDecisions(study)) {
      trial.stopRequestedAt = at;
      trial.stopReason = reason;
    }
    // 4. Completion criteria.
    const ending = checkCompletion(study, now);
    if (ending) endNow(study, ending.status, ending.reason, now, events);
  }
  if (study.status === 'Stopping') {
    markAllForStopping(study, briefReason(study.ending?.reason ?? 'Stopped by request'), at);
    settle(study, now, events);
  }

  // 5. Fill the free slots.
  if (study.status === 'InProgress') {
    const limits = study.request.HyperParameterTuningJobConfig.ResourceLimits;
    const running = study.trials.filter((t) => t.status === 'InProgress').length;
    const budget = (limits.MaxNumberOfTrainingJobs ?? Infinity) - study.trials.length;
    const free = Math.min(maxParallel(study.request) - running, budget, MAX_ASK);
    let exhausted = false;
    if (free > 0) {
      const config = study.request.HyperParameterTuningJobConfig;
      // Hyperband's configurations come from a GP over (configuration, resource) (hyperbandProposals; or, with
      // Sagetune.Hyperband.Proposals 'Random', from random search).
      const strategy: StrategyName = hyperband ? (study.request.Sagetune.Hyperband?.Proposals ?? 'Bayesian') : (config.Strategy as StrategyName);
      let suggestions: { id: string; hyperParameters: HyperParameters }[];
      if (hyperband && strategy === 'Bayesian') {
        const res = hyperbandProposals(study, hyperband, config.ParameterRanges ?? {}, type, free);
        suggestions = res.suggestions;
        now = clock.now();
        if (res.modelState) study.optimizerState = res.modelState;
      } else {
        const optimizer = createOptimizer(
          { ParameterRanges: config.ParameterRanges ?? {}, Objective: { Type: type }, Strategy: strategy, RandomSeed: config.RandomSeed },
          optimizerHistory(study),
        );
        suggestions = await optimizer.ask(free);
        now = clock.now();
        const modelState = optimizer.history().modelState;
        if (modelState) study.optimizerState = modelState as Record<string, unknown>;
      }
      for (const s of suggestions) {
        const number = study.trials.length + 1;
        study.trials.push({
          number,
          suggestionId: s.id,
          hyperParameters: s.hyperParameters,
          status: 'InProgress',
          jobName: trialJobName(study.name, number),
          createdAt: iso(now),
          ...(hyperband ? { hyperband: { bracket: newTrialBracket(study, hyperband, number) } } : {}),
        });
      }
      exhausted = suggestions.length < free;
    }
    const stillRunning = study.trials.some((t) => t.status === 'InProgress');
    if (!stillRunning) {
      const reason =
        budget <= 0
          ? `MaxNumberOfTrainingJobs (${limits.MaxNumberOfTrainingJobs}) reached`
          : exhausted
            ? 'Every configuration of the search space has been tried'
            : undefined;
      if (reason) endNow(study, 'Completed', reason, now, events);
    }
  }

  // 6. Record every decision before acting. A tick that changed nothing writes only to refresh lastTickAt once a
  // minute (the runtime of a killed session is counted up to it), so an idle study costs a read and a poll.
  const lastTick = study.lastTickAt ? Date.parse(study.lastTickAt) : -Infinity;
  const unchanged = JSON.stringify(study) === JSON.stringify(read.value);
  if (!unchanged || now - lastTick >= LAST_TICK_REFRESH_MS) {
    study.lastTickAt = iso(now);
    version = await store.write(study, version);
  }

  // 7. Act: stops first (they free slots), then launches. Past the deadline the rest is left to the next tick: the
  // record already says what to do.
  let changed = false;
  let partial = false;
  const pastDeadline = (): boolean => {
    if (deps.deadline === undefined || clock.now() < deps.deadline) return false;
    partial = true;
    return true;
  };
  const toStop = study.trials.filter((t) => t.status === 'InProgress' && t.stopRequestedAt);
  for (const trial of toStop) {
    if (pastDeadline()) break;
    await backend.stop(study, trial, trial.stopReason ?? 'Stopped');
    if (!trial.launchedAt && trial.interrupting && study.status === 'InProgress') {
      // A pause cut short before it requeued this trial: requeue it now.
      trial.interruptions = (trial.interruptions ?? 0) + 1;
      requeueTrial(study.name, trial, INTERRUPTED_REASON, iso(clock.now()));
      changed = true;
    } else if (!trial.launchedAt) {
      // Never confirmed launched: nothing will report its end, so it ends here.
      trial.status = 'Stopped';
      trial.endedAt = iso(clock.now());
      events.push({ type: 'trial-stopped', time: clock.now(), trial: trial.number, jobName: trial.jobName, reason: trial.stopReason ?? 'Stopped' });
      changed = true;
    }
  }
  const toLaunch = study.status === 'InProgress' ? study.trials.filter((t) => t.status === 'InProgress' && !t.launchedAt && !t.stopRequestedAt) : [];
  for (const trial of partial ? [] : toLaunch) {
    if (pastDeadline()) break;
    const launchTime = clock.now();
    try {
      const result = await backend.launch({ study: study.name, request: study.request, trial });
      trial.launchedAt = iso(launchTime);
      if (result.backendData) trial.backendData = result.backendData;
      events.push({
        type: 'trial-launched',
        time: launchTime,
        trial: trial.number,
        jobName: trial.jobName,
        attempt: trial.attempt ?? 0,
        hyperParameters: trial.hyperParameters,
        adopted: result.adopted,
      });
    } catch (error) {
      if (error instanceof TrialLaunchDeferredError) {
        // Not now (a quota, throttling): the trial stays unlaunched and the next tick launches it.
        events.push({ type: 'launch-deferred', time: launchTime, trial: trial.number, jobName: trial.jobName, reason: error.message });
        break;
      }
      if (!(error instanceof TrialLaunchError)) throw error;
      events.push(...applyUpdate(study, trial, { number: trial.number, status: 'Failed', failureReason: error.message, retryable: error.retryable }, launchTime));
      if (error.failsStudy && study.status === 'InProgress') {
        changed = true;
        endNow(study, 'Failed', error.message, launchTime, events);
        break;
      }
    }
    changed = true;
  }
  if (study.status === 'Stopping') {
    const before = study.status;
    settle(study, clock.now(), events);
    changed = changed || study.status !== before;
  }

  // 8. Record the launches.
  if (changed) version = await store.write(study, version);
  const done = isTerminal(study.status);
  return { study, version, done, events, nextTickSeconds: done || partial ? 0 : study.request.Sagetune.PollIntervalSeconds, ...(partial ? { partial } : {}) };
}
