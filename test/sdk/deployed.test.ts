/**
 * The SDK against a deployed stack, every AWS call mocked (Step Functions, CloudFormation; S3 as a stateful fake):
 * finding the stack, starting, refusals mapped to typed errors, stop, list, attach, delete; not-found,
 * access-denied and throttling answered as AWS answers them, with AWS's request id kept.
 */
import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeleteObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListTagsForResourceCommand, SFNClient, SFNServiceException, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessDeniedError, ConflictError, deployedStudies, NotFoundError, RequestInvalidError } from '../../src/sdk';
import type { Study } from '../../src/study/types';
import { FakeS3 } from '../support/fake-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SM = 'arn:aws:states:us-east-1:111122223333:stateMachine:Sagetune-TuningService-C9983430';
const OUTPUTS = [
  { OutputKey: 'StateMachineArn', OutputValue: SM },
  { OutputKey: 'BucketName', OutputValue: 'stack-bucket' },
  { OutputKey: 'JobNamePrefix', OutputValue: 'sagetune-' },
  { OutputKey: 'KeyPrefix', OutputValue: '(none)' },
];
const request = JSON.parse(readFileSync(join(__dirname, '../../examples/deployed/xgboost.json'), 'utf8')) as Record<string, unknown>;

function awsError<T extends new (o: never) => Error>(Kind: T, name: string, status: number, message: string, requestId = 'req-123'): Error {
  return new Kind({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, requestId }, message } as never);
}

function study(name: string, patch: Partial<Study> = {}): Study {
  return {
    schemaVersion: 1,
    name,
    request: { ...request, HyperParameterTuningJobName: name, Sagetune: { Engine: 'sagetune', Backend: 'sagemaker', PollIntervalSeconds: 30 } } as unknown as Study['request'],
    status: 'InProgress',
    createdAt: '2026-01-05T08:00:00.000Z',
    trials: [
      { number: 1, suggestionId: 's1', hyperParameters: { eta: 0.1, max_depth: 6 }, status: 'Completed', jobName: `${name}-001`, createdAt: '2026-01-05T08:00:00.000Z', startedAt: '2026-01-05T08:01:00.000Z', endedAt: '2026-01-05T08:11:00.000Z', objective: 0.95 },
      { number: 2, suggestionId: 's2', hyperParameters: { eta: 0.3, max_depth: 3 }, status: 'InProgress', jobName: `${name}-002`, createdAt: '2026-01-05T08:00:00.000Z', launchedAt: '2026-01-05T08:00:00.000Z' },
    ],
    driver: { executionArn: `${SM.replace(':stateMachine:', ':execution:')}:run-1`, since: '2026-01-05T08:00:00.000Z' },
    ...patch,
  };
}

