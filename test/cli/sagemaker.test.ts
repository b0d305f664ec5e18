/**
 * `sagetune run` with the SageMaker backend and the native engine: the CLI wires the real backends; only the
 * AWS API is mocked (aws-sdk-client-mock), answering as SageMaker and CloudWatch would.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateHyperParameterTuningJobCommand,
  CreateTrainingJobCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeTrainingJobCommand,
  ListTrainingJobsCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  SageMakerClient,
  StopTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main';
import { cli, tempDir, testIo, writeRequest, type TestIo } from './helpers';

const sagemaker = mockClient(SageMakerClient);
const cloudwatch = mockClient(CloudWatchClient);
let tmp: ReturnType<typeof tempDir>;
const env = process.env;

beforeAll(() => {
  tmp = tempDir();
  process.env = { ...env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
});
afterAll(() => {
  process.env = env;
  tmp.cleanup();
});
beforeEach(() => {
  sagemaker.reset();
  cloudwatch.reset();
  sagemaker.on(ListTrainingJobsCommand).resolves({ TrainingJobSummaries: [] });
});

function xgboostRequest(changes: (r: Record<string, any>) => void): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'xgboost', 'request.json'), 'utf8'));
  r.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 3;
  r.Sagetune.PollIntervalSeconds = 0.05;
  changes(r);
  return writeRequest(tmp.dir, r, `${r.HyperParameterTuningJobName}.json`);
}

it('--backend sagemaker: trials are SageMaker training jobs, results land in the local study', async () => {
  const file = xgboostRequest((r) => {
    r.HyperParameterTuningJobName = 'sm-cli';
    r.Sagetune.Backend = 'local'; // overridden on the command line
  });
  const launched: string[] = [];
  sagemaker.on(CreateTrainingJobCommand).callsFake((input: { TrainingJobName: string }) => {
    launched.push(input.TrainingJobName);
    return { TrainingJobArn: `arn:aws:sagemaker:us-east-1:111122223333:training-job/${input.TrainingJobName}` };
  });
  sagemaker.on(DescribeTrainingJobCommand).callsFake((input: { TrainingJobName: string }) => {
    const n = launched.indexOf(input.TrainingJobName) + 1;
    return {
      TrainingJobName: input.TrainingJobName,
      TrainingJobStatus: 'Completed',
      TrainingStartTime: new Date('2026-11-27T01:00:00Z'),
      TrainingEndTime: new Date('2026-11-27T01:05:00Z'),
      FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.9 + n / 100 }],
    };
  });
  cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

  const store = join(tmp.dir, 'studies');
  const result = await cli(['run', file, '--backend', 'sagemaker', '--store-dir', store]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^sagetune: study sm-cli \(SageMaker training jobs\): Bayesian search to maximize validation:auc/);
  expect(launched).toHaveLength(3);
  expect(result.stdout).toContain(`Best trial 3: validation:auc = 0.93 (job ${launched[2]})`);
  const study = JSON.parse(readFileSync(join(store, 'sm-cli', 'study.json'), 'utf8')).study;
  expect(study.trials.map((t: { objective: number }) => t.objective)).toEqual([0.91, 0.92, 0.93]);
  expect(study.request.Sagetune.Backend).toBe('sagemaker');
});

it('--engine native: SageMaker tuning job runs the study and its training jobs are imported', async () => {
  const file = xgboostRequest((r) => {
    r.HyperParameterTuningJobName = 'native-cli';
  });
  sagemaker.on(CreateHyperParameterTuningJobCommand).resolves({ HyperParameterTuningJobArn: 'arn:aws:sagemaker:us-east-1:111122223333:hyper-parameter-tuning-job/x' });
  sagemaker.on(DescribeHyperParameterTuningJobCommand).resolves({
    HyperParameterTuningJobStatus: 'Completed',
    TrainingJobStatusCounters: { Completed: 1, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 },
  });
  sagemaker.on(ListTrainingJobsForHyperParameterTuningJobCommand).resolves({
    TrainingJobSummaries: [
      {
        TrainingJobName: 'native-job-001',
        TrainingJobArn: 'arn:aws:sagemaker:us-east-1:111122223333:training-job/native-job-001',
        CreationTime: new Date('2026-11-27T01:00:00Z'),
        TrainingStartTime: new Date('2026-11-27T01:00:00Z'),
        TrainingEndTime: new Date('2026-11-27T01:04:00Z'),
        TrainingJobStatus: 'Completed',
        TunedHyperParameters: { eta: '0.1', min_child_weight: '2', subsample: '0.8', alpha: '0.5', lambda: '1', max_depth: '5' },
        FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'validation:auc', Value: 0.95 },
      },
    ],
  });
  sagemaker.on(DescribeTrainingJobCommand).resolves({
    TrainingJobName: 'native-job-001',
    TrainingJobStatus: 'Completed',
    TrainingStartTime: new Date('2026-11-27T01:00:00Z'),
    TrainingEndTime: new Date('2026-11-27T01:04:00Z'),
    FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.95 }],
  });
  const store = join(tmp.dir, 'studies');
  const result = await cli(['run', file, '--engine', 'native', '--store-dir', store]);
  expect(result.stderr).toBe('');
  expect(result.stdout).toMatch(/^sagetune: study native-cli \(SageMaker tuning job\)/);
  expect(sagemaker.commandCalls(CreateHyperParameterTuningJobCommand)).toHaveLength(1);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('validation:auc = 0.95');
});

describe('Ctrl-C on a study of SageMaker training jobs', () => {
  /** Jobs that run until `finish` is called, then complete. */
  function jobs() {
    const launched: string[] = [];
    let finished = false;
    sagemaker.on(CreateTrainingJobCommand).callsFake((input: { TrainingJobName: string }) => {
      launched.push(input.TrainingJobName);
      return { TrainingJobArn: `arn:aws:sagemaker:us-east-1:111122223333:training-job/${input.TrainingJobName}` };
    });
    sagemaker.on(DescribeTrainingJobCommand).callsFake((input: { TrainingJobName: string }) => ({
      TrainingJobName: input.TrainingJobName,
      TrainingJobStatus: finished ? 'Completed' : 'InProgress',
      TrainingStartTime: new Date(Date.now() - 60_000),
      ...(finished ? { TrainingEndTime: new Date(), FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.9 }] } : {}),
    }));
    sagemaker.on(StopTrainingJobCommand).resolves({});
    sagemaker.on(ListTrainingJobsCommand).callsFake(() => ({ TrainingJobSummaries: launched.map((n) => ({ TrainingJobName: n, TrainingJobArn: `arn:${n}`, CreationTime: new Date(), TrainingJobStatus: finished ? 'Completed' : 'InProgress' })) }));
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    return { launched, finish: () => (finished = true) };
  }

  async function interruptOnceLaunched(t: TestIo, launched: string[], times: number, args: string[]): Promise<number> {
    const run = runCli(args, t.io);
    while (launched.length < 3) await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < times; i++) {
      t.handlers.get('SIGINT')!();
      await new Promise((r) => setTimeout(r, 50));
    }
    return run;
  }

  it('detaches: the jobs keep running (nothing is stopped), the screen says how to stop them, and running again adopts them with their results', async () => {
    const file = xgboostRequest((r) => (r.HyperParameterTuningJobName = 'sm-detach'));
    const store = join(tmp.dir, 'studies-detach');
    const { launched, finish } = jobs();
    const t = testIo({ env: { SAGETUNE_DETACH_GRACE_SECONDS: '0.2' } });
    const code = await interruptOnceLaunched(t, launched, 1, ['run', file, '--store-dir', store, '--progress', 'off']);
    expect(code).toBe(130);
    expect(sagemaker.commandCalls(StopTrainingJobCommand)).toHaveLength(0);
    expect(t.stdout()).toContain('interrupted: detaching; the running SageMaker training jobs keep running and are adopted, with their results, when you run the same command again. ');
    expect(t.stdout()).toContain(`To stop them: sagetune stop sm-detach --store-dir ${store} (or Ctrl-C again within 0.2 s)`);
    expect(t.stdout()).toContain(`Detached: the running training jobs go on; run the same command again to adopt them, or sagetune stop sm-detach --store-dir ${store} to stop them.`);
    const detached = JSON.parse(readFileSync(join(store, 'sm-detach', 'study.json'), 'utf8')).study;
    expect(detached.trials.map((x: { status: string; launchedAt?: string }) => [x.status, Boolean(x.launchedAt)])).toEqual([['InProgress', true], ['InProgress', true], ['InProgress', true]]);
    const status = await cli(['status', 'sm-detach', '--store-dir', store]);
    expect(status.stdout).toMatch(/Unwatched: {2}trial 1 (for \S+|\(launched, not training yet;) .*adopted when the study resumes\)/);
    // The jobs finish while nothing runs the study; running it again adopts them with their results.
    finish();
    const again = await cli(['run', file, '--store-dir', store, '--progress', 'off']);
    expect(again.code).toBe(0);
    expect(launched).toHaveLength(3);
    const study = JSON.parse(readFileSync(join(store, 'sm-detach', 'study.json'), 'utf8')).study;
    expect(study.status).toBe('Completed');
    expect(study.trials.map((x: { objective: number }) => x.objective)).toEqual([0.9, 0.9, 0.9]);
  });

  it('a second Ctrl-C stops the detached jobs; the study stays resumable', async () => {
    const file = xgboostRequest((r) => (r.HyperParameterTuningJobName = 'sm-stop2'));
    const store = join(tmp.dir, 'studies-stop2');
    const { launched } = jobs();
    const t = testIo({ env: { SAGETUNE_DETACH_GRACE_SECONDS: '5' } });
    const code = await interruptOnceLaunched(t, launched, 2, ['run', file, '--store-dir', store, '--progress', 'off']);
    expect(code).toBe(130);
    expect(sagemaker.commandCalls(StopTrainingJobCommand).map((c) => c.args[0].input.TrainingJobName).sort()).toEqual([...launched].sort());
    expect(t.stdout()).toContain('stopping the running SageMaker training jobs; the study stays resumable');
    const study = JSON.parse(readFileSync(join(store, 'sm-stop2', 'study.json'), 'utf8')).study;
    expect(study.status).toBe('InProgress');
    expect(study.pausedAt).toEqual(expect.any(String));
    expect(study.trials.every((x: { attempt?: number; launchedAt?: string }) => x.attempt === 1 && !x.launchedAt)).toBe(true);
  });
});
