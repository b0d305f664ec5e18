import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AwsServiceModel, MODEL_FILES, assertValidInput } from './aws-model';

const sagemaker = AwsServiceModel.load('sagemaker');
const cloudwatch = AwsServiceModel.load('cloudwatch');

const validCreateTrainingJob = {
  TrainingJobName: 'study-1-t0001',
  RoleArn: 'arn:aws:iam::123456789012:role/SageMakerRole',
  AlgorithmSpecification: {
    TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    TrainingInputMode: 'File',
    MetricDefinitions: [{ Name: 'validation:auc', Regex: '.*\\[[0-9]+\\].*#011validation-auc:([-+]?[0-9]*\\.?[0-9]+)' }],
  },
  HyperParameters: { eta: '0.1', max_depth: '5' },
  OutputDataConfig: { S3OutputPath: 's3://bucket/out/' },
  ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 10 },
  StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  Tags: [{ Key: 'sagetune:study', Value: 'study-1' }],
};

function paths(issues: { path: string }[]): string[] {
  return issues.map((i) => i.path);
}

describe('AwsServiceModel', () => {
  it('ships the model files unchanged (checksums of SOURCE.md)', () => {
    const source = readFileSync(join(__dirname, 'aws-models', 'SOURCE.md'), 'utf8');
    for (const file of Object.values(MODEL_FILES)) {
      const sha = createHash('sha256').update(readFileSync(join(__dirname, 'aws-models', file))).digest('hex');
      expect(source).toContain(`| ${file} |`);
      expect(source).toMatch(new RegExp(`${file.replace(/\./g, '\\.')} \\|[^|]+\\| ${sha} \\|`));
    }
  });

  it('accepts a valid CreateTrainingJob request', () => {
    expect(sagemaker.validateInput('CreateTrainingJob', validCreateTrainingJob)).toEqual([]);
    expect(() => assertValidInput('sagemaker', 'CreateTrainingJob', validCreateTrainingJob)).not.toThrow();
  });

  it('reports a missing required member with its path', () => {
    const { RoleArn: _omit, ...rest } = validCreateTrainingJob;
    expect(paths(sagemaker.validateInput('CreateTrainingJob', rest))).toEqual(['RoleArn']);
    const nested = { ...validCreateTrainingJob, AlgorithmSpecification: { TrainingImage: 'x' } };
    expect(paths(sagemaker.validateInput('CreateTrainingJob', nested))).toEqual(['AlgorithmSpecification.TrainingInputMode']);
  });

  it('reports unknown members (typos the SDK would drop)', () => {
    const typo = { ...validCreateTrainingJob, StoppingCondition: { MaxRuntimeInSecond: 10 } };
    const issues = sagemaker.validateInput('CreateTrainingJob', typo);
    expect(paths(issues)).toEqual(['StoppingCondition.MaxRuntimeInSecond']);
    expect(issues[0].message).toMatch(/has no member/);
  });

  it('checks patterns against the whole value', () => {
    // The unanchored pattern would find a match inside "bad_name"; SageMaker rejects underscores.
    expect(paths(sagemaker.validateInput('CreateTrainingJob', { ...validCreateTrainingJob, TrainingJobName: 'bad_name' }))).toEqual([
      'TrainingJobName',
    ]);
    expect(sagemaker.validateShape('TrainingJobName', 'a-b--c9')).toEqual([]);
    expect(sagemaker.validateShape('TrainingJobName', 'ends-with-')).toHaveLength(1);
    expect(sagemaker.validateShape('RoleArn', 'arn:aws:iam::12345:role/x')).toHaveLength(1);
  });

  it('checks string lengths, enums, numeric types and bounds', () => {
    expect(sagemaker.validateShape('TrainingJobName', 'a'.repeat(64))[0].message).toMatch(/above the maximum 63/);
    expect(sagemaker.validateShape('TrainingInputMode', 'Stream')[0].message).toMatch(/not one of Pipe, File, FastFile/);
    expect(sagemaker.validateShape('MaximumRetryAttempts', 31)[0].message).toMatch(/above the maximum 30/);
    expect(sagemaker.validateShape('MaximumRetryAttempts', 0)[0].message).toMatch(/below the minimum 1/);
    expect(sagemaker.validateShape('MaximumRetryAttempts', 1.5)[0].message).toMatch(/expected an integer/);
    expect(sagemaker.validateShape('MaximumRetryAttempts', '3')[0].message).toMatch(/expected an integer/);
    expect(sagemaker.validateShape('TargetObjectiveMetricValue', 0.5)).toEqual([]);
    expect(sagemaker.validateShape('Boolean', 'true')[0].message).toMatch(/expected a boolean/);
  });

  it('checks list lengths and every element', () => {
    const tooMany = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(sagemaker.validateShape('TagList', tooMany)[0].message).toMatch(/list length 51 is above the maximum 50/);
    expect(paths(sagemaker.validateShape('TagList', [{ Key: 'a', Value: 'b' }, { Key: '', Value: 'b' }]))).toEqual(['[1].Key']);
    expect(sagemaker.validateShape('InputDataConfig', [])[0].message).toMatch(/below the minimum 1/);
  });

  it('checks map sizes, keys and values', () => {
    const env = { GOOD_KEY: 'v', 'bad-key': 'v' };
    const issues = sagemaker.validateShape('HyperParameterTrainingJobEnvironmentMap', env, 'Environment');
    expect(paths(issues)).toEqual(['Environment{key "bad-key"}']);
    const tooMany = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v']));
    expect(sagemaker.validateShape('HyperParameters', tooMany)[0].message).toMatch(/above the maximum 100/);
    expect(sagemaker.validateShape('HyperParameters', { eta: 0.1 })[0].message).toMatch(/expected a string/);
  });

  it('checks union structures and timestamps in the CloudWatch model', () => {
    const query = {
      MetricDataQueries: [
        {
          Id: 'm0',
          MetricStat: {
            Metric: { Namespace: '/aws/sagemaker/TrainingJobs', MetricName: 'loss', Dimensions: [{ Name: 'Host', Value: 'job/algo-1' }] },
            Period: 60,
            Stat: 'Average',
          },
        },
      ],
      StartTime: new Date(0),
      EndTime: new Date(60_000),
    };
    expect(cloudwatch.validateInput('GetMetricData', query)).toEqual([]);
    expect(paths(cloudwatch.validateInput('GetMetricData', { ...query, StartTime: 'yesterday' }))).toEqual(['StartTime']);
    const badId = { ...query, MetricDataQueries: [{ ...query.MetricDataQueries[0], Id: '' }] };
    expect(paths(cloudwatch.validateInput('GetMetricData', badId))).toEqual(['MetricDataQueries[0].Id']);
    const union = sagemaker.validateShape('AIBenchmarkTarget', {});
    expect(union).toHaveLength(1);
    expect(union[0].message).toMatch(/exactly one member, got 0/);
  });

  it('reports a pattern JavaScript cannot compile instead of skipping it', () => {
    const issues = sagemaker.validateShape('CustomerMetadataKey', 'key');
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toMatch(/cannot be checked in JavaScript/);
  });

  it('compiles every pattern that the shapes sagetune sends use', () => {
    for (const name of ['ArnOrName', 'TagKey', 'TagValue', 'S3Uri', 'RoleArn', 'KmsKeyId', 'ChannelName', 'NameContains', 'SubnetId']) {
      expect(sagemaker.validateShape(name, '')).not.toContainEqual(expect.objectContaining({ message: expect.stringMatching(/cannot be checked/) }));
    }
    expect(sagemaker.validateShape('ArnOrName', 'my-algorithm')).toEqual([]);
    expect(sagemaker.validateShape('ArnOrName', 'my-algorithm-')).toHaveLength(1);
  });

  it('throws on unknown operations and shapes rather than validating against nothing', () => {
    expect(() => sagemaker.validateInput('CreateTrainingJobs', {})).toThrow(/no operation/);
    expect(() => sagemaker.validateShape('NoSuchShape', {})).toThrow(/no shape/);
    expect(sagemaker.errorsOf('CreateTrainingJob')).toEqual(expect.arrayContaining(['ResourceInUse', 'ResourceLimitExceeded']));
  });
});
