/**
 * The CLI against a deployed stack: each subcommand with `--stack` (and `--state-machine`), the stack being the
 * synthesized state machine run by aws-local-stepfunctions with the real handlers over fake AWS (the harness of
 * test/support/deployed), CloudFormation's DescribeStacks answering the stack's outputs.
 */
import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeTrainer } from '../backends/sagemaker/fake-aws';
import { DeployedHarness } from '../support/deployed/harness';
import { synthesizeService, type SynthesizedService } from '../support/deployed/template';
import { cli, tempDir, writeRequest } from './helpers';

let service: SynthesizedService;
let harness: DeployedHarness;
let cfn: ReturnType<typeof mockClient>;
let tmp: ReturnType<typeof tempDir>;
const env = process.env;
const trainer: FakeTrainer = (hp) => ({ trainingSeconds: 600, curve: Array.from({ length: 10 }, (_, i) => 0.9 - 0.2 * Math.exp(-i) - 0.01 * Math.abs(Number(hp.max_depth) - 6)) });

beforeAll(() => {
  service = synthesizeService();
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());
beforeEach(() => {
  harness = new DeployedHarness({ service, trainer });
  cfn = mockClient(CloudFormationClient);
  cfn
    .on(DescribeStacksCommand)
    .rejects(new CloudFormationServiceException({ name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400, requestId: 'req-cfn' }, message: 'Stack with id Nope does not exist' }));
  cfn.on(DescribeStacksCommand, { StackName: 'Sagetune' }).resolves({
    Stacks: [{ StackName: 'Sagetune', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: Object.entries(service.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }],
  });
  process.env = { ...process.env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
});
afterEach(() => {
  cfn.restore();
  harness.dispose();
  process.env = env;
});

function requestFile(name: string, trials = 4): string {
  const r = JSON.parse(readFileSync(join(__dirname, '../../examples/deployed/xgboost.json'), 'utf8'));
  r.HyperParameterTuningJobName = name;
  r.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: trials, MaxParallelTrainingJobs: 2 };
  return writeRequest(tmp.dir, r, `${name}.json`);
}

/** Runs the simulated stack once an execution exists (the CLI's StartExecution started it). */
async function driveOnceStarted(): Promise<void> {
  while (harness.executions.size === 0) await new Promise((r) => setTimeout(r, 5));
  await harness.drive();
}

test('start, status, results, report, list, stop and delete with --stack', async () => {
  const started = await cli(['start', requestFile('sagetune-cli-a'), '--stack', 'Sagetune']);
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  expect(started.stdout).toMatch(/^sagetune: study sagetune-cli-a started on the deployed stack \(Bayesian search, 4 trials, 2 in parallel\)\nExecution: arn:aws:states:us-east-1:111122223333:execution:Sagetune-TuningService-C9983430:sagetune-cli-a-\d+\n/);
  expect(started.stdout).toContain('Follow it: sagetune status sagetune-cli-a --stack Sagetune --watch; stop it: sagetune stop sagetune-cli-a --stack Sagetune');

  await harness.drive({ until: () => harness.sagemaker.created.length === 2 });
  const status = await cli(['status', 'sagetune-cli-a', '--stack', 'Sagetune']);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^Study sagetune-cli-a: InProgress\n/);
  expect(status.stdout).toContain('Counters:   Completed 0, InProgress 2, RetryableError 0, NonRetryableError 0, Stopped 0');
  expect(status.stdout).toMatch(/Running: {4}trial 1/);
  expect(status.stdout).toContain(`Location:   s3://${service.bucketName}/studies/sagetune-cli-a/`);
  expect(status.stdout).toMatch(/Execution: {2}arn:aws:states:.*:sagetune-cli-a-\d+ \(RUNNING\)/);
  const json = JSON.parse((await cli(['status', 'sagetune-cli-a', '--stack', 'Sagetune', '--json'])).stdout);
  expect(json).toMatchObject({ name: 'sagetune-cli-a', status: 'InProgress', TrainingJobStatusCounters: { InProgress: 2 }, execution: { status: 'RUNNING' } });

  const listed = await cli(['list', '--stack', 'Sagetune']);
  expect(listed.stdout).toMatch(/^STUDY +STATUS +TRIALS +CREATED\nsagetune-cli-a +InProgress +2 +/);

  const stopped = await cli(['stop', 'sagetune-cli-a', '--stack', 'Sagetune']);
  expect(stopped.stdout).toBe('Study sagetune-cli-a: its execution is stopped; the stack stops its training jobs and marks it Stopped within a minute.\n');
  await harness.drive();
  for (const job of harness.sagemaker.created) expect(harness.sagemaker.calls('StopTrainingJob')).toContainEqual({ TrainingJobName: job });
  expect((await cli(['status', 'sagetune-cli-a', '--stack', 'Sagetune'])).stdout).toMatch(/^Study sagetune-cli-a: Stopped - Stopped: the execution .* was stopped\n/);

  const results = await cli(['results', 'sagetune-cli-a', '--stack', 'Sagetune', '--format', 'csv']);
  expect(results.stdout.split('\r\n')[0]).toBe('TrialNumber,TrainingJobName,max_depth,eta,min_child_weight,subsample,alpha,lambda,FinalObjectiveValue,TrainingJobStatus,TrainingStartTime,TrainingEndTime,TrainingElapsedTimeSeconds,FailureReason');
  const report = await cli(['report', 'sagetune-cli-a', '--stack', 'Sagetune', '--out', join(tmp.dir, 'a.html')]);
  expect(report.stdout).toBe(`Report of sagetune-cli-a (2 trials) written to ${join(tmp.dir, 'a.html')}\n`);
  expect(readFileSync(join(tmp.dir, 'a.html'), 'utf8')).toContain(`from s3://${service.bucketName}/studies/sagetune-cli-a/`);

  harness.s3.mock.on(DeleteObjectsCommand).callsFake(async (input: { Bucket: string; Delete: { Objects: { Key: string }[] } }) => {
    for (const o of input.Delete.Objects) harness.s3.objects.delete(`${input.Bucket}/${o.Key}`);
    return {};
  });
  expect((await cli(['delete', 'sagetune-cli-a', '--stack', 'Sagetune'])).stdout).toBe('Study sagetune-cli-a deleted.\n');
  const gone = await cli(['status', 'sagetune-cli-a', '--stack', 'Sagetune']);
  expect(gone.code).toBe(2);
  expect(gone.stderr).toBe(`sagetune: No study named sagetune-cli-a in s3://${service.bucketName}/studies/\n`);
});

