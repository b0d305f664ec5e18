import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestFileError, RequestValidationError, type RequestIssue } from '../../src/study/errors';
import { loadTuningRequest, parseTuningRequest, suggestKey } from '../../src/study/request';
import { fullSageMakerRequest, rawRequest } from './helpers';

/** The issues of an invalid request (fails the test if it is valid). */
function issuesOf(input: unknown): RequestIssue[] {
  try {
    parseTuningRequest(input);
  } catch (error) {
    expect(error).toBeInstanceOf(RequestValidationError);
    return [...(error as RequestValidationError).issues];
  }
  throw new Error('expected the request to be invalid');
}

function issueAt(input: unknown, path: string): RequestIssue {
  const issues = issuesOf(input);
  const found = issues.find((i) => i.path === path);
  if (!found) throw new Error(`no issue at ${path}; issues: ${JSON.stringify(issues, null, 2)}`);
  return found;
}

describe('parseTuningRequest: valid requests', () => {
  it('accepts a local request and fills in the Sagetune defaults', () => {
    const req = parseTuningRequest(rawRequest());
    expect(req.Sagetune).toEqual({ Engine: 'sagetune', Backend: 'local', PollIntervalSeconds: 1, Local: { Command: ['python3', 'train.py'] } });
    expect(req.HyperParameterTuningJobConfig.ParameterRanges?.ContinuousParameterRanges?.[0]).toEqual({ Name: 'x', MinValue: '0', MaxValue: '1' });
  });

  it('converts numeric range bounds and static hyperparameters to strings, as the API sends them', () => {
    const req = parseTuningRequest(
      rawRequest({
        HyperParameterTuningJobConfig: { ParameterRanges: { ContinuousParameterRanges: [{ Name: 'x', MinValue: 0.001, MaxValue: 1 }] } },
        TrainingJobDefinition: { StaticHyperParameters: { epochs: 5, verbose: true } },
      }),
    );
    expect(req.HyperParameterTuningJobConfig.ParameterRanges?.ContinuousParameterRanges?.[0]).toMatchObject({ MinValue: '0.001', MaxValue: '1' });
    expect(req.TrainingJobDefinition?.StaticHyperParameters).toEqual({ epochs: '5', verbose: 'true' });
  });

  it('accepts a full SageMaker request (sagemaker backend) and defaults its poll interval to 30 s', () => {
    const req = parseTuningRequest({ ...fullSageMakerRequest(), Sagetune: { Backend: 'sagemaker' } });
    expect(req.Sagetune).toEqual({ Engine: 'sagetune', Backend: 'sagemaker', PollIntervalSeconds: 30 });
  });

  it("refuses, with the request, what would exceed SageMaker's limits once sagetune adds its own (not at the first launch)", () => {
    const sm = (change: (r: Record<string, any>) => void, engine: 'sagetune' | 'native' = 'sagetune'): string[] => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const r = fullSageMakerRequest() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      r.Sagetune = { Backend: 'sagemaker', Engine: engine };
      change(r);
      try {
        parseTuningRequest(r);
        return [];
      } catch (e) {
        return (e as RequestValidationError).issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(sm((r) => (r.Tags = tags(48)))).toEqual([]);
    expect(sm((r) => (r.Tags = tags(49)))).toEqual(['Tags: has 49 tags; sagetune adds 2 (sagetune:study, sagetune:trial) and SageMaker allows at most 50']);
    expect(sm((r) => (r.Tags = tags(50)), 'native')).toEqual(['Tags: has 50 tags; sagetune adds 1 (sagetune:study) and SageMaker allows at most 50']);
    const statics = Object.fromEntries(Array.from({ length: 98 }, (_, i) => [`s${i}`, '1']));
    expect(sm((r) => (r.TrainingJobDefinition.StaticHyperParameters = statics))).toEqual([
      'TrainingJobDefinition.StaticHyperParameters: has 98 entries; with the 3 tuned hyperparameters a training job gets 101, and SageMaker allows at most 100',
    ]);
    const long = (n: number) => `s3://bucket/${'p'.repeat(n - 12)}`;
    expect(sm((r) => (r.TrainingJobDefinition.OutputDataConfig.S3OutputPath = long(1012)))).toEqual([]); // + /xgb-2025-01 = 1024
    expect(sm((r) => (r.TrainingJobDefinition.OutputDataConfig.S3OutputPath = long(1013)))).toEqual([
      'TrainingJobDefinition.OutputDataConfig.S3OutputPath: is 1013 characters; sagetune appends /<study name> and SageMaker allows at most 1024',
    ]);
    expect(sm((r) => (r.TrainingJobDefinition.CheckpointConfig.S3Uri = long(1000)))).toEqual([
      'TrainingJobDefinition.CheckpointConfig.S3Uri: is 1000 characters; sagetune appends /<study name>/<job name> (up to 76) and SageMaker allows at most 1024',
    ]);
    expect(sm((r) => (r.TrainingJobDefinition.StoppingCondition.MaxWaitTimeInSeconds = 60))).toEqual([
      `TrainingJobDefinition.StoppingCondition.MaxWaitTimeInSeconds: must be at least MaxRuntimeInSeconds (${(fullSageMakerRequest() as any).TrainingJobDefinition.StoppingCondition.MaxRuntimeInSeconds}) with EnableManagedSpotTraining`, // eslint-disable-line @typescript-eslint/no-explicit-any
    ]);
    expect(sm((r) => (r.Tags = [{ Key: 'aws:cost', Value: 'x' }, { Key: 'team', Value: 'a' }, { Key: 'team', Value: 'b' }]))).toEqual([
      'Tags[0].Key: cannot start with aws: (the prefix is reserved for AWS)',
      'Tags[2].Key: appears twice; tag keys must be unique',
    ]);
    expect(sm((r) => delete r.TrainingJobDefinition.ResourceConfig.InstanceCount)).toEqual([
      'TrainingJobDefinition.ResourceConfig.InstanceCount: is required to run trials on SageMaker (unless InstanceGroups are given)',
    ]);
  });

  it('accepts Hyperband, TrainingJobDefinitions and Autotune for the native engine (which runs on SageMaker)', () => {
    const base = rawRequest({
      HyperParameterTuningJobConfig: { Strategy: 'Hyperband', StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 27 } } },
      TrainingJobDefinition: {
        AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
        RoleArn: 'arn:aws:iam::123456789012:role/R',
        OutputDataConfig: { S3OutputPath: 's3://b/o' },
        StoppingCondition: { MaxRuntimeInSeconds: 60 },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 5 },
      },
      Sagetune: { Engine: 'native', Local: undefined },
    });
    const req = parseTuningRequest(base);
    expect(req.Sagetune.Backend).toBe('sagemaker');
    expect(req.HyperParameterTuningJobConfig.Strategy).toBe('Hyperband');
  });
});

