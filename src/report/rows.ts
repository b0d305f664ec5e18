/**
 * The pure, presentation-free view of a study that the CLI, the SDK and the Lambda's Finalize step share: one
 * row per trial (like the SageMaker Python SDK's `HyperparameterTuningJobAnalytics` dataframe), status counters
 * (like `TrainingJobStatusCounters`), the best trial and a summary. No I/O, no clock: `now` is passed in.
 */
import type { HyperParameters, ObjectiveType, ParameterRanges } from '../core/types';
import type { Study, TrainingJobStatusCounters, Trial, TrialStatus } from '../study/types';
import { RUNG_CUT_REASON, rungReached, type HyperbandSettings } from '../core/hyperband';
import { engineHyperbandSettings, reportedValues } from '../study/hyperband';

/** One trial as a row of the results table. */
export interface TrialRow {
  /** 1-based trial number. */
  readonly trial: number;
  readonly jobName: string;
  readonly hyperParameters: HyperParameters;
  /**
   * Final objective value, as the training script reported it (not negated for Maximize). For a trial stopped
   * early, its last reported value (as SageMaker's FinalObjectiveValue); only completed trials compete for best.
   */
  readonly objective?: number;
  readonly status: TrialStatus;
  /** Seconds from start to end (to `now` while running); absent when the trial never started. */
  readonly durationSeconds?: number;
  /** ISO-8601 timestamps. */
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Why the trial failed or was stopped. */
  readonly reason?: string;
  /** Final values of every metric the trial reported (the objective's among them), by metric name. */
  readonly metrics?: Readonly<Record<string, number>>;
  /**
   * A Hyperband trial's course: the epochs it trained (objective values it reported, SageMaker's resource), its
   * bracket (the index of the first rung that judged it) and the highest rung level it passed, in epochs (0 before
   * the first).
   */
  readonly hyperband?: { readonly epochs: number; readonly bracket: number; readonly rung: number };
}

/** The objective of a study: which metric, and which way is better. */
export interface StudyObjective {
  readonly metricName: string;
  readonly type: ObjectiveType;
}

/** A study summarized for a status line, the report header or the Finalize step. */
export interface StudySummary {
  readonly name: string;
  readonly status: Study['status'];
  readonly statusReason?: string;
  readonly objective: StudyObjective;
  readonly strategy: string;
  readonly counters: TrainingJobStatusCounters;
  /** Number of trials recorded (any status). */
  readonly trials: number;
  /** `ResourceLimits.MaxNumberOfTrainingJobs`, when set. */
  readonly maxTrials?: number;
  /** `ResourceLimits.MaxParallelTrainingJobs`, when set. */
  readonly maxParallel?: number;
  /** `ResourceLimits.MaxRuntimeInSeconds`, when set. */
  readonly maxRuntimeSeconds?: number;
  readonly best?: TrialRow;
  readonly createdAt: string;
  readonly endedAt?: string;
  /** Seconds from the study's creation to its end (to `now` while it runs). */
  readonly elapsedSeconds: number;
  /** Sum of the trials' durations in seconds (the compute the study used). */
  readonly trialSeconds: number;
}

/** Options of {@link trialRows}. */
export interface TrialRowsOptions {
  /**
   * `trial`: by trial number; `objective`: completed trials best first (by the study's objective type), then
   * trials stopped early by their last value, then trials without a value in trial order. @default 'trial'
   */
  readonly sort?: 'trial' | 'objective';
  /** Milliseconds since the epoch, for the duration of running trials. @default the trial has no duration yet */
  readonly now?: number;
}

type Loose = Record<string, unknown> | undefined;

