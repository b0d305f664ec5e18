import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, ListTrainingJobsCommand, SageMakerClient, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AwsTransientError } from '../../../src/aws/errors';
import { SageMakerTrainingBackend, createSageMakerBackend, isInfrastructureFailure, trialUpdateOf } from '../../../src/backends/sagemaker/backend';
import { buildCreateTrainingJobRequest } from '../../../src/backends/sagemaker/training-job-request';
import { FakeClock } from '../../../src/backends/simulated';
import { TrialLaunchDeferredError, TrialLaunchError } from '../../../src/study/errors';
import { parseTuningRequest, type TuningRequest } from '../../../src/study/request';
import { trialJobName } from '../../../src/study/study';
import type { Study, Trial } from '../../../src/study/types';
import { FakeSageMaker, sageMakerError, type FakeTrainer } from './fake-aws';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const REQUEST: TuningRequest = parseTuningRequest(JSON.parse(readFileSync(join(__dirname, '../../../examples/xgboost/request.json'), 'utf8')));
const STUDY = REQUEST.HyperParameterTuningJobName;
const HPS = { eta: 0.1, max_depth: 5, min_child_weight: 2, subsample: 0.9, alpha: 0.1, lambda: 1 };

function trial(number: number, extra: Partial<Trial> = {}): Trial {
  return { number, suggestionId: `s${number}`, hyperParameters: HPS, status: 'InProgress', jobName: trialJobName(STUDY, number), createdAt: '2025-01-01T00:00:00.000Z', ...extra };
}

function study(trials: Trial[]): Study {
  return { schemaVersion: 1, name: STUDY, request: REQUEST, status: 'InProgress', createdAt: '2025-01-01T00:00:00.000Z', trials };
}

/** 10 minutes of training, AUC rising 0.80 -> 0.89. */
const trainer: FakeTrainer = () => ({ trainingSeconds: 600, curve: [0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88, 0.89], otherMetrics: { 'train:auc': 0.95 } });
const noSleep = async (): Promise<void> => {};

function setup(options: { trainer?: FakeTrainer } = {}) {
  const clock = new FakeClock(Date.UTC(2025, 0, 1, 12, 0, 0));
  const fake = new FakeSageMaker(clock, options.trainer ?? trainer);
  const warnings: string[] = [];
  const backend = createSageMakerBackend({
    clients: { sagemaker: fake.sagemaker, cloudwatch: fake.cloudwatch },
    clock,
    retry: { sleep: noSleep, maxAttempts: 3 },
    warn: (m) => warnings.push(m),
  });
  return { clock, fake, backend, warnings };
}

afterEach(() => jest.restoreAllMocks());

