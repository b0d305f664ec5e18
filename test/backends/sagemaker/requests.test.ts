import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Channel, CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import { buildCreateHyperParameterTuningJobRequest } from '../../../src/backends/native/tuning-job-request';
import { isBuiltInAlgorithm } from '../../../src/backends/sagemaker/definition';
import { buildGetMetricDataInput } from '../../../src/backends/sagemaker/metrics';
import { nameStem, nativeTuningJobName, parseTrialJobName, studyJobPrefix } from '../../../src/backends/sagemaker/names';
import { buildCreateTrainingJobRequest, formatHyperParameterValue } from '../../../src/backends/sagemaker/training-job-request';
import { RequestValidationError } from '../../../src/study/errors';
import { parseTuningRequest, type TuningRequest } from '../../../src/study/request';
import { trialJobName } from '../../../src/study/study';
import { AwsServiceModel, formatIssues } from '../../support/aws-model';

const sagemaker = AwsServiceModel.load('sagemaker');
const cloudwatch = AwsServiceModel.load('cloudwatch');
const EXAMPLES = join(__dirname, '..', '..', '..', 'examples', 'xgboost');

function example(file: string): TuningRequest {
  return parseTuningRequest(JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')), { source: file });
}

function expectValid(model: AwsServiceModel, operation: string, input: unknown): void {
  const issues = model.validateInput(operation, input);
  if (issues.length > 0) throw new Error(`${operation} does not fit the model:\n${formatIssues(issues)}\n${JSON.stringify(input, null, 1)}`);
}

const XGBOOST_IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const channel = (name: string): Channel => ({
  ChannelName: name,
  DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://amzn-s3-demo-bucket/sagetune/xgboost/${name}/`, S3DataDistributionType: 'FullyReplicated' } },
  ContentType: 'text/csv',
  CompressionType: 'None',
});

describe('CreateTrainingJob for the examples', () => {
  it('builds exactly this request for trial 4 of examples/xgboost/request.json', () => {
    const request = example('request.json');
    const input = buildCreateTrainingJobRequest(request, {
      study: 'xgboost-breast-cancer',
      trialNumber: 4,
      hyperParameters: { eta: 0.0375, max_depth: 6, min_child_weight: 2.5, subsample: 0.8, alpha: 0, lambda: 1.25e-2 },
      jobName: trialJobName('xgboost-breast-cancer', 4),
    });
    const expected: CreateTrainingJobRequest = {
      TrainingJobName: 'xgboost-breast-cancer-004',
      HyperParameters: {
        objective: 'binary:logistic',
        eval_metric: 'auc',
        num_round: '300',
        early_stopping_rounds: '20',
        verbosity: '1',
        eta: '0.0375',
        max_depth: '6',
        min_child_weight: '2.5',
        subsample: '0.8',
        alpha: '0',
        lambda: '0.0125',
      },
      // Built-in XGBoost: SageMaker defines the metrics and rejects overrides, so MetricDefinitions are left out.
      AlgorithmSpecification: { TrainingImage: XGBOOST_IMAGE, TrainingInputMode: 'File' },
      RoleArn: 'arn:aws:iam::111122223333:role/SageMakerExecutionRole',
      InputDataConfig: [channel('train'), channel('validation')],
      OutputDataConfig: { S3OutputPath: 's3://amzn-s3-demo-bucket/sagetune/xgboost/output/xgboost-breast-cancer' },
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 1800 },
      Tags: [
        { Key: 'project', Value: 'sagetune-example' },
        { Key: 'sagetune:study', Value: 'xgboost-breast-cancer' },
        { Key: 'sagetune:trial', Value: '4' },
      ],
    };
    expect(input).toEqual(expected);
    // Field by field, so that a difference names its field.
    for (const key of Object.keys(expected) as (keyof CreateTrainingJobRequest)[]) expect([key, input[key]]).toEqual([key, expected[key]]);
    expect(Object.keys(input).sort()).toEqual(Object.keys(expected).sort());
    expectValid(sagemaker, 'CreateTrainingJob', input);
  });

  it('builds spot training with a per-trial checkpoint, VPC, encryption, retries and environment (request-spot-vpc.json)', () => {
    const request = example('request-spot-vpc.json');
    const input = buildCreateTrainingJobRequest(request, {
      study: 'xgboost-spot-vpc',
      trialNumber: 12,
      hyperParameters: { eta: 0.1, max_depth: 3, min_child_weight: 1, subsample: 1, alpha: 0.5, lambda: 3 },
      jobName: trialJobName('xgboost-spot-vpc', 12, 1),
    });
    expect(input.TrainingJobName).toBe('xgboost-spot-vpc-012-1');
    expect(input.EnableManagedSpotTraining).toBe(true);
    expect(input.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 1800, MaxWaitTimeInSeconds: 3600 });
    expect(input.CheckpointConfig).toEqual({ S3Uri: 's3://amzn-s3-demo-bucket/sagetune/xgboost/checkpoints/xgboost-spot-vpc/xgboost-spot-vpc-012-1', LocalPath: '/opt/ml/checkpoints' });
    expect(input.VpcConfig).toEqual({ SecurityGroupIds: ['sg-0123456789abcdef0'], Subnets: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] });
    expect(input.EnableNetworkIsolation).toBe(true);
    expect(input.EnableInterContainerTrafficEncryption).toBe(true);
    expect(input.RetryStrategy).toEqual({ MaximumRetryAttempts: 2 });
    expect(input.Environment).toEqual({ OMP_NUM_THREADS: '4' });
    expect(input.OutputDataConfig).toEqual({
      S3OutputPath: 's3://amzn-s3-demo-bucket/sagetune/xgboost/output/xgboost-spot-vpc',
      KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    expectValid(sagemaker, 'CreateTrainingJob', input);
  });

  it('derives a per-trial checkpoint under the output path for spot training without CheckpointConfig', () => {
    const raw = JSON.parse(readFileSync(join(EXAMPLES, 'request-spot-vpc.json'), 'utf8'));
    delete raw.TrainingJobDefinition.CheckpointConfig;
    const input = buildCreateTrainingJobRequest(parseTuningRequest(raw), { study: 's', trialNumber: 1, hyperParameters: {}, jobName: 's-001' });
    expect(input.CheckpointConfig).toEqual({ S3Uri: 's3://amzn-s3-demo-bucket/sagetune/xgboost/output/s/s-001/checkpoints' });
  });

  it('keeps MetricDefinitions for a custom image and for XGBoost in framework (script) mode', () => {
    const raw = JSON.parse(readFileSync(join(EXAMPLES, 'request.json'), 'utf8'));
    raw.TrainingJobDefinition.AlgorithmSpecification.TrainingImage = '111122223333.dkr.ecr.us-east-1.amazonaws.com/my-trainer:latest';
    const custom = buildCreateTrainingJobRequest(parseTuningRequest(raw), { study: 's', trialNumber: 1, hyperParameters: {}, jobName: 's-001' });
    expect(custom.AlgorithmSpecification!.MetricDefinitions).toEqual(raw.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions);
    expect(isBuiltInAlgorithm(XGBOOST_IMAGE, { sagemaker_program: 'train.py' })).toBe(false);
    expect(isBuiltInAlgorithm(XGBOOST_IMAGE, {})).toBe(true);
    expect(isBuiltInAlgorithm('433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:latest', undefined)).toBe(true);
    expect(isBuiltInAlgorithm('my-registry.example.com/sagemaker-xgboost:1', undefined)).toBe(false);
  });

  it('uses AlgorithmName and HyperParameterTuningResourceConfig when the request gives those', () => {
    const raw = JSON.parse(readFileSync(join(EXAMPLES, 'request.json'), 'utf8'));
    raw.TrainingJobDefinition.AlgorithmSpecification = { AlgorithmName: 'my-marketplace-algo', TrainingInputMode: 'Pipe' };
    delete raw.TrainingJobDefinition.ResourceConfig;
    raw.TrainingJobDefinition.HyperParameterTuningResourceConfig = { InstanceConfigs: [{ InstanceType: 'ml.c5.2xlarge', InstanceCount: 2, VolumeSizeInGB: 30 }] };
    const input = buildCreateTrainingJobRequest(parseTuningRequest(raw), { study: 's', trialNumber: 1, hyperParameters: {}, jobName: 's-001' });
    expect(input.AlgorithmSpecification).toEqual({ AlgorithmName: 'my-marketplace-algo', TrainingInputMode: 'Pipe' });
    expect(input.ResourceConfig).toEqual({ InstanceType: 'ml.c5.2xlarge', InstanceCount: 2, VolumeSizeInGB: 30 });
    expectValid(sagemaker, 'CreateTrainingJob', input);
  });

  it('refuses a request that lacks what SageMaker needs, naming every field', () => {
    const raw = JSON.parse(readFileSync(join(EXAMPLES, 'request.json'), 'utf8'));
    raw.Sagetune = { Backend: 'local', Local: { Command: ['python3', 'train.py'] } };
    delete raw.TrainingJobDefinition.RoleArn;
    delete raw.TrainingJobDefinition.StoppingCondition;
    const request = parseTuningRequest(raw);
    let error: unknown;
    try {
      buildCreateTrainingJobRequest(request, { study: 's', trialNumber: 1, hyperParameters: {}, jobName: 's-001' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).issues.map((i) => i.path)).toEqual(['TrainingJobDefinition.RoleArn', 'TrainingJobDefinition.StoppingCondition.MaxRuntimeInSeconds']);
  });

  it('refuses more than 50 tags once the study and trial tags are added', () => {
    const raw = JSON.parse(readFileSync(join(EXAMPLES, 'request.json'), 'utf8'));
    raw.Tags = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(() => buildCreateTrainingJobRequest(parseTuningRequest(raw), { study: 's', trialNumber: 1, hyperParameters: {}, jobName: 's-001' })).toThrow(
      /Tags: has 49 tags; sagetune adds 2 .* at most 50/,
    );
  });

  it('formats hyperparameter values as SageMaker passes them to the algorithm', () => {
    expect(formatHyperParameterValue(3)).toBe('3');
    expect(formatHyperParameterValue(0.1)).toBe('0.1');
    expect(formatHyperParameterValue(1e-7)).toBe('1e-7');
    expect(formatHyperParameterValue('gbtree')).toBe('gbtree');
    expect(() => formatHyperParameterValue(Number.NaN)).toThrow(/not a finite number/);
  });
});

describe('CreateHyperParameterTuningJob for the examples', () => {
  it('builds exactly this request for examples/xgboost/request-native-hyperband.json', () => {
    const request = example('request-native-hyperband.json');
    const { input, notes } = buildCreateHyperParameterTuningJobRequest(request, { study: 'xgboost-hyperband', tuningJobName: 'xgboost-hyperband' });
    expect(notes).toEqual([]);
    const raw = JSON.parse(readFileSync(join(EXAMPLES, 'request-native-hyperband.json'), 'utf8'));
    expect(input.HyperParameterTuningJobName).toBe('xgboost-hyperband');
    expect(input.HyperParameterTuningJobConfig).toEqual({
      Strategy: 'Hyperband',
      StrategyConfig: { HyperbandStrategyConfig: { MinResource: 10, MaxResource: 300 } },
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 3, MaxRuntimeInSeconds: 7200 },
      ParameterRanges: raw.HyperParameterTuningJobConfig.ParameterRanges,
      TrainingJobEarlyStoppingType: 'Off',
      TuningJobCompletionCriteria: { BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 8 } },
    });
    expect(input.TrainingJobDefinition).toEqual({
      StaticHyperParameters: raw.TrainingJobDefinition.StaticHyperParameters,
      AlgorithmSpecification: { TrainingImage: XGBOOST_IMAGE, TrainingInputMode: 'File' },
      RoleArn: 'arn:aws:iam::111122223333:role/SageMakerExecutionRole',
      InputDataConfig: [channel('train'), channel('validation')],
      OutputDataConfig: { S3OutputPath: 's3://amzn-s3-demo-bucket/sagetune/xgboost/output' },
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 1800 },
    });
    expect(input.Tags).toEqual([
      { Key: 'project', Value: 'sagetune-example' },
      { Key: 'sagetune:study', Value: 'xgboost-hyperband' },
    ]);
    expect(Object.keys(input).sort()).toEqual(['HyperParameterTuningJobConfig', 'HyperParameterTuningJobName', 'Tags', 'TrainingJobDefinition']);
    expect(JSON.stringify(input)).not.toContain('Sagetune');
    expectValid(sagemaker, 'CreateHyperParameterTuningJob', input);
  });

  it('hands over the remaining budget when it takes over a study, within SageMaker bounds', () => {
    const request = example('request.json');
    const { input, notes } = buildCreateHyperParameterTuningJobRequest(request, {
      study: 'xgboost-breast-cancer',
      tuningJobName: nativeTuningJobName('xgboost-breast-cancer', 7),
      remaining: { maxNumberOfTrainingJobs: 2, maxRuntimeInSeconds: 30.5 },
      takeOver: true,
    });
    expect(input.HyperParameterTuningJobName).toBe('xgboost-breast-cancer-n7');
    expect(input.HyperParameterTuningJobConfig!.ResourceLimits).toEqual({ MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 2, MaxRuntimeInSeconds: 120 });
    expect(input.HyperParameterTuningJobConfig!.RandomSeed).toBe(7);
    expect(notes).toEqual(["MaxRuntimeInSeconds 30.5 raised or lowered to SageMaker's bounds: 120"]);
    expectValid(sagemaker, 'CreateHyperParameterTuningJob', input);
    expect(() =>
      buildCreateHyperParameterTuningJobRequest(request, { study: 's', tuningJobName: 's-n20', remaining: { maxNumberOfTrainingJobs: 0 }, takeOver: true }),
    ).toThrow(RequestValidationError);
  });

  it('drops a warm start on a take-over (its parents are sagetune studies)', () => {
    const raw = JSON.parse(readFileSync(join(EXAMPLES, 'request.json'), 'utf8'));
    raw.WarmStartConfig = { ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'older-study' }], WarmStartType: 'TransferLearning' };
    const request = parseTuningRequest(raw);
    const fresh = buildCreateHyperParameterTuningJobRequest(request, { study: 's', tuningJobName: 's' });
    expect(fresh.input.WarmStartConfig).toEqual(raw.WarmStartConfig);
    const takeOver = buildCreateHyperParameterTuningJobRequest(request, { study: 's', tuningJobName: 's-n3', takeOver: true, remaining: { maxNumberOfTrainingJobs: 5 } });
    expect(takeOver.input.WarmStartConfig).toBeUndefined();
    expect(takeOver.notes[0]).toMatch(/WarmStartConfig/);
  });
});