function record(value: unknown): Loose {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function tuningConfig(study: Study): Loose {
  return record(study.request.HyperParameterTuningJobConfig);
}

function positiveNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The objective metric and direction of a study's request. Defaults to an unnamed `Minimize` objective. */
export function studyObjective(study: Study): StudyObjective {
  const objective = record(tuningConfig(study)?.HyperParameterTuningJobObjective);
  const type = objective?.Type === 'Maximize' ? 'Maximize' : 'Minimize';
  const metricName = typeof objective?.MetricName === 'string' ? objective.MetricName : 'objective';
  return { metricName, type };
}

/** The search space of a study's request (empty when the request has none). */
export function studyRanges(study: Study): ParameterRanges {
  return (record(tuningConfig(study)?.ParameterRanges) ?? {}) as ParameterRanges;
}

/**
 * Hyperparameter names in a stable order: the request's ranges (integer, continuous, categorical, each in
 * request order), then any other name a trial carries (e.g. imported from a native tuning job), sorted.
 */
export function hyperParameterNames(study: Study): string[] {
  const ranges = studyRanges(study);
  const names: string[] = [];
  for (const list of [ranges.IntegerParameterRanges, ranges.ContinuousParameterRanges, ranges.CategoricalParameterRanges]) {
    for (const range of list ?? []) if (!names.includes(range.Name)) names.push(range.Name);
  }
  const extra = new Set<string>();
  for (const trial of study.trials) {
    for (const name of Object.keys(trial.hyperParameters)) if (!names.includes(name)) extra.add(name);
  }
  return [...names, ...[...extra].sort()];
}

/** Names of the metrics the trials reported besides the objective, sorted. */
export function otherMetricNames(study: Study): string[] {
  const objective = studyObjective(study).metricName;
  const names = new Set<string>();
  for (const t of study.trials) for (const name of Object.keys(t.finalMetrics ?? {})) if (name !== objective) names.add(name);
  return [...names].sort();
}

/** Whether `a` is a better objective value than `b` for the given direction. */
export function isBetter(a: number, b: number, type: ObjectiveType): boolean {
  return type === 'Maximize' ? a > b : a < b;
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function durationSeconds(trial: Trial, now: number | undefined): number | undefined {
  const start = parseTime(trial.startedAt);
  if (start === undefined) return undefined;
  const end = parseTime(trial.endedAt) ?? (trial.status === 'InProgress' ? now : undefined);
  return end === undefined ? undefined : Math.max(0, (end - start) / 1000);
}

function hasFiniteObjective(trial: Trial): trial is Trial & { objective: number } {
  return typeof trial.objective === 'number' && Number.isFinite(trial.objective);
}

/** Whether a trial counts for the best value: completed with a finite objective. */
function hasObjective(trial: Trial): trial is Trial & { objective: number } {
  return trial.status === 'Completed' && hasFiniteObjective(trial);
}

function toRow(trial: Trial, now: number | undefined, hyperband?: HyperbandSettings): TrialRow {
  const epochs = reportedValues(trial).length;
  return {
    trial: trial.number,
    jobName: trial.jobName,
    // Without a prototype: a parameter named like an Object member (toString, constructor) that a trial lacks reads
    // as undefined, not as the inherited function.
    hyperParameters: Object.assign(Object.create(null) as HyperParameters, trial.hyperParameters),
    objective: (trial.status === 'Completed' || trial.status === 'Stopped') && hasFiniteObjective(trial) ? trial.objective : undefined,
    status: trial.status,
    durationSeconds: durationSeconds(trial, now),
    startedAt: trial.startedAt,
    endedAt: trial.endedAt,
    reason: trial.failureReason ?? trial.stopReason,
    ...(trial.finalMetrics && Object.keys(trial.finalMetrics).length > 0 ? { metrics: { ...trial.finalMetrics } } : {}),
    ...(trial.hyperband
      ? { hyperband: { epochs, bracket: trial.hyperband.bracket, rung: rungOf(trial, epochs, hyperband) } }
      : {}),
  };
}

/** The rung a trial reached (see {@link rungReached}); while it runs, the last rung it passed. */
function rungOf(trial: Trial, epochs: number, settings: HyperbandSettings | undefined): number {
  const passed = trial.hyperband?.passed ?? 0;
  if (!settings || trial.status === 'InProgress') return passed;
  return rungReached(settings, epochs, passed, trial.status === 'Stopped' && (trial.stopReason ?? '').startsWith(RUNG_CUT_REASON));
}

/** One row per trial, like the SageMaker SDK's `HyperparameterTuningJobAnalytics.dataframe()`. */
export function trialRows(study: Study, options: TrialRowsOptions = {}): TrialRow[] {
  const hyperband = engineHyperbandSettings(study.request);
  const rows = [...study.trials].sort((a, b) => a.number - b.number).map((t) => toRow(t, options.now, hyperband));
  if (options.sort === 'objective') {
    const { type } = studyObjective(study);
    // Completed trials first (they compete for best), then trials stopped early at their last value, then the
    // rest; Array.prototype.sort is stable, so ties keep trial order.
    const group = (r: TrialRow): number => (r.objective === undefined ? 2 : r.status === 'Completed' ? 0 : 1);
    rows.sort((a, b) => {
      const g = group(a) - group(b);
      if (g !== 0 || a.objective === undefined || b.objective === undefined) return g;
      return type === 'Maximize' ? b.objective - a.objective : a.objective - b.objective;
    });
  }
  return rows;
}

/** The best completed trial (the earliest one on ties), or undefined when none completed with an objective. */
export function bestTrial(study: Study, now?: number): TrialRow | undefined {
  const { type } = studyObjective(study);
  let best: Trial | undefined;
  for (const trial of [...study.trials].sort((a, b) => a.number - b.number)) {
    if (hasObjective(trial) && (best === undefined || isBetter(trial.objective, best.objective as number, type))) best = trial;
  }
  return best === undefined ? undefined : toRow(best, now, engineHyperbandSettings(study.request));
}

/**
 * Counters like SageMaker's `TrainingJobStatusCounters`. A failed trial counts as `NonRetryableError`; each
 * infrastructure failure that was retried (`Trial.retries`) counts once as `RetryableError`, as SageMaker counts
 * the retried attempts.
 */
export function statusCounters(study: Study): TrainingJobStatusCounters {
  const counters: TrainingJobStatusCounters = { Completed: 0, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 };
  for (const trial of study.trials) {
    if (trial.status === 'Completed') counters.Completed++;
    else if (trial.status === 'InProgress') counters.InProgress++;
    else if (trial.status === 'Failed') counters.NonRetryableError++;
    else counters.Stopped++;
    counters.RetryableError += trial.retries ?? 0;
  }
  return counters;
}

/**
 * The best value after each trial, in trial-number order: `bestSoFar[i]` is the best objective among the
 * first `i + 1` trials (undefined until one completed).
 */
export function bestSoFar(study: Study): { trial: number; objective?: number; best?: number }[] {
  const { type } = studyObjective(study);
  let best: number | undefined;
  return [...study.trials]
    .sort((a, b) => a.number - b.number)
    .map((trial) => {
      const objective = hasObjective(trial) ? trial.objective : undefined;
      if (objective !== undefined && (best === undefined || isBetter(objective, best, type))) best = objective;
      return { trial: trial.number, objective, best };
    });
}

/** A study summarized: status, counters, budget, best trial, durations. `now` in milliseconds since the epoch. */
export function summarizeStudy(study: Study, now: number): StudySummary {
  const config = tuningConfig(study);
  const limits = record(config?.ResourceLimits);
  const created = parseTime(study.createdAt) ?? now;
  const ended = parseTime(study.endedAt) ?? (study.status === 'InProgress' || study.status === 'Stopping' ? now : undefined);
  const lastTrialEnd = Math.max(created, ...study.trials.map((t) => parseTime(t.endedAt) ?? created));
  const rows = trialRows(study, { now });
  return {
    name: study.name,
    status: study.status,
    statusReason: study.statusReason,
    objective: studyObjective(study),
    strategy: typeof config?.Strategy === 'string' ? config.Strategy : 'Bayesian',
    counters: statusCounters(study),
    trials: study.trials.length,
    maxTrials: positiveNumber(limits?.MaxNumberOfTrainingJobs),
    maxParallel: positiveNumber(limits?.MaxParallelTrainingJobs),
    maxRuntimeSeconds: positiveNumber(limits?.MaxRuntimeInSeconds),
    best: bestTrial(study, now),
    createdAt: study.createdAt,
    endedAt: study.endedAt,
    elapsedSeconds: Math.max(0, ((ended ?? lastTrialEnd) - created) / 1000),
    trialSeconds: rows.reduce((sum, row) => sum + (row.durationSeconds ?? 0), 0),
  };
}
