/**
 * The seams of the study layer: the study model that every runner (local loop, Lambda tick, SDK) shares,
 * and the interfaces that the outer layers implement (trial backends, study stores, clocks).
 *
 * The study is plain JSON: it is what the file store and the S3 store persist, and what the Lambda reads on
 * every tick. Everything a tick decides is recorded here before or right after it acts.
 */
import type { HyperParameters } from '../core/types';
import type { TuningRequest } from './request';

/** Status of one trial, as SageMaker's `TrainingJobStatus` (less `Stopping`, which is transient). */
export type TrialStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopped';

/** One point of an intermediate metric series, as a training script reports it over time. */
export interface MetricPoint {
  /** Seconds since the trial started (SageMaker's CloudWatch timestamps relative to the job start). */
  readonly t: number;
  readonly value: number;
}

/** One trial of a study: one training job (a local process, a SageMaker training job, or one imported from a native tuning job). */
export interface Trial {
  /** 1-based trial number, unique within the study; the job name is derived from it. */
  readonly number: number;
  /** Optimizer id of the suggestion (for rebuilding the optimizer's history). */
  readonly suggestionId: string;
  readonly hyperParameters: HyperParameters;
  status: TrialStatus;
  /**
   * The training job's name, derived from the study name, the trial number and the attempt (see
   * `trialJobName`): deterministic, so a repeated launch adopts the job instead of starting a second one.
   */
  jobName: string;
  /**
   * 0-based attempt: a retried infrastructure failure or an interrupted run starts the same trial again under a
   * new job name (SageMaker job names cannot be reused). @default 0
   */
  attempt?: number;
  /** ISO-8601 time the backend confirmed the launch of the current attempt. An InProgress trial without it is (re)launched by the next tick. */
  launchedAt?: string;
  /** ISO-8601 time the tick decided to stop this trial (early stopping, study stopping); the stop is repeated until the backend reports the end. */
  stopRequestedAt?: string;
  /** Times the runner was interrupted while this trial ran (each interruption re-runs it; no budget is used). */
  interruptions?: number;
  /**
   * Set while the trial is being stopped because its runner is interrupted: when the backend reports it ended
   * (stopped or failed), it is requeued to run again instead of being recorded as ended.
   */
  interrupting?: boolean;
  /** Final objective value (as reported: not negated for Maximize). */
  objective?: number;
  /** Final values of every metric the backend saw, by metric name. */
  finalMetrics?: Record<string, number>;
  /** The intermediate objective series used by early stopping. */
  objectiveSeries?: MetricPoint[];
  /**
   * Hyperband's record of the trial (`Strategy: Hyperband`): its bracket (the index of the first rung that judges
   * it), the highest rung level it has passed, in epochs, and whether it was stopped for reaching `MaxResource`.
   */
  hyperband?: { bracket: number; passed?: number; reachedMax?: boolean };
  /** ISO-8601 timestamps. */
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  failureReason?: string;
  /** Why the trial was stopped (early stopping, study stopped, completion criteria). */
  stopReason?: string;
  /** Infrastructure failures retried so far (RetryStrategy.MaximumRetryAttempts). */
  retries?: number;
  /** Why earlier attempts ended (retried infrastructure failures, interruptions), oldest first. */
  previousAttempts?: { jobName: string; reason: string; endedAt: string }[];
  /** Backend-specific data (e.g. the SageMaker job ARN, local pid and work folder). */
  backendData?: Record<string, unknown>;
}

/** Counters like SageMaker's `TrainingJobStatusCounters`. */
export interface TrainingJobStatusCounters {
  Completed: number;
  InProgress: number;
  RetryableError: number;
  NonRetryableError: number;
  Stopped: number;
}

/** Status of a study, as SageMaker's `HyperParameterTuningJobStatus`. */
export type StudyStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

