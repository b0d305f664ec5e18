/**
 * The SageMaker training-job backend: each trial attempt is one SageMaker training job, launched, watched and
 * stopped through the SageMaker API, with intermediate objective values read from CloudWatch.
 *
 * How it keeps the tick's guarantees on AWS:
 * - **Idempotent launch.** The job name is the trial's (deterministic) `jobName`. `ResourceInUse` on
 *   CreateTrainingJob means an earlier tick launched it and died before recording it: the job is adopted after
 *   checking that it runs this trial's hyperparameters (a job of another study of the same name is refused).
 * - **Reconciliation.** On its first poll of a study, the backend lists the study's jobs (ListTrainingJobs by name
 *   prefix) and stops any that still run although the study no longer runs them (an earlier attempt of a retried
 *   trial, a trial that ended while its launch was unconfirmed), so that no job is orphaned.
 * - **Errors.** Throttling and 5xx are retried with backoff; a launch that still fails, or hits an instance quota
 *   (`ResourceLimitExceeded`), is deferred to the next tick ({@link TrialLaunchDeferredError}) and fails no trial;
 *   a poll that cannot learn a job's status leaves that trial as it is ("unknown yet"). A `ValidationException`
 *   fails the trial; on the study's first launch it fails the study, with AWS's message.
 */
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  ListTrainingJobsCommand,
  StopTrainingJobCommand,
  type CreateTrainingJobRequest,
  type DescribeTrainingJobResponse,
  type SageMakerClient,
  type TrainingJobSummary,
} from '@aws-sdk/client-sagemaker';
import { createAwsClients, type AwsClientOverrides } from '../../aws/clients';
import { AwsAccessError, AwsTransientError, awsErrorCode, awsErrorMessage, classifyAwsError } from '../../aws/errors';
import { allPages, oldestFirstPage, withAwsRetry, type RetryOptions } from '../../aws/retry';
import { TrialLaunchDeferredError, TrialLaunchError } from '../../study/errors';
import { systemClock, type Clock, type LaunchResult, type Study, type Trial, type TrialBackend, type TrialSpec, type TrialUpdate } from '../../study/types';
import { objectiveOf } from './definition';
import { MAX_QUERIES_PER_CALL, buildGetMetricDataInput, finalMetricsOf, seriesFromResults, type MetricSeriesQuery } from './metrics';
import { isValidTrainingJobName, parseTrialJobName, studyJobPrefix } from './names';
import { buildCreateTrainingJobRequest } from './training-job-request';

/** Options of {@link SageMakerTrainingBackend}. */
export interface SageMakerBackendOptions {
  /** AWS region of the clients created here. @default - the SDK's resolution (AWS_REGION, profile) */
  readonly region?: string;
  /** Clients to use instead of creating them (tests, a Lambda's shared clients). */
  readonly clients?: Pick<AwsClientOverrides, 'sagemaker' | 'cloudwatch'>;
  /** Backoff of retried throttling and 5xx errors (see `withAwsRetry`). */
  readonly retry?: RetryOptions;
  /** Wall clock (the end of metric windows, grace periods). @default the system clock */
  readonly clock?: Clock;
  /** Where warnings go (quota reached, throttled, orphan stopped). @default console.warn */
  readonly warn?: (message: string) => void;
  /** DescribeTrainingJob calls in flight at once during a poll. @default 4 */
  readonly pollConcurrency?: number;
  /**
   * Seconds after a launch during which DescribeTrainingJob answering ResourceNotFound is taken for eventual
   * consistency (status unknown yet) rather than a lost job. @default 300
   */
  readonly notFoundGraceSeconds?: number;
}

/** What the backend keeps in `Trial.backendData`. */
export interface SageMakerTrialData {
  readonly engine: 'sagemaker';
  readonly trainingJobArn?: string;
}

/** Failure reasons of SageMaker that are the infrastructure's, not the training script's: retried by the tick. */
const INFRASTRUCTURE_FAILURE = /^(InternalServerError|CapacityError|InsufficientCapacity|ServiceUnavailable)\b|insufficient capacity|internal (server )?error/i;

