/**
 * The SDK's one study handle, whatever runs the study: in-process on this machine (local processes or SageMaker
 * training jobs, as `sagetune run` does) or on a deployed stack. Code written against one works against the other.
 */
import type { TrialRecord, TrialRow } from '../report';
import type { StudyEvent } from '../study/events';
import type { Study, StudyStatus, TrainingJobStatusCounters } from '../study/types';

/** What a study is and has come to, like SageMaker's `DescribeHyperParameterTuningJob`. */
export interface StudyDescription {
  readonly name: string;
  readonly status: StudyStatus;
  /** Why the study ended (a completion criterion, a budget, an error, a stop). */
  readonly statusReason?: string;
  /** `sagetune` (its optimizer) or `native` (SageMaker's tuning job ran or took over the study). */
  readonly engine: 'sagetune' | 'native';
  /** Where the trials run: `local` processes or `sagemaker` training jobs. */
  readonly backend: 'local' | 'sagemaker';
  /** `in-process` (this program drives it) or `deployed` (a stack's state machine does). */
  readonly runner: 'in-process' | 'deployed';
  /** Where the study lives: a folder, or an `s3://` URI. */
  readonly location: string;
  readonly objective: { readonly metricName: string; readonly type: 'Minimize' | 'Maximize' };
  readonly strategy: string;
  /** Counters like SageMaker's `TrainingJobStatusCounters`. */
  readonly trainingJobStatusCounters: TrainingJobStatusCounters;
  /** Trials recorded so far, and the budget. */
  readonly trials: number;
  readonly maxTrials?: number;
  readonly maxParallel?: number;
  /** The best completed trial, like SageMaker's `BestTrainingJob`. */
  readonly bestTrial?: {
    readonly trialNumber: number;
    readonly trainingJobName: string;
    readonly objective: number;
    readonly hyperParameters: Record<string, string | number>;
  };
  /**
   * The trial the optimizer recommends when it is not the best trial: the one whose value the Gaussian-process model
   * estimates best (its posterior mean), which on a noisy metric often beats the luckiest reported value.
   * `predicted` is that estimate, `bestTrialPredicted` the estimate at the best trial; both in the metric's units.
   */
  readonly recommendedTrial?: {
    readonly trialNumber: number;
    readonly objective: number;
    readonly predicted: number;
    readonly bestTrialPredicted?: number;
  };
  /** ISO-8601 times. */
  readonly createdAt: string;
  readonly endedAt?: string;
  /** Seconds from creation to the end (to now while it runs). */
  readonly elapsedSeconds: number;
  /** Seconds of training, summed over the trials. */
  readonly trainingSeconds: number;
  /** The deployed execution that drives the study, and its status (`RUNNING`, `SUCCEEDED`, `ABORTED`, ...). */
  readonly execution?: { readonly arn: string; readonly status?: string };
}

/** Options of {@link StudyHandle.wait}. */
export interface WaitOptions {
  /** Called with the study's description whenever it changes (and once at the start). */
  readonly onProgress?: (description: StudyDescription) => void;
  /** Called with each progress event (launches, completions, the best so far, ...): as they happen in-process, from the difference between two looks otherwise. */
  readonly onEvent?: (event: StudyEvent) => void;
  /** Called with the study document at each look (for a display that shows the trials). */
  readonly onStudy?: (study: Study) => void;
  /** Aborting it stops waiting (the study goes on); `wait` then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Seconds between two looks at a study this program does not drive. @default 10 (deployed), 1 (local store) */
  readonly pollSeconds?: number;
}

/** One study, whatever runs it. */
export interface StudyHandle {
  readonly name: string;
  /** Status, counters, best trial, time used, engine. */
  describe(): Promise<StudyDescription>;
  /** The study document itself (trials with all they recorded). */
  study(): Promise<Study>;
  /** One row per trial. */
  trials(): Promise<TrialRow[]>;
  /** One record per trial, with the SageMaker SDK's analytics column names. */
  results(options?: { readonly sort?: 'trial' | 'objective' }): Promise<TrialRecord[]>;
  /** The self-contained HTML report. */
  report(): Promise<string>;
  /** Waits until the study has ended; returns its description then. */
  wait(options?: WaitOptions): Promise<StudyDescription>;
  /** Stops the study and its running training jobs; it ends `Stopped`. Returns once the stop is under way. */
  stop(reason?: string): Promise<void>;
}

/** A study in a listing. */
export interface StudySummary {
  readonly name: string;
  readonly status: StudyStatus;
  readonly trials: number;
  readonly createdAt: string;
}

/** Where studies are started and found: this machine, or a deployed stack. */
export interface Studies {
  /** Starts a study from a request (an object, in the CreateHyperParameterTuningJob shape). */
  start(request: unknown, options?: StartOptions): Promise<StudyHandle>;
  /** The study of that name. @throws NotFoundError */
  attach(name: string): Promise<StudyHandle>;
  /** The studies there, by name. */
  list(): Promise<StudySummary[]>;
  /** Removes an ended study (its folder, or its S3 objects). @throws ConflictError while it runs */
  delete(name: string): Promise<void>;
}

/** Options of {@link Studies.start}. */
export interface StartOptions {
  /**
   * What to do when a study of that name exists: `resume` it (the same request only), or start it `afresh` when it
   * has ended (its trials are deleted first). @default 'resume'
   */
  readonly ifExists?: 'resume' | 'afresh';
}