/** A tuning study: the request and everything that has happened to it. */
export interface Study {
  /** Format version of this document. */
  readonly schemaVersion: 1;
  readonly name: string;
  /** The checked request. Only the run-time knobs (see `RUNTIME_KNOBS` in study.ts) change after creation. */
  request: TuningRequest;
  status: StudyStatus;
  /** Why the study ended (a completion criterion, a budget, an error). */
  statusReason?: string;
  /**
   * Set while the study winds down (status `Stopping`): the status and reason it ends with once no trial runs.
   * A stop request ends `Stopped`; a completion criterion that fires while trials run ends `Completed`.
   */
  ending?: { status: 'Completed' | 'Failed' | 'Stopped'; reason: string };
  createdAt: string;
  endedAt?: string;
  /**
   * Runtime accounting for `ResourceLimits.MaxRuntimeInSeconds`: seconds the study was driven before the current
   * session, and when the current session began (ISO-8601; absent while no runner drives the study).
   */
  activeSeconds?: number;
  activeSince?: string;
  /** ISO-8601 time of the last tick (a crashed session's runtime is counted up to it). */
  lastTickAt?: string;
  /** ISO-8601 time the runner was interrupted (Ctrl-C); cleared when the study is resumed. */
  pausedAt?: string;
  trials: Trial[];
  /** Completed trials of warm-start parent studies, in the parents' own hyperparameter space. */
  warmStartTrials?: { parent: string; hyperParameters: HyperParameters; objective: number }[];
  /** Optimizer model state kept between ticks (e.g. the last GP hyperparameters). */
  optimizerState?: Record<string, unknown>;
  /** Native-engine bookkeeping (the SageMaker tuning job this study was handed to). */
  native?: { tuningJobName: string; tuningJobArn?: string; trialsBefore: number };
  /**
   * The deployed state machine's execution that drives the study (absent for studies run by the CLI or the SDK
   * in-process). One execution at a time drives a study: a second one started for it ends at once, and a long
   * study hands itself over to a new execution of the same state machine before the history limit.
   */
  driver?: StudyDriver;
}

/** Who drives a deployed study (see {@link Study.driver}). */
export interface StudyDriver {
  /** ARN of the Step Functions execution. */
  executionArn: string;
  /** ISO-8601 time it took the study over. */
  since: string;
  /** ARN of the execution it continues, when it was started to continue a long study. */
  continuedFrom?: string;
}

/** What a backend needs to launch one trial. */
export interface TrialSpec {
  readonly study: string;
  readonly request: TuningRequest;
  readonly trial: Trial;
}

export interface LaunchResult {
  /** True when the job already existed (a repeated tick) and was adopted instead of launched. */
  readonly adopted: boolean;
  readonly backendData?: Record<string, unknown>;
}

/** What the backend knows of a trial right now. */
export interface TrialUpdate {
  readonly number: number;
  readonly status: TrialStatus;
  readonly objective?: number;
  readonly finalMetrics?: Record<string, number>;
  readonly objectiveSeries?: MetricPoint[];
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly failureReason?: string;
  /** A failure of the infrastructure (capacity, internal error), not of the training script: retried. */
  readonly retryable?: boolean;
  /**
   * The trial did not end by itself: it was lost with the process that ran it (e.g. the runner was killed and the
   * local training process is gone). It is run again under the same trial number, using neither budget nor a
   * retry attempt. Set with status `Stopped` or `Failed`.
   */
  readonly interrupted?: boolean;
}

/** Where trials run: local processes, SageMaker training jobs, a simulator in tests. */
export interface TrialBackend {
  /** Launches one trial. Idempotent per job name: a job that already exists is adopted. */
  launch(spec: TrialSpec): Promise<LaunchResult>;
  /** Current status, final and intermediate metrics of the given running trials. */
  poll(study: Study, trials: readonly Trial[]): Promise<TrialUpdate[]>;
  /** Stops a running trial. Idempotent; stopping a job that does not exist (never launched) does nothing. */
  stop(study: Study, trial: Trial, reason: string): Promise<void>;
  /**
   * Waits until a poll may find something new (a running trial of `study` ended; with `progress`, one reported
   * output) or `ms` milliseconds have passed, whichever is first; returns at once when `signal` is aborted. Never
   * throws. Optional: a backend without it (SageMaker, whose news comes by polling) is polled every
   * `Sagetune.PollIntervalSeconds`.
   */
  waitForChange?(study: Study, ms: number, options?: { readonly progress?: boolean; readonly signal?: AbortSignal }): Promise<void>;
}

/** A study with the version token the store returned, for a conditional write. */
export interface Versioned<T> {
  readonly value: T;
  readonly version: string;
}

/** Where studies live: a folder on disk, an S3 prefix. */
export interface StudyStore {
  read(name: string): Promise<Versioned<Study> | undefined>;
  /**
   * Writes the study. With `expectedVersion`, the write succeeds only if the stored version is still that
   * one (throws {@link import('./errors').StudyConflictError} otherwise); without it, only if no study of
   * that name exists yet. Returns the new version.
   */
  write(study: Study, expectedVersion?: string): Promise<string>;
  list(): Promise<string[]>;
  /**
   * Takes the study's lock so that one runner at a time drives it; throws {@link import('./errors').StudyLockedError}
   * when another live runner holds it. Optional: a store without locks (S3, where one state-machine execution
   * drives a study) relies on conditional writes alone.
   */
  acquireLock?(name: string): Promise<StudyLock>;
}

/** A held study lock. */
export interface StudyLock {
  /** Releases the lock. Idempotent. */
  release(): Promise<void>;
}

/** The wall clock, injectable so that tests run simulated time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
