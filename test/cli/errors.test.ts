/**
 * A user's mistakes: each gives one clear message on stderr naming what is wrong, exit code 2 and no stack
 * trace. Internal errors: exit code 1, the stack only with --debug or SAGETUNE_DEBUG=1.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStudyStore } from '../../src/study/store/file-store';
import { baseRequest, cli, tempDir, TRAIN_SCRIPT, writeRequest } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => (tmp = tempDir()));
afterAll(() => tmp.cleanup());

/** The request with the training command pointing at the fixture script by absolute path. */
function request(): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = baseRequest();
  r.Sagetune.Local.Command = ['node', TRAIN_SCRIPT];
  return r;
}

function expectUsageError(result: { code: number; stdout: string; stderr: string }, ...patterns: RegExp[]): void {
  expect(result.code).toBe(2);
  expect(result.stderr.startsWith('sagetune: ')).toBe(true);
  for (const p of patterns) expect(result.stderr).toMatch(p);
  // No stack trace: no "    at fn (file:line:col)" frames.
  expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe.each(['validate', 'run'])('sagetune %s with a bad request', (command) => {
  const run = (file: string) => cli(command === 'run' ? [command, file, '--store-dir', join(tmp.dir, 'studies')] : [command, file]);

  it('malformed JSON: the file, line and column', async () => {
    const file = writeRequest(tmp.dir, '{\n  "HyperParameterTuningJobName": "x",\n  "HyperParameterTuningJobConfig": {,}\n}', 'malformed.json');
    expectUsageError(await run(file), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:37: not valid JSON: unexpected ","; expected a property name`));
  });

  it('a file that does not exist', async () => {
    expectUsageError(await run(join(tmp.dir, 'nope.json')), /nope\.json: cannot read the request: no such file|nope\.json: no such file/);
  });

  it('a missing field', async () => {
    const r = request();
    delete r.HyperParameterTuningJobConfig.ResourceLimits;
    expectUsageError(await run(writeRequest(tmp.dir, r, 'missing.json')), /HyperParameterTuningJobConfig\.ResourceLimits: is required/);
  });

  it('an unknown field, with the likely intended name', async () => {
    const r = request();
    r.HyperParameterTuningJobConfig.ResourceLimit = r.HyperParameterTuningJobConfig.ResourceLimits;
    expectUsageError(await run(writeRequest(tmp.dir, r, 'unknown.json')), /HyperParameterTuningJobConfig\.ResourceLimit: unknown field \(did you mean ResourceLimits\?\)/);
  });

  it('bad ranges: the range, the value and what is allowed', async () => {
    const r = request();
    r.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue = '2';
    r.HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges[0].MaxValue = 'ten';
    const result = await run(writeRequest(tmp.dir, r, 'ranges.json'));
    expectUsageError(result, /ContinuousParameterRanges\[0\]/, /IntegerParameterRanges\[0\]\.MaxValue/, /2 problems/);
  });

  it('a training script that does not exist', async () => {
    const r = request();
    r.Sagetune.Local.Command = ['node', 'no-such-train.js'];
    expectUsageError(await run(writeRequest(tmp.dir, r, 'script.json')), /Sagetune\.Local\.Command\[1\]: names a script that does not exist: .*no-such-train\.js/);
  });

  it('a metric regex without a capture group, and several problems at once', async () => {
    const r = request();
    r.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[0].Regex = 'val_loss: [0-9.]+';
    r.Sagetune.Local.Command = ['no-such-program-xyz'];
    r.HyperParameterTuningJobConfig.Strategy = 'Bayes';
    const result = await run(writeRequest(tmp.dir, r, 'several.json'));
    expectUsageError(result, /MetricDefinitions\[0\]\.Regex/, /capture group|group/i, /Sagetune\.Local\.Command\[0\]/, /Strategy/, /3 problems/);
  });
});

describe('other mistakes', () => {
  it('a study that does not exist names where it looked', async () => {
    mkdirSync(join(tmp.dir, 'empty'), { recursive: true });
    for (const command of ['status', 'results', 'report']) {
      const result = await cli([command, 'no-such-study', '--store-dir', join(tmp.dir, 'empty')]);
      expectUsageError(result, /No study named no-such-study in .*empty \(no studies there yet\)/);
    }
    expectUsageError(await cli(['status', 'x', '--store-dir', join(tmp.dir, 'no', 'such', 'dir')]), /No study named x in .*dir \(that folder does not exist\)/);
  });

  it('every problem of a container is kept: a duplicate metric name beside a bad regex in another entry', async () => {
    const r = request();
    const defs = r.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions;
    r.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions = [...defs, { Name: 'acc', Regex: 'acc=([0-9.]+)' }, { Name: 'acc', Regex: 'acc2=[0-9.]+' }];
    const result = await cli(['validate', writeRequest(tmp.dir, r, 'dup-metric.json')]);
    expectUsageError(result, /\(2 problems\)/, /MetricDefinitions\[\d\]\.Regex/, /defines metric acc more than once/);
  });

  it('one mistake, one message: a field and its parts, or two layers of checks, do not repeat it', async () => {
    const long = request();
    long.HyperParameterTuningJobName = 'x'.repeat(40);
    expectUsageError(await cli(['validate', writeRequest(tmp.dir, long, 'long.json')]), /\(1 problem\):\n {2}- HyperParameterTuningJobName: must be 1 to 32 letters/);
    const metric = request();
    metric.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName = 'nope';
    expectUsageError(await cli(['validate', writeRequest(tmp.dir, metric, 'metric.json')]), /\(1 problem\):\n {2}- TrainingJobDefinition\.AlgorithmSpecification\.MetricDefinitions: must define the objective metric "nope"/);
    const command = request();
    command.Sagetune.Local.Command = [5];
    expectUsageError(await cli(['validate', writeRequest(tmp.dir, command, 'cmd5.json')]), /\(1 problem\):\n {2}- Sagetune\.Local\.Command\[0\]: must be a string, not a number/);
  });

  it('a warm start from a study that does not exist: exit 2, and no empty study folder left behind', async () => {
    const r = request();
    r.HyperParameterTuningJobName = 'warm-child';
    r.WarmStartConfig = { ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'no-such-parent' }], WarmStartType: 'IdenticalDataAndAlgorithm' };
    const store = join(tmp.dir, 'warm');
    const result = await cli(['run', writeRequest(tmp.dir, r, 'warm.json'), '--store-dir', store]);
    expectUsageError(result, /no-such-parent/);
    expect(existsSync(join(store, 'warm-child'))).toBe(false);
  });

  it('a bad --name is named as the option it came from', async () => {
    const file = writeRequest(tmp.dir, request(), 'named.json');
    expectUsageError(await cli(['run', file, '--name', 'Bad_Name', '--store-dir', join(tmp.dir, 'named')]), /- --name \(HyperParameterTuningJobName\): must be 1 to 32 letters.*\(received "Bad_Name"\)/);
  });

  it('validate --engine native checks what SageMaker needs, not the local command', async () => {
    const r = request();
    r.HyperParameterTuningJobConfig.Strategy = 'Hyperband';
    r.Sagetune.Local.Command = ['node', 'no-such-script.js'];
    const file = writeRequest(tmp.dir, r, 'hyperband.json');
    // Hyperband runs in sagetune's engine too; both engines need its MaxResource (SageMaker's rule).
    const local = await cli(['validate', file]);
    expectUsageError(local, /HyperbandStrategyConfig\.MaxResource: is required with the Hyperband strategy unless TrainingJobDefinition\.StaticHyperParameters sets the number of epochs/);
    const native = await cli(['validate', file, '--engine', 'native']);
    expectUsageError(native, /TrainingJobDefinition\.RoleArn: is required to run trials on SageMaker/);
    expect(native.stderr).toContain('HyperbandStrategyConfig.MaxResource');
    expect(native.stderr).not.toContain('Sagetune.Local.Command');
  });

  it('a study argument that is neither a name nor a study folder', async () => {
    expectUsageError(await cli(['status', 'some/where/../x y']), /is neither a study folder nor a study name/);
  });

  it('an unknown command or option, a bad option value', async () => {
    expectUsageError(await cli(['runn']), /unknown command 'runn'/, /Did you mean run\?/);
    expectUsageError(await cli(['results', 'x', '--format', 'xml']), /--format <format>' argument 'xml' is invalid. Allowed choices are table, csv, json/);
    expectUsageError(await cli(['run', 'r.json', '--parallel', '0']), /--parallel must be a whole number >= 1/);
    expectUsageError(await cli(['run']), /missing required argument 'request.json'/);
  });

  it('the sagemaker backend without what SageMaker needs (image, role, output, instances)', async () => {
    const file = writeRequest(tmp.dir, request(), 'sm.json');
    const result = await cli(['run', file, '--backend', 'sagemaker', '--store-dir', join(tmp.dir, 'studies')]);
    expectUsageError(result, /RoleArn/);
  });

  it('a study that another runner drives', async () => {
    const store = join(tmp.dir, 'studies-locked');
    const file = writeRequest(tmp.dir, { ...request(), HyperParameterTuningJobName: 'locked' }, 'locked.json');
    const lock = await new FileStudyStore({ root: store }).acquireLock('locked');
    try {
      expectUsageError(await cli(['run', file, '--store-dir', store]), new RegExp(`Study locked is locked by process ${process.pid} on .*: another runner drives it`));
    } finally {
      await lock.release();
    }
  });

  it('a damaged study file: named with its problem, exit 2, for every command that reads it', async () => {
    const store = join(tmp.dir, 'studies-damaged');
    mkdirSync(join(store, 'dmg'), { recursive: true });
    writeFileSync(join(store, 'dmg', 'study.json'), JSON.stringify({ revision: 1, study: { name: 'dmg' } }));
    for (const command of ['status', 'results', 'report']) {
      expectUsageError(await cli([command, 'dmg', '--store-dir', store]), /study\.json is not a sagetune study file: schemaVersion is missing; this sagetune reads version 1 \(restore it/);
    }
    writeFileSync(join(store, 'dmg', 'study.json'), '{"revision": 1, "study": ');
    expectUsageError(await cli(['status', 'dmg', '--store-dir', store]), /study\.json is not a sagetune study file: .*JSON/);
  });

  it('an output file that cannot be written', async () => {
    const store = join(tmp.dir, 'studies-out');
    mkdirSync(join(store, 'done'), { recursive: true });
    writeFileSync(join(store, 'done', 'study.json'), JSON.stringify({ revision: 1, study: { schemaVersion: 1, name: 'done', request: { HyperParameterTuningJobConfig: {} }, status: 'Completed', createdAt: '2026-11-27T01:00:00Z', trials: [] } }));
    expectUsageError(await cli(['report', 'done', '--store-dir', store, '--out', join(tmp.dir, 'no', 'such', 'r.html')]), /cannot write .*r\.html: its folder does not exist/);
  });
});

describe('internal errors', () => {
  // A failure no user input explains: the study file is a folder, so reading it fails with EISDIR.
  const corrupt = (): string => {
    const root = join(tmp.dir, 'corrupt');
    mkdirSync(join(root, 'broken', 'study.json'), { recursive: true });
    return root;
  };

  it('exit 1 with the message and no stack trace', async () => {
    const result = await cli(['status', 'broken', '--store-dir', corrupt()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sagetune: internal error: /);
    expect(result.stderr).toContain('--debug');
    expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });

  it('the stack with --debug or SAGETUNE_DEBUG=1', async () => {
    const withFlag = await cli(['--debug', 'status', 'broken', '--store-dir', corrupt()]);
    expect(withFlag.code).toBe(1);
    expect(withFlag.stderr).toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    const withEnv = await cli(['status', 'broken', '--store-dir', corrupt()], { env: { SAGETUNE_DEBUG: '1' } });
    expect(withEnv.stderr).toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });
});