/** True when a FailureReason of SageMaker describes an infrastructure failure (retryable). */
export function isInfrastructureFailure(reason: string | undefined): boolean {
  return reason !== undefined && INFRASTRUCTURE_FAILURE.test(reason);
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

function iso(date: Date | undefined): string | undefined {
  return date ? date.toISOString() : undefined;
}

/** The training-job backend. Implements the study layer's `TrialBackend`. */
export class SageMakerTrainingBackend implements TrialBackend {
  private readonly sagemaker: SageMakerClient;
  private readonly cloudwatch: CloudWatchClient;
  private readonly retry: RetryOptions;
  private readonly clock: Clock;
  private readonly warn: (message: string) => void;
  private readonly pollConcurrency: number;
  private readonly notFoundGraceMs: number;
  /** Whether CloudWatch refused GetMetricData (said once). */
  private metricsDenied = false;
  /** Studies this instance has reconciled with ListTrainingJobs. */
  private readonly reconciled = new Set<string>();

  constructor(options: SageMakerBackendOptions = {}) {
    const clients = createAwsClients({ region: options.region, clients: options.clients });
    this.sagemaker = clients.sagemaker;
    this.cloudwatch = clients.cloudwatch;
    this.retry = options.retry ?? {};
    this.clock = options.clock ?? systemClock;
    this.warn = options.warn ?? ((m) => console.warn(m));
    this.pollConcurrency = options.pollConcurrency ?? 4;
    this.notFoundGraceMs = (options.notFoundGraceSeconds ?? 300) * 1000;
  }

  /** The CreateTrainingJob request this backend sends for a trial (for inspection and dry runs). */
  createTrainingJobRequest(spec: TrialSpec): CreateTrainingJobRequest {
    return buildCreateTrainingJobRequest(spec.request, {
      study: spec.study,
      trialNumber: spec.trial.number,
      hyperParameters: spec.trial.hyperParameters,
      jobName: spec.trial.jobName,
    });
  }

  /**
   * Launches the trial's training job, or adopts it when it already exists.
   * @throws TrialLaunchDeferredError on an instance quota or persistent throttling (launch at a later tick);
   *   TrialLaunchError when SageMaker rejects the job (with `failsStudy` on the study's first launch);
   *   RequestValidationError when the request lacks what SageMaker needs.
   */
  async launch(spec: TrialSpec): Promise<LaunchResult> {
    const { trial } = spec;
    const first = isFirstLaunch(trial);
    if (!isValidTrainingJobName(trial.jobName)) {
      throw new TrialLaunchError(`Job name ${JSON.stringify(trial.jobName)} is not a valid SageMaker training-job name`, { failsStudy: first });
    }
    const input = this.createTrainingJobRequest(spec);
    try {
      const out = await withAwsRetry('SageMaker.CreateTrainingJob', () => this.sagemaker.send(new CreateTrainingJobCommand(input)), this.retry);
      return { adopted: false, backendData: trialData(out.TrainingJobArn) };
    } catch (error) {
      if (error instanceof AwsTransientError) {
        this.warn(`Launch of ${trial.jobName} deferred to the next tick: ${error.message}`);
        throw new TrialLaunchDeferredError(`SageMaker did not accept ${trial.jobName} yet (${error.kind}); it is launched at the next tick`, { cause: error });
      }
      switch (classifyAwsError(error)) {
        case 'exists':
          return this.adopt(input, first);
        case 'quota': {
          const message =
            `SageMaker refused to start ${trial.jobName} (${awsErrorCode(error)}: ${awsErrorMessage(error)}). The launch is deferred to the next tick; ` +
            `lower MaxParallelTrainingJobs or ask for a higher ${input.ResourceConfig?.InstanceType ?? 'instance'} quota for training jobs (Service Quotas)`;
          this.warn(message);
          throw new TrialLaunchDeferredError(message, { cause: error });
        }
        case 'validation':
          throw new TrialLaunchError(`SageMaker rejected training job ${trial.jobName}: ${awsErrorMessage(error)}`, { failsStudy: first, cause: error });
        default:
          throw error;
      }
    }
  }

  /** Adopts an existing job after checking it runs these hyperparameters. */
  private async adopt(input: CreateTrainingJobRequest, first: boolean): Promise<LaunchResult> {
    const name = input.TrainingJobName!;
    let existing: DescribeTrainingJobResponse;
    try {
      existing = await this.describe(name);
    } catch (error) {
      if (error instanceof AwsTransientError) {
        throw new TrialLaunchDeferredError(`Training job ${name} exists but could not be described yet; it is adopted at the next tick`, { cause: error });
      }
      throw error;
    }
    const mismatched = Object.entries(input.HyperParameters ?? {}).filter(([k, v]) => existing.HyperParameters?.[k] !== v);
    if (mismatched.length > 0) {
      const shown = mismatched.slice(0, 5).map(([k, v]) => `${k}=${v} (existing job: ${existing.HyperParameters?.[k] ?? 'absent'})`).join(', ');
      throw new TrialLaunchError(
        `A training job named ${name} already exists (created ${iso(existing.CreationTime) ?? 'earlier'}) with other hyperparameters: ${shown}. ` +
          'It belongs to an earlier study of the same name; choose another HyperParameterTuningJobName',
        { failsStudy: first },
      );
    }
    return { adopted: true, backendData: trialData(existing.TrainingJobArn) };
  }

  /**
   * Status, final metrics and the intermediate objective series of running trials. A trial whose job cannot be
   * described right now (throttling, eventual consistency just after launch) is left out: unknown yet.
   */
  async poll(study: Study, trials: readonly Trial[]): Promise<TrialUpdate[]> {
    if (!this.reconciled.has(study.name)) {
      try {
        await this.reconcile(study);
        this.reconciled.add(study.name);
      } catch (error) {
        if (!(error instanceof AwsTransientError)) throw error;
        this.warn(`Reconciliation of study ${study.name} deferred: ${error.message}`);
      }
    }
    const objective = objectiveOf(study.request).MetricName;
    const now = this.clock.now();
    const described = await mapLimited(trials, this.pollConcurrency, async (trial) => {
      try {
        return { trial, job: await this.describe(trial.jobName) };
      } catch (error) {
        if (error instanceof AwsTransientError) {
          this.warn(`Status of ${trial.jobName} unknown this tick: ${error.message}`);
          return { trial, job: undefined };
        }
        if (classifyAwsError(error) === 'notFound') {
          const launchedAt = trial.launchedAt ? Date.parse(trial.launchedAt) : now;
          if (now - launchedAt < this.notFoundGraceMs) return { trial, job: undefined };
          return { trial, job: null };
        }
        throw error;
      }
    });

    const series = await this.intermediateSeries(objective, described.flatMap((d) => (d.job?.TrainingStartTime ? [{ jobName: d.trial.jobName, startedAt: d.job.TrainingStartTime }] : [])));
    const updates: TrialUpdate[] = [];
    for (const { trial, job } of described) {
      if (job === undefined) continue;
      if (job === null) {
        updates.push({ number: trial.number, status: 'Failed', failureReason: `Training job ${trial.jobName} no longer exists on SageMaker`, retryable: true });
        continue;
      }
      updates.push(trialUpdateOf(trial.number, job, objective, series?.get(trial.jobName), { sageMakerRetriedInternalErrors: job.RetryStrategy !== undefined }));
    }
    return updates;
  }

  /**
   * Stops a trial's job. Idempotent: a job that has already ended, is stopping, or was never created is not an
   * error. When SageMaker keeps throttling, a launched trial's stop is left to the next tick (the tick repeats it
   * while the trial runs); for a trial whose launch is unconfirmed the error is thrown, since the tick would
   * otherwise take the trial for never launched.
   */
  async stop(_study: Study, trial: Trial, _reason: string): Promise<void> {
    try {
      await this.stopJob(trial.jobName);
    } catch (error) {
      if (error instanceof AwsTransientError && trial.launchedAt) {
        this.warn(`Stop of ${trial.jobName} deferred to the next tick: ${error.message}`);
        return;
      }
      throw error;
    }
  }

  /**
   * Lists the study's training jobs and stops those still running that the study no longer runs: earlier
   * attempts of retried trials and trials that have ended. Jobs of trial numbers the study does not know (a
   * concurrent writer's, or a deleted study's of the same name), and names it never recorded for a trial (another
   * study's whose name extends this one), are reported, not touched.
   * @returns the names of the jobs stopped.
   */
  async reconcile(study: Study): Promise<string[]> {
    const jobs = await this.listStudyJobs(study.name);
    const current = new Map(study.trials.map((t) => [t.number, t]));
    const stopped: string[] = [];
    for (const job of jobs) {
      if (job.TrainingJobStatus !== 'InProgress') continue;
      const name = job.TrainingJobName!;
      const parsed = parseTrialJobName(study.name, name)!;
      const trial = current.get(parsed.trialNumber);
      if (!trial) {
        this.warn(`Training job ${name} runs but study ${study.name} has no trial ${parsed.trialNumber}; left alone`);
        continue;
      }
      // Only a name the study recorded for this trial is its job. "<study>-123-150" may also be trial 150 of a study
      // named "<study>-123", which parses as trial 123, attempt 150 of this one.
      const attempts = new Set([trial.jobName, ...(trial.previousAttempts ?? []).map((a) => a.jobName)]);
      if (!attempts.has(name)) {
        this.warn(`Training job ${name} runs but study ${study.name} never launched it (another study's, whose name extends this one?); left alone`);
        continue;
      }
      const runsIt = trial.status === 'InProgress' && trial.jobName === name;
      if (runsIt) continue;
      this.warn(`Stopping orphaned training job ${name} (trial ${trial.number} is ${trial.status === 'InProgress' ? `now ${trial.jobName}` : trial.status})`);
      await this.stopJob(name);
      stopped.push(name);
    }
    return stopped;
  }

  /** Every training job whose name is one of the study's (ListTrainingJobs with the study's name prefix). */
  async listStudyJobs(study: string): Promise<TrainingJobSummary[]> {
    const jobs = await allPages(
      'SageMaker.ListTrainingJobs',
      (token) =>
        this.sagemaker.send(
          new ListTrainingJobsCommand({
            NameContains: studyJobPrefix(study),
            ...oldestFirstPage(token),
          }),
        ),
      (page) => page.TrainingJobSummaries,
      this.retry,
    );
    return jobs.filter((s) => s.TrainingJobName && parseTrialJobName(study, s.TrainingJobName));
  }

  private describe(name: string): Promise<DescribeTrainingJobResponse> {
    return withAwsRetry('SageMaker.DescribeTrainingJob', () => this.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name })), this.retry);
  }

  /**
   * StopTrainingJob, treating "already ended" and "does not exist" as done. Unlike {@link stop}, persistent throttling
   * is thrown (`AwsTransientError`), never deferred: for callers with no next tick to repeat the stop.
   */
  async stopJob(name: string): Promise<void> {
    try {
      await withAwsRetry('SageMaker.StopTrainingJob', () => this.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: name })), this.retry);
    } catch (error) {
      const kind = classifyAwsError(error);
      if (kind === 'notFound') return;
      if (kind === 'validation') {
        // SageMaker refuses to stop a job that is not InProgress: make sure that is the reason.
        let job: DescribeTrainingJobResponse;
        try {
          job = await this.describe(name);
        } catch (describeError) {
          if (classifyAwsError(describeError) === 'notFound') return;
          throw describeError;
        }
        if (job.TrainingJobStatus !== 'InProgress') return;
      }
      throw error;
    }
  }

  /** Intermediate objective series of the started jobs; undefined when CloudWatch cannot answer this tick. */
  private async intermediateSeries(metric: string, jobs: MetricSeriesQuery[]): Promise<Map<string, MetricSeriesResult> | undefined> {
    if (jobs.length === 0) return new Map();
    const end = new Date(this.clock.now());
    const out = new Map<string, MetricSeriesResult>();
    try {
      for (let i = 0; i < jobs.length; i += MAX_QUERIES_PER_CALL) {
        const chunk = jobs.slice(i, i + MAX_QUERIES_PER_CALL);
        const input = buildGetMetricDataInput(metric, chunk, end);
        const pages: MetricDataResult[][] = [];
        let token: string | undefined;
        do {
          const page = await withAwsRetry(
            'CloudWatch.GetMetricData',
            () => this.cloudwatch.send(new GetMetricDataCommand({ ...input, ...(token ? { NextToken: token } : {}) })),
            this.retry,
          );
          pages.push(page.MetricDataResults ?? []);
          token = page.NextToken;
        } while (token);
        for (const [name, points] of seriesFromResults(chunk, pages)) out.set(name, points);
      }
      return out;
    } catch (error) {
      if (error instanceof AwsAccessError) {
        // Not a passing failure: without cloudwatch:GetMetricData there are no intermediate values at all, so early
        // stopping cannot act. Said once per backend, with what to grant, rather than every tick.
        if (!this.metricsDenied) {
          this.metricsDenied = true;
          this.warn(`Intermediate ${metric} values are unavailable, so early stopping cannot act: ${error.message}`);
        }
        return undefined;
      }
      if (error instanceof AwsTransientError || classifyAwsError(error) === 'other') {
        this.warn(`Intermediate ${metric} values unavailable this tick: ${awsErrorCode(error)}: ${awsErrorMessage(error)}`);
        return undefined;
      }
      throw error;
    }
  }
}

