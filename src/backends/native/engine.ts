/**
 * The native engine: a study run by SageMaker's own tuning job instead of sagetune's optimizer. sagetune starts the
 * tuning job (CreateHyperParameterTuningJob), follows it (DescribeHyperParameterTuningJob) and imports its training
 * jobs into the study as trials (ListTrainingJobsForHyperParameterTuningJob, DescribeTrainingJob for every metric),
 * so that results, reports and the SDK look the same whichever engine ran. Stopping the study stops the tuning job.
 *
 * It is chosen when the request asks for it (`Sagetune.Engine: 'native'`), when the request needs what sagetune's
 * engine does not do (see {@link nativeOnlyFeatures}), and as the deployed state machine's fallback, which hands a
 * study over with its remaining budget ({@link NativeTuningEngine.start} with `takeOver`).
 *
 * {@link nativeTick} is the native counterpart of the study layer's `tick`: read the study, start or follow the
 * tuning job, write the study (conditionally); safe to repeat after a crash at any line (the tuning job's name is
 * deterministic, and an existing job of that name is adopted after checking it is this study's).
 */
import {
  CreateHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeTrainingJobCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  StopHyperParameterTuningJobCommand,
  StopTrainingJobCommand,
  type DescribeHyperParameterTuningJobResponse,
  type HyperParameterTrainingJobSummary,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { HyperParameters } from '../../core/types';
import { createAwsClients } from '../../aws/clients';
import { AwsTransientError, awsErrorMessage, classifyAwsError } from '../../aws/errors';
import { allPages, oldestFirstPage, withAwsRetry, type RetryOptions } from '../../aws/retry';
import { StudyConflictError, StudyNotFoundError } from '../../study/errors';
import type { StudyEvent } from '../../study/events';
import type { TuningRequest } from '../../study/request';
import { activeRuntimeSeconds, closeSession, isTerminal, iso, openStudy } from '../../study/study';
import { realSleep, type Sleep } from '../../study/runner';
import type { TickResult } from '../../study/tick';
import { systemClock, type Clock, type Study, type StudyStore, type Trial, type TrialStatus } from '../../study/types';
import { awsView } from '../sagemaker/definition';
import { finalMetricsOf } from '../sagemaker/metrics';
import { nativeTuningJobName } from '../sagemaker/names';
import { buildCreateHyperParameterTuningJobRequest, type RemainingBudget } from './tuning-job-request';

/** Features of a request that only SageMaker's own tuner runs; empty when sagetune's engine can run it. */
export function nativeOnlyFeatures(request: TuningRequest): string[] {
  const view = awsView(request);
  const out: string[] = [];
  if (view.TrainingJobDefinitions && view.TrainingJobDefinitions.length > 0) out.push('TrainingJobDefinitions (several algorithms)');
  if (view.Autotune) out.push('Autotune');
  if (view.HyperParameterTuningJobConfig.ParameterRanges?.AutoParameters?.length) out.push('ParameterRanges.AutoParameters');
  return out;
}

/** Which engine runs a request: `native` when asked for, or when the request needs a native-only feature. */
export function chooseEngine(request: TuningRequest): 'sagetune' | 'native' {
  return request.Sagetune.Engine === 'native' || nativeOnlyFeatures(request).length > 0 ? 'native' : 'sagetune';
}

/** The budget a study has left: trials (MaxNumberOfTrainingJobs less the trials recorded) and runtime. */
export function remainingBudget(study: Study, now: number): RemainingBudget {
  const limits = study.request.HyperParameterTuningJobConfig.ResourceLimits;
  return {
    ...(limits.MaxNumberOfTrainingJobs !== undefined ? { maxNumberOfTrainingJobs: limits.MaxNumberOfTrainingJobs - study.trials.length } : {}),
    ...(limits.MaxRuntimeInSeconds !== undefined
      ? { maxRuntimeInSeconds: Math.max(0, limits.MaxRuntimeInSeconds - activeRuntimeSeconds(study, now)) }
      : {}),
  };
}

/** Options of {@link NativeTuningEngine}. */
export interface NativeEngineOptions {
  /** AWS region of the client created here. @default - the SDK's resolution */
  readonly region?: string;
  readonly clients?: { readonly sagemaker?: SageMakerClient };
  /** Backoff of retried throttling and 5xx errors. */
  readonly retry?: RetryOptions;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Where warnings go. @default console.warn */
  readonly warn?: (message: string) => void;
}

/** What one step of the native engine did. */
export interface NativeStep {
  /** The study after the step (a new object; the input is not modified). */
  readonly study: Study;
  /** True when the study changed and must be written. */
  readonly changed: boolean;
  readonly events: StudyEvent[];
}

const STATUS: Record<string, TrialStatus> = { InProgress: 'InProgress', Stopping: 'InProgress', Completed: 'Completed', Failed: 'Failed', Stopped: 'Stopped' };

/** Starts, follows and stops SageMaker tuning jobs on behalf of studies. */
export class NativeTuningEngine {
  private readonly sagemaker: SageMakerClient;
  private readonly retry: RetryOptions;
  private readonly clock: Clock;
  private readonly warn: (message: string) => void;

  constructor(options: NativeEngineOptions = {}) {
    this.sagemaker = createAwsClients({ region: options.region, clients: options.clients }).sagemaker;
    this.retry = options.retry ?? {};
    this.clock = options.clock ?? systemClock;
    this.warn = options.warn ?? ((m) => console.warn(m));
  }

  /**
   * Starts the study's tuning job (or adopts it when a previous step created it and died before recording it).
   * With `takeOver`, the study's running sagetune trials are stopped and recorded as such, and the tuning job gets
   * the remaining budget. A ValidationException fails the study with AWS's message; a quota or persistent
   * throttling leaves it unstarted (the next step tries again).
   */
  async start(input: Study, options: { takeOver?: boolean } = {}): Promise<NativeStep> {
    const study = structuredClone(input);
    const events: StudyEvent[] = [];
    const now = this.clock.now();
    const trialsBefore = study.trials.length;
    const tuningJobName = nativeTuningJobName(study.name, trialsBefore);
    if (options.takeOver) {
      for (const trial of study.trials.filter((t) => t.status === 'InProgress')) {
        await this.stopTrainingJob(trial.jobName);
        trial.status = 'Stopped';
        trial.stopReason = `Handed over to the native tuning job ${tuningJobName}`;
        trial.endedAt = iso(now);
        events.push({ type: 'trial-stopped', time: now, trial: trial.number, jobName: trial.jobName, reason: trial.stopReason });
      }
    }
    const plan = buildCreateHyperParameterTuningJobRequest(study.request, {
      study: study.name,
      tuningJobName,
      takeOver: options.takeOver === true || trialsBefore > 0,
      ...(trialsBefore > 0 || options.takeOver ? { remaining: remainingBudget(study, now) } : {}),
    });
    for (const note of plan.notes) this.warn(`Native tuning job ${tuningJobName}: ${note}`);
    let arn: string | undefined;
    try {
      const out = await withAwsRetry('SageMaker.CreateHyperParameterTuningJob', () => this.sagemaker.send(new CreateHyperParameterTuningJobCommand(plan.input)), this.retry);
      arn = out.HyperParameterTuningJobArn;
    } catch (error) {
      const kind = error instanceof AwsTransientError ? 'transient' : classifyAwsError(error);
      if (kind === 'exists') {
        const existing = await this.describeTuningJob(tuningJobName);
        const mismatch = tuningJobMismatch(plan.input, existing);
        if (mismatch) {
          return this.fail(study, events, `A SageMaker tuning job named ${tuningJobName} already exists and is not this study's (${mismatch}); choose another HyperParameterTuningJobName`);
        }
        arn = existing.HyperParameterTuningJobArn;
      } else if (kind === 'validation') {
        return this.fail(study, events, `SageMaker rejected the tuning job ${tuningJobName}: ${awsErrorMessage(error)}`);
      } else if (kind === 'quota' || kind === 'transient' || kind === 'throttling') {
        this.warn(`Native tuning job ${tuningJobName} not started yet (${awsErrorMessage(error)}); the next step tries again`);
        return { study, changed: events.length > 0, events };
      } else {
        throw error;
      }
    }
    study.native = { tuningJobName, ...(arn ? { tuningJobArn: arn } : {}), trialsBefore };
    return { study, changed: true, events };
  }

  /**
   * Follows the study's tuning job: imports its training jobs as trials (new ones numbered after the trials the
   * study had before, in creation order; known ones updated), and ends the study when the tuning job has ended.
   * A tuning job that cannot be described this step (throttling) leaves the study unchanged.
   */
  async refresh(input: Study): Promise<NativeStep> {
    if (!input.native) throw new Error(`Study ${input.name} has no native tuning job to follow`);
    const study = structuredClone(input);
    const native = study.native!;
    const events: StudyEvent[] = [];
    let job: DescribeHyperParameterTuningJobResponse;
    let summaries: HyperParameterTrainingJobSummary[];
    try {
      job = await this.describeTuningJob(native.tuningJobName);
      summaries = await this.listTuningTrainingJobs(native.tuningJobName);
    } catch (error) {
      if (error instanceof AwsTransientError) {
        this.warn(`Native tuning job ${native.tuningJobName} unknown this step: ${error.message}`);
        return { study, changed: false, events };
      }
      throw error;
    }
    const before = JSON.stringify(study);
    await this.importTrainingJobs(study, summaries, events);

    const status = job.HyperParameterTuningJobStatus;
    const now = this.clock.now();
    if (status === 'Completed' || status === 'Failed' || status === 'Stopped') {
      study.status = status;
      study.statusReason = status === 'Failed' ? `The native tuning job failed: ${job.FailureReason ?? 'no reason given'}` : completionReason(job);
      study.endedAt = iso(job.HyperParameterTuningEndTime?.getTime() ?? now);
      delete study.ending;
      closeSession(study, now);
      events.push({ type: 'study-ended', time: now, status: study.status, reason: study.statusReason });
    } else if (status === 'Stopping' && study.status === 'InProgress') {
      study.status = 'Stopping';
    }
    return { study, changed: JSON.stringify(study) !== before, events };
  }

  /** Stops the study's tuning job. Idempotent: a tuning job that has ended (or was never started) is left as it is. */
  async stop(study: Study): Promise<void> {
    if (!study.native) return;
    const name = study.native.tuningJobName;
    try {
      await withAwsRetry('SageMaker.StopHyperParameterTuningJob', () => this.sagemaker.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })), this.retry);
    } catch (error) {
      const kind = classifyAwsError(error);
      if (kind === 'notFound') return;
      if (kind === 'validation') {
        const job = await this.describeTuningJob(name);
        if (job.HyperParameterTuningJobStatus !== 'InProgress') return;
      }
      throw error;
    }
  }

  private async importTrainingJobs(study: Study, summaries: HyperParameterTrainingJobSummary[], events: StudyEvent[]): Promise<void> {
    const native = study.native!;
    const byJob = new Map(study.trials.map((t) => [t.jobName, t]));
    const ordered = [...summaries].sort(
      (a, b) => (a.CreationTime?.getTime() ?? 0) - (b.CreationTime?.getTime() ?? 0) || (a.TrainingJobName ?? '').localeCompare(b.TrainingJobName ?? ''),
    );
    for (const summary of ordered) {
      const jobName = summary.TrainingJobName!;
      const existing = byJob.get(jobName);
      const status = STATUS[summary.TrainingJobStatus ?? 'InProgress'] ?? 'InProgress';
      if (existing && existing.status !== 'InProgress') continue; // already final
      const now = this.clock.now();
      const trial: Trial =
        existing ??
        ({
          number: study.trials.length + 1,
          suggestionId: `native:${jobName}`,
          hyperParameters: parseTunedHyperParameters(study.request, summary.TunedHyperParameters ?? {}),
          status: 'InProgress',
          jobName,
          createdAt: iso(summary.CreationTime?.getTime() ?? now),
          launchedAt: iso(summary.CreationTime?.getTime() ?? now),
          backendData: { engine: 'native', tuningJobName: native.tuningJobName, ...(summary.TrainingJobArn ? { trainingJobArn: summary.TrainingJobArn } : {}) },
        } satisfies Trial);
      if (!existing) {
        study.trials.push(trial);
        byJob.set(jobName, trial);
        events.push({ type: 'trial-launched', time: now, trial: trial.number, jobName, attempt: 0, hyperParameters: trial.hyperParameters, adopted: true });
      }
      if (summary.TrainingStartTime) trial.startedAt = summary.TrainingStartTime.toISOString();
      if (status === 'InProgress') continue;
      const objective = summary.FinalHyperParameterTuningJobObjectiveMetric?.Value;
      // Every metric the job reported, for results and reports (the summary carries only the objective).
      try {
        const described = await withAwsRetry('SageMaker.DescribeTrainingJob', () => this.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName })), this.retry);
        const metrics = finalMetricsOf(described.FinalMetricDataList);
        if (Object.keys(metrics).length > 0) trial.finalMetrics = metrics;
      } catch (error) {
        if (!(error instanceof AwsTransientError)) throw error;
        this.warn(`Metrics of ${jobName} not imported this step: ${error.message}`);
        continue; // stays InProgress; imported at the next step
      }
      trial.status = status === 'Completed' && objective === undefined ? 'Failed' : status;
      trial.endedAt = iso(summary.TrainingEndTime?.getTime() ?? now);
      if (objective !== undefined && Number.isFinite(objective)) trial.objective = objective;
      const time = Date.parse(trial.endedAt);
      if (trial.status === 'Completed') {
        events.push({ type: 'trial-completed', time, trial: trial.number, jobName, objective: trial.objective! });
      } else if (trial.status === 'Failed') {
        trial.failureReason =
          summary.FailureReason ?? (status === 'Completed' ? 'The training job completed without reporting the objective metric' : 'The training job failed');
        events.push({ type: 'trial-failed', time, trial: trial.number, jobName, reason: trial.failureReason, retrying: false });
      } else {
        trial.stopReason = 'Stopped by the native tuning job';
        events.push({ type: 'trial-stopped', time, trial: trial.number, jobName, reason: trial.stopReason, ...(trial.objective !== undefined ? { objective: trial.objective } : {}) });
      }
    }
  }

  private fail(study: Study, events: StudyEvent[], reason: string): NativeStep {
    const now = this.clock.now();
    study.status = 'Failed';
    study.statusReason = reason;
    study.endedAt = iso(now);
    closeSession(study, now);
    events.push({ type: 'study-ended', time: now, status: 'Failed', reason });
    return { study, changed: true, events };
  }

  private describeTuningJob(name: string): Promise<DescribeHyperParameterTuningJobResponse> {
    return withAwsRetry('SageMaker.DescribeHyperParameterTuningJob', () => this.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })), this.retry);
  }

  private listTuningTrainingJobs(name: string): Promise<HyperParameterTrainingJobSummary[]> {
    return allPages(
      'SageMaker.ListTrainingJobsForHyperParameterTuningJob',
      (token) =>
        this.sagemaker.send(
          new ListTrainingJobsForHyperParameterTuningJobCommand({
            HyperParameterTuningJobName: name,
            ...oldestFirstPage(token),
          }),
        ),
      (page) => page.TrainingJobSummaries,
      this.retry,
    );
  }

  private async stopTrainingJob(name: string): Promise<void> {
    try {
      await withAwsRetry('SageMaker.StopTrainingJob', () => this.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: name })), this.retry);
    } catch (error) {
      const kind = classifyAwsError(error);
      if (kind === 'notFound' || kind === 'validation') return; // never launched, or already ended
      throw error;
    }
  }
}

