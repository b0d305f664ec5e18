/**
 * Up-front checks of a local run (what `sagetune validate` and `sagetune run` report before any trial starts),
 * and the channel-location rules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkLocalCommand, checkLocalRequest, checkMetricDefinitions, resolveChannelLocation, resolveProgram } from '../../../src/backends/local';
import { scriptArgumentIndex } from '../../../src/backends/local/validate';
import { makeRequest, makeWorkspace } from './helpers';

let ws: ReturnType<typeof makeWorkspace>;
beforeAll(() => {
  ws = makeWorkspace();
  fs.mkdirSync(path.join(ws.dir, 'data'));
  fs.writeFileSync(path.join(ws.dir, 'not-executable.sh'), 'echo hi\n', { mode: 0o644 });
  fs.writeFileSync(path.join(ws.dir, 'run.sh'), '#!/bin/sh\necho loss=1\n', { mode: 0o755 });
});
afterAll(() => ws.cleanup());

function raw(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...(makeRequest({}, true) as unknown as Record<string, unknown>), ...overrides };
}

describe('checkLocalCommand', () => {
  test('a runnable command with an existing script and local channels passes', () => {
    const request = makeRequest({
      channels: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: 'file://data', S3DataType: 'S3Prefix' } } }],
    });
    expect(checkLocalCommand(request, { baseDir: ws.dir })).toEqual([]);
    expect(checkLocalRequest(request, { baseDir: ws.dir })).toEqual([]);
    expect(checkLocalCommand(makeRequest({ command: ['./run.sh', '--verbose'] }), { baseDir: ws.dir })).toEqual([]);
  });

  test('a program missing from PATH is reported with the PATH searched', () => {
    const issues = checkLocalCommand(makeRequest({ command: ['pythn3', 'trainer.js'] }), { baseDir: ws.dir, pathEnv: '/usr/bin:/bin' });
    expect(issues).toEqual([
      {
        path: 'Sagetune.Local.Command[0]',
        message: 'cannot be run: the program pythn3 was not found on PATH (/usr/bin:/bin)',
        received: 'pythn3',
      },
    ]);
  });

  test('a script that does not exist is reported with where relative paths resolve', () => {
    const issues = checkLocalCommand(makeRequest({ command: ['python3', '-u', 'trian.py', '--x', '1'] }), { baseDir: ws.dir });
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('Sagetune.Local.Command[2]');
    expect(issues[0].message).toBe(`names a script that does not exist: ${path.join(ws.dir, 'trian.py')} (relative paths resolve against ${ws.dir})`);
  });

  test('a program path that is not executable, or is a folder, is reported', () => {
    const [notExec] = checkLocalCommand(makeRequest({ command: ['./not-executable.sh'] }), { baseDir: ws.dir });
    expect(notExec.message).toMatch(/not-executable\.sh \(resolved against .*\) is not executable \(chmod \+x it, or run it through its interpreter/);
    const [folder] = checkLocalCommand(makeRequest({ command: ['./data'] }), { baseDir: ws.dir });
    expect(folder.message).toContain('is a directory, not a program');
  });

  test('a channel in S3, or at a local path that does not exist, is reported', () => {
    const request = makeRequest({
      channels: [
        { ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: 's3://bucket/train/', S3DataType: 'S3Prefix' } } },
        { ChannelName: 'test', DataSource: { S3DataSource: { S3Uri: 'file://missing', S3DataType: 'S3Prefix' } } },
      ],
    });
    const issues = checkLocalCommand(request, { baseDir: ws.dir });
    expect(issues.map((i) => i.path)).toEqual([
      'TrainingJobDefinition.InputDataConfig[0].DataSource.S3DataSource.S3Uri',
      'TrainingJobDefinition.InputDataConfig[1].DataSource.S3DataSource.S3Uri',
    ]);
    expect(issues[0].message).toContain('which a local run cannot read: give a local path or a file:// URI');
    expect(issues[1].message).toBe(`channel test: the local path ${path.join(ws.dir, 'missing')} does not exist`);
  });

  test('a working directory that does not exist, or is a file, is the one issue reported, naming WorkingDirectory', () => {
    const request = raw({ Sagetune: { Local: { Command: ['python3', 'train.py'], WorkingDirectory: 'nodir' } } });
    expect(checkLocalCommand(request, { baseDir: path.join(ws.dir, 'nodir') })).toEqual([
      {
        path: 'Sagetune.Local.WorkingDirectory',
        message: `the training command's working directory ${path.join(ws.dir, 'nodir')} does not exist (a relative WorkingDirectory resolves against the request file's folder)`,
        received: 'nodir',
      },
    ]);
    const [file] = checkLocalCommand(makeRequest({}), { baseDir: path.join(ws.dir, 'run.sh') });
    expect(file).toEqual(expect.objectContaining({ path: 'Sagetune.Local', message: expect.stringMatching(/run\.sh is not a folder$/) }));
  });

  test('a missing or malformed command is reported with an example', () => {
    const missing = checkLocalCommand(raw({ Sagetune: {} }), { baseDir: ws.dir });
    expect(missing).toEqual([expect.objectContaining({ path: 'Sagetune.Local.Command', message: expect.stringContaining('["python3", "train.py"]') })]);
    const shell = checkLocalCommand(raw({ Sagetune: { Local: { Command: 'python3 train.py' } } }), { baseDir: ws.dir });
    expect(shell).toEqual([
      expect.objectContaining({ path: 'Sagetune.Local.Command', message: expect.stringContaining('never through a shell'), received: 'python3 train.py' }),
    ]);
  });
});

describe('checkMetricDefinitions', () => {
  test('Python-syntax regexes are valid', () => {
    const request = makeRequest({ metricDefinitions: [{ Name: 'loss', Regex: '(?i)loss=(?P<v>[0-9.]+)' }] });
    expect(checkMetricDefinitions(request)).toEqual([]);
  });

  test('an invalid regex, a regex without a group, a duplicate and a missing objective are each reported', () => {
    const request = raw({
      TrainingJobDefinition: {
        AlgorithmSpecification: {
          TrainingInputMode: 'File',
          MetricDefinitions: [
            { Name: 'acc', Regex: 'acc=([0-9.]+' },
            { Name: 'f1', Regex: 'f1=[0-9.]+' },
            { Name: 'f1', Regex: 'f1=([0-9.]+)' },
          ],
        },
      },
    });
    const issues = checkMetricDefinitions(request);
    expect(issues).toEqual([
      {
        path: 'TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[0].Regex',
        message: 'the regex of metric acc ("acc=([0-9.]+") is invalid: unterminated group',
        received: 'acc=([0-9.]+',
      },
      {
        path: 'TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[1].Regex',
        message: expect.stringContaining('has no capture group'),
        received: 'f1=[0-9.]+',
      },
      { path: 'TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions', message: 'defines metric f1 more than once', received: 'f1' },
      {
        path: 'TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions',
        message: 'must define the objective metric "loss" (a { Name, Regex } entry) so that it can be read from the training output',
      },
    ]);
    // checkLocalRequest reports each problem once.
    expect(checkLocalRequest(request, { baseDir: ws.dir })).toHaveLength(issues.length);
  });
});

describe('helpers', () => {
  test('channel locations: file URIs and plain paths are local, other schemes are remote', () => {
    expect(resolveChannelLocation('file:///data/train', '/base')).toEqual({ local: '/data/train' });
    expect(resolveChannelLocation('file://data/train', '/base')).toEqual({ local: '/base/data/train' });
    expect(resolveChannelLocation('file://./data', '/base')).toEqual({ local: '/base/data' });
    expect(resolveChannelLocation('file:data%20set', '/base')).toEqual({ local: '/base/data set' });
    expect(resolveChannelLocation('data', '/base')).toEqual({ local: '/base/data' });
    expect(resolveChannelLocation('/abs', '/base')).toEqual({ local: '/abs' });
    expect(resolveChannelLocation('s3://b/k', '/base')).toEqual({ remote: 's3://b/k' });
  });

  test('programs resolve on PATH or as paths', () => {
    expect(resolveProgram('sh', '/', '/nonexistent:/bin:/usr/bin')).toEqual({ path: expect.stringMatching(/\/bin\/sh$/) });
    expect(resolveProgram('./run.sh', ws.dir)).toEqual({ path: path.join(ws.dir, 'run.sh') });
  });

  test.each([
    [['python3', 'train.py'], 1],
    [['python3', '-u', '-W', 'ignore', 'train.py', '--lr', '1'], 4],
    [['python3', '-m', 'pkg.train'], undefined],
    [['node', '-r', 'ts-node/register', 'train.ts'], 3],
    [['/usr/bin/Rscript', 'fit.R'], 1],
    [['./train.sh', 'x.py'], undefined],
  ])('script argument of %j is %s', (command, index) => {
    expect(scriptArgumentIndex(command as string[])).toBe(index);
  });
});
