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
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir, writeRequest } from './helpers';

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