/** Why a tuning job that existed under our name is not this study's; undefined when it is. */
function tuningJobMismatch(
  wanted: { HyperParameterTuningJobConfig?: DescribeHyperParameterTuningJobResponse['HyperParameterTuningJobConfig'] },
  existing: DescribeHyperParameterTuningJobResponse,
): string | undefined {
  const a = wanted.HyperParameterTuningJobConfig;
  const b = existing.HyperParameterTuningJobConfig;
  if (a?.HyperParameterTuningJobObjective?.MetricName !== b?.HyperParameterTuningJobObjective?.MetricName) {
    return `its objective is ${b?.HyperParameterTuningJobObjective?.MetricName ?? 'unset'}`;
  }
  if (JSON.stringify(normalizeRanges(a?.ParameterRanges)) !== JSON.stringify(normalizeRanges(b?.ParameterRanges))) return 'its parameter ranges differ';
  return undefined;
}

function normalizeRanges(ranges: unknown): unknown {
  const r = (ranges ?? {}) as Record<string, { Name?: string }[] | undefined>;
  const out: Record<string, unknown> = {};
  for (const key of ['IntegerParameterRanges', 'ContinuousParameterRanges', 'CategoricalParameterRanges']) {
    const list = r[key] ?? [];
    if (list.length > 0) out[key] = [...list].map((x) => ({ ...x, ScalingType: (x as { ScalingType?: string }).ScalingType ?? 'Auto' })).sort((x, y) => (x.Name ?? '').localeCompare(y.Name ?? ''));
  }
  return out;
}

