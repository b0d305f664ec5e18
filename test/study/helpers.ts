/** Shared fixtures of the study tests: a small valid request, a simulated world on a fake clock, a loop driver. */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, SimulatedBackend, fakeSleep, type SimulatedTrainer } from '../../src/backends/simulated';
import type { HyperParameters } from '../../src/core/types';
import { parseTuningRequest, type TuningRequest } from '../../src/study/request';
import { runStudy, type RunStudyResult } from '../../src/study/runner';
import { MemoryStudyStore } from '../../src/study/store/memory-store';
import type { StudyEvent } from '../../src/study/events';
import type { StudyStore, TrialBackend } from '../../src/study/types';

type Json = Record<string, unknown>;

function merge(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const b = out[k];
    if (v === undefined) delete out[k];
    else if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) out[k] = merge(b as Json, v as Json);
    else out[k] = v;
  }
  return out;
}

/** A valid local request (Random strategy, 8 trials, 2 in parallel), deep-merged with `patch` (undefined deletes). */
export function rawRequest(patch: Json = {}): Json {
  const base: Json = {
    HyperParameterTuningJobName: 'demo',
    HyperParameterTuningJobConfig: {
      Strategy: 'Random',
      HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'loss' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 2 },
      ParameterRanges: {
        ContinuousParameterRanges: [{ Name: 'x', MinValue: '0', MaxValue: '1' }],
        IntegerParameterRanges: [{ Name: 'n', MinValue: '1', MaxValue: '10' }],
      },
      RandomSeed: 7,
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: { TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'loss', Regex: 'loss=([0-9.eE+-]+)' }] },
      StaticHyperParameters: { epochs: '5' },
    },
    Sagetune: { Local: { Command: ['python3', 'train.py'] } },
  };
  return merge(base, patch);
}

export function request(patch: Json = {}): TuningRequest {
  return parseTuningRequest(rawRequest(patch));
}

/** The default simulated training: loss (x - 0.3)^2 + n / 100, 5 intermediate values, 10 + n seconds. */
export const quadratic: SimulatedTrainer = (hp: HyperParameters) => {
  const x = Number(hp.x);
  const n = Number(hp.n);
  const loss = (x - 0.3) ** 2 + n / 100;
  return { durationSeconds: 10 + n, series: [4, 3, 2, 1, 0].map((k) => loss + k * 0.1) };
};

export interface World {
  clock: FakeClock;
  store: MemoryStudyStore;
  backend: SimulatedBackend;
  events: StudyEvent[];
}

export function world(trainer: SimulatedTrainer = quadratic): World {
  const clock = new FakeClock();
  return { clock, store: new MemoryStudyStore(), backend: new SimulatedBackend({ clock, trainer }), events: [] };
}

/** Runs a study to its end on the fake clock. */
export function run(w: World, req: TuningRequest, deps: { store?: StudyStore; backend?: TrialBackend; signal?: AbortSignal } = {}): Promise<RunStudyResult> {
  return runStudy({
    request: req,
    store: deps.store ?? w.store,
    backend: deps.backend ?? w.backend,
    clock: w.clock,
    sleep: fakeSleep(w.clock),
    signal: deps.signal,
    onEvent: (e) => w.events.push(e),
  });
}

/**
 * A fresh temporary folder, on tmpfs (/dev/shm) when the machine has one: the file store fsyncs every write, which
 * costs ~50 ms on a disk here and nothing on tmpfs. Tests that write hundreds of times use it; the code path is
 * the same.
 */
export async function fastTempDir(prefix: string): Promise<string> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return mkdtemp(join(base, prefix));
}

/**
 * A CreateHyperParameterTuningJob request that uses every member sagetune checks (valid against the SageMaker model;
 * add `Sagetune: { Backend: 'sagemaker' }` so that the AWS requirements apply).
 */
export function fullSageMakerRequest(): Record<string, unknown> {
  return {
    HyperParameterTuningJobName: 'xgb-2025-01',
    HyperParameterTuningJobConfig: {
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 3, MaxRuntimeInSeconds: 3600 },
      ParameterRanges: {
        ContinuousParameterRanges: [{ Name: 'eta', MinValue: '0.01', MaxValue: '0.5', ScalingType: 'Logarithmic' }],
        IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '2', MaxValue: '10', ScalingType: 'Linear' }],
        CategoricalParameterRanges: [{ Name: 'booster', Values: ['gbtree', 'dart'] }],
      },
      TrainingJobEarlyStoppingType: 'Auto',
      TuningJobCompletionCriteria: {
        TargetObjectiveMetricValue: 0.99,
        BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 5 },
        ConvergenceDetected: { CompleteOnConvergence: 'Enabled' },
      },
      RandomSeed: 42,
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: {
        TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
        TrainingInputMode: 'File',
        MetricDefinitions: [{ Name: 'validation:auc', Regex: 'auc:([0-9.]+)' }],
      },
      RoleArn: 'arn:aws:iam::123456789012:role/SageMakerRole',
      InputDataConfig: [
        {
          ChannelName: 'train',
          DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bucket/train/', S3DataDistributionType: 'FullyReplicated', AttributeNames: ['a'] } },
          ContentType: 'text/csv',
          CompressionType: 'None',
          RecordWrapperType: 'None',
          InputMode: 'File',
          ShuffleConfig: { Seed: 3 },
        },
        {
          ChannelName: 'efs',
          DataSource: { FileSystemDataSource: { FileSystemId: 'fs-0123abcd', FileSystemAccessMode: 'ro', FileSystemType: 'EFS', DirectoryPath: '/data' } },
        },
      ],
      VpcConfig: { SecurityGroupIds: ['sg-0123456789abcdef0'], Subnets: ['subnet-0123456789abcdef0'] },
      OutputDataConfig: { S3OutputPath: 's3://bucket/output/', KmsKeyId: 'alias/key', CompressionType: 'GZIP' },
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10, KeepAlivePeriodInSeconds: 60 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200, MaxPendingTimeInSeconds: 7200 },
      StaticHyperParameters: { objective: 'binary:logistic', num_round: '100' },
      EnableNetworkIsolation: false,
      EnableInterContainerTrafficEncryption: false,
      EnableManagedSpotTraining: true,
      CheckpointConfig: { S3Uri: 's3://bucket/checkpoints/', LocalPath: '/opt/ml/checkpoints' },
      RetryStrategy: { MaximumRetryAttempts: 2 },
      Environment: { LOG_LEVEL: 'info' },
    },
    WarmStartConfig: { ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'xgb-2024-12' }], WarmStartType: 'TransferLearning' },
    Tags: [{ Key: 'project', Value: 'churn' }],
  };
}