describe('parseTuningRequest: every problem at once, with path, value and what is allowed', () => {
  it('rejects a request that is not an object', () => {
    expect(issuesOf(null)).toEqual([{ path: '(root)', message: 'must be an object, not null', received: null }]);
    expect(issuesOf([])).toEqual([{ path: '(root)', message: 'must be an object, not an array', received: [] }]);
  });

  it('lists missing required fields', () => {
    expect(issuesOf({}).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'HyperParameterTuningJobName: is required (a string)',
      'HyperParameterTuningJobConfig: is required (an object)',
      'TrainingJobDefinition: is required (the training job each trial runs)',
      'Sagetune.Local.Command: is required to run trials locally: the training command as an argv array, e.g. ["python3", "train.py"]',
    ]);
    expect(issueAt(rawRequest({ HyperParameterTuningJobConfig: { ResourceLimits: { MaxParallelTrainingJobs: undefined } } }), 'HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs').message).toBe(
      'is required (a number)',
    );
  });

  it('names unknown fields and suggests the likely one', () => {
    const issues = issuesOf(rawRequest({ HyperParameterTuningJobConfig: { Strateg: 'Random' }, Tags: [{ Key: 'a', Value: 'b', Extra: 1 }], Sagetune: { PollInterval: 2 } }));
    expect(issues.find((i) => i.path === 'HyperParameterTuningJobConfig.Strateg')?.message).toBe(
      'unknown field (did you mean Strategy?); allowed here: Strategy, StrategyConfig, HyperParameterTuningJobObjective, ResourceLimits, ParameterRanges, TrainingJobEarlyStoppingType, TuningJobCompletionCriteria, RandomSeed',
    );
    expect(issues.find((i) => i.path === 'Tags[0].Extra')?.message).toBe('unknown field; allowed here: Key, Value');
    expect(issues.find((i) => i.path === 'Sagetune.PollInterval')?.message).toMatch(/^unknown field \(did you mean PollIntervalSeconds\?\)/);
    expect(issueAt(rawRequest({ hyperparametertuningjobname: 'x' }), 'hyperparametertuningjobname').message).toMatch(/^unknown field \(did you mean HyperParameterTuningJobName\?\)/);
  });

  it('checks names, enums, lengths and bounds of the AWS model', () => {
    const input = rawRequest({
      HyperParameterTuningJobName: 'bad_name!',
      HyperParameterTuningJobConfig: {
        TrainingJobEarlyStoppingType: 'Yes',
        ResourceLimits: { MaxParallelTrainingJobs: 0, MaxRuntimeInSeconds: 10, MaxNumberOfTrainingJobs: 2.5 },
        RandomSeed: -1,
        TuningJobCompletionCriteria: { BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 2 } },
      },
      TrainingJobDefinition: { ResourceConfig: { InstanceType: 'ml.m5.huge' }, RetryStrategy: { MaximumRetryAttempts: 31 } },
    });
    const byPath = Object.fromEntries(issuesOf(input).map((i) => [i.path, i]));
    expect(byPath.HyperParameterTuningJobName).toEqual({
      path: 'HyperParameterTuningJobName',
      message: 'must be 1 to 32 letters, digits and hyphens, starting and ending with a letter or digit',
      received: 'bad_name!',
    });
    expect(byPath['HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType']).toMatchObject({ message: 'must be one of "Off", "Auto"', received: 'Yes' });
    expect(byPath['HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs']).toMatchObject({ message: 'must be at least 1', received: 0 });
    expect(byPath['HyperParameterTuningJobConfig.ResourceLimits.MaxRuntimeInSeconds']).toMatchObject({ message: 'must be at least 120', received: 10 });
    expect(byPath['HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs']).toMatchObject({ message: 'must be an integer, not a number with a fraction', received: 2.5 });
    expect(byPath['HyperParameterTuningJobConfig.RandomSeed']).toMatchObject({ message: 'must be at least 0', received: -1 });
    expect(byPath['HyperParameterTuningJobConfig.TuningJobCompletionCriteria.BestObjectiveNotImproving.MaxNumberOfTrainingJobsNotImproving']).toMatchObject({ message: 'must be at least 3' });
    expect(byPath['TrainingJobDefinition.ResourceConfig.InstanceType'].message).toMatch(/^must be one of "ml\.m4\.xlarge", .*\(\d+ values\)$/);
    expect(byPath['TrainingJobDefinition.RetryStrategy.MaximumRetryAttempts']).toMatchObject({ message: 'must be at most 30', received: 31 });
    expect(Object.keys(byPath)).toHaveLength(9);
  });

  it("names the rule a map's key breaks, and shows the key (not its value)", () => {
    const issues = issuesOf(rawRequest({ TrainingJobDefinition: { ...(rawRequest() as any).TrainingJobDefinition, Environment: { '1BAD': 'x' } } })); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(issues.find((i) => i.path === 'TrainingJobDefinition.Environment.1BAD')).toEqual({
      path: 'TrainingJobDefinition.Environment.1BAD',
      message: 'the name must be a variable name (letters, digits, _; not starting with a digit)',
      received: '1BAD',
    });
  });

  it('checks string lengths and list sizes', () => {
    const long = 'a'.repeat(33);
    // one message for the name, naming its length and its characters (not one per broken rule)
    const nameIssues = issuesOf(rawRequest({ HyperParameterTuningJobName: long })).filter((i) => i.path === 'HyperParameterTuningJobName');
    expect(nameIssues.map((i) => i.message)).toEqual(['must be 1 to 32 letters, digits and hyphens, starting and ending with a letter or digit']);
    expect(issueAt(rawRequest({ Sagetune: { Local: { Command: [] } } }), 'Sagetune.Local.Command').message).toBe('must have at least 1 item');
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(issueAt(rawRequest({ Tags: tags }), 'Tags').message).toBe('must have at most 50 items');
  });

  it('includes the optimizer core\'s parameter-range rules', () => {
    const input = rawRequest({
      HyperParameterTuningJobConfig: {
        ParameterRanges: {
          ContinuousParameterRanges: [{ Name: 'lr', MinValue: '0', MaxValue: '1', ScalingType: 'Logarithmic' }],
          IntegerParameterRanges: [{ Name: 'n', MinValue: '5', MaxValue: '1' }],
        },
      },
    });
    const issues = issuesOf(input);
    const paths = issues.map((i) => i.path);
    expect(paths).toContain('HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue');
    expect(paths).toContain('HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges[0].MinValue');
    expect(issues.find((i) => i.path.endsWith('IntegerParameterRanges[0].MinValue'))?.message).toMatch(/less than MaxValue/);
    expect(issues.find((i) => i.path.endsWith('ContinuousParameterRanges[0].MinValue'))?.message).toMatch(/Logarithmic/);
  });

  it('reports schema and range problems together, each once', () => {
    const issues = issuesOf(
      rawRequest({
        HyperParameterTuningJobName: '-x-',
        HyperParameterTuningJobConfig: { ParameterRanges: { ContinuousParameterRanges: [{ Name: 'x', MinValue: {}, MaxValue: '1' }, { Name: 'y', MinValue: '2', MaxValue: '1' }] } },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      'HyperParameterTuningJobName',
      'HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue',
      'HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[1].MinValue',
    ]);
    expect(issues[1]).toMatchObject({ message: 'must be a string or a number, not an object', received: {} });
  });

  it('the error message lists every issue, one per line', () => {
    try {
      parseTuningRequest(rawRequest({ HyperParameterTuningJobName: 'bad_name', HyperParameterTuningJobConfig: { RandomSeed: -1 } }));
      throw new Error('expected an error');
    } catch (error) {
      expect(error).toBeInstanceOf(RequestValidationError);
      expect((error as Error).name).toBe('RequestValidationError');
      expect((error as Error).message).toBe(
        'Invalid tuning request (2 problems):\n' +
          '  - HyperParameterTuningJobName: must be 1 to 32 letters, digits and hyphens, starting and ending with a letter or digit (received "bad_name")\n' +
          '  - HyperParameterTuningJobConfig.RandomSeed: must be at least 0 (received -1)',
      );
    }
  });
});

