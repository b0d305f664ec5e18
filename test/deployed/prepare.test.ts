/**
 * Prepare and the deployed request: what the stack fills in, what it refuses (with the field, the value and what it
 * allows), and how a study is created, resumed, reopened, continued or refused to a second execution.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceConfig } from '../../src/deployed/config';
import { ENV, serviceConfigFromEnv, ServiceConfigError } from '../../src/deployed/config';
import { prepare, usesOptimizedIntegration, type PrepareDeps, type PrepareResult } from '../../src/deployed/prepare';
import { completeRequest, parseDeployedRequest, s3UnderAny } from '../../src/deployed/request';
import { FakeClock } from '../../src/backends/simulated';
import { MemoryStudyStore } from '../../src/study/store/memory-store';
import { RequestValidationError } from '../../src/study/errors';
import type { Study } from '../../src/study/types';

const CONFIG: ServiceConfig = {
  bucket: 'stack-bucket',
  keyPrefix: '',
  jobNamePrefix: 'sagetune-',
  executionRoleArn: 'arn:aws:iam::111122223333:role/StackExecutionRole',
  defaultOutputPath: 's3://stack-bucket/training',
  roleAccess: { read: ['s3://stack-bucket/data/', 's3://shared-data/'], write: ['s3://stack-bucket/training/'], vpc: false },
  maxWaitSeconds: 900,
  maxTicksPerExecution: 1000,
};

const example = (): Record<string, unknown> => JSON.parse(readFileSync(join(__dirname, '../../examples/deployed/xgboost.json'), 'utf8'));
const EXEC = (n: number): string => `arn:aws:states:us-east-1:111122223333:execution:Sagetune-sm:e${n}`;

function issuesOf(input: unknown, config = CONFIG): string[] {
  try {
    parseDeployedRequest(input, config);
    return [];
  } catch (error) {
    if (!(error instanceof RequestValidationError)) throw error;
    return error.issues.map((i) => `${i.path}: ${i.message}${'received' in i && i.received !== undefined ? ` <${JSON.stringify(i.received)}>` : ''}`);
  }
}

describe('the deployed request', () => {
  test('the stack fills in RoleArn, S3OutputPath, the bucket placeholder and the SageMaker backend; Resume is not kept', () => {
    const raw = { ...example(), Sagetune: { Resume: true } };
    const completed = completeRequest(raw, CONFIG) as { TrainingJobDefinition: Record<string, unknown>; Sagetune: Record<string, unknown> };
    expect(completed.TrainingJobDefinition.RoleArn).toBe(CONFIG.executionRoleArn);
    expect(completed.TrainingJobDefinition.OutputDataConfig).toEqual({ S3OutputPath: 's3://stack-bucket/training' });
    expect(JSON.stringify(completed.TrainingJobDefinition.InputDataConfig)).toContain('"S3Uri":"s3://stack-bucket/data/xgboost/train/"');
    expect(completed.Sagetune).toEqual({ Backend: 'sagemaker' });
    expect(raw.Sagetune).toEqual({ Resume: true });
    const request = parseDeployedRequest(raw, CONFIG);
    expect(request.Sagetune).toMatchObject({ Backend: 'sagemaker', Engine: 'sagetune' });
  });

  test('a VPC of the stack is filled in when the request has none; a given OutputDataConfig keeps its other members', () => {
    const config = { ...CONFIG, defaultVpcConfig: { SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1'] }, roleAccess: { ...CONFIG.roleAccess!, vpc: true } };
    const raw = example() as { TrainingJobDefinition: Record<string, unknown> };
    raw.TrainingJobDefinition.OutputDataConfig = { KmsKeyId: 'alias/k' };
    const request = parseDeployedRequest(raw, config);
    expect(request.TrainingJobDefinition?.VpcConfig).toEqual({ SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1'] });
    expect(request.TrainingJobDefinition?.OutputDataConfig).toEqual({ KmsKeyId: 'alias/k', S3OutputPath: 's3://stack-bucket/training' });
  });

  test('what the stack does not allow is refused, every problem at once, naming the value and what is allowed', () => {
    const raw = example() as Record<string, Record<string, unknown>>;
    raw.HyperParameterTuningJobName = 'team-xgboost' as never;
    raw.TrainingJobDefinition.RoleArn = 'arn:aws:iam::111122223333:role/Admin';
    raw.TrainingJobDefinition.OutputDataConfig = { S3OutputPath: 's3://stack-bucket/elsewhere' };
    raw.TrainingJobDefinition.CheckpointConfig = { S3Uri: 's3://other/ckpt' };
    raw.TrainingJobDefinition.VpcConfig = { SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1'] };
    (raw.TrainingJobDefinition.InputDataConfig as { DataSource: { S3DataSource: { S3Uri: string } } }[])[1].DataSource.S3DataSource.S3Uri = 's3://stack-bucket/datasets/v/';
    expect(issuesOf(raw)).toEqual([
      'HyperParameterTuningJobName: must start with "sagetune-", this stack\'s job-name prefix: its IAM policy lets it create SageMaker jobs only under that prefix (e.g. "sagetune-team-xgboost") <"team-xgboost">',
      'TrainingJobDefinition.RoleArn: is not a role this stack may pass to SageMaker: it may pass only its execution role arn:aws:iam::111122223333:role/StackExecutionRole (leave RoleArn out to use it) <"arn:aws:iam::111122223333:role/Admin">',
      'TrainingJobDefinition.OutputDataConfig.S3OutputPath: is not where the stack\'s execution role may write: s3://stack-bucket/training/ (leave it out to use s3://stack-bucket/training) <"s3://stack-bucket/elsewhere">',
      'TrainingJobDefinition.CheckpointConfig.S3Uri: is not where the stack\'s execution role may write: s3://stack-bucket/training/ <"s3://other/ckpt">',
      'TrainingJobDefinition.InputDataConfig[1].DataSource.S3DataSource.S3Uri: is not where the stack\'s execution role may read: s3://stack-bucket/data/, s3://shared-data/, s3://stack-bucket/training/ (upload the data there, or deploy the stack with the bucket in dataBuckets) <"s3://stack-bucket/datasets/v/">',
      'TrainingJobDefinition.VpcConfig: needs an execution role allowed to create network interfaces: deploy the stack with a VPC (its vpc property) to run training jobs in one',
    ]);
  });

  test('a role the stack cannot see is not checked for S3 or VPC, but RoleArn still must be the stack\'s', () => {
    const raw = example() as Record<string, Record<string, unknown>>;
    raw.TrainingJobDefinition.OutputDataConfig = { S3OutputPath: 's3://anywhere/out' };
    const { roleAccess: _ignored, ...config } = CONFIG;
    expect(issuesOf(raw, config)).toEqual([]);
  });

  test('a local request is one mistake for the stack, said once', () => {
    const local = JSON.parse(readFileSync(join(__dirname, '../../examples/quickstart/request.json'), 'utf8')) as Record<string, unknown>;
    local.HyperParameterTuningJobName = 'sagetune-quick';
    expect(issuesOf(local)).toEqual([
      'Sagetune.Local: is for trials run on your machine: a deployed stack runs every trial as a SageMaker training job (leave out Sagetune.Backend and Sagetune.Local, and give a TrainingImage or AlgorithmName)',
    ]);
  });

  test('not an object', () => {
    expect(issuesOf('hello')).toEqual(['(root): the execution input must be a JSON object: a CreateHyperParameterTuningJob request <"hello">']);
    expect(issuesOf(null)).toEqual(['(root): the execution input must be a JSON object: a CreateHyperParameterTuningJob request <null>']);
  });

  test('S3 prefixes: a URI is under a prefix only at a path boundary', () => {
    expect(s3UnderAny('s3://b/data/x.csv', ['s3://b/data/'])).toBe(true);
    expect(s3UnderAny('s3://b/data', ['s3://b/data/'])).toBe(true);
    expect(s3UnderAny('s3://b/database/', ['s3://b/data/'])).toBe(false);
    expect(s3UnderAny('s3://bucket2/data/', ['s3://b/'])).toBe(false);
    expect(s3UnderAny('s3://b/anything', ['s3://b/'])).toBe(true);
  });

  test('which native requests the optimized integration can express', () => {
    const native = parseDeployedRequest({ ...example(), Sagetune: { Engine: 'native' } }, CONFIG);
    expect(usesOptimizedIntegration(native)).toBe(true);
    expect(usesOptimizedIntegration({ ...native, Autotune: { Mode: 'Enabled' } } as never)).toBe(false);
  });
});

describe('the service settings', () => {
  const env = { [ENV.bucket]: 'b', [ENV.executionRoleArn]: 'arn:aws:iam::1:role/r', [ENV.defaultOutputPath]: 's3://b/training' };
  test('read from the environment with defaults', () => {
    expect(serviceConfigFromEnv(env)).toEqual({ bucket: 'b', keyPrefix: '', jobNamePrefix: '', executionRoleArn: 'arn:aws:iam::1:role/r', defaultOutputPath: 's3://b/training', maxWaitSeconds: 900, maxTicksPerExecution: 1000 });
  });
  test('a missing or garbled setting names its variable', () => {
    expect(() => serviceConfigFromEnv({})).toThrow(new ServiceConfigError('Environment variable SAGETUNE_BUCKET is not set: the function was not deployed by the sagetune construct'));
    expect(() => serviceConfigFromEnv({ ...env, [ENV.maxWaitSeconds]: '0' })).toThrow(/SAGETUNE_MAX_WAIT_SECONDS must be a whole number of at least 1, got 0/);
    expect(() => serviceConfigFromEnv({ ...env, [ENV.roleAccess]: '{"read":1}' })).toThrow(/SAGETUNE_ROLE_ACCESS does not have the expected shape/);
    expect(() => serviceConfigFromEnv({ ...env, [ENV.keyPrefix]: 'x' })).toThrow(/SAGETUNE_KEY_PREFIX must be empty or end with \//);
  });
});

describe('Prepare', () => {
  function setup(running: Record<string, string> = {}) {
    const clock = new FakeClock(Date.UTC(2026, 0, 5, 8));
    const store = new MemoryStudyStore();
    const deps: PrepareDeps = { config: CONFIG, store, clock, executionStatus: async (arn) => running[arn] };
    return { clock, store, deps };
  }
  const input = (patch: Record<string, unknown> = {}): Record<string, unknown> => ({ ...example(), HyperParameterTuningJobName: 'sagetune-p', ...patch });
  const study = async (store: MemoryStudyStore): Promise<Study> => (await store.read('sagetune-p'))!.value;

  test('creates the study with this execution as its driver', async () => {
    const { store, deps } = setup();
    expect(await prepare(input(), EXEC(1), deps)).toEqual({ outcome: 'run', study: 'sagetune-p', engine: 'sagetune', iteration: 0 });
    const s = await study(store);
    expect(s.status).toBe('InProgress');
    expect(s.driver).toEqual({ executionArn: EXEC(1), since: '2026-01-05T08:00:00.000Z' });
    expect(s.request.TrainingJobDefinition?.RoleArn).toBe(CONFIG.executionRoleArn);
  });

  test('an invalid request is refused and nothing is written', async () => {
    const { store, deps } = setup();
    const result = await prepare(input({ HyperParameterTuningJobConfig: { Strategy: 'Bayesian' } }), EXEC(1), deps);
    expect(result).toMatchObject({ outcome: 'refused', error: 'RequestInvalid' });
    expect((result as { cause: string }).cause).toContain('HyperParameterTuningJobConfig.ResourceLimits');
    expect(await store.list()).toEqual([]);
  });

  test('a second execution while the first runs is refused; the study is untouched', async () => {
    const { store, deps } = setup({ [EXEC(1)]: 'RUNNING' });
    await prepare(input(), EXEC(1), deps);
    const before = await store.read('sagetune-p');
    const result = await prepare(input(), EXEC(2), deps);
    expect(result).toEqual({
      outcome: 'refused',
      error: 'StudyAlreadyRunning',
      cause: `Study sagetune-p is already run by execution ${EXEC(1)} (since 2026-01-05T08:00:00.000Z); this execution leaves it alone. Stop that execution to stop the study.`,
    });
    expect((await store.read('sagetune-p'))!.version).toBe(before!.version);
  });

  test('an execution whose driver is gone takes the study over, counting the dead session up to its last tick', async () => {
    const { store, clock, deps } = setup({ [EXEC(1)]: 'ABORTED' });
    await prepare(input(), EXEC(1), deps);
    const s = await study(store);
    s.lastTickAt = '2026-01-05T08:10:00.000Z';
    await store.write(s, (await store.read('sagetune-p'))!.version);
    clock.advance(3_600_000);
    expect(await prepare(input(), EXEC(2), deps)).toMatchObject({ outcome: 'run' });
    const after = await study(store);
    expect(after.driver?.executionArn).toBe(EXEC(2));
    expect(after.activeSeconds).toBe(600);
    expect(after.activeSince).toBe('2026-01-05T09:00:00.000Z');
  });

  test('Prepare run again by the same execution (a retry) keeps the study as it is', async () => {
    const { store, deps } = setup();
    await prepare(input(), EXEC(1), deps);
    const s1 = await study(store);
    expect(await prepare(input(), EXEC(1), deps)).toMatchObject({ outcome: 'run' });
    expect((await study(store)).activeSince).toBe(s1.activeSince);
  });

  test('another request under the same name is refused with the differences', async () => {
    const { deps } = setup();
    await prepare(input(), EXEC(1), deps);
    const other = input();
    (other.HyperParameterTuningJobConfig as Record<string, unknown>).RandomSeed = 8;
    const result = await prepare(other, EXEC(2), deps);
    expect(result).toMatchObject({ outcome: 'refused', error: 'StudyRequestMismatch' });
    expect((result as { cause: string }).cause).toContain('HyperParameterTuningJobConfig.RandomSeed: stored 7, requested 8');
  });

  test('an ended study is refused unless the input asks to resume; Stopped resumes, Completed is finalized again', async () => {
    const { store, deps } = setup();
    await prepare(input(), EXEC(1), deps);
    const s = await study(store);
    Object.assign(s, { status: 'Stopped', statusReason: 'Stopped by request', endedAt: '2026-01-05T09:00:00.000Z' });
    await store.write(s, (await store.read('sagetune-p'))!.version);
    const refused = (await prepare(input(), EXEC(2), deps)) as Extract<PrepareResult, { outcome: 'refused' }>;
    expect(refused.error).toBe('StudyEnded');
    expect(refused.cause).toBe(
      'Study sagetune-p ended Stopped at 2026-01-05T09:00:00.000Z (Stopped by request); its results are under s3://stack-bucket/studies/sagetune-p/. To run the rest of its budget, start it again with "Sagetune": {"Resume": true}.',
    );
    expect(await prepare(input({ Sagetune: { Resume: true } }), EXEC(2), deps)).toMatchObject({ outcome: 'run' });
    const reopened = await study(store);
    expect(reopened.status).toBe('InProgress');
    expect(reopened.endedAt).toBeUndefined();
    expect(reopened.driver?.executionArn).toBe(EXEC(2));
    expect(reopened.request.Sagetune).not.toHaveProperty('Resume');
    Object.assign(reopened, { status: 'Completed', statusReason: 'MaxNumberOfTrainingJobs (20) reached', endedAt: '2026-01-05T10:00:00.000Z' });
    await store.write(reopened, (await store.read('sagetune-p'))!.version);
    expect(((await prepare(input(), EXEC(3), deps)) as { cause: string }).cause).toContain('start a new study whose WarmStartConfig names it');
    expect(await prepare(input({ Sagetune: { Resume: true } }), EXEC(3), deps)).toEqual({ outcome: 'finalize', study: 'sagetune-p', engine: 'sagetune' });
  });

  test('the native engine: the tuning job request for the optimized integration, its name recorded first', async () => {
    const { store, deps } = setup();
    const result = await prepare(input({ Sagetune: { Engine: 'native' } }), EXEC(1), deps);
    expect(result).toMatchObject({ outcome: 'native', study: 'sagetune-p', engine: 'native' });
    const tuningJob = (result as Extract<PrepareResult, { outcome: 'native' }>).tuningJob;
    expect(tuningJob.HyperParameterTuningJobName).toBe('sagetune-p');
    expect(tuningJob.TrainingJobDefinition?.RoleArn).toBe(CONFIG.executionRoleArn);
    expect(tuningJob.Tags).toContainEqual({ Key: 'sagetune:study', Value: 'sagetune-p' });
    expect((await study(store)).native).toEqual({ tuningJobName: 'sagetune-p', trialsBefore: 0 });
    // Run again (its execution died before the job was created): the loop follows the recorded job.
    const { deps: again } = { deps: { ...deps, executionStatus: async () => 'ABORTED' } };
    expect(await prepare(input({ Sagetune: { Engine: 'native' } }), EXEC(2), again)).toMatchObject({ outcome: 'run', engine: 'native' });
  });

  test('a continuation takes over from the execution it names, and only from it', async () => {
    const { store, deps } = setup();
    await prepare(input(), EXEC(1), deps);
    const cont = (from: string) => ({ SagetuneContinuation: { StudyName: 'sagetune-p', PreviousExecutionArn: from } });
    expect(await prepare(cont(EXEC(1)), EXEC(2), deps)).toEqual({ outcome: 'run', study: 'sagetune-p', engine: 'sagetune', iteration: 0 });
    expect((await study(store)).driver).toEqual({ executionArn: EXEC(2), since: '2026-01-05T08:00:00.000Z', continuedFrom: EXEC(1) });
    // A stale continuation (from an execution no longer driving) is refused.
    expect(await prepare(cont(EXEC(1)), EXEC(3), deps)).toMatchObject({ outcome: 'refused', error: 'StudyAlreadyRunning' });
    expect(await prepare({ SagetuneContinuation: { StudyName: 'sagetune-none', PreviousExecutionArn: EXEC(1) } }, EXEC(4), deps)).toMatchObject({ outcome: 'refused', error: 'StudyNotFound' });
  });

  test('a damaged study file is refused with a message, not overwritten', async () => {
    const { store, deps } = setup();
    store.read = async () => {
      const { CorruptStudyError } = await import('../../src/study/errors');
      throw new CorruptStudyError('s3://stack-bucket/studies/sagetune-p/study.json', 'trials is not a list');
    };
    const result = await prepare(input(), EXEC(1), deps);
    expect(result).toMatchObject({ outcome: 'refused', error: 'StudyCorrupt' });
    expect((result as { cause: string }).cause).toContain('trials is not a list');
  });
});