function completionReason(job: DescribeHyperParameterTuningJobResponse): string {
  const details = job.TuningJobCompletionDetails;
  if (job.HyperParameterTuningJobStatus === 'Stopped') return 'The native tuning job was stopped';
  if (details?.ConvergenceDetectedTime) return 'The native tuning job detected convergence';
  if (details?.NumberOfTrainingJobsObjectiveNotImproving !== undefined) {
    return `The native tuning job completed (${details.NumberOfTrainingJobsObjectiveNotImproving} training jobs without improvement)`;
  }
  return 'The native tuning job completed';
}

/**
 * The tuned hyperparameters of an imported training job, typed as the study's ranges say: numbers for integer and
 * continuous ranges, strings for categorical ones (and for names the ranges do not know).
 */
export function parseTunedHyperParameters(request: TuningRequest, tuned: Record<string, string>): HyperParameters {
  const ranges = awsView(request).HyperParameterTuningJobConfig.ParameterRanges ?? {};
  const numeric = new Set([...(ranges.IntegerParameterRanges ?? []), ...(ranges.ContinuousParameterRanges ?? [])].map((r) => r.Name));
  const out: HyperParameters = {};
  for (const [name, raw] of Object.entries(tuned)) {
    const unquoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    const value = Number(unquoted);
    out[name] = numeric.has(name) && unquoted.trim() !== '' && Number.isFinite(value) ? value : unquoted;
  }
  return out;
}

