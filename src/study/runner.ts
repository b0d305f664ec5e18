/**
 * The local tuning loop: creates or resumes a study, takes its lock, and runs ticks until it ends. The CLI's
 * `sagetune run` and the SDK's in-process runs call {@link runStudy}; the deployed Step Functions loop does the same
 * with one Lambda invocation per tick.
 *
 * Interruption (the `signal` aborts, e.g. on Ctrl-C): the loop stops between ticks, the running trials are
 * stopped and recorded to run again, under the same trial numbers and new job names, when the study is resumed;
 * they use neither budget nor retry attempts, and their partial work is discarded. The study stays `InProgress`
 * with `pausedAt` set, and its `MaxRuntimeInSeconds` clock stops until it is resumed. Running the same request
 * again resumes it. A runner killed outright (kill -9) leaves the study as its last write left it; the next run
 * polls its trials (a backend reports those lost with their runner as interrupted, and they run again) and every
 * completed trial is kept.
 */
import { AwsTransientError } from '../aws/errors';
import { StudyConflictError, StudyFailedError } from './errors';
import type { StudyEvent } from './events';
import type { TuningRequest } from './request';
import { isTerminal, openStudy, pauseStudy } from './study';
import { tick, type TickResult } from './tick';
import { systemClock, type Clock, type Study, type StudyStore, type TrialBackend } from './types';

/** Consecutive ticks failed on transient AWS errors that the runner retries (after 2, 4, ... poll intervals) before it gives up. */
export const TRANSIENT_TICK_RETRIES = 6;

/** Waits `ms` milliseconds; rejects early when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real sleep (timers). */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Whether the study stops trials by what they report while they run (the median rule, Hyperband's rungs). */
function judgesProgress(study: Study): boolean {
  const config = study.request.HyperParameterTuningJobConfig;
  return config.Strategy === 'Hyperband' || config.TrainingJobEarlyStoppingType === 'Auto';
}

/** Options of {@link runStudy}. */
export interface RunStudyOptions {
  /** The checked request (see `parseTuningRequest`); its `HyperParameterTuningJobName` names the study. */
  readonly request: TuningRequest;
  readonly store: StudyStore;
  readonly backend: TrialBackend;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default real timers */
  readonly sleep?: Sleep;
  /** Aborting it interrupts the study, leaving it resumable (see the module documentation). */
  readonly signal?: AbortSignal;
  /** Receives progress events as they happen. Exceptions it throws are ignored. */
  readonly onEvent?: (event: StudyEvent) => void;
  /** Ticks retried in a row after a lost write race (e.g. a concurrent stop request) before giving up. @default 5 */
  readonly maxConflictRetries?: number;
  /** Throw StudyFailedError when the study ends Failed (instead of returning it). @default false */
  readonly throwOnFailure?: boolean;
  /**
   * What an abort does to the running trials: `pause` stops them (they run again when the study resumes); `detach`
   * leaves them running (SageMaker training jobs keep their paid work: a resumed study adopts them with their
   * results). Asked when the abort happens. @default () => 'pause'
   */
  readonly onInterrupt?: () => 'pause' | 'detach';
}

/** How a run ended. */
export interface RunStudyResult {
  /** The study as last written. */
  readonly study: Study;
  /** True when the study was resumed rather than created. */
  readonly resumed: boolean;
  /** True when the run was interrupted by the signal (the study is resumable). */
  readonly interrupted: boolean;
}

/**
 * Runs a study to its end (or until interrupted). Creates it, or resumes the study of the same name when its
 * request is the same (throws `StudyRequestMismatchError` otherwise). Takes the store's lock for the study when
 * the store has locks (throws `StudyLockedError` when another runner holds it).
 */
export async function runStudy(options: RunStudyOptions): Promise<RunStudyResult> {
  const { request, store, backend } = options;
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? realSleep;
  const signal = options.signal;
  const name = request.HyperParameterTuningJobName;
  const emit = (event: StudyEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A display error must not stop the study.
    }
  };

  const lock = await store.acquireLock?.(name);
  try {
    const opened = await openStudy(request, store, clock);
    emit({ type: 'study-started', time: clock.now(), study: name, resumed: opened.resumed });
    let study = opened.value;
    if (isTerminal(study.status)) return finish(study, opened.resumed, false);

    const deps = { store, backend, clock };
    let conflicts = 0;
    let transient = 0;
    for (;;) {
      if (signal?.aborted) return await interrupt(opened.resumed);
      let result: TickResult;
      try {
        result = await tick(name, deps);
        conflicts = 0;
        transient = 0;
      } catch (error) {
        if (error instanceof StudyConflictError && ++conflicts <= (options.maxConflictRetries ?? 5)) continue;
        // Throttling or an outage that outlasted one call's retries: the tick changed nothing it did not record, so it
        // is run again after a growing pause (the study's jobs keep running meanwhile), as the state machine does.
        if (error instanceof AwsTransientError && ++transient <= TRANSIENT_TICK_RETRIES) {
          const seconds = Math.min(300, Math.max(1, request.Sagetune.PollIntervalSeconds) * 2 ** transient);
          emit({ type: 'tick-deferred', time: clock.now(), reason: error.message, retryInSeconds: seconds });
          try {
            await sleep(seconds * 1000, signal);
          } catch (slept) {
            if (signal?.aborted) return await interrupt(opened.resumed);
            throw slept;
          }
          continue;
        }
        throw error;
      }
      study = result.study;
      for (const event of result.events) emit(event);
      if (result.done) return finish(study, opened.resumed, false);
      try {
        // A backend that can tell when a trial ended (or, where the study stops trials by their progress, reported)
        // wakes the next tick then: a freed slot is refilled and a rung judged without waiting out the poll interval.
        // An injected sleep (tests on a simulated clock) keeps plain polling.
        if (backend.waitForChange && !options.sleep) await backend.waitForChange(study, result.nextTickSeconds * 1000, { progress: judgesProgress(study), signal });
        else await sleep(result.nextTickSeconds * 1000, signal);
      } catch (error) {
        if (signal?.aborted) return await interrupt(opened.resumed);
        throw error;
      }
    }
  } finally {
    await lock?.release();
  }

  function finish(study: Study, resumed: boolean, interrupted: boolean): RunStudyResult {
    if (options.throwOnFailure && study.status === 'Failed') throw new StudyFailedError(study.name, study.statusReason ?? 'unknown reason');
    return { study, resumed, interrupted };
  }

  async function interrupt(resumed: boolean): Promise<RunStudyResult> {
    if (options.onInterrupt?.() === 'detach') {
      const current = (await store.read(name))?.value;
      emit({ type: 'study-detached', time: clock.now(), running: current?.trials.filter((t) => t.status === 'InProgress').length ?? 0 });
      return { study: current as Study, resumed, interrupted: true };
    }
    const before = (await store.read(name))?.value;
    const requeued = before?.trials.filter((t) => t.status === 'InProgress').length ?? 0;
    const paused = await pauseStudy(store, backend, name, clock);
    emit({ type: 'study-paused', time: clock.now(), requeued });
    return { study: paused ?? (before as Study), resumed, interrupted: true };
  }
}