describe('launch', () => {
  it('sends the CreateTrainingJob request of the trial, exactly as built, and keeps the job ARN', async () => {
    const { fake, backend } = setup();
    const spec = { study: STUDY, request: REQUEST, trial: trial(1) };
    const result = await backend.launch(spec);
    expect(result).toEqual({ adopted: false, backendData: { engine: 'sagemaker', trainingJobArn: 'arn:aws:sagemaker:us-east-1:111122223333:training-job/xgboost-breast-cancer-001' } });
    expect(fake.sagemakerMock).toHaveReceivedCommandTimes(CreateTrainingJobCommand, 1);
    const sent = fake.sagemakerMock.commandCalls(CreateTrainingJobCommand)[0].args[0].input;
    expect(sent).toEqual(buildCreateTrainingJobRequest(REQUEST, { study: STUDY, trialNumber: 1, hyperParameters: HPS, jobName: 'xgboost-breast-cancer-001' }));
    // What went over the wire, field by field.
    expect(sent.TrainingJobName).toBe('xgboost-breast-cancer-001');
    expect(sent.HyperParameters).toEqual({
      objective: 'binary:logistic',
      eval_metric: 'auc',
      num_round: '300',
      early_stopping_rounds: '20',
      verbosity: '1',
      eta: '0.1',
      max_depth: '5',
      min_child_weight: '2',
      subsample: '0.9',
      alpha: '0.1',
      lambda: '1',
    });
    expect(sent.AlgorithmSpecification).toEqual({ TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', TrainingInputMode: 'File' });
    expect(sent.RoleArn).toBe('arn:aws:iam::111122223333:role/SageMakerExecutionRole');
    expect(sent.InputDataConfig?.map((c) => [c.ChannelName, c.DataSource?.S3DataSource?.S3Uri, c.ContentType])).toEqual([
      ['train', 's3://amzn-s3-demo-bucket/sagetune/xgboost/train/', 'text/csv'],
      ['validation', 's3://amzn-s3-demo-bucket/sagetune/xgboost/validation/', 'text/csv'],
    ]);
    expect(sent.OutputDataConfig).toEqual({ S3OutputPath: 's3://amzn-s3-demo-bucket/sagetune/xgboost/output/xgboost-breast-cancer' });
    expect(sent.ResourceConfig).toEqual({ InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 });
    expect(sent.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 1800 });
    expect(sent.Tags).toEqual([
      { Key: 'project', Value: 'sagetune-example' },
      { Key: 'sagetune:study', Value: 'xgboost-breast-cancer' },
      { Key: 'sagetune:trial', Value: '1' },
    ]);
    expect(Object.keys(sent).sort()).toEqual(['AlgorithmSpecification', 'HyperParameters', 'InputDataConfig', 'OutputDataConfig', 'ResourceConfig', 'RoleArn', 'StoppingCondition', 'Tags', 'TrainingJobName']);
    expect(fake.invalidRequests).toEqual([]);
  });

  it('adopts a job that already exists with the same hyperparameters (a repeated tick)', async () => {
    const { fake, backend } = setup();
    await backend.launch({ study: STUDY, request: REQUEST, trial: trial(2) });
    const again = await backend.launch({ study: STUDY, request: REQUEST, trial: trial(2) });
    expect(again).toEqual({ adopted: true, backendData: { engine: 'sagemaker', trainingJobArn: expect.stringContaining('xgboost-breast-cancer-002') } });
    expect(fake.created).toEqual(['xgboost-breast-cancer-002']);
    expect(fake.sagemakerMock).toHaveReceivedCommandWith(DescribeTrainingJobCommand, { TrainingJobName: 'xgboost-breast-cancer-002' });
  });

  it('refuses to adopt a job of the same name with other hyperparameters; on the first launch that fails the study', async () => {
    const { backend } = setup();
    await backend.launch({ study: STUDY, request: REQUEST, trial: trial(1, { hyperParameters: { ...HPS, eta: 0.3 } }) });
    const error = await backend.launch({ study: STUDY, request: REQUEST, trial: trial(1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrialLaunchError);
    expect(error).toMatchObject({ failsStudy: true, retryable: false });
    expect((error as Error).message).toMatch(/already exists .* eta=0.1 \(existing job: 0.3\).*choose another HyperParameterTuningJobName/);
  });

  it('retries throttling and 5xx with backoff and succeeds', async () => {
    const { fake, backend } = setup();
    fake.failNext('CreateTrainingJob', 'ThrottlingException', 1);
    fake.failNext('CreateTrainingJob', 'InternalFailure', 1);
    await expect(backend.launch({ study: STUDY, request: REQUEST, trial: trial(1) })).resolves.toMatchObject({ adopted: false });
    expect(fake.created).toEqual(['xgboost-breast-cancer-001']);
  });

  it('defers the launch (no trial failed) when throttling outlasts the retries', async () => {
    const { fake, backend, warnings } = setup();
    fake.failNext('CreateTrainingJob', 'ThrottlingException', 3);
    const error = await backend.launch({ study: STUDY, request: REQUEST, trial: trial(1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrialLaunchDeferredError);
    expect((error as Error).cause).toBeInstanceOf(AwsTransientError);
    expect(fake.created).toEqual([]);
    expect(warnings.join('\n')).toMatch(/deferred to the next tick/);
  });

  it('defers launches on ResourceLimitExceeded with a warning naming the quota, without retrying', async () => {
    const { fake, backend, warnings } = setup();
    fake.failNext('CreateTrainingJob', 'ResourceLimitExceeded', 1);
    const error = await backend.launch({ study: STUDY, request: REQUEST, trial: trial(3) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrialLaunchDeferredError);
    expect(fake.sagemakerMock).toHaveReceivedCommandTimes(CreateTrainingJobCommand, 1);
    expect(warnings).toEqual([expect.stringMatching(/refused to start xgboost-breast-cancer-003 \(ResourceLimitExceeded: .*\).*ml\.m5\.xlarge quota/)]);
  });

  it('fails the study on a ValidationException at the first launch, and only the trial on a later one, with AWS message', async () => {
    const mock = mockClient(SageMakerClient);
    const backend = new SageMakerTrainingBackend({ clients: { sagemaker: new SageMakerClient({ region: 'us-east-1' }) }, retry: { sleep: noSleep }, warn: () => {} });
    const awsMessage = 'Could not access model data at s3://amzn-s3-demo-bucket/... Please ensure that the role exists';
    mock.on(CreateTrainingJobCommand).rejects(sageMakerError('ValidationException', awsMessage));
    const first = await backend.launch({ study: STUDY, request: REQUEST, trial: trial(1) }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TrialLaunchError);
    expect(first).toMatchObject({ failsStudy: true, message: `SageMaker rejected training job xgboost-breast-cancer-001: ${awsMessage}` });
    const later = await backend.launch({ study: STUDY, request: REQUEST, trial: trial(5) }).catch((e: unknown) => e);
    expect(later).toMatchObject({ name: 'TrialLaunchError', failsStudy: false });
    const retry = await backend.launch({ study: STUDY, request: REQUEST, trial: trial(1, { attempt: 1, jobName: trialJobName(STUDY, 1, 1) }) }).catch((e: unknown) => e);
    expect(retry).toMatchObject({ failsStudy: false });
    expect(mock).toHaveReceivedCommandTimes(CreateTrainingJobCommand, 3);
  });

  it('turns access denied and missing credentials into one clear AwsAccessError (a user error), not retried', async () => {
    const mock = mockClient(SageMakerClient);
    const backend = new SageMakerTrainingBackend({ clients: { sagemaker: new SageMakerClient({ region: 'us-east-1' }) }, retry: { sleep: noSleep }, warn: () => {} });
    mock.on(CreateTrainingJobCommand).rejects(sageMakerError('AccessDeniedException', 'User: arn:aws:iam::111122223333:user/x is not authorized to perform: iam:PassRole', 400));
    await expect(backend.launch({ study: STUDY, request: REQUEST, trial: trial(1) })).rejects.toMatchObject({
      name: 'AwsAccessError',
      message:
        'SageMaker.CreateTrainingJob was refused: AccessDeniedException: User: arn:aws:iam::111122223333:user/x is not authorized to perform: iam:PassRole; ' +
        'the AWS identity in use needs the IAM permissions listed in the README ("Running on SageMaker")',
    });
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    mock.on(DescribeTrainingJobCommand).rejects(noCredentials);
    await expect(backend.stop(study([]), trial(1, { launchedAt: 'x' }), 'r')).resolves.toBeUndefined(); // Stop: not mocked -> undefined output
    mock.on(StopTrainingJobCommand).rejects(noCredentials);
    await expect(backend.stop(study([]), trial(1, { launchedAt: 'x' }), 'r')).rejects.toThrow(
      /^SageMaker.StopTrainingJob was refused: CredentialsProviderError: Could not load credentials from any providers; configure AWS credentials/,
    );
    expect(mock).toHaveReceivedCommandTimes(StopTrainingJobCommand, 2);
  });
});

describe('poll', () => {
  it('follows a job InProgress -> Completed with final metrics and the intermediate series from CloudWatch', async () => {
    const { fake, backend, clock } = setup();
    const t = trial(1, { launchedAt: new Date(clock.now()).toISOString() });
    await backend.launch({ study: STUDY, request: REQUEST, trial: t });
    const s = study([t]);

    expect(await backend.poll(s, [t])).toEqual([{ number: 1, status: 'InProgress' }]); // starting: no series yet
    clock.advance(60_000 + 3 * 60_000 + 1000); // 3 minutes of training
    const running = await backend.poll(s, [t]);
    expect(running).toEqual([
      {
        number: 1,
        status: 'InProgress',
        startedAt: '2025-01-01T12:01:00.000Z',
        objectiveSeries: [
          { t: 60, value: 0.8 },
          { t: 120, value: 0.81 },
          { t: 180, value: 0.82 },
        ],
      },
    ]);
    // The GetMetricData query: namespace, objective metric, Host dimension of the first instance.
    expect(fake.cloudwatchMock).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        {
          Id: 'm0',
          MetricStat: {
            Metric: { Namespace: '/aws/sagemaker/TrainingJobs', MetricName: 'validation:auc', Dimensions: [{ Name: 'Host', Value: 'xgboost-breast-cancer-001/algo-1' }] },
            Period: 60,
            Stat: 'Average',
          },
          ReturnData: true,
        },
      ],
      StartTime: new Date('2025-01-01T12:01:00.000Z'),
      // The minute boundary after now (CloudWatch excludes EndTime).
      EndTime: new Date('2025-01-01T12:05:00.000Z'),
      ScanBy: 'TimestampAscending',
    });
    clock.advance(10 * 60_000);
    const [done] = await backend.poll(s, [t]);
    expect(done).toMatchObject({
      number: 1,
      status: 'Completed',
      objective: 0.89,
      finalMetrics: { 'validation:auc': 0.89, 'train:auc': 0.95 },
      startedAt: '2025-01-01T12:01:00.000Z',
      endedAt: '2025-01-01T12:11:00.000Z',
    });
    expect(done.objectiveSeries).toHaveLength(10);
    expect(fake.invalidRequests).toEqual([]);
  });

  it('reports failures with their reason, retryable for infrastructure failures', async () => {
    const reasons: Record<string, string> = {
      'xgboost-breast-cancer-001': 'AlgorithmError: ValueError: could not convert string to float',
      'xgboost-breast-cancer-002': 'CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type.',
      'xgboost-breast-cancer-003': 'InternalServerError: We encountered an internal error. Please try again.',
    };
    const { backend, clock } = setup({ trainer: (_hp, name) => ({ trainingSeconds: 60, curve: [0.5], failureReason: reasons[name] }) });
    const trials = [1, 2, 3].map((n) => trial(n, { launchedAt: new Date(clock.now()).toISOString() }));
    for (const t of trials) await backend.launch({ study: STUDY, request: REQUEST, trial: t });
    clock.advance(5 * 60_000);
    const updates = await backend.poll(study(trials), trials);
    expect(updates.map((u) => [u.number, u.status, u.failureReason, u.retryable])).toEqual([
      [1, 'Failed', reasons['xgboost-breast-cancer-001'], false],
      [2, 'Failed', reasons['xgboost-breast-cancer-002'], true],
      [3, 'Failed', reasons['xgboost-breast-cancer-003'], true],
    ]);
    expect(isInfrastructureFailure('ClientError: Please ensure the S3 prefix is valid')).toBe(false);
    // With a RetryStrategy SageMaker retried internal errors itself: the tick does not retry them again.
    const internal = { TrainingJobStatus: 'Failed', FailureReason: reasons['xgboost-breast-cancer-003'] } as const;
    expect(trialUpdateOf(3, { ...internal, RetryStrategy: { MaximumRetryAttempts: 2 } } as never, 'validation:auc', undefined, { sageMakerRetriedInternalErrors: true }).retryable).toBe(false);
    expect(trialUpdateOf(3, internal as never, 'validation:auc').retryable).toBe(true);
  });

  it('reports a job that completed without the objective metric as Completed without objective (the tick fails it)', async () => {
    const { backend, clock } = setup({ trainer: () => ({ trainingSeconds: 60, curve: [] }) });
    const t = trial(1, { launchedAt: new Date(clock.now()).toISOString() });
    await backend.launch({ study: STUDY, request: REQUEST, trial: t });
    clock.advance(3 * 60_000);
    const [u] = await backend.poll(study([t]), [t]);
    expect(u).toMatchObject({ status: 'Completed', failureReason: 'The training job completed without reporting the objective metric validation:auc' });
    expect(u.objective).toBeUndefined();
  });

  it('maps Stopping to InProgress and Stopped (with its last value) after a stop', async () => {
    const { backend, clock, fake } = setup();
    const t = trial(1, { launchedAt: new Date(clock.now()).toISOString() });
    await backend.launch({ study: STUDY, request: REQUEST, trial: t });
    clock.advance(60_000 + 4 * 60_000 + 1000);
    await backend.stop(study([t]), t, 'early stopping');
    expect(fake.statusOf(t.jobName)).toBe('Stopping');
    expect((await backend.poll(study([t]), [t]))[0].status).toBe('InProgress');
    clock.advance(60_000);
    expect((await backend.poll(study([t]), [t]))[0]).toMatchObject({ status: 'Stopped', objective: 0.83 });
  });

  it('leaves a trial out (unknown yet) when DescribeTrainingJob stays throttled, and polls the others', async () => {
    const { backend, clock, fake, warnings } = setup();
    const trials = [1, 2].map((n) => trial(n, { launchedAt: new Date(clock.now()).toISOString() }));
    for (const t of trials) await backend.launch({ study: STUDY, request: REQUEST, trial: t });
    await backend.poll(study(trials), trials); // first poll reconciles; the next one is only DescribeTrainingJob
    fake.failNext('DescribeTrainingJob', 'ThrottlingException', 3, (input) => input.TrainingJobName === 'xgboost-breast-cancer-001');
    const updates = await backend.poll(study(trials), trials);
    expect(updates.map((u) => u.number)).toEqual([2]);
    expect(warnings.some((w) => /Status of xgboost-breast-cancer-001 unknown this tick/.test(w))).toBe(true);
  });

  /** One trial running for 5 minutes, with the next 3 GetMetricData calls failing with `errorName`. */
  async function runningWhileMetricsFail(errorName: string) {
    const context = setup();
    const t = trial(1, { launchedAt: new Date(context.clock.now()).toISOString() });
    await context.backend.launch({ study: STUDY, request: REQUEST, trial: t });
    context.clock.advance(5 * 60_000);
    context.fake.failNext('GetMetricData', errorName, 3);
    const poll = async (): Promise<unknown> => context.backend.poll(study([t]), [t]);
    return { ...context, poll, statusOnly: [{ number: 1, status: 'InProgress', startedAt: '2025-01-01T12:01:00.000Z' }] };
  }

  it('returns statuses without series when CloudWatch stays throttled', async () => {
    const { poll, statusOnly, warnings } = await runningWhileMetricsFail('Throttling');
    expect(await poll()).toEqual(statusOnly);
    expect(warnings.join()).toMatch(/Intermediate validation:auc values unavailable/);
  });

  it('says once, with what to grant, that CloudWatch refuses GetMetricData (early stopping cannot act), not every tick', async () => {
    const { poll, statusOnly, warnings } = await runningWhileMetricsFail('AccessDeniedException');
    for (let i = 0; i < 3; i++) expect(await poll()).toEqual(statusOnly);
    const denied = warnings.filter((w) => /early stopping cannot act/.test(w));
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatch(/GetMetricData/);
  });

  it('treats a job not found right after launch as unknown yet, and later as a lost job (retryable)', async () => {
    const { backend, clock } = setup();
    const t = trial(9, { launchedAt: new Date(clock.now()).toISOString() }); // never created on the fake
    expect(await backend.poll(study([t]), [t])).toEqual([]);
    clock.advance(301_000);
    expect(await backend.poll(study([t]), [t])).toEqual([
      { number: 9, status: 'Failed', failureReason: 'Training job xgboost-breast-cancer-009 no longer exists on SageMaker', retryable: true },
    ]);
  });
});

describe('stop', () => {
  it('is idempotent: stopping a finished, stopping or missing job is not an error', async () => {
    const { backend, clock, fake } = setup();
    const t = trial(1, { launchedAt: new Date(clock.now()).toISOString() });
    await backend.launch({ study: STUDY, request: REQUEST, trial: t });
    await backend.stop(study([t]), t, 'study stopped');
    await backend.stop(study([t]), t, 'study stopped'); // Stopping: ValidationException from SageMaker, then Describe
    clock.advance(120_000);
    await backend.stop(study([t]), t, 'study stopped'); // Stopped
    await backend.stop(study([t]), trial(77), 'never launched'); // ValidationException: Requested resource not found.
    expect(fake.calls('StopTrainingJob')).toHaveLength(4);
    expect(fake.statusOf(t.jobName)).toBe('Stopped');
  });

  it('rethrows a ValidationException when the job is still running (the stop really failed)', async () => {
    const mock = mockClient(SageMakerClient);
    const backend = new SageMakerTrainingBackend({ clients: { sagemaker: new SageMakerClient({ region: 'us-east-1' }) }, retry: { sleep: noSleep }, warn: () => {} });
    mock.on(StopTrainingJobCommand).rejects(sageMakerError('ValidationException', 'something else'));
    mock.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'InProgress' });
    await expect(backend.stop(study([]), trial(1, { launchedAt: 'x' }), 'r')).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('defers a throttled stop of a launched trial to the next tick, but not of an unconfirmed one', async () => {
    const { backend, fake, warnings } = setup();
    fake.failNext('StopTrainingJob', 'ThrottlingException', 3);
    await expect(backend.stop(study([]), trial(1, { launchedAt: '2025-01-01T12:00:00.000Z' }), 'r')).resolves.toBeUndefined();
    expect(warnings.join()).toMatch(/Stop of xgboost-breast-cancer-001 deferred/);
    fake.failNext('StopTrainingJob', 'ThrottlingException', 3);
    await expect(backend.stop(study([]), trial(2), 'r')).rejects.toBeInstanceOf(AwsTransientError);
  });
});

describe('reconcile', () => {
  it('lists the study jobs by name prefix across pages and stops the running ones the study no longer runs', async () => {
    const { backend, clock, fake, warnings } = setup();
    const launched = new Date(clock.now()).toISOString();
    // Trial 1 attempt 0 was retried as attempt 1 (the old job still runs); trial 2 ended while its launch was
    // unconfirmed; trial 3 runs normally; trial 40 is unknown to the study; "xgboost-breast-cancer-2-001" is
    // another study's job whose name contains our prefix.
    const t1 = trial(1, { attempt: 1, jobName: trialJobName(STUDY, 1, 1), launchedAt: launched, previousAttempts: [{ jobName: trialJobName(STUDY, 1), reason: 'x', endedAt: launched }] });
    const t2 = trial(2, { status: 'Stopped' });
    const t3 = trial(3, { launchedAt: launched });
    for (const name of [trialJobName(STUDY, 1), trialJobName(STUDY, 1, 1), trialJobName(STUDY, 2), trialJobName(STUDY, 3), trialJobName(STUDY, 40), 'xgboost-breast-cancer-2-001']) {
      await fake.sagemaker.send(new CreateTrainingJobCommand(buildCreateTrainingJobRequest(REQUEST, { study: STUDY, trialNumber: 1, hyperParameters: HPS, jobName: name })));
    }
    for (let n = 4; n <= 103; n++) {
      // Ended jobs to make the listing span two pages of 100.
      await fake.sagemaker.send(new CreateTrainingJobCommand(buildCreateTrainingJobRequest(REQUEST, { study: STUDY, trialNumber: n, hyperParameters: HPS, jobName: `${STUDY}-${n}00` })));
    }
    const stopped = await backend.reconcile(study([t1, t2, t3]));
    expect(stopped).toEqual([trialJobName(STUDY, 1), trialJobName(STUDY, 2)]);
    expect(fake.sagemakerMock).toHaveReceivedCommandWith(ListTrainingJobsCommand, { NameContains: 'xgboost-breast-cancer-', MaxResults: 100 });
    expect(fake.calls('ListTrainingJobs')).toHaveLength(2);
    expect(fake.statusOf(trialJobName(STUDY, 3))).toBe('InProgress');
    expect(fake.statusOf(trialJobName(STUDY, 40))).toBe('InProgress');
    expect(fake.statusOf('xgboost-breast-cancer-2-001')).toBe('InProgress');
    expect(warnings.join('\n')).toMatch(/xgboost-breast-cancer-040 runs but study xgboost-breast-cancer has no trial 40; left alone/);
    expect(fake.invalidRequests).toEqual([]);
  });

  it("never stops another study's job whose name parses as one of its own (study x-123's trial 150 is x-123-150)", async () => {
    const { backend, clock, fake, warnings } = setup();
    const ended = trial(123, { status: 'Completed', launchedAt: new Date(clock.now()).toISOString() });
    const other = `${STUDY}-123-150`; // trial 150 of the study "<STUDY>-123"; for STUDY, trial 123 attempt 150
    await fake.sagemaker.send(new CreateTrainingJobCommand(buildCreateTrainingJobRequest(REQUEST, { study: `${STUDY}-123`, trialNumber: 150, hyperParameters: HPS, jobName: other })));
    expect(await backend.reconcile(study([ended]))).toEqual([]);
    expect(fake.statusOf(other)).toBe('InProgress');
    expect(warnings.join('\n')).toContain(`Training job ${other} runs but study ${STUDY} never launched it`);
  });

  it('defers reconciliation when ListTrainingJobs stays throttled, polls anyway, and reconciles at the next poll', async () => {
    const { backend, clock, fake, warnings } = setup();
    const t = trial(1, { launchedAt: new Date(clock.now()).toISOString() });
    await backend.launch({ study: STUDY, request: REQUEST, trial: t });
    fake.failNext('ListTrainingJobs', 'ThrottlingException', 3);
    expect(await backend.poll(study([t]), [t])).toEqual([{ number: 1, status: 'InProgress' }]);
    expect(warnings.join()).toMatch(/Reconciliation of study xgboost-breast-cancer deferred/);
    await backend.poll(study([t]), [t]);
    await backend.poll(study([t]), [t]);
    expect(fake.calls('ListTrainingJobs')).toHaveLength(4); // 3 throttled attempts, then one that answered
  });

  it('reconciles once per study on the first poll', async () => {
    const { backend, clock, fake } = setup();
    const t = trial(1, { launchedAt: new Date(clock.now()).toISOString() });
    await backend.launch({ study: STUDY, request: REQUEST, trial: t });
    await backend.poll(study([t]), [t]);
    await backend.poll(study([t]), [t]);
    expect(fake.calls('ListTrainingJobs')).toHaveLength(1);
  });
});
