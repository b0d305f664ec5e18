/**
 * A stateful fake of the parts of SageMaker and CloudWatch that sagetune calls, behind aws-sdk-client-mock: jobs
 * move InProgress -> Completed / Failed / Stopped over the time of an injected clock, metrics are served from each
 * job's planned curve at CloudWatch's one-minute resolution, and the service's own rules apply:
 *
 * - every request is validated against the AWS service model (test/support/aws-models) and rejected with a
 *   ValidationException naming the issues, as SageMaker would (and `invalidRequests` counts them, so a test can
 *   assert that none was sent);
 * - CreateTrainingJob of an existing name -> ResourceInUse; more running jobs than `instanceQuota` ->
 *   ResourceLimitExceeded; Describe/Stop of an unknown job -> "ValidationException: Requested resource not
 *   found." as the real service answers (its API model declares ResourceNotFound; aws/aws-sdk#165) (Stop of an
 *   ended job -> ValidationException); ListTrainingJobs filters NameContains and pages by MaxResults;
 * - `failNext(operation, errorName, times)` injects errors (throttling, 5xx, quotas) into the next calls.
 */
import { CloudWatchClient, CloudWatchServiceException, GetMetricDataCommand, type GetMetricDataInput, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import {
  CreateHyperParameterTuningJobCommand,
  CreateTrainingJobCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeTrainingJobCommand,
  ListTrainingJobsCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  SageMakerClient,
  SageMakerServiceException,
  StopHyperParameterTuningJobCommand,
  StopTrainingJobCommand,
  type CreateTrainingJobRequest,
  type DescribeTrainingJobResponse,
  type TrainingJobSummary,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsServiceModel, formatIssues } from '../../support/aws-model';

export interface Clock {
  now(): number;
}

/** How a fake training job goes, decided from its hyperparameters when it is created. */
export interface FakeJobPlan {
  /** Seconds from creation to the start of training (instance provisioning, image download). @default 60 */
  readonly startupSeconds?: number;
  /** Seconds of training. */
  readonly trainingSeconds: number;
  /** Intermediate objective values, one per minute of training (the last one is the final value). */
  readonly curve: readonly number[];
  /** Make the job fail at its end with this reason. */
  readonly failureReason?: string;
  /** Other final metrics. */
  readonly otherMetrics?: Record<string, number>;
}

export type FakeTrainer = (hyperParameters: Record<string, string>, jobName: string) => FakeJobPlan;

interface FakeJob {
  readonly input: CreateTrainingJobRequest;
  readonly createdMs: number;
  readonly plan: FakeJobPlan;
  stoppedMs?: number;
}

const sagemakerModel = AwsServiceModel.load('sagemaker');
const cloudwatchModel = AwsServiceModel.load('cloudwatch');

export function sageMakerError(name: string, message: string, status = 400): SageMakerServiceException {
  return new SageMakerServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });
}

export function cloudWatchError(name: string, message: string, status = 400): CloudWatchServiceException {
  return new CloudWatchServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });
}

const STATUS_OF_ERROR: Record<string, number> = { ThrottlingException: 400, InternalFailure: 500, ServiceUnavailable: 503, Throttling: 400 };

export class FakeSageMaker {
  readonly sagemaker = new SageMakerClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  readonly cloudwatch = new CloudWatchClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  readonly sagemakerMock: ReturnType<typeof mockClient>;
  readonly cloudwatchMock: ReturnType<typeof mockClient>;
  readonly jobs = new Map<string, FakeJob>();
  /** Every request received, by operation, after validation. */
  readonly requests: { operation: string; input: unknown }[] = [];
  /** Requests that did not fit the service model (rejected with ValidationException). */
  readonly invalidRequests: { operation: string; issues: string }[] = [];
  /** Most training jobs InProgress at once, over the fake's life. */
  maxConcurrent = 0;
  /** Running jobs allowed before CreateTrainingJob answers ResourceLimitExceeded. @default Infinity */
  instanceQuota = Infinity;
  private readonly injected: { operation: string; name: string; times: number; match?: (input: Record<string, unknown>) => boolean }[] = [];

  /** Called once per request (e.g. to advance a simulated clock by a network latency). */
  onRequest: (operation: string) => void = () => {};

