/**
 * The real command end to end: `node bin/sagetune.js` as a user runs it (ts-node in a checkout), on a tiny
 * study whose trials are real processes. Kept to five spawns: each pays ts-node's start-up (see the CLI report).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseRequest, cli, FIXTURES, tempDir, TRAIN_SCRIPT, writeRequest } from './helpers';

const BIN = join(__dirname, '..', '..', 'bin', 'sagetune.js');

function sagetune(
  args: string[],
  cwd: string,
  onStdout?: (text: string, kill: () => void) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, () => child.kill('SIGKILL'));
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => (tmp = tempDir()));
afterAll(() => tmp.cleanup());

it('sagetune run: a real study from the command line, then its results and report', async () => {
  // Run from a folder of its own: the default store is .sagetune/studies under the working directory.
  const run = await sagetune(['run', join(FIXTURES, 'request.json'), '--name', 'e2e'], tmp.dir);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('Study e2e Completed: MaxNumberOfTrainingJobs (6) reached');
  expect(run.stdout).toMatch(/Best trial \d+: val_loss = [\d.]+ \(job e2e-\d{3}\)/);
  expect(run.stdout).toContain('Study folder: .sagetune/studies/e2e');
  expect(run.stdout).toContain('Results:      sagetune results e2e\n');

  const dir = join(tmp.dir, '.sagetune', 'studies', 'e2e');
  const study = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8')).study;
  expect(study.status).toBe('Completed');
  expect(study.trials).toHaveLength(6);
  expect(readdirSync(join(dir, 'trials')).sort()).toEqual(study.trials.map((t: { jobName: string }) => t.jobName).sort());
  expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*<svg [\s\S]*<\/html>\n$/);

  const csv = await cli(['results', dir, '--format', 'csv']);
  expect(csv.stdout.trimEnd().split('\r\n')).toHaveLength(7);
  const json = JSON.parse((await cli(['results', dir, '--format', 'json'])).stdout);
  expect(json.map((r: { TrialNumber: number }) => r.TrialNumber)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(json.map((r: { FinalObjectiveValue?: number }) => r.FinalObjectiveValue)).toEqual(study.trials.map((t: { objective?: number }) => t.objective));
});

it('sagetune run with Hyperband: real processes stopped at their rungs, the epochs in the results', async () => {
  const request = baseRequest();
  request.HyperParameterTuningJobName = 'e2e-hyperband';
  request.HyperParameterTuningJobConfig.Strategy = 'Hyperband';
  request.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: 9, MaxParallelTrainingJobs: 3 };
  request.HyperParameterTuningJobConfig.ParameterRanges.CategoricalParameterRanges = undefined;
  request.TrainingJobDefinition.StaticHyperParameters = { epochs: '9' };
  request.Sagetune.Local.Command = ['node', join(FIXTURES, 'epochs.js')];
  request.Sagetune.PollIntervalSeconds = 0.1;
  const run = await sagetune(['run', writeRequest(tmp.dir, request, 'hyperband.json'), '--progress', 'off'], tmp.dir);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('Study e2e-hyperband Completed: MaxNumberOfTrainingJobs (9) reached');
  const dir = join(tmp.dir, '.sagetune', 'studies', 'e2e-hyperband');
  const study = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8')).study;
  const stopped = study.trials.filter((t: { status: string }) => t.status === 'Stopped');
  expect(stopped.length).toBeGreaterThan(0);
  for (const t of stopped) {
    expect(t.stopReason).toMatch(/^Hyperband: at rung [12] \((1 epoch|3 epochs)\)/);
    // The process was stopped: it printed fewer than its 9 epochs.
    expect(t.objectiveSeries.length).toBeLessThan(9);
  }
  const json = JSON.parse((await cli(['results', dir, '--format', 'json'])).stdout);
  expect(json.map((r: { Hyperband: { Epochs: number } }) => r.Hyperband.Epochs)).toEqual(study.trials.map((t: { objectiveSeries: unknown[] }) => t.objectiveSeries.length));
});

it('a bad request through the real command: one message, exit code 2, no stack trace', async () => {
  // A folder of its own: nothing may be written for a rejected request.
  const own = tempDir();
  const file = join(own.dir, 'bad.json');
  writeFileSync(file, '{\n  "HyperParameterTuningJobName": "e2e",\n  "HyperParameterTuningJobConfig": {\n    "Strategy": Bayesian\n  }\n}\n');
  const result = await sagetune(['run', file], own.dir);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(`sagetune: ${file}:4:17: not valid JSON: unexpected "B"; expected a value (a string in double quotes, a number, true, false, null, an object or a list)\n`);
  expect(readdirSync(own.dir)).toEqual(['bad.json']);
  own.cleanup();
});

it('kill -9 mid-study, then the same command: every completed trial kept, none run twice', async () => {
  const r = baseRequest();
  r.HyperParameterTuningJobName = 'killed';
  r.Sagetune.Local.Command = ['node', TRAIN_SCRIPT, '--sleep-ms', '400'];
  const file = writeRequest(tmp.dir, r, 'killed.json');
  let killed = false;
  const first = await sagetune(['run', file], tmp.dir, (text, kill) => {
    if (!killed && /trial [12] completed/.test(text)) {
      killed = true;
      setTimeout(kill, 300);
    }
  });
  expect(first.signal).toBe('SIGKILL');
  const dir = join(tmp.dir, '.sagetune', 'studies', 'killed');
  const before = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8')).study;
  const completedBefore = before.trials.filter((t: { status: string }) => t.status === 'Completed');
  expect(completedBefore.length).toBeGreaterThanOrEqual(1);
  expect(before.trials.some((t: { status: string }) => t.status === 'InProgress')).toBe(true);

  // Resumed in-process (the command is the same; this saves a ts-node start-up).
  const resumed = await cli(['run', file, '--store-dir', join(tmp.dir, '.sagetune', 'studies')]);
  expect(resumed.code).toBe(0);
  const after = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8')).study;
  expect(after.status).toBe('Completed');
  expect(after.trials.map((t: { number: number }) => t.number)).toEqual([1, 2, 3, 4, 5, 6]);
  for (const t of completedBefore) expect(after.trials[t.number - 1]).toEqual(t);
  // One job folder per trial: no trial was launched a second time.
  expect(readdirSync(join(dir, 'trials')).sort()).toEqual(after.trials.map((t: { jobName: string }) => t.jobName).sort());
});

it('a reader that stops early (`sagetune ask | head -1`): the output is cut, the command ends normally without a stack trace', async () => {
  // 1000 suggestions of 10 parameters: far more than a pipe holds, so the command is still writing when it closes.
  const ranges = Array.from({ length: 10 }, (_, i) => ({ Name: `x${i}`, MinValue: '0', MaxValue: '1' }));
  const input = JSON.stringify({ n: 1000, Strategy: 'Random', ParameterRanges: { ContinuousParameterRanges: ranges } });
  const result = await new Promise<{ code: number | null; stderr: string; read: number }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'ask'], { cwd: tmp.dir });
    let stderr = '';
    let read = 0;
    child.stdout.once('data', (d: Buffer) => {
      read = d.length;
      child.stdout.destroy(); // as `head` exits after its first line
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, read }));
    child.stdin.end(input);
  });
  expect(result.read).toBeGreaterThan(0);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
});

it('output that cannot be written (a full disk): the command says so on standard error and exits 1', async () => {
  const input = JSON.stringify({ n: 5, Strategy: 'Random', ParameterRanges: { ContinuousParameterRanges: [{ Name: 'x', MinValue: '0', MaxValue: '1' }] } });
  const full = openSync('/dev/full', 'w');
  try {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'ask'], { cwd: tmp.dir, stdio: ['pipe', full, 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
      child.stdin?.end(input);
    });
    expect(result.stderr).toMatch(/^sagetune: cannot write the output: .*ENOSPC/);
    expect(result.code).toBe(1);
  } finally {
    closeSync(full);
  }
});