type MetricSeriesResult = NonNullable<TrialUpdate['objectiveSeries']>;

function trialData(arn: string | undefined): Record<string, unknown> {
  return { engine: 'sagemaker' as const, ...(arn ? { trainingJobArn: arn } : {}) } satisfies SageMakerTrialData;
}

/** The study's first launch: trial 1, first attempt. A rejection there means the request itself is wrong. */
function isFirstLaunch(trial: Trial): boolean {
  return trial.number === 1 && (trial.attempt ?? 0) === 0;
}

/**
 * Maps DescribeTrainingJob to the study's view of a trial. A failure is retryable (the tick starts the trial again
 * under a new job name) when it is the infrastructure's, except an InternalServerError of a job that had a
 * RetryStrategy: SageMaker has already retried that one itself, as often as the request allows.
 */
export function trialUpdateOf(
  number: number,
  job: DescribeTrainingJobResponse,
  objectiveMetric: string,
  series?: MetricSeriesResult,
  options: { sageMakerRetriedInternalErrors?: boolean } = {},
): TrialUpdate {
  const finalMetrics = finalMetricsOf(job.FinalMetricDataList);
  const objective = finalMetrics[objectiveMetric];
  const common = {
    number,
    ...(Object.keys(finalMetrics).length > 0 ? { finalMetrics } : {}),
    ...(series && series.length > 0 ? { objectiveSeries: series } : {}),
    ...(job.TrainingStartTime ? { startedAt: job.TrainingStartTime.toISOString() } : {}),
  };
  const endedAt = iso(job.TrainingEndTime ?? job.LastModifiedTime);
  switch (job.TrainingJobStatus) {
    case 'Completed':
      return {
        ...common,
        status: 'Completed',
        ...(objective !== undefined ? { objective } : { failureReason: `The training job completed without reporting the objective metric ${objectiveMetric}` }),
        ...(endedAt ? { endedAt } : {}),
      };
    case 'Failed':
      return {
        ...common,
        status: 'Failed',
        failureReason: job.FailureReason ?? 'The training job failed without a reason',
        retryable: isInfrastructureFailure(job.FailureReason) && !(options.sageMakerRetriedInternalErrors && /^InternalServerError/.test(job.FailureReason ?? '')),
        ...(endedAt ? { endedAt } : {}),
      };
    case 'Stopped':
      return {
        ...common,
        status: 'Stopped',
        ...(objective !== undefined ? { objective } : {}),
        ...(job.SecondaryStatus === 'MaxRuntimeExceeded' || job.SecondaryStatus === 'MaxWaitTimeExceeded'
          ? { failureReason: `${job.SecondaryStatus}: the job reached its StoppingCondition` }
          : {}),
        ...(endedAt ? { endedAt } : {}),
      };
    default:
      // InProgress and Stopping: still running as far as the study is concerned.
      return { ...common, status: 'InProgress' };
  }
}

/** Options of {@link createSageMakerBackend}. */
export type CreateSageMakerBackendOptions = SageMakerBackendOptions;

/**
 * Creates the SageMaker training-job backend (`sagetune run --backend sagemaker`, the Lambda tick). Credentials
 * come from the SDK's default chain; the caller needs the IAM permissions listed in the README ("Running on
 * SageMaker").
 */
export function createSageMakerBackend(options: CreateSageMakerBackendOptions = {}): SageMakerTrainingBackend {
  return new SageMakerTrainingBackend(options);
}