  /**
   * @param options.mockClasses serve every SageMakerClient and CloudWatchClient of the process (class-level mocks,
   *   for code that creates its own clients), not only this fake's two instances.
   */
  constructor(
    private readonly clock: Clock,
    private readonly trainer: FakeTrainer,
    options: { mockClasses?: boolean } = {},
  ) {
    this.sagemakerMock = mockClient(options.mockClasses ? SageMakerClient : this.sagemaker);
    this.cloudwatchMock = mockClient(options.mockClasses ? CloudWatchClient : this.cloudwatch);
    this.handle(CreateTrainingJobCommand, 'CreateTrainingJob', (input) => this.create(input as CreateTrainingJobRequest));
    this.handle(DescribeTrainingJobCommand, 'DescribeTrainingJob', (input) => this.describe((input as { TrainingJobName: string }).TrainingJobName));
    this.handle(StopTrainingJobCommand, 'StopTrainingJob', (input) => this.stop((input as { TrainingJobName: string }).TrainingJobName));
    this.handle(ListTrainingJobsCommand, 'ListTrainingJobs', (input) => this.list(input as { NameContains?: string; MaxResults?: number; NextToken?: string }));
    this.cloudwatchMock.on(GetMetricDataCommand).callsFake(async (input: GetMetricDataInput) => {
      this.onRequest('GetMetricData');
      this.check(cloudwatchModel, 'GetMetricData', input, (m) => cloudWatchError('InvalidParameterValue', m));
      this.inject('GetMetricData', input, (n, m) => cloudWatchError(n, m, STATUS_OF_ERROR[n] ?? 400));
      return { MetricDataResults: this.metricData(input) };
    });
  }

  /**
   * The next `times` calls of `operation` (those whose input satisfies `match`, when given) fail with `errorName`
   * (e.g. ThrottlingException, InternalFailure, ResourceLimitExceeded).
   */
  failNext(operation: string, errorName: string, times = 1, match?: (input: Record<string, unknown>) => boolean): void {
    this.injected.push({ operation, name: errorName, times, match });
  }

  /** Injected failures not yet served (0 once every failure asked for has hit a call). */
  pendingFailures(): number {
    return this.injected.reduce((n, x) => n + x.times, 0);
  }

  /** Names of the training jobs created, in creation order. */
  get created(): string[] {
    return [...this.jobs.keys()];
  }

  /** Calls received for an operation. */
  calls(operation: string): unknown[] {
    return this.requests.filter((r) => r.operation === operation).map((r) => r.input);
  }

  /** The status of a job now, as DescribeTrainingJob reports it. */
  statusOf(name: string): string | undefined {
    const job = this.jobs.get(name);
    return job ? this.view(job).TrainingJobStatus : undefined;
  }

  private handle(command: unknown, operation: string, fn: (input: unknown) => unknown): void {
    // Each command class narrows the client's input union, which `on` cannot express for a parameter.
    this.sagemakerMock.on(command as never).callsFake(async (input: unknown) => {
      this.onRequest(operation);
      this.check(sagemakerModel, operation, input, (m) => sageMakerError('ValidationException', m));
      this.inject(operation, input, (n, m) => sageMakerError(n, m, STATUS_OF_ERROR[n] ?? 400));
      return fn(input);
    });
  }

  private check(model: AwsServiceModel, operation: string, input: unknown, error: (message: string) => Error): void {
    const issues = model.validateInput(operation, input);
    if (issues.length > 0) {
      this.invalidRequests.push({ operation, issues: formatIssues(issues) });
      throw error(`1 validation error detected: ${formatIssues(issues)}`);
    }
    this.requests.push({ operation, input: structuredClone(input) });
  }

  private inject(operation: string, input: unknown, make: (name: string, message: string) => Error): void {
    const i = this.injected.findIndex((x) => x.operation === operation && (!x.match || x.match(input as Record<string, unknown>)));
    if (i < 0) return;
    const entry = this.injected[i];
    entry.times -= 1;
    if (entry.times <= 0) this.injected.splice(i, 1);
    throw make(entry.name, `${entry.name} injected into ${operation}`);
  }

  private running(): number {
    return [...this.jobs.values()].filter((j) => this.view(j).TrainingJobStatus === 'InProgress').length;
  }