/** What {@link nativeTick} needs. */
export interface NativeTickDeps {
  readonly store: StudyStore;
  readonly engine: NativeTuningEngine;
  readonly clock: Clock;
}

/**
 * One step of a native study: starts its tuning job if it has none, stops it if the study was asked to stop,
 * otherwise follows it; writes the study conditionally when it changed. Same result shape as the study layer's
 * `tick`, so runners and the Lambda treat both engines alike.
 * @throws StudyNotFoundError; StudyConflictError on a lost write race (run it again).
 */
export async function nativeTick(name: string, deps: NativeTickDeps): Promise<TickResult> {
  const read = await deps.store.read(name);
  if (!read) throw new StudyNotFoundError(name);
  let version = read.version;
  if (isTerminal(read.value.status)) return { study: read.value, version, done: true, events: [], nextTickSeconds: 0 };
  let step: NativeStep;
  if (!read.value.native) {
    step = await deps.engine.start(read.value, { takeOver: read.value.trials.some((t) => t.status === 'InProgress') });
  } else {
    if (read.value.status === 'Stopping') {
      try {
        await deps.engine.stop(read.value);
      } catch (error) {
        // Throttled: the study stays Stopping, so the next step asks again.
        if (!(error instanceof AwsTransientError)) throw error;
      }
    }
    step = await deps.engine.refresh(read.value);
  }
  const study = step.study;
  if (step.changed) {
    study.lastTickAt = iso(deps.clock.now());
    version = await deps.store.write(study, version);
  }
  const done = isTerminal(study.status);
  return { study, version, done, events: step.events, nextTickSeconds: done ? 0 : study.request.Sagetune.PollIntervalSeconds };
}

