/**
 * The local backend with real child processes: the script-mode contract, metrics, exit codes, timeouts, stops,
 * adoption by a second backend instance, and parallel trials.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalBackend } from '../../../src/backends/local';
import { TrialLaunchError } from '../../../src/study/errors';
import { isRunning, makeRequest, makeStudy, makeTrial, makeWorkspace, readJsonFile, waitForEnd, waitUntil } from './helpers';

type Workspace = ReturnType<typeof makeWorkspace>;

// Tests run concurrently (they mostly wait for processes), each in a workspace of its own.
function withWs(fn: (ws: Workspace) => Promise<void>): () => Promise<void> {
  return async () => {
    const ws = makeWorkspace();
    try {
      await fn(ws);
    } finally {
      ws.cleanup();
    }
  };
}

function backendIn(ws: Workspace, options: { killGraceSeconds?: number } = {}): LocalBackend {
  return new LocalBackend({ baseDir: ws.dir, studiesDir: ws.studiesDir, ...options });
}

function pidsOf(b: LocalBackend, trial: ReturnType<typeof makeTrial>): Promise<{ pid: number; grandchild: number }> {
  const file = path.join(b.trialDir('study', trial), 'output', 'data', 'pids.json');
  return waitUntil(() => readJsonFile<{ pid: number; grandchild: number }>(file), 10_000, 'pids.json');
}

describe('script-mode contract', () => {
  test.concurrent('passes hyperparameters as sorted --name value arguments, SM_HPS, SM_HP_*, and the SageMaker folders and channels', withWs(async (ws) => {
    const dataDir = path.join(ws.dir, 'data');
    fs.mkdirSync(dataDir);
    fs.writeFileSync(path.join(ws.dir, 'single.csv'), '1,2\n');
    const request = makeRequest({
      staticHyperParameters: { mode: 'dump', epochs: '10', sagemaker_program: 'train.py', b: 'true' },
      environment: { MY_SETTING: 'x' },
      channels: [
        { ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: 'file://data', S3DataType: 'S3Prefix' } } },
        { ChannelName: 'validation', DataSource: { S3DataSource: { S3Uri: `file://${path.join(ws.dir, 'single.csv')}`, S3DataType: 'S3Prefix' } } },
      ],
    });
    const trial = makeTrial(1, { learning_rate: 0.001, layers: 3, optimizer: 'adam' });
    const study = makeStudy(request, [trial]);
    const b = backendIn(ws);
    const launched = await b.launch({ study: 'study', request, trial });
    expect(launched.adopted).toBe(false);
    const u = await waitForEnd(b, study, trial);
    expect(u.status).toBe('Completed');
    expect(u.objective).toBe(0.25);

    const dir = b.trialDir('study', trial);
    expect(dir).toBe(path.join(ws.studiesDir, 'study', 'trials', trial.jobName));
    const dump = readJsonFile<{ argv: string[]; env: Record<string, string>; cwd: string }>(path.join(dir, 'output', 'data', 'dump.json'));
    expect(dump).toBeDefined();
    const { argv, env, cwd } = dump!;
    expect(argv).toEqual(['-b', 'True', '--epochs', '10', '--layers', '3', '--learning_rate', '0.001', '--mode', 'dump', '--optimizer', 'adam']);
    expect(JSON.parse(env.SM_HPS)).toEqual({ b: true, epochs: 10, layers: 3, learning_rate: 0.001, mode: 'dump', optimizer: 'adam' });
    expect(env.SM_HP_LEARNING_RATE).toBe('0.001');
    expect(env.SM_HP_OPTIMIZER).toBe('adam');
    expect(env.SM_HP_SAGEMAKER_PROGRAM).toBeUndefined();
    expect(env.SM_MODEL_DIR).toBe(path.join(dir, 'model'));
    expect(env.SM_OUTPUT_DIR).toBe(path.join(dir, 'output'));
    expect(env.SM_OUTPUT_DATA_DIR).toBe(path.join(dir, 'output', 'data'));
    expect(env.SM_CHANNEL_TRAIN).toBe(dataDir);
    // A channel that is a single file is handed over as a folder holding it, as SageMaker does.
    expect(env.SM_CHANNEL_VALIDATION).toBe(path.join(dir, 'input', 'data', 'validation'));
    expect(fs.readFileSync(path.join(env.SM_CHANNEL_VALIDATION, 'single.csv'), 'utf8')).toBe('1,2\n');
    expect(JSON.parse(env.SM_CHANNELS)).toEqual(['train', 'validation']);
    expect(env.MY_SETTING).toBe('x');
    // As SageMaker's containers set it, unless the runner's environment already says otherwise.
    expect(env.PYTHONUNBUFFERED).toBe(process.env.PYTHONUNBUFFERED ?? '1');
    expect(env.TRAINING_JOB_NAME).toBe(trial.jobName);
    const training = JSON.parse(env.SM_TRAINING_ENV);
    expect(training).toMatchObject({
      job_name: trial.jobName,
      hyperparameters: { layers: 3, optimizer: 'adam' },
      additional_framework_parameters: { sagemaker_program: 'train.py' },
      channel_input_dirs: { train: dataDir },
      model_dir: env.SM_MODEL_DIR,
      current_host: 'algo-1',
      hosts: ['algo-1'],
    });
    expect(cwd).toBe(ws.dir);
    // SageMaker's config files, values as strings like the API passes them.
    expect(readJsonFile(path.join(dir, 'input', 'config', 'hyperparameters.json'))).toMatchObject({ learning_rate: '0.001', layers: '3' });
    // Output is kept per trial.
    expect(fs.readFileSync(path.join(dir, 'stdout.log'), 'utf8')).toBe('loss=0.25\n');
  }));

  test.concurrent('the quickstart training script runs unchanged through the backend and writes its model', withWs(async (ws) => {
    const repo = path.resolve(__dirname, '../../..');
    const request = makeRequest({
      command: ['python3', 'examples/quickstart/train.py'],
      metricDefinitions: [
        { Name: 'validation:logloss', Regex: 'validation:logloss=([0-9.eE+-]+)' },
        { Name: 'validation:accuracy', Regex: 'validation:accuracy=([0-9.eE+-]+)' },
      ],
      objective: 'validation:logloss',
      channels: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: 'file://examples/quickstart/data', S3DataType: 'S3Prefix' } } }],
      staticHyperParameters: { epochs: '3' },
    });
    const trial = makeTrial(1, { learning_rate: 0.01, weight_decay: 0.0001, hidden_units: 4, optimizer: 'adam' });
    const b = new LocalBackend({ baseDir: repo, studiesDir: ws.studiesDir });
    await b.launch({ study: 'study', request, trial });
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial, 30_000);
    expect(u.status).toBe('Completed');
    expect(u.objectiveSeries).toHaveLength(3);
    expect(u.objective).toBeGreaterThan(0);
    expect(u.objective).toBeLessThan(0.7);
    expect(u.finalMetrics?.['validation:accuracy']).toBeGreaterThan(0.5);
    const model = readJsonFile<{ features: string[] }>(path.join(b.trialDir('study', trial), 'model', 'model.json'));
    expect(model?.features).toHaveLength(30);
  }));
});

describe('metrics', () => {
  test.concurrent('every match is a value: final value is the last, the objective series has increasing timestamps', withWs(async (ws) => {
    const request = makeRequest({
      metricDefinitions: [
        { Name: 'loss', Regex: 'loss=(?P<value>[0-9.]+)' }, // Python named group
        { Name: 'acc', Regex: 'acc=([0-9.]+)' },
        { Name: 'epoch', Regex: '(?i)EPOCH=(\\d+)' }, // Python inline flag
      ],
    });
    const trial = makeTrial(1, { mode: 'ok', steps: 4, delay: 60 });
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial);
    expect(u.status).toBe('Completed');
    expect(u.objective).toBe(0.25);
    expect(u.finalMetrics).toEqual({ loss: 0.25, acc: 0.8, epoch: 4 });
    expect(u.objectiveSeries?.map((p) => p.value)).toEqual([1, 0.5, 0.3333, 0.25]);
    const times = u.objectiveSeries!.map((p) => p.t);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
    expect(times[3] - times[0]).toBeGreaterThanOrEqual(0.15); // 3 delays of 60 ms
    expect(u.startedAt).toBeDefined();
    expect(Date.parse(u.endedAt!)).toBeGreaterThanOrEqual(Date.parse(u.startedAt!));
  }));

  test.concurrent('several matches on one line each give a value, stderr lines count too', withWs(async (ws) => {
    const script = path.join(ws.dir, 'multi.js');
    fs.writeFileSync(script, "console.log('loss=0.9 loss=0.8'); console.error('loss=0.7'); console.log('loss=oops.');");
    const request = makeRequest({ command: [process.execPath, 'multi.js'], metricDefinitions: [{ Name: 'loss', Regex: 'loss=([\\w.]+)' }] });
    const trial = makeTrial(1, {});
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial);
    expect(u.status).toBe('Completed');
    expect(u.objectiveSeries?.map((p) => p.value).sort()).toEqual([0.7, 0.8, 0.9]);
    expect(u.objective).toBe(u.objectiveSeries![2].value);
  }));

  test.concurrent('a long output (more than one read chunk) is read whole; a long series is thinned, its last point kept', withWs(async (ws) => {
    fs.writeFileSync(
      path.join(ws.dir, 'chatty.js'),
      "const pad = 'x'.repeat(80); const out = []; for (let i = 1; i <= 60000; i++) out.push('step=' + i + ' loss=' + (1 / i).toFixed(8) + ' ' + pad); console.log(out.join('\\n'));",
    );
    const request = makeRequest({ command: [process.execPath, 'chatty.js'] });
    const trial = makeTrial(1, {});
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial, 30_000);
    expect(fs.statSync(path.join(b.trialDir('study', trial), 'output.log')).size).toBeGreaterThan(5 * 1024 * 1024);
    expect(u.status).toBe('Completed');
    expect(u.objective).toBe(Number((1 / 60000).toFixed(8)));
    expect(u.objectiveSeries!.length).toBeLessThanOrEqual(1000);
    expect(u.objectiveSeries![u.objectiveSeries!.length - 1].value).toBe(u.objective);
  }));

  test.concurrent('CRLF line ends, characters split across writes and a last line without a newline are read right', withWs(async (ws) => {
    fs.writeFileSync(
      path.join(ws.dir, 'ragged.js'),
      [
        "const euro = Buffer.from('€ loss=0.75\\r\\n');",
        'process.stdout.write(euro.subarray(0, 1));',
        "setTimeout(() => { process.stdout.write(euro.subarray(1)); process.stdout.write('loss=0.5'); }, 50);",
      ].join('\n'),
    );
    const request = makeRequest({ command: [process.execPath, 'ragged.js'] });
    const trial = makeTrial(1, {});
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial);
    expect(u.status).toBe('Completed');
    expect(u.objectiveSeries?.map((p) => p.value)).toEqual([0.75, 0.5]);
    const events = fs.readFileSync(path.join(b.trialDir('study', trial), 'output.log'), 'utf8').trim().split('\n');
    expect(events.map((e) => e.split('\t').slice(1))).toEqual([
      ['o', '€ loss=0.75'],
      ['o', 'loss=0.5'],
    ]);
  }));

  test.concurrent('a run that exits 0 without ever reporting the objective fails, naming the metric and its regex', withWs(async (ws) => {
    const request = makeRequest();
    const trial = makeTrial(1, { mode: 'nometric' });
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial);
    expect(u.status).toBe('Failed');
    expect(u.retryable).toBeFalsy();
    expect(u.failureReason).toContain('objective metric loss was never reported');
    expect(u.failureReason).toContain('"loss=([0-9.]+)"');
    expect(u.failureReason).toContain('MetricDefinitions[0]');
    expect(u.failureReason).toMatch(/none of the 2 line/);
    expect(u.failureReason).toContain(`its output is in ${path.join(b.trialDir('study', trial), 'stdout.log')}`);
  }));

  test.concurrent('captures that are never numbers are reported as such', withWs(async (ws) => {
    const script = path.join(ws.dir, 'dot.js');
    fs.writeFileSync(script, "console.log('accuracy: 0.95.');");
    const request = makeRequest({
      command: [process.execPath, 'dot.js'],
      metricDefinitions: [{ Name: 'accuracy', Regex: 'accuracy: ([0-9.]+)' }],
      objective: 'accuracy',
    });
    const trial = makeTrial(1, {});
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial);
    expect(u.status).toBe('Failed');
    expect(u.failureReason).toContain('matched 1 time(s), but the first capture group was never a number (first capture: "0.95.")');
  }));

  test.concurrent('an invalid metric regex is a launch error that names the metric and the problem', withWs(async (ws) => {
    // The request parser rejects it too; the backend must not rely on that.
    const request = makeRequest({ metricDefinitions: [{ Name: 'loss', Regex: 'loss=([0-9.]+' }] }, true);
    const trial = makeTrial(1, { mode: 'ok' });
    await expect(backendIn(ws).launch({ study: 'study', request, trial })).rejects.toThrow(
      /MetricDefinitions\[0\]: the regex of metric loss \("loss=\(\[0-9\.\]\+"\) is invalid: unterminated group/,
    );
  }));

  test.concurrent('intermediate values are reported while the trial runs', withWs(async (ws) => {
    const trial = makeTrial(1, { mode: 'sleep' });
    const request = makeRequest();
    const study = makeStudy(request, [trial]);
    const b = backendIn(ws, { killGraceSeconds: 1 });
    await b.launch({ study: 'study', request, trial });
    let update = (await b.poll(study, [trial]))[0];
    const deadline = Date.now() + 10_000;
    while (update.objectiveSeries === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 40));
      update = (await b.poll(study, [trial]))[0];
    }
    expect(update.status).toBe('InProgress');
    expect(update.objectiveSeries?.map((p) => p.value)).toEqual([0.9]);
    expect(update.objective).toBeUndefined();
    await b.stop(study, trial, 'test over');
    expect((await waitForEnd(b, study, trial)).status).toBe('Stopped');
  }));
});

describe('exit codes', () => {
  test.concurrent('a non-zero exit fails the trial with the exit code and the tail of stderr', withWs(async (ws) => {
    const request = makeRequest();
    const trial = makeTrial(1, { mode: 'fail', code: 7 });
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial);
    expect(u.status).toBe('Failed');
    expect(u.retryable).toBeFalsy();
    expect(u.failureReason).toMatch(/^AlgorithmError: the training command exited with code 7; last lines of stderr:\n/);
    // The command that ran, as a shell would show it.
    expect(u.failureReason).toMatch(/\nthe command was: \S+ .*$/);
    expect(u.failureReason).toContain('ValueError: boom');
    expect(u.finalMetrics).toEqual({ loss: 0.5 });
    expect(fs.readFileSync(path.join(b.trialDir('study', trial), 'stderr.log'), 'utf8')).toContain('Traceback');
  }));

  test.concurrent('a command that does not exist is refused at launch, with the reason', withWs(async (ws) => {
    const request = makeRequest({ command: ['no-such-trainer-xyz', 'train.py'] });
    const trial = makeTrial(1, {});
    const err = await backendIn(ws)
      .launch({ study: 'study', request, trial })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrialLaunchError);
    expect((err as TrialLaunchError).retryable).toBe(false);
    expect((err as Error).message).toContain('Sagetune.Local.Command[0]: cannot be run: the program no-such-trainer-xyz was not found on PATH');
  }));

  test.concurrent('a program that cannot be started fails the trial through the wrapper (ENOENT)', withWs(async (ws) => {
    // The launch checks the program; a spec left by an earlier launch attempt (which the wrapper runs as is)
    // names a program that has disappeared since.
    const request = makeRequest();
    const trial = makeTrial(1, {});
    const b = backendIn(ws);
    const dir = b.trialDir('study', trial);
    fs.mkdirSync(dir, { recursive: true });
    const spec = { jobName: trial.jobName, argv: [path.join(ws.dir, 'gone.sh')], cwd: ws.dir, env: { SAGETUNE_TRIAL_TOKEN: 't' }, maxRuntimeMs: 60_000, killGraceMs: 1000, token: 'tok-enoent' };
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
    expect((await b.launch({ study: 'study', request, trial })).adopted).toBe(false);
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial);
    expect(u.status).toBe('Failed');
    expect(u.retryable).toBeFalsy();
    expect(u.failureReason).toMatch(/^ClientError: the training command could not be started: .*ENOENT/);
  }));
});

describe('timeouts and stops', () => {
  test.concurrent('MaxRuntimeInSeconds stops the trial and kills its whole process group', withWs(async (ws) => {
    const request = makeRequest({ maxRuntime: 1 });
    const trial = makeTrial(1, { mode: 'sleep' });
    const b = backendIn(ws, { killGraceSeconds: 1 });
    await b.launch({ study: 'study', request, trial });
    const { pid, grandchild } = await pidsOf(b, trial);
    expect(isRunning(pid)).toBe(true);
    expect(isRunning(grandchild)).toBe(true);
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial);
    expect(u.status).toBe('Stopped');
    expect(u.failureReason).toContain('MaxRuntimeExceeded');
    expect(u.failureReason).toContain('MaxRuntimeInSeconds (1 s)');
    expect(u.objective).toBe(0.9); // the last value reported before the stop
    const exit = readJsonFile<{ signal: string; durationMs: number }>(path.join(b.trialDir('study', trial), 'exit.json'));
    expect(exit?.signal).toBe('SIGTERM');
    expect(exit?.durationMs).toBeGreaterThanOrEqual(1000);
    expect(isRunning(pid)).toBe(false);
    expect(isRunning(grandchild)).toBe(false);
  }));

  test.concurrent('a MaxRuntimeInSeconds of 28 days (beyond what one Node timer holds) does not stop the trial at once', withWs(async (ws) => {
    const request = makeRequest({ maxRuntime: 28 * 86_400 });
    const trial = makeTrial(1, { mode: 'ok', steps: 2, delay: 100 });
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    const u = await waitForEnd(b, makeStudy(request, [trial]), trial);
    expect(u.status).toBe('Completed');
    expect(u.objective).toBe(0.5);
  }));

  test.concurrent('stop() sends SIGTERM, then SIGKILL after the grace period to a command that ignores SIGTERM; it is idempotent', withWs(async (ws) => {
    const request = makeRequest();
    const trial = makeTrial(1, { mode: 'stubborn' });
    const study = makeStudy(request, [trial]);
    const b = backendIn(ws, { killGraceSeconds: 0.5 });
    await b.launch({ study: 'study', request, trial });
    const { pid, grandchild } = await pidsOf(b, trial);
    const t0 = Date.now();
    await b.stop(study, trial, 'early stopping');
    await b.stop(study, trial, 'a second request');
    const u = await waitForEnd(b, study, trial);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(u.status).toBe('Stopped');
    expect(u.failureReason).toBeUndefined();
    const dir = b.trialDir('study', trial);
    const exit = readJsonFile<{ signal: string; terminated: string; stopReason: string }>(path.join(dir, 'exit.json'));
    expect(exit).toMatchObject({ signal: 'SIGKILL', terminated: 'stop', stopReason: 'early stopping' });
    await waitUntil(() => (fs.readFileSync(path.join(dir, 'stdout.log'), 'utf8').includes('ignoring SIGTERM') ? true : undefined), 2000, 'SIGTERM seen');
    expect(isRunning(pid)).toBe(false);
    expect(isRunning(grandchild)).toBe(false);
    await b.stop(study, trial, 'after the end'); // no-op
    expect((await b.poll(study, [trial]))[0].status).toBe('Stopped');
  }));

  test.concurrent('a stop that arrives before the wrapper has started the command means it never runs', withWs(async (ws) => {
    const request = makeRequest();
    const trial = makeTrial(1, { mode: 'ok' });
    const study = makeStudy(request, [trial]);
    const b = backendIn(ws);
    const launch = b.launch({ study: 'study', request, trial });
    await launch;
    await b.stop(study, trial, 'study stopped');
    const u = await waitForEnd(b, study, trial);
    const runs = path.join(b.trialDir('study', trial), 'output', 'data', 'runs.txt');
    // The stop is on record before the wrapper (a new node process) can start the command: it never ran.
    expect(u.status).toBe('Stopped');
    expect(fs.existsSync(runs)).toBe(false);
    expect(fs.existsSync(path.join(b.trialDir('study', trial), 'child.json'))).toBe(false);
  }));
});

describe('adoption and crash safety', () => {
  test.concurrent('a second backend instance adopts a running trial: launch does not run it again, poll follows it to the end', withWs(async (ws) => {
    const runsFile = path.join(ws.dir, 'runs.txt');
    const request = makeRequest({ environment: { RUNS_FILE: runsFile } });
    const trial = makeTrial(1, { mode: 'ok', steps: 5, delay: 100 });
    const study = makeStudy(request, [trial]);
    const first = backendIn(ws);
    await first.launch({ study: 'study', request, trial });
    // The first runner "dies" here; a new one resumes the study.
    const second = backendIn(ws);
    const again = await second.launch({ study: 'study', request, trial });
    expect(again.adopted).toBe(true);
    expect(again.backendData).toMatchObject({ workDir: second.trialDir('study', trial) });
    const [mid] = await second.poll(study, [trial]);
    expect(mid.status).toBe('InProgress');
    const u = await waitForEnd(second, study, trial);
    expect(u.status).toBe('Completed');
    expect(u.objectiveSeries).toHaveLength(5);
    expect(fs.readFileSync(runsFile, 'utf8').trim().split('\n')).toHaveLength(1);
  }));

  test.concurrent('a folder left by another trial of the same job name (other hyperparameters) is not adopted', withWs(async (ws) => {
    const request = makeRequest();
    const trial = makeTrial(1, { mode: 'ok', steps: 1, delay: 10 }, 'study-001');
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    await waitForEnd(b, makeStudy(request, [trial]), trial);
    const other = makeTrial(1, { mode: 'ok', steps: 2, delay: 10 }, 'study-001');
    await expect(b.launch({ study: 'study', request, trial: other })).rejects.toThrow(
      /Trial study-001: its folder .* holds another run of that job name, with other hyperparameters \(\{"delay":10,"mode":"ok","steps":1\}\)/,
    );
    // The same trial, its hyperparameters in another order, is adopted.
    const same = makeTrial(1, { steps: 1, delay: 10, mode: 'ok' }, 'study-001');
    expect((await b.launch({ study: 'study', request, trial: same })).adopted).toBe(true);
  }));

  test.concurrent('a launch repeated after a crash between spawning the wrapper and recording it starts no second run', withWs(async (ws) => {
    const runsFile = path.join(ws.dir, 'runs.txt');
    const request = makeRequest({ environment: { RUNS_FILE: runsFile } });
    const trial = makeTrial(1, { mode: 'ok', steps: 3, delay: 50 });
    const study = makeStudy(request, [trial]);
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    const dir = b.trialDir('study', trial);
    fs.rmSync(path.join(dir, 'launch.json')); // as if the runner died before writing it
    const again = await backendIn(ws).launch({ study: 'study', request, trial });
    expect(again.adopted).toBe(false); // it could not know; its wrapper finds the trial claimed and leaves
    const u = await waitForEnd(backendIn(ws), study, trial);
    expect(u.status).toBe('Completed');
    await new Promise((r) => setTimeout(r, 300)); // give a second run the time to show itself
    expect(fs.readFileSync(runsFile, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, 'wrapper.log'), 'utf8')).toContain('another wrapper has claimed this trial');
  }));

  test.concurrent('a wrapper killed with SIGKILL is an infrastructure failure (retryable) and its command is killed too', withWs(async (ws) => {
    const request = makeRequest();
    const trial = makeTrial(1, { mode: 'sleep' });
    const study = makeStudy(request, [trial]);
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    const { pid, grandchild } = await pidsOf(b, trial);
    const started = readJsonFile<{ pid: number }>(path.join(b.trialDir('study', trial), 'started.json'))!;
    process.kill(started.pid, 'SIGKILL');
    await waitUntil(() => (isRunning(started.pid) ? undefined : true), 5000, 'wrapper gone');
    const u = await waitForEnd(b, study, trial);
    expect(u.status).toBe('Failed');
    expect(u.retryable).toBe(true);
    expect(u.failureReason).toMatch(/^InternalServerError: .*ended without recording how the training command ended/);
    await waitUntil(() => (isRunning(pid) || isRunning(grandchild) ? undefined : true), 5000, 'command killed');
  }));

  test.concurrent('poll of a trial that was never launched reports a retryable failure', withWs(async (ws) => {
    const request = makeRequest();
    const trial = makeTrial(1, {});
    const [u] = await backendIn(ws).poll(makeStudy(request, [trial]), [trial]);
    expect(u).toMatchObject({ status: 'Failed', retryable: true });
    expect(u.failureReason).toContain('was never launched');
  }));
});

test.concurrent('runs several trials at once, each in its own folder', withWs(async (ws) => {
  const request = makeRequest();
  const trials = [1, 2, 3].map((n) => makeTrial(n, { mode: 'ok', steps: n + 1, delay: 30 }));
  const study = makeStudy(request, trials);
  const b = backendIn(ws);
  await Promise.all(trials.map((trial) => b.launch({ study: 'study', request, trial })));
  const ends = await Promise.all(trials.map((t) => waitForEnd(b, study, t)));
  expect(ends.map((u) => u.status)).toEqual(['Completed', 'Completed', 'Completed']);
  expect(ends.map((u) => u.objective)).toEqual([0.5, 0.3333, 0.25]);
  expect(new Set(trials.map((t) => b.trialDir('study', t))).size).toBe(3);
  for (const t of trials) expect(fs.existsSync(path.join(b.trialDir('study', t), 'model', 'model.txt'))).toBe(true);
}));

describe('waiting for a change (what wakes the runner before its poll interval)', () => {
  const ms = (t0: number): number => Date.now() - t0;
  /** A trial of the fake trainer reporting `steps` epochs `delay` ms apart, launched. */
  async function launched(ws: Workspace, number: number, steps: number, delay: number) {
    const request = makeRequest();
    const trial = makeTrial(number, { mode: 'ok', steps, delay });
    const study = makeStudy(request, [trial]);
    const b = backendIn(ws);
    await b.launch({ study: 'study', request, trial });
    return { b, study, trial };
  }

  test.concurrent('returns when a running trial ends, long before the wait is over', withWs(async (ws) => {
    const { b, study, trial } = await launched(ws, 1, 3, 100);
    const t0 = Date.now();
    await b.waitForChange(study, 50_000);
    expect(ms(t0)).toBeLessThan(25_000);
    // Woken by the exit record, not by the output (progress was not asked for).
    expect(fs.existsSync(path.join(b.trialDir('study', trial), 'exit.json'))).toBe(true);
    expect((await b.poll(study, [trial]))[0].status).toBe('Completed');
  }));

  test.concurrent('with progress, returns when a running trial reports; without, its output alone does not wake it', withWs(async (ws) => {
    const { b, study, trial } = await launched(ws, 1, 40, 150);
    const t0 = Date.now();
    await b.waitForChange(study, 50_000, { progress: true });
    expect(ms(t0)).toBeLessThan(25_000);
    const output = path.join(b.trialDir('study', trial), 'output.log');
    expect(fs.statSync(output).size).toBeGreaterThan(0); // its first line
    const [first] = await b.poll(study, [trial]);
    expect(first.status).toBe('InProgress');

    const t1 = Date.now();
    await b.waitForChange(study, 800);
    expect(ms(t1)).toBeGreaterThanOrEqual(750);
    const [later] = await b.poll(study, [trial]);
    expect(later.status).toBe('InProgress');
    expect(later.objectiveSeries!.length).toBeGreaterThan(first.objectiveSeries?.length ?? 0); // it did report meanwhile
    await b.stop(study, trial, 'test over');
    await waitForEnd(b, study, trial);
  }));

  test.concurrent('returns at once for a trial that ended before the wait began, and when aborted', withWs(async (ws) => {
    const { b, study, trial } = await launched(ws, 1, 1, 10);
    await waitUntil(() => (fs.existsSync(path.join(b.trialDir('study', trial), 'exit.json')) ? true : undefined));
    let t0 = Date.now();
    await b.waitForChange(study, 50_000); // the study still has it running: the next poll has news
    expect(ms(t0)).toBeLessThan(25_000);
    // Still running in a study that failed to record its end: the next wait is the whole wait, not a spin.
    t0 = Date.now();
    await b.waitForChange(study, 600);
    expect(ms(t0)).toBeGreaterThanOrEqual(550);

    const { study: running, trial: other } = await launched(ws, 2, 40, 150);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    t0 = Date.now();
    await b.waitForChange(running, 50_000, { signal: abort.signal });
    expect(ms(t0)).toBeLessThan(25_000);
    await b.stop(running, other, 'test over');
    await waitForEnd(b, running, other);
  }));
});