  private create(input: CreateTrainingJobRequest): { TrainingJobArn: string } {
    const name = input.TrainingJobName!;
    if (this.jobs.has(name)) throw sageMakerError('ResourceInUse', `Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:aws:sagemaker:us-east-1:111122223333:training-job/${name})`);
    if (this.running() >= this.instanceQuota) {
      throw sageMakerError('ResourceLimitExceeded', `The account-level service limit 'ml.m5.xlarge for training job usage' is ${this.instanceQuota} Instances`);
    }
    this.jobs.set(name, { input, createdMs: this.clock.now(), plan: this.trainer(input.HyperParameters ?? {}, name) });
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running());
    return { TrainingJobArn: arn(name) };
  }

  private describe(name: string): DescribeTrainingJobResponse {
    const job = this.jobs.get(name);
    if (!job) throw sageMakerError('ValidationException', 'Requested resource not found.');
    return this.view(job);
  }

  private stop(name: string): Record<string, never> {
    const job = this.jobs.get(name);
    if (!job) throw sageMakerError('ValidationException', 'Requested resource not found.');
    const status = this.view(job).TrainingJobStatus;
    if (status !== 'InProgress') throw sageMakerError('ValidationException', `The request was rejected because the training job is in status ${status}.`);
    job.stoppedMs = this.clock.now();
    return {};
  }

  private list(input: { NameContains?: string; MaxResults?: number; NextToken?: string }): { TrainingJobSummaries: TrainingJobSummary[]; NextToken?: string } {
    const all = [...this.jobs.entries()]
      .filter(([name]) => !input.NameContains || name.includes(input.NameContains))
      .map(([name, job]) => {
        const v = this.view(job);
        return { TrainingJobName: name, TrainingJobArn: arn(name), CreationTime: v.CreationTime, TrainingJobStatus: v.TrainingJobStatus } as TrainingJobSummary;
      });
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const size = input.MaxResults ?? 10;
    const page = all.slice(start, start + size);
    return { TrainingJobSummaries: page, ...(start + size < all.length ? { NextToken: String(start + size) } : {}) };
  }

  private view(job: FakeJob): DescribeTrainingJobResponse {
    const now = this.clock.now();
    const startMs = job.createdMs + (job.plan.startupSeconds ?? 60) * 1000;
    const naturalEnd = startMs + job.plan.trainingSeconds * 1000;
    const name = job.input.TrainingJobName!;
    const base: DescribeTrainingJobResponse = {
      TrainingJobName: name,
      TrainingJobArn: arn(name),
      ModelArtifacts: { S3ModelArtifacts: `${job.input.OutputDataConfig?.S3OutputPath}/${name}/output/model.tar.gz` },
      TrainingJobStatus: 'InProgress',
      SecondaryStatus: now < startMs ? 'Starting' : 'Training',
      StoppingCondition: job.input.StoppingCondition,
      CreationTime: new Date(job.createdMs),
      HyperParameters: job.input.HyperParameters,
      AlgorithmSpecification: job.input.AlgorithmSpecification,
      RoleArn: job.input.RoleArn,
      ...(now >= startMs ? { TrainingStartTime: new Date(startMs) } : {}),
    };
    const metricName = this.objectiveName(job);
    const finalMetrics = (endMs: number) => {
      const points = this.points(job, endMs);
      const list = points.length > 0 ? [{ MetricName: metricName, Value: points[points.length - 1].value, Timestamp: new Date(endMs) }] : [];
      for (const [k, v] of Object.entries(job.plan.otherMetrics ?? {})) list.push({ MetricName: k, Value: v, Timestamp: new Date(endMs) });
      return list;
    };
    if (job.stoppedMs !== undefined && job.stoppedMs < naturalEnd) {
      // Stopping for 30 s, then Stopped.
      if (now < job.stoppedMs + 30_000) return { ...base, TrainingJobStatus: 'Stopping', SecondaryStatus: 'Stopping' };
      return { ...base, TrainingJobStatus: 'Stopped', SecondaryStatus: 'Stopped', TrainingEndTime: new Date(job.stoppedMs), FinalMetricDataList: finalMetrics(job.stoppedMs) };
    }
    if (now < naturalEnd) return base;
    if (job.plan.failureReason) {
      return { ...base, TrainingJobStatus: 'Failed', SecondaryStatus: 'Failed', FailureReason: job.plan.failureReason, TrainingEndTime: new Date(naturalEnd) };
    }
    return { ...base, TrainingJobStatus: 'Completed', SecondaryStatus: 'Completed', TrainingEndTime: new Date(naturalEnd), FinalMetricDataList: finalMetrics(naturalEnd) };
  }

  /**
   * When a job reaches (or reached) its terminal status, and which: its natural end, or 30 s after a stop. Undefined
   * while a stop is not requested and the job runs without end.
   */
  endOf(name: string): { at: number; status: 'Completed' | 'Failed' | 'Stopped' } | undefined {
    const job = this.jobs.get(name);
    if (!job) return undefined;
    const startMs = job.createdMs + (job.plan.startupSeconds ?? 60) * 1000;
    const naturalEnd = startMs + job.plan.trainingSeconds * 1000;
    if (job.stoppedMs !== undefined && job.stoppedMs < naturalEnd) return { at: job.stoppedMs + 30_000, status: 'Stopped' };
    return { at: naturalEnd, status: job.plan.failureReason ? 'Failed' : 'Completed' };
  }

  /** Objective metric name, as the algorithm emits it (set by the test through `objectiveMetric`). */
  objectiveMetric = 'validation:auc';

  private objectiveName(_job: FakeJob): string {
    return this.objectiveMetric;
  }

  /** The job's metric points published up to `untilMs` (one per minute of training, at the minute's end). */
  private points(job: FakeJob, untilMs: number): { ts: number; value: number }[] {
    const startMs = job.createdMs + (job.plan.startupSeconds ?? 60) * 1000;
    const end = Math.min(untilMs, job.stoppedMs ?? Infinity, startMs + job.plan.trainingSeconds * 1000);
    const out: { ts: number; value: number }[] = [];
    job.plan.curve.forEach((value, i) => {
      const ts = startMs + (i + 1) * 60_000;
      if (ts <= end) out.push({ ts, value });
    });
    return out;
  }

  private metricData(input: GetMetricDataInput): MetricDataResult[] {
    const start = (input.StartTime as Date).getTime();
    const end = (input.EndTime as Date).getTime();
    const now = this.clock.now();
    return (input.MetricDataQueries ?? []).map((q) => {
      const metric = q.MetricStat?.Metric;
      const host = metric?.Dimensions?.find((d) => d.Name === 'Host')?.Value ?? '';
      const jobName = host.replace(/\/algo-1$/, '');
      const job = this.jobs.get(jobName);
      const ok = metric?.Namespace === '/aws/sagemaker/TrainingJobs' && metric.MetricName === this.objectiveMetric && host.endsWith('/algo-1');
      // CloudWatch aggregates into the period containing each point (periods aligned on the minute).
      const points = ok && job ? this.points(job, now).filter((p) => p.ts >= start && p.ts < end) : [];
      const byPeriod = new Map<number, number[]>();
      for (const p of points) {
        const bucket = Math.floor(p.ts / 60_000) * 60_000;
        byPeriod.set(bucket, [...(byPeriod.get(bucket) ?? []), p.value]);
      }
      const buckets = [...byPeriod.keys()].sort((a, b) => a - b);
      return {
        Id: q.Id,
        Label: metric?.MetricName,
        Timestamps: buckets.map((b) => new Date(b)),
        Values: buckets.map((b) => byPeriod.get(b)!.reduce((s, v) => s + v, 0) / byPeriod.get(b)!.length),
        StatusCode: 'Complete',
      };
    });
  }

  /** Registers handlers for the tuning-job operations (see the native tests). */
  onTuningJobs(handlers: {
    create?: (input: unknown) => unknown;
    describe?: (input: unknown) => unknown;
    list?: (input: unknown) => unknown;
    stop?: (input: unknown) => unknown;
  }): void {
    if (handlers.create) this.handle(CreateHyperParameterTuningJobCommand, 'CreateHyperParameterTuningJob', handlers.create);
    if (handlers.describe) this.handle(DescribeHyperParameterTuningJobCommand, 'DescribeHyperParameterTuningJob', handlers.describe);
    if (handlers.list) this.handle(ListTrainingJobsForHyperParameterTuningJobCommand, 'ListTrainingJobsForHyperParameterTuningJob', handlers.list);
    if (handlers.stop) this.handle(StopHyperParameterTuningJobCommand, 'StopHyperParameterTuningJob', handlers.stop);
  }
}

export function arn(name: string): string {
  return `arn:aws:sagemaker:us-east-1:111122223333:training-job/${name.toLowerCase()}`;
}
