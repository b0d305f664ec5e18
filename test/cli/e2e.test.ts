/**
 * The real command end to end: `node bin/sagetune.js` as a user runs it (ts-node in a checkout), on a tiny
 * study whose trials are real processes. Kept to two spawns: each pays ts-node's start-up (see the CLI report).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, FIXTURES, tempDir } from './helpers';

const BIN = join(__dirname, '..', '..', 'bin', 'sagetune.js');

function sagetune(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
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

it('a bad request through the real command: one message, exit code 2, no stack trace', async () => {
  const file = join(tmp.dir, 'bad.json');
  writeFileSync(file, '{\n  "HyperParameterTuningJobName": "e2e",\n  "HyperParameterTuningJobConfig": {\n    "Strategy": Bayesian\n  }\n}\n');
  const result = await sagetune(['validate', file], tmp.dir);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(`sagetune: ${file}:4:17: not valid JSON: unexpected "B"; expected a value (a string in double quotes, a number, true, false, null, an object or a list)\n`);
  expect(existsSync(join(tmp.dir, '.sagetune', 'studies', 'e2e', 'study.json'))).toBe(true);
});
