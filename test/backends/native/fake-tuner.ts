/**
 * SageMaker's tuning job, faked on top of {@link FakeSageMaker}: CreateHyperParameterTuningJob records the request;
 * the tuning job then launches its training jobs on the fake SageMaker over simulated time (a fixed schedule of
 * configurations, `MaxParallelTrainingJobs` at a time, a wave every 7 minutes); Describe, List and Stop answer as
 * SageMaker does. Every request is validated against the AWS model by the fake SageMaker.
 */
import type { CreateHyperParameterTuningJobRequest, DescribeHyperParameterTuningJobResponse, HyperParameterTrainingJobSummary } from '@aws-sdk/client-sagemaker';
import { arn, sageMakerError, type Clock, type FakeSageMaker, type FakeTrainer } from '../sagemaker/fake-aws';

/** SageMaker's tuning job, faked: a schedule of configurations launched `parallel` at a time, every 7 minutes. */
export class FakeTuner {
  input?: CreateHyperParameterTuningJobRequest;
  createdMs = 0;
  stoppedMs?: number;
  /** Page size of ListTrainingJobsForHyperParameterTuningJob (small, to exercise NextToken). */
  pageSize = 2;

  constructor(
    private readonly fake: FakeSageMaker,
    private readonly clock: Clock,
    private readonly trainer: FakeTrainer,
  ) {
    fake.onTuningJobs({
      create: (input) => {
        const req = input as CreateHyperParameterTuningJobRequest;
        if (this.input) throw sageMakerError('ResourceInUse', `Tuning job ${req.HyperParameterTuningJobName} already exists`);
        this.input = req;
        this.createdMs = this.clock.now();
        return { HyperParameterTuningJobArn: `arn:aws:sagemaker:us-east-1:111122223333:hyper-parameter-tuning-job/${req.HyperParameterTuningJobName!.toLowerCase()}` };
      },
      describe: (input) => this.describe((input as { HyperParameterTuningJobName: string }).HyperParameterTuningJobName),
      list: (input) => this.list(input as { HyperParameterTuningJobName: string; NextToken?: string }),
      stop: () => {
        const status = this.status();
        if (status !== 'InProgress') throw sageMakerError('ValidationException', `The tuning job is in status ${status}`);
        this.stoppedMs = this.clock.now();
        for (const [name, job] of this.fake.jobs) if (name.startsWith(this.name) && this.fake.statusOf(name) === 'InProgress') job.stoppedMs = this.clock.now();
        return {};
      },
    });
  }

  get name(): string {
    return this.input!.HyperParameterTuningJobName!;
  }

  private get total(): number {
    return this.input!.HyperParameterTuningJobConfig!.ResourceLimits!.MaxNumberOfTrainingJobs!;
  }

  private get parallel(): number {
    return this.input!.HyperParameterTuningJobConfig!.ResourceLimits!.MaxParallelTrainingJobs!;
  }

  /** Configuration k of the schedule. */
  private config(k: number): Record<string, string> {
    return { eta: String(0.05 + 0.01 * k), max_depth: String(3 + (k % 6)), min_child_weight: '1', subsample: '0.9', alpha: '0', lambda: '1' };
  }

  private jobName(k: number): string {
    return `${this.name.slice(0, 32)}-${String(k + 1).padStart(3, '0')}-${'abcdef01'.slice(0, 8)}`;
  }

  /** Creates on the fake SageMaker the training jobs whose time has come. */
  private materialize(): void {
    if (!this.input) return;
    for (let k = 0; k < this.total; k++) {
      const at = this.createdMs + Math.floor(k / this.parallel) * 7 * 60_000;
      const name = this.jobName(k);
      if (at > this.clock.now() || this.fake.jobs.has(name) || (this.stoppedMs !== undefined && at >= this.stoppedMs)) continue;
      const def = this.input.TrainingJobDefinition!;
      const hps = this.config(k);
      this.fake.jobs.set(name, {
        input: { TrainingJobName: name, HyperParameters: { ...def.StaticHyperParameters, ...hps }, AlgorithmSpecification: def.AlgorithmSpecification, RoleArn: def.RoleArn, OutputDataConfig: def.OutputDataConfig, StoppingCondition: def.StoppingCondition, ...(this.input.Tags ? { Tags: this.input.Tags } : {}) },
        createdMs: at,
        plan: this.trainer(hps, name),
      });
    }
  }

  private jobs(): string[] {
    this.materialize();
    return [...this.fake.jobs.keys()].filter((n) => this.input && n.startsWith(`${this.name}-`));
  }

  status(): 'InProgress' | 'Completed' | 'Stopped' {
    const names = this.jobs();
    const running = names.some((n) => this.fake.statusOf(n) === 'InProgress' || this.fake.statusOf(n) === 'Stopping');
    if (this.stoppedMs !== undefined) return running ? 'InProgress' : 'Stopped';
    return names.length === this.total && !running ? 'Completed' : 'InProgress';
  }

  private describe(name: string): DescribeHyperParameterTuningJobResponse {
    if (!this.input || name !== this.name) throw sageMakerError('ResourceNotFound', `Amazon SageMaker can't find a tuning job with name ${name}`);
    const status = this.stoppedMs !== undefined && this.status() === 'InProgress' ? 'Stopping' : this.status();
    return {
      HyperParameterTuningJobName: this.name,
      HyperParameterTuningJobArn: `arn:aws:sagemaker:us-east-1:111122223333:hyper-parameter-tuning-job/${this.name}`,
      HyperParameterTuningJobConfig: this.input.HyperParameterTuningJobConfig,
      HyperParameterTuningJobStatus: status,
      CreationTime: new Date(this.createdMs),
      TrainingJobStatusCounters: {},
      ObjectiveStatusCounters: {},
      ...(status === 'Completed' || status === 'Stopped' ? { HyperParameterTuningEndTime: new Date(this.clock.now()) } : {}),
    };
  }

  private list(input: { HyperParameterTuningJobName: string; NextToken?: string }): { TrainingJobSummaries: HyperParameterTrainingJobSummary[]; NextToken?: string } {
    const all = this.jobs().map((name): HyperParameterTrainingJobSummary => {
      const d = this.fake.jobs.get(name)!;
      const status = this.fake.statusOf(name)! as HyperParameterTrainingJobSummary['TrainingJobStatus'];
      const tuned = Object.fromEntries(Object.entries(d.input.HyperParameters!).filter(([k]) => ['eta', 'max_depth', 'min_child_weight', 'subsample', 'alpha', 'lambda'].includes(k)));
      const ended = status === 'Completed' || status === 'Stopped';
      const last = d.plan.curve[d.plan.curve.length - 1];
      return {
        TrainingJobName: name,
        TrainingJobArn: arn(name),
        CreationTime: new Date(d.createdMs),
        TrainingJobStatus: status,
        TunedHyperParameters: tuned,
        TrainingStartTime: new Date(d.createdMs + 60_000),
        ...(ended ? { TrainingEndTime: new Date(d.createdMs + 360_000), FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'validation:auc', Value: last }, ObjectiveStatus: 'Succeeded' } : {}),
      };
    });
    const start = input.NextToken ? Number(input.NextToken) : 0;
    return { TrainingJobSummaries: all.slice(start, start + this.pageSize), ...(start + this.pageSize < all.length ? { NextToken: String(start + this.pageSize) } : {}) };
  }
}