/**
 * Hands a study over to SageMaker's tuning job (the deployed state machine's fallback when the sagetune engine
 * fails beyond its retries): running sagetune trials are stopped, the tuning job gets the remaining budget, and the
 * study continues `InProgress` under the native engine (follow it with {@link nativeTick}). A study already handed
 * over is returned as it is; one that ended Completed or Stopped is not reopened. Retries lost write races.
 * @param reason why the study is handed over (kept in the study's `statusReason` until the tuning job ends).
 */
export async function handOverToNative(name: string, deps: NativeTickDeps & { readonly reason: string }): Promise<TickResult> {
  for (let attempt = 0; ; attempt++) {
    const read = await deps.store.read(name);
    if (!read) throw new StudyNotFoundError(name);
    const current = read.value;
    if (current.native || current.status === 'Completed' || current.status === 'Stopped') {
      return { study: current, version: read.version, done: isTerminal(current.status), events: [], nextTickSeconds: isTerminal(current.status) ? 0 : current.request.Sagetune.PollIntervalSeconds };
    }
    const reopened: Study = { ...structuredClone(current), status: 'InProgress', statusReason: `Handed over to SageMaker's tuning job: ${deps.reason}` };
    delete reopened.endedAt;
    delete reopened.ending;
    const step = await deps.engine.start(reopened, { takeOver: true });
    const study = step.study;
    study.lastTickAt = iso(deps.clock.now());
    try {
      const version = await deps.store.write(study, read.version);
      const done = isTerminal(study.status);
      return { study, version, done, events: step.events, nextTickSeconds: done ? 0 : study.request.Sagetune.PollIntervalSeconds };
    } catch (error) {
      if (!(error instanceof StudyConflictError) || attempt >= 5) throw error;
      // Someone wrote meanwhile. With the same number of trials the next attempt derives the same tuning-job name
      // and adopts the job just created; with more trials it would derive another, so this one is stopped.
      const fresh = await deps.store.read(name);
      if (study.native && fresh && fresh.value.trials.length !== current.trials.length) await deps.engine.stop(study);
    }
  }
}