test('start --wait follows the study to its end with the progress display; --state-machine finds the same stack', async () => {
  const [run] = await Promise.all([cli(['start', requestFile('sagetune-cli-b'), '--state-machine', service.stateMachineArn, '--wait', '--poll-seconds', '0.02', '--progress', 'off']), driveOnceStarted()]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/trial 1 started/);
  expect(run.stdout).toMatch(/trial \d completed {2}validation:auc = /);
  expect(run.stdout).toMatch(/new best: trial \d/);
  expect(run.stdout).toMatch(/\nStudy sagetune-cli-b Completed: MaxNumberOfTrainingJobs \(4\) reached\nBest trial \d: validation:auc = [\d.]+ \(job sagetune-cli-b-00\d\)\n/);
  const watched = await cli(['status', 'sagetune-cli-b', '--stack', 'Sagetune', '--watch']);
  expect(watched.stdout).toMatch(/^Study sagetune-cli-b: Completed/); // an ended study: its status at once
});

test('status --watch follows a running deployed study to its end', async () => {
  const started = await cli(['start', requestFile('sagetune-cli-d'), '--stack', 'Sagetune']);
  expect(started.code).toBe(0);
  await harness.drive({ until: () => harness.sagemaker.created.length === 2 });
  const [watched] = await Promise.all([cli(['status', 'sagetune-cli-d', '--stack', 'Sagetune', '--watch', '--poll-seconds', '0.02', '--progress', 'off']), harness.drive()]);
  expect(watched.stderr).toBe('');
  expect(watched.code).toBe(0);
  // The trials that completed while it watched, then the end, as run shows them.
  expect(watched.stdout).toMatch(/trial \d completed {2}validation:auc = /);
  expect(watched.stdout).toMatch(/\nStudy sagetune-cli-d Completed: MaxNumberOfTrainingJobs \(4\) reached\nBest trial \d: validation:auc = [\d.]+ \(job sagetune-cli-d-00\d\)\n/);
});

test('refusals of the stack are the user\'s mistakes: exit 2 with the stack\'s cause', async () => {
  const bad = JSON.parse(readFileSync(requestFile('sagetune-cli-c'), 'utf8'));
  bad.HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs = 0;
  const result = await cli(['start', writeRequest(tmp.dir, bad, 'bad.json'), '--stack', 'Sagetune']);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^sagetune: Invalid tuning request \(1 problem\):\n {2}- HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs: .*\(received 0\)\n$/);
  const noStack = await cli(['status', 'x', '--stack', 'Nope']);
  expect(noStack.code).toBe(2);
  expect(noStack.stderr).toBe('sagetune: No stack named Nope: Stack with id Nope does not exist\n');
  const both = await cli(['status', 'x', '--stack', 'Sagetune', '--store-dir', 'd']);
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/option '--stack <name>' cannot be used with option '--store-dir <dir>'/);
});