describe('names', () => {
  it('parses the study layer job names back, and nothing else', () => {
    expect(studyJobPrefix('exp')).toBe('exp-');
    expect(parseTrialJobName('exp', trialJobName('exp', 7))).toEqual({ trialNumber: 7, attempt: 0 });
    expect(parseTrialJobName('exp', trialJobName('exp', 1234, 2))).toEqual({ trialNumber: 1234, attempt: 2 });
    expect(parseTrialJobName('exp', 'exp-2-001')).toBeUndefined(); // study "exp-2"
    expect(parseTrialJobName('exp', 'exp-0007')).toBeUndefined();
    expect(parseTrialJobName('exp', 'exp-007-0')).toBeUndefined();
    expect(parseTrialJobName('exp', 'other-007')).toBeUndefined();
  });

  it('names native tuning jobs within 32 characters, distinct per take-over point', () => {
    expect(nativeTuningJobName('short', 0)).toBe('short');
    const long = 'a'.repeat(32);
    expect(nativeTuningJobName(long, 0)).toBe(long);
    const takeOver = nativeTuningJobName(long, 123);
    expect(takeOver).toHaveLength(32);
    expect(takeOver.endsWith('-n123')).toBe(true);
    expect(sagemaker.validateShape('HyperParameterTuningJobName', takeOver)).toEqual([]);
    expect(nameStem('bad_name.x', 32)).toMatch(/^bad-name-x-[0-9a-f]{8}$/);
    expect(nameStem('bad_name.x', 32)).not.toBe(nameStem('bad-name-x_', 32));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Randomized: requests from arbitrary valid ranges, names and values all fit the AWS model.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomName(r: () => number, maxLength: number): string {
  const length = 1 + Math.floor(r() * maxLength);
  let name = '';
  for (let i = 0; i < length; i++) {
    const hyphen = i > 0 && i < length - 1 && r() < 0.15 && name[name.length - 1] !== '-';
    name += hyphen ? '-' : ALNUM[Math.floor(r() * ALNUM.length)];
  }
  return name;
}

const INSTANCE_TYPES = sagemaker.shape('TrainingInstanceType').enum!;
const SCALINGS = ['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic'] as const;

function randomRequest(r: () => number): { raw: Record<string, unknown>; values: Record<string, number | string> } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const values: Record<string, number | string> = {};
  const used = new Set<string>();
  const hpName = (): string => {
    let n: string;
    do n = `hp_${randomName(r, 20)}`;
    while (used.has(n));
    used.add(n);
    return n;
  };
  const continuous = Array.from({ length: Math.floor(r() * 6) }, () => {
    const scaling = pick(SCALINGS);
    const log = scaling === 'Logarithmic' || scaling === 'ReverseLogarithmic';
    const lo = log ? 10 ** (-12 + r() * 10) : -1e6 + r() * 1e6;
    const hi = scaling === 'ReverseLogarithmic' ? lo + (1 - lo) * Math.max(1e-3, r()) : lo + (log ? lo : 1) * (1 + r() * 1e3);
    const name = hpName();
    values[name] = pick([lo, hi, lo + (hi - lo) * r()]);
    return { Name: name, MinValue: String(lo), MaxValue: String(hi), ScalingType: scaling === 'ReverseLogarithmic' && hi >= 1 ? 'Linear' : scaling };
  });
  const integer = Array.from({ length: Math.floor(r() * 5) }, () => {
    const log = r() < 0.3;
    const lo = log ? 1 + Math.floor(r() * 100) : Math.floor(-1e9 + r() * 2e9);
    const hi = lo + 1 + Math.floor(r() * 1e6);
    const name = hpName();
    values[name] = Math.floor(lo + (hi - lo) * r());
    return { Name: name, MinValue: String(lo), MaxValue: String(hi), ScalingType: log ? 'Logarithmic' : pick(['Auto', 'Linear'] as const) };
  });
  const categorical = Array.from({ length: r() < 0.3 ? 0 : 1 + Math.floor(r() * 3) }, () => {
    const options = Array.from({ length: 1 + Math.floor(r() * 29) }, (_, i) => `${randomName(r, 40)}.${i}`);
    const name = hpName();
    values[name] = pick(options);
    return { Name: name, Values: options };
  });
  if (continuous.length + integer.length + categorical.length === 0) {
    continuous.push({ Name: 'x', MinValue: '0', MaxValue: '1', ScalingType: 'Auto' });
    values.x = r();
  }
  const staticCount = Math.floor(r() * (100 - Object.keys(values).length));
  const statics: Record<string, string> = {};
  for (let i = 0; i < Math.min(staticCount, 20); i++) statics[`static_${i}_${randomName(r, 10)}`] = randomName(r, 200);
  const builtIn = r() < 0.5;
  const spot = r() < 0.3;
  const metricName = pick(['validation:auc', 'validation:rmse', 'loss', `m_${randomName(r, 50)}`]);
  const raw = {
    HyperParameterTuningJobName: randomName(r, 32),
    HyperParameterTuningJobConfig: {
      Strategy: pick(['Bayesian', 'Random']),
      HyperParameterTuningJobObjective: { Type: pick(['Maximize', 'Minimize']), MetricName: metricName },
      ResourceLimits: {
        MaxNumberOfTrainingJobs: 1 + Math.floor(r() * 500),
        MaxParallelTrainingJobs: 1 + Math.floor(r() * 10),
        ...(r() < 0.5 ? { MaxRuntimeInSeconds: 120 + Math.floor(r() * 15_767_880) } : {}),
      },
      ParameterRanges: {
        ...(continuous.length ? { ContinuousParameterRanges: continuous } : {}),
        ...(integer.length ? { IntegerParameterRanges: integer } : {}),
        ...(categorical.length ? { CategoricalParameterRanges: categorical } : {}),
      },
      ...(r() < 0.5 ? { TrainingJobEarlyStoppingType: pick(['Off', 'Auto']) } : {}),
      ...(r() < 0.5 ? { RandomSeed: Math.floor(r() * 1e6) } : {}),
    },
    TrainingJobDefinition: {
      ...(Object.keys(statics).length ? { StaticHyperParameters: statics } : {}),
      AlgorithmSpecification: {
        TrainingImage: builtIn
          ? `${100000000000 + Math.floor(r() * 8e11)}.dkr.ecr.${pick(['us-east-1', 'eu-west-1', 'ap-southeast-2'])}.amazonaws.com/sagemaker-xgboost:1.7-1`
          : `${100000000000 + Math.floor(r() * 8e11)}.dkr.ecr.us-west-2.amazonaws.com/${randomName(r, 30).toLowerCase()}:${randomName(r, 20)}`,
        TrainingInputMode: pick(['File', 'Pipe', 'FastFile']),
        MetricDefinitions: [{ Name: metricName, Regex: `${metricName}=([-+0-9.eE]+)` }],
      },
      RoleArn: `arn:aws:iam::${100000000000 + Math.floor(r() * 8e11)}:role/${pick(['', 'service-role/'])}${randomName(r, 60)}`,
      InputDataConfig: Array.from({ length: 1 + Math.floor(r() * 4) }, (_, i) => ({
        ChannelName: `${pick(['train', 'validation', 'test', 'aux'])}${i}`,
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://bucket-${randomName(r, 20).toLowerCase()}/${randomName(r, 100)}/` } },
      })),
      OutputDataConfig: { S3OutputPath: `s3://bucket-${randomName(r, 20).toLowerCase()}/${randomName(r, 200)}` },
      ResourceConfig: { InstanceType: pick(INSTANCE_TYPES), InstanceCount: 1 + Math.floor(r() * 4), VolumeSizeInGB: 1 + Math.floor(r() * 500) },
      // Spot training needs MaxWaitTimeInSeconds >= MaxRuntimeInSeconds.
      ...(spot
        ? { StoppingCondition: { MaxRuntimeInSeconds: 1 + Math.floor(r() * 432_000), MaxWaitTimeInSeconds: 432_000 + Math.floor(r() * 100) }, EnableManagedSpotTraining: true }
        : { StoppingCondition: { MaxRuntimeInSeconds: 1 + Math.floor(r() * 432_000) } }),
      ...(r() < 0.3 ? { RetryStrategy: { MaximumRetryAttempts: 1 + Math.floor(r() * 30) } } : {}),
      ...(r() < 0.3 ? { Environment: { [`VAR_${randomName(r, 10).replace(/-/g, '_')}`]: randomName(r, 100) } } : {}),
      ...(r() < 0.2 ? { VpcConfig: { SecurityGroupIds: [`sg-${randomName(r, 17)}`], Subnets: [`subnet-${randomName(r, 17)}`] } } : {}),
    },
    ...(r() < 0.5 ? { Tags: Array.from({ length: Math.floor(r() * 48) }, (_, i) => ({ Key: `k${i}:${randomName(r, 60)}`, Value: randomName(r, 200) })) } : {}),
    Sagetune: { Backend: 'sagemaker' },
  };
  return { raw, values };
}

describe('randomized requests fit the AWS model', () => {
  it('200 random requests: CreateTrainingJob, CreateHyperParameterTuningJob and GetMetricData all validate', () => {
    const r = rng(20261127);
    let checked = 0;
    for (let i = 0; i < 200; i++) {
      const { raw, values } = randomRequest(r);
      const request = parseTuningRequest(raw, { source: `random #${i}` });
      const study = request.HyperParameterTuningJobName;
      const trialNumber = 1 + Math.floor(r() * 99_999);
      const attempt = r() < 0.7 ? 0 : 1 + Math.floor(r() * 30);
      const jobName = trialJobName(study, trialNumber, attempt);
      const create = buildCreateTrainingJobRequest(request, { study, trialNumber, hyperParameters: values, jobName });
      expectValid(sagemaker, 'CreateTrainingJob', create);
      expect(parseTrialJobName(study, jobName)).toEqual({ trialNumber, attempt });

      const trialsBefore = Math.floor(r() * 1000);
      const native = buildCreateHyperParameterTuningJobRequest(request, {
        study,
        tuningJobName: nativeTuningJobName(study, trialsBefore),
        ...(trialsBefore > 0 ? { takeOver: true, remaining: { maxNumberOfTrainingJobs: 1 + Math.floor(r() * 100), maxRuntimeInSeconds: r() * 20_000_000 } } : {}),
      });
      expectValid(sagemaker, 'CreateHyperParameterTuningJob', native.input);

      const metric = request.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective!.MetricName;
      const jobs = Array.from({ length: 1 + Math.floor(r() * 20) }, (_, k) => ({ jobName: trialJobName(study, k + 1), startedAt: new Date(Date.UTC(2026, 0, 1) + r() * 1e9) }));
      expectValid(cloudwatch, 'GetMetricData', buildGetMetricDataInput(metric, jobs, new Date(Date.UTC(2026, 1, 1))));
      expectValid(sagemaker, 'ListTrainingJobs', { NameContains: studyJobPrefix(study), MaxResults: 100, SortBy: 'CreationTime', SortOrder: 'Ascending' });
      expectValid(sagemaker, 'DescribeTrainingJob', { TrainingJobName: jobName });
      expectValid(sagemaker, 'StopTrainingJob', { TrainingJobName: jobName });
      checked++;
    }
    expect(checked).toBe(200);
  });
});