/** Options of {@link runNativeStudy}. */
export interface RunNativeStudyOptions {
  readonly request: TuningRequest;
  readonly store: StudyStore;
  readonly engine: NativeTuningEngine;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default real timers */
  readonly sleep?: Sleep;
  /** Aborting it stops waiting; the tuning job keeps running on SageMaker and the next run follows it again. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: StudyEvent) => void;
}

/**
 * Runs a study with the native engine until SageMaker's tuning job ends: creates or resumes the study, then repeats
 * {@link nativeTick} every `Sagetune.PollIntervalSeconds`. Interrupting it leaves the tuning job running; running
 * the same request again follows it where it is.
 */
export async function runNativeStudy(options: RunNativeStudyOptions): Promise<{ study: Study; interrupted: boolean }> {
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? realSleep;
  const name = options.request.HyperParameterTuningJobName;
  const opened = await openStudy(options.request, options.store, clock);
  options.onEvent?.({ type: 'study-started', time: clock.now(), study: name, resumed: opened.resumed });
  let study = opened.value;
  let conflicts = 0;
  while (!isTerminal(study.status)) {
    if (options.signal?.aborted) return { study, interrupted: true };
    let result: TickResult;
    try {
      result = await nativeTick(name, { store: options.store, engine: options.engine, clock });
      conflicts = 0;
    } catch (error) {
      if (error instanceof StudyConflictError && ++conflicts <= 5) continue;
      throw error;
    }
    study = result.study;
    for (const event of result.events) options.onEvent?.(event);
    if (result.done) break;
    try {
      await sleep(result.nextTickSeconds * 1000, options.signal);
    } catch (error) {
      if (options.signal?.aborted) return { study, interrupted: true };
      throw error;
    }
  }
  return { study, interrupted: false };
}