describe('parseTuningRequest: rules across fields', () => {
  it('refuses hyperparameters a training script would read as options, only where they reach one as arguments', () => {
    const optionLike = rawRequest({
      HyperParameterTuningJobConfig: { ParameterRanges: { CategoricalParameterRanges: [{ Name: 'opt', Values: ['adam', '--help', '-1', '-2.5e-3'] }] } },
      TrainingJobDefinition: { StaticHyperParameters: { epochs: '5', mode: '-rf', offset: '-3', '--flag': '1' } },
    });
    // The local backend always passes hyperparameters as --name value: names and non-numeric values starting with '-'.
    expect(issuesOf(optionLike).map((i) => `${i.path} ${JSON.stringify(i.received)}`)).toEqual([
      'TrainingJobDefinition.StaticHyperParameters.mode "-rf"',
      'TrainingJobDefinition.StaticHyperParameters.--flag undefined',
      'HyperParameterTuningJobConfig.ParameterRanges.CategoricalParameterRanges[0].Values[1] "--help"',
    ]);
    // A SageMaker built-in algorithm reads hyperparameters from a file: nothing to refuse ...
    const onSageMaker = { ...fullSageMakerRequest(), Sagetune: { Backend: 'sagemaker' } } as unknown as { TrainingJobDefinition: { StaticHyperParameters: Record<string, string> } };
    onSageMaker.TrainingJobDefinition.StaticHyperParameters = { objective: '-rf' };
    expect(() => parseTuningRequest(onSageMaker)).not.toThrow();
    // ... but a framework container's script (sagemaker_program) gets them as arguments.
    onSageMaker.TrainingJobDefinition.StaticHyperParameters = { objective: '-rf', sagemaker_program: 'train.py' };
    expect(issueAt(onSageMaker, 'TrainingJobDefinition.StaticHyperParameters.objective').message).toMatch(/command-line option/);
  });

  it('caps MaxNumberOfTrainingJobs at 10000 and names one bound, the tighter, for an integer beyond the safe range', () => {
    expect(() => parseTuningRequest(rawRequest({ HyperParameterTuningJobConfig: { ResourceLimits: { MaxNumberOfTrainingJobs: 10000 } } }))).not.toThrow();
    const huge = issuesOf(rawRequest({ HyperParameterTuningJobConfig: { ResourceLimits: { MaxNumberOfTrainingJobs: 1e20 } } }));
    expect(huge.map((i) => `${i.path}: ${i.message}`)).toEqual(['HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs: must be at most 10000']);
  });

  it("refuses '.' and '..' as channel names (the channel is a folder)", () => {
    const req = rawRequest({ TrainingJobDefinition: { InputDataConfig: [{ ChannelName: '..', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file://data' } } }] } });
    expect(issueAt(req, 'TrainingJobDefinition.InputDataConfig[0].ChannelName')).toMatchObject({ received: '..' });
  });

  const nativeOnly = "is run only by SageMaker's own tuner: set Sagetune.Engine to 'native' to use it";

  it('leaves SageMaker-only features to the native engine', () => {
    expect(issueAt(rawRequest({ Autotune: { Mode: 'Enabled' } }), 'Autotune').message).toBe(nativeOnly);
    expect(issueAt(rawRequest({ HyperParameterTuningJobConfig: { ParameterRanges: { AutoParameters: [{ Name: 'a', ValueHint: '1' }] } } }), 'HyperParameterTuningJobConfig.ParameterRanges.AutoParameters').message).toBe(nativeOnly);
    expect(issueAt(rawRequest({ TrainingJobDefinitions: [{ AlgorithmSpecification: {} }] }), 'TrainingJobDefinitions').message).toBe('give either TrainingJobDefinition or TrainingJobDefinitions, not both');
    expect(issueAt(rawRequest({ TrainingJobDefinition: { TuningObjective: { Type: 'Minimize', MetricName: 'loss' } } }), 'TrainingJobDefinition.TuningObjective').message).toBe(
      'belongs to multi-definition tuning; give it as HyperParameterTuningJobConfig.HyperParameterTuningJobObjective',
    );
  });

  it('requires an objective, ranges and a budget for the sagetune engine', () => {
    const input = rawRequest({ HyperParameterTuningJobConfig: { HyperParameterTuningJobObjective: undefined, ParameterRanges: undefined, ResourceLimits: { MaxNumberOfTrainingJobs: undefined } } });
    const byPath = Object.fromEntries(issuesOf(input).map((i) => [i.path, i.message]));
    expect(byPath['HyperParameterTuningJobConfig.HyperParameterTuningJobObjective']).toBe('is required ({ Type: Minimize|Maximize, MetricName })');
    expect(byPath['HyperParameterTuningJobConfig.ParameterRanges']).toBe('is required (at least one integer, continuous or categorical range)');
    expect(byPath['HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs']).toBe('is required with the Random strategy (or set MaxRuntimeInSeconds)');
    // A runtime limit alone is a budget too.
    expect(() => parseTuningRequest(rawRequest({ HyperParameterTuningJobConfig: { ResourceLimits: { MaxNumberOfTrainingJobs: undefined, MaxRuntimeInSeconds: 600 } } }))).not.toThrow();
  });

  it('local trials need a command and a metric definition for the objective, with a capture group', () => {
    expect(issueAt(rawRequest({ Sagetune: { Local: undefined } }), 'Sagetune.Local.Command').message).toMatch(/^is required to run trials locally/);
    expect(issueAt(rawRequest({ TrainingJobDefinition: { AlgorithmSpecification: { MetricDefinitions: [{ Name: 'acc', Regex: 'acc=([0-9.]+)' }] } } }), 'TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions').message).toBe(
      'must define the objective metric "loss" (a { Name, Regex } entry) so that it can be read from the training output',
    );
    expect(issueAt(rawRequest({ TrainingJobDefinition: { AlgorithmSpecification: { MetricDefinitions: [{ Name: 'loss', Regex: 'loss=[0-9.]+' }] } } }), 'TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[0].Regex')).toEqual({
      path: 'TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[0].Regex',
      message: 'needs a capture group around the value, e.g. "loss=([0-9.e+-]+)"',
      received: 'loss=[0-9.]+',
    });
    expect(issueAt(rawRequest({ TrainingJobDefinition: { AlgorithmSpecification: { MetricDefinitions: [{ Name: 'loss', Regex: 'loss=(' }] } } }), 'TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[0].Regex').message).toMatch(
      /^is not a valid regular expression: /,
    );
  });

  it('a hyperparameter is either static or tuned', () => {
    expect(issueAt(rawRequest({ TrainingJobDefinition: { StaticHyperParameters: { x: '1' } } }), 'TrainingJobDefinition.StaticHyperParameters.x').message).toBe(
      'is also tuned (HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0]); a hyperparameter is either static or tuned',
    );
  });

  it('SageMaker trials need what CreateTrainingJob needs, and no file:// data', () => {
    const input = rawRequest({
      Sagetune: { Backend: 'sagemaker', Local: undefined },
      TrainingJobDefinition: { InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file:///data/train' } } }] },
    });
    expect(issuesOf(input).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'TrainingJobDefinition.RoleArn: is required to run trials on SageMaker',
      'TrainingJobDefinition.OutputDataConfig: is required to run trials on SageMaker',
      'TrainingJobDefinition.StoppingCondition: is required to run trials on SageMaker',
      'TrainingJobDefinition.AlgorithmSpecification: needs a TrainingImage or an AlgorithmName to run trials on SageMaker',
      'TrainingJobDefinition.ResourceConfig: is required to run trials on SageMaker (or give HyperParameterTuningResourceConfig)',
      'TrainingJobDefinition.InputDataConfig[0].DataSource.S3DataSource.S3Uri: a file:// URI is local data: SageMaker needs an s3:// URI',
    ]);
  });

  it('local trials may read file:// data; other URIs must be s3:// or https://', () => {
    expect(() =>
      parseTuningRequest(rawRequest({ TrainingJobDefinition: { InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 'file:///data/train' } } }] } })),
    ).not.toThrow();
    expect(issueAt(rawRequest({ TrainingJobDefinition: { OutputDataConfig: { S3OutputPath: 'ftp://x/y' } } }), 'TrainingJobDefinition.OutputDataConfig.S3OutputPath').message).toBe(
      'must be an s3:// or https:// URI (or, for local runs, a file:// URI)',
    );
  });

  it('the native engine cannot run locally', () => {
    expect(issueAt(rawRequest({ Sagetune: { Engine: 'native', Backend: 'local' } }), 'Sagetune.Backend').message).toBe(
      "must be 'sagemaker' with Sagetune.Engine 'native' (SageMaker's tuning job runs on SageMaker)",
    );
  });
});

describe('loadTuningRequest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sagetune-request-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and checks a request file', async () => {
    const path = join(dir, 'ok.json');
    await writeFile(path, JSON.stringify(rawRequest(), null, 2));
    await expect(loadTuningRequest(path)).resolves.toMatchObject({ HyperParameterTuningJobName: 'demo' });
  });

  it('reports malformed JSON with its line and column', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '{\n  "HyperParameterTuningJobName": "demo",\n  "HyperParameterTuningJobConfig": {,\n}\n');
    const error = await loadTuningRequest(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestFileError);
    expect(error).toMatchObject({ name: 'RequestFileError', line: 3, column: 37 });
    expect((error as Error).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:37: not valid JSON: `));
  });

  it('reports truncated JSON at its end', async () => {
    const path = join(dir, 'truncated.json');
    await writeFile(path, '{\n  "a": [1, 2');
    await expect(loadTuningRequest(path)).rejects.toMatchObject({ name: 'RequestFileError', line: 2 });
  });

  it('reports a missing file', async () => {
    await expect(loadTuningRequest(join(dir, 'nope.json'))).rejects.toThrow(/nope\.json: no such file$/);
  });

  it('names the file in validation errors', async () => {
    const path = join(dir, 'invalid.json');
    await writeFile(path, JSON.stringify(rawRequest({ HyperParameterTuningJobName: 'bad_name' })));
    const error = await loadTuningRequest(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as Error).message).toMatch(/^Invalid tuning request in .*invalid\.json \(1 problem\):/);
  });
});

describe('suggestKey', () => {
  it('finds case slips and small typos, and nothing far away', () => {
    const known = ['Strategy', 'ResourceLimits', 'RandomSeed'];
    expect(suggestKey('strategy', known)).toBe('Strategy');
    expect(suggestKey('ResourceLimit', known)).toBe('ResourceLimits');
    expect(suggestKey('RandomSed', known)).toBe('RandomSeed');
    expect(suggestKey('Resource', known)).toBe('ResourceLimits');
    expect(suggestKey('Completely', known)).toBeUndefined();
  });
});

describe('Hyperband in the request: the rules of SageMaker\'s API, for both engines', () => {
  const hyperband = (config: Record<string, unknown> = {}, statics: Record<string, unknown> | undefined = { epochs: '27' }) =>
    rawRequest({ HyperParameterTuningJobConfig: { Strategy: 'Hyperband', ...config }, TrainingJobDefinition: { StaticHyperParameters: statics && { epochs: undefined, ...statics } } });
  const path = 'HyperParameterTuningJobConfig.StrategyConfig.HyperbandStrategyConfig';

  it('runs in sagetune\'s engine, MaxResource given or read from the static epochs', () => {
    expect(parseTuningRequest(hyperband()).HyperParameterTuningJobConfig.Strategy).toBe('Hyperband');
    for (const key of ['epochs', 'numepochs', 'n-epochs', 'n_epochs', 'num_epochs']) expect(() => parseTuningRequest(hyperband({}, { [key]: 9 }))).not.toThrow();
    expect(() => parseTuningRequest(hyperband({ StrategyConfig: { HyperbandStrategyConfig: { MinResource: 2, MaxResource: 81 } } }, undefined))).not.toThrow();
    expect(parseTuningRequest(rawRequest({ HyperParameterTuningJobConfig: { Strategy: 'Hyperband' }, Sagetune: { Hyperband: { ReductionFactor: 2 } } })).Sagetune.Hyperband).toEqual({ ReductionFactor: 2 });
    expect(parseTuningRequest(rawRequest({ HyperParameterTuningJobConfig: { Strategy: 'Hyperband' }, Sagetune: { Hyperband: { Proposals: 'Random' } } })).Sagetune.Hyperband).toEqual({ Proposals: 'Random' });
  });

  it('refuses a MaxResource it cannot infer, naming the keys it reads', () => {
    expect(issueAt(hyperband({}, { batch_size: '32' }), `${path}.MaxResource`).message).toBe(
      'is required with the Hyperband strategy unless TrainingJobDefinition.StaticHyperParameters sets the number of epochs as one of epochs, numepochs, n-epochs, n_epochs, num_epochs',
    );
    expect(issueAt(hyperband({}, { num_epochs: 'ten' }), `${path}.MaxResource`).message).toBe(
      'is required: TrainingJobDefinition.StaticHyperParameters.num_epochs ("ten") is not a whole number of epochs from 1 to 20000',
    );
    expect(issueAt(hyperband({}, { epochs: '20001' }), `${path}.MaxResource`).message).toContain('is not a whole number of epochs from 1 to 20000');
  });

  it('refuses MinResource above MaxResource, a MaxResource above 20,000, early stopping, and Hyperband options elsewhere', () => {
    expect(issueAt(hyperband({ StrategyConfig: { HyperbandStrategyConfig: { MinResource: 30 } } }), `${path}.MinResource`)).toEqual({
      path: `${path}.MinResource`,
      message: 'must be at most MaxResource (27, from StaticHyperParameters.epochs)',
      received: 30,
    });
    expect(issueAt(hyperband({ StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 20001 } } }), `${path}.MaxResource`).message).toMatch(/20000/);
    expect(issueAt(hyperband({ TrainingJobEarlyStoppingType: 'Auto' }), 'HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType')).toEqual({
      path: 'HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType',
      message: "must be 'Off' with the Hyperband strategy: Hyperband stops jobs early itself",
      received: 'Auto',
    });
    expect(issueAt(rawRequest({ HyperParameterTuningJobConfig: { Strategy: 'Bayesian', StrategyConfig: { HyperbandStrategyConfig: { MaxResource: 9 } } } }), 'HyperParameterTuningJobConfig.StrategyConfig').message).toBe(
      'is only for the Hyperband strategy (Strategy is "Bayesian")',
    );
    expect(issueAt(rawRequest({ Sagetune: { Hyperband: { ReductionFactor: 3 } } }), 'Sagetune.Hyperband').message).toBe('is only for the Hyperband strategy (Strategy is "Random")');
    expect(issueAt(rawRequest({ HyperParameterTuningJobConfig: { Strategy: 'Hyperband' }, Sagetune: { Hyperband: { ReductionFactor: 1 } } }), 'Sagetune.Hyperband.ReductionFactor').message).toMatch(/2/);
    expect(() => parseTuningRequest(rawRequest({ HyperParameterTuningJobConfig: { Strategy: 'Hyperband' }, Sagetune: { Hyperband: { Proposals: 'Sobol' } } }))).toThrow(/Sagetune\.Hyperband\.Proposals/);
  });
});