describe('the SDK on a deployed stack', () => {
  let sfn: ReturnType<typeof mockClient>;
  let cfn: ReturnType<typeof mockClient>;
  let s3: FakeS3;
  const clients = () => ({ sfn: new SFNClient({ region: 'us-east-1' }), s3: new S3Client({ region: 'us-east-1' }), cloudformation: new CloudFormationClient({ region: 'us-east-1' }) });

  beforeEach(() => {
    sfn = mockClient(SFNClient);
    cfn = mockClient(CloudFormationClient);
    s3 = new FakeS3();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Sagetune', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: OUTPUTS }] });
  });
  afterEach(() => {
    sfn.restore();
    cfn.restore();
    s3.restore();
  });
  const put = (s: Study): void => void s3.objects.set(`stack-bucket/studies/${s.name}/study.json`, { body: JSON.stringify(s), etag: `"${s.name}"` });

  test('finds the stack from its outputs, or from its state machine tags', async () => {
    const byStack = await deployedStudies({ stack: 'Sagetune', clients: clients() });
    expect(byStack.stack).toEqual({ stateMachineArn: SM, bucket: 'stack-bucket', keyPrefix: '', jobNamePrefix: 'sagetune-' });
    sfn.on(ListTagsForResourceCommand, { resourceArn: SM }).resolves({ tags: [{ key: 'sagetune:bucket', value: 'stack-bucket' }, { key: 'sagetune:key-prefix', value: 'ml/' }, { key: 'sagetune:job-name-prefix', value: 'acme-' }] });
    const byArn = await deployedStudies({ stateMachineArn: SM, clients: clients() });
    expect(byArn.stack).toEqual({ stateMachineArn: SM, bucket: 'stack-bucket', keyPrefix: 'ml/', jobNamePrefix: 'acme-' });
  });

  test('a missing stack, a state machine of something else, access denied: typed errors with the request id', async () => {
    cfn.on(DescribeStacksCommand).rejects(awsError(CloudFormationServiceException, 'ValidationError', 400, 'Stack with id Nope does not exist', 'req-cfn-1'));
    const missing = await deployedStudies({ stack: 'Nope', clients: clients() }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ message: 'No stack named Nope: Stack with id Nope does not exist', requestId: 'req-cfn-1' });
    sfn.on(ListTagsForResourceCommand).resolves({ tags: [] });
    await expect(deployedStudies({ stateMachineArn: SM, clients: clients() })).rejects.toThrow(new NotFoundError(`State machine ${SM} is not a sagetune state machine: it has no sagetune:bucket tag`));
    sfn.on(ListTagsForResourceCommand).rejects(awsError(SFNServiceException, 'AccessDeniedException', 400, 'User is not authorized to perform: states:ListTagsForResource', 'req-sfn-9'));
    const denied = await deployedStudies({ stateMachineArn: SM, clients: clients() }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect(denied).toMatchObject({ requestId: 'req-sfn-9', message: expect.stringContaining('states:ListTagsForResource') });
  });

  test('start: an execution with the request as input; returns once the stack took the study on', async () => {
    const studies = await deployedStudies({ stack: 'Sagetune', clients: clients() });
    sfn.on(StartExecutionCommand).callsFake(async (input: { input: string; name: string }) => {
      const arn = `${SM.replace(':stateMachine:', ':execution:')}:${input.name}`;
      put(study(JSON.parse(input.input).HyperParameterTuningJobName, { driver: { executionArn: arn, since: 'now' } }));
      return { executionArn: arn, startDate: new Date() };
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    const handle = await studies.start({ ...request, HyperParameterTuningJobName: 'sagetune-a' });
    const call = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(call.stateMachineArn).toBe(SM);
    expect(JSON.parse(call.input!)).toMatchObject({ HyperParameterTuningJobName: 'sagetune-a' });
    expect(call.name).toMatch(/^sagetune-a-\d+$/);
    const d = await handle.describe();
    expect(d).toMatchObject({
      name: 'sagetune-a',
      status: 'InProgress',
      runner: 'deployed',
      engine: 'sagetune',
      location: 's3://stack-bucket/studies/sagetune-a/',
      trainingJobStatusCounters: { Completed: 1, InProgress: 1 },
      bestTrial: { trialNumber: 1, trainingJobName: 'sagetune-a-001', objective: 0.95 },
      execution: { arn: expect.stringContaining(':execution:'), status: 'RUNNING' },
    });
    expect((await handle.results({ sort: 'objective' }))[0]).toMatchObject({ TrialNumber: 1, FinalObjectiveValue: 0.95, TrainingJobStatus: 'Completed' });
    expect(await handle.report()).toContain('<title>sagetune: sagetune-a</title>');
  });

  test('start: what the stack refused becomes a typed error with the problems', async () => {
    const studies = await deployedStudies({ stack: 'Sagetune', clients: clients() });
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${SM}:x`, startDate: new Date() });
    const cause = 'Invalid tuning request (2 problems):\n  - HyperParameterTuningJobName: must start with "sagetune-" (received "x")\n  - TrainingJobDefinition.RoleArn: is not a role this stack may pass';
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'RequestInvalid', cause } as never);
    const invalid = (await studies.start({ ...request, HyperParameterTuningJobName: 'x' }).catch((e: unknown) => e)) as RequestInvalidError;
    expect(invalid).toBeInstanceOf(RequestInvalidError);
    expect(invalid.message).toBe(cause);
    expect(invalid.issues).toEqual([
      { path: 'HyperParameterTuningJobName', message: 'must start with "sagetune-" (received "x")' },
      { path: 'TrainingJobDefinition.RoleArn', message: 'is not a role this stack may pass' },
    ]);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'StudyAlreadyRunning', cause: 'Study sagetune-a is already run by execution e1' } as never);
    await expect(studies.start({ ...request, HyperParameterTuningJobName: 'sagetune-a' })).rejects.toThrow(new ConflictError('Study sagetune-a is already run by execution e1'));
    await expect(studies.start({ nothing: 1 })).rejects.toBeInstanceOf(RequestInvalidError);
  });

  test('StartExecution throttled is retried; denied is AccessDeniedError', async () => {
    const studies = await deployedStudies({ stack: 'Sagetune', clients: clients() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(awsError(SFNServiceException, 'ThrottlingException', 400, 'Rate exceeded'))
      .callsFake(async (input: { name: string }) => {
        const arn = `${SM.replace(':stateMachine:', ':execution:')}:${input.name}`;
        put(study('sagetune-t', { driver: { executionArn: arn, since: 'now' } }));
        return { executionArn: arn, startDate: new Date() };
      });
    await expect(studies.start({ ...request, HyperParameterTuningJobName: 'sagetune-t' })).resolves.toMatchObject({ name: 'sagetune-t' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
    sfn.on(StartExecutionCommand).rejects(awsError(SFNServiceException, 'AccessDeniedException', 400, 'not authorized to perform: states:StartExecution', 'req-7'));
    await expect(studies.start({ ...request, HyperParameterTuningJobName: 'sagetune-u' })).rejects.toMatchObject({ name: 'AccessDeniedError', requestId: 'req-7' });
  });

  test('CloudFormation and S3 throttled are retried; S3 denied or missing is a typed error', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejectsOnce(awsError(CloudFormationServiceException, 'Throttling', 400, 'Rate exceeded'))
      .resolves({ Stacks: [{ StackName: 'Sagetune', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: OUTPUTS }] });
    const studies = await deployedStudies({ stack: 'Sagetune', clients: clients() });
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(2);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    put(study('sagetune-s'));
    s3.failNext('GetObject', 'SlowDown', 503);
    s3.failNext('ListObjectsV2', 'ThrottlingException', 400);
    expect((await (await studies.attach('sagetune-s')).describe()).trials).toBe(2);
    expect((await studies.list()).map((x) => x.name)).toEqual(['sagetune-s']);
    s3.failNext('GetObject', 'AccessDenied', 403);
    const denied = await studies.attach('sagetune-s').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect((denied as Error).message).toContain('S3.GetObject');
    s3.failNext('ListObjectsV2', 'AccessDenied', 403);
    await expect(studies.list()).rejects.toBeInstanceOf(AccessDeniedError);
    s3.failNext('ListObjectsV2', 'NoSuchBucket', 404);
    await expect(studies.list()).rejects.toBeInstanceOf(NotFoundError);
    cfn.on(DescribeStacksCommand).rejects(awsError(CloudFormationServiceException, 'AccessDenied', 403, 'not authorized to perform: cloudformation:DescribeStacks', 'req-cfn-2'));
    await expect(deployedStudies({ stack: 'Sagetune', clients: clients() })).rejects.toMatchObject({ name: 'AccessDeniedError', requestId: 'req-cfn-2' });
  });

  test('stop stops the driving execution; a study no execution drives is marked Stopping', async () => {
    const studies = await deployedStudies({ stack: 'Sagetune', clients: clients() });
    put(study('sagetune-s'));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    const handle = await studies.attach('sagetune-s');
    await handle.stop('enough');
    expect(sfn.commandCalls(StopExecutionCommand)[0].args[0].input).toEqual({ executionArn: study('sagetune-s').driver!.executionArn, error: 'StoppedByRequest', cause: 'enough' });
    sfn.on(DescribeExecutionCommand).rejects(awsError(SFNServiceException, 'ExecutionDoesNotExist', 400, 'Execution Does Not Exist'));
    await handle.stop();
    expect(s3.json<Study>('stack-bucket', 'studies/sagetune-s/study.json')).toMatchObject({ status: 'Stopping', ending: { status: 'Stopped', reason: 'Stopped by request' } });
  });

  test('attach, list and delete', async () => {
    const studies = await deployedStudies({ stack: 'Sagetune', clients: clients() });
    await expect(studies.attach('sagetune-none')).rejects.toThrow(new NotFoundError('No study named sagetune-none in s3://stack-bucket/studies/'));
    put(study('sagetune-b'));
    put(study('sagetune-c', { status: 'Completed' }));
    s3.objects.set('stack-bucket/studies/sagetune-c/results/summary.json', { body: '{}', etag: '"s"' });
    expect(await studies.list()).toEqual([
      { name: 'sagetune-b', status: 'InProgress', trials: 2, createdAt: '2026-01-05T08:00:00.000Z' },
      { name: 'sagetune-c', status: 'Completed', trials: 2, createdAt: '2026-01-05T08:00:00.000Z' },
    ]);
    await expect(studies.delete('sagetune-b')).rejects.toThrow(new ConflictError('Study sagetune-b is InProgress; stop it first (sagetune stop sagetune-b)'));
    s3.mock.on(DeleteObjectsCommand).callsFake(async (input: { Bucket: string; Delete: { Objects: { Key: string }[] } }) => {
      for (const o of input.Delete.Objects) s3.objects.delete(`${input.Bucket}/${o.Key}`);
      return {};
    });
    await studies.delete('sagetune-c');
    expect([...s3.objects.keys()].filter((k) => k.includes('sagetune-c'))).toEqual([]);
  });
});
