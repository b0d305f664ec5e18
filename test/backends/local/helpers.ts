/**
 * Test fixtures of the local backend: a real training program (a Node script written into a temporary folder)
 * whose behaviour each trial picks with its `mode` hyperparameter, and builders of requests, studies and trials.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HyperParameters } from '../../../src/core/types';
import type { LocalBackend } from '../../../src/backends/local';
import type { Study, Trial, TrialUpdate } from '../../../src/study/types';
import { parseTuningRequest, type TuningRequest } from '../../../src/study/request';

/**
 * The fake trainer. Modes:
 * - `ok`: prints `epoch=<i> loss=<v> acc=<a>` for `steps` epochs, `delay` ms apart, then exits 0;
 * - `fail`: writes a traceback to stderr and exits with `code`;
 * - `nometric`: prints lines without the objective and exits 0;
 * - `sleep`: starts a grandchild in its process group, records both pids, then sleeps forever;
 * - `stubborn`: like `sleep`, but ignores SIGTERM (only SIGKILL ends it);
 * - `dump`: writes its argv, environment and working directory to `$SM_OUTPUT_DATA_DIR/dump.json`, prints a metric.
 * Every run appends its pid to `$SM_OUTPUT_DATA_DIR/runs.txt` and to `$RUNS_FILE` when set.
 */
export const TRAINER = String.raw`
const fs = require('fs');
const path = require('path');
const cp = require('child_process');
const hp = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) hp[argv[i].replace(/^-+/, '')] = argv[i + 1];
const out = process.env.SM_OUTPUT_DATA_DIR;
fs.appendFileSync(path.join(out, 'runs.txt'), process.pid + '\n');
if (process.env.RUNS_FILE) fs.appendFileSync(process.env.RUNS_FILE, process.pid + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mode = hp.mode || 'ok';
(async () => {
  if (mode === 'ok') {
    const steps = Number(hp.steps || 3);
    const delay = Number(hp.delay || 20);
    console.log('starting with ' + JSON.stringify(hp));
    for (let i = 1; i <= steps; i++) {
      await sleep(delay);
      console.log('epoch=' + i + ' loss=' + (1 / i).toFixed(4) + ' acc=' + (i / (steps + 1)).toFixed(3));
    }
    fs.writeFileSync(path.join(process.env.SM_MODEL_DIR, 'model.txt'), 'weights');
    process.exit(0);
  } else if (mode === 'fail') {
    console.log('epoch=1 loss=0.5');
    console.error('Traceback (most recent call last):');
    console.error('  File "train.py", line 1, in <module>');
    console.error('ValueError: boom');
    process.exit(Number(hp.code || 3));
  } else if (mode === 'nometric') {
    console.log('training...');
    console.log('done, but the loss was not printed');
    process.exit(0);
  } else if (mode === 'sleep' || mode === 'stubborn') {
    if (mode === 'stubborn') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
    const g = cp.spawn(process.execPath, ['-e', mode === 'stubborn' ? "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)" : 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    fs.writeFileSync(path.join(out, 'pids.json'), JSON.stringify({ pid: process.pid, grandchild: g.pid }));
    console.log('epoch=1 loss=0.9');
    setInterval(() => {}, 1000);
  } else if (mode === 'dump') {
    fs.writeFileSync(path.join(out, 'dump.json'), JSON.stringify({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd() }));
    console.log('loss=0.25');
    process.exit(0);
  }
})();
`;

/** A temporary folder with the trainer in it; removed by `cleanup`. */
export function makeWorkspace(): { dir: string; trainer: string; studiesDir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sagetune-local-'));
  const trainer = path.join(dir, 'trainer.js');
  fs.writeFileSync(trainer, TRAINER);
  return { dir, trainer, studiesDir: path.join(dir, 'studies'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface RequestOptions {
  command?: unknown;
  metricDefinitions?: { Name: string; Regex: string }[];
  objective?: string;
  maxRuntime?: number;
  channels?: unknown[];
  staticHyperParameters?: Record<string, string>;
  environment?: Record<string, string>;
}

/**
 * A request for the fake trainer, checked by the study layer's own parser (so the tests use requests that a user
 * could run), unless `raw` is set (for what that parser rejects on purpose or does not know).
 */
export function makeRequest(o: RequestOptions = {}, raw = false): TuningRequest {
  const request = {
    HyperParameterTuningJobName: 'study',
    HyperParameterTuningJobConfig: {
      Strategy: 'Random',
      HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: o.objective ?? 'loss' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 3 },
      ParameterRanges: { IntegerParameterRanges: [{ Name: 'tuned', MinValue: '1', MaxValue: '5' }] },
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: {
        TrainingInputMode: 'File',
        MetricDefinitions: o.metricDefinitions ?? [
          { Name: 'loss', Regex: 'loss=([0-9.]+)' },
          { Name: 'acc', Regex: 'acc=([0-9.]+)' },
        ],
      },
      StoppingCondition: { MaxRuntimeInSeconds: o.maxRuntime ?? 60 },
      ...(o.channels ? { InputDataConfig: o.channels } : {}),
      ...(o.staticHyperParameters ? { StaticHyperParameters: o.staticHyperParameters } : {}),
      ...(o.environment ? { Environment: o.environment } : {}),
    },
    Sagetune: { Local: { Command: o.command ?? [process.execPath, 'trainer.js'] } },
  };
  return raw ? (request as unknown as TuningRequest) : parseTuningRequest(request);
}

let counter = 0;

export function makeTrial(number: number, hyperParameters: HyperParameters, jobName?: string): Trial {
  counter += 1;
  return {
    number,
    suggestionId: `s${number}`,
    hyperParameters,
    status: 'InProgress',
    jobName: jobName ?? `study-${String(number).padStart(3, '0')}-${counter}`,
    createdAt: new Date().toISOString(),
  };
}

export function makeStudy(request: TuningRequest, trials: Trial[], name = 'study'): Study {
  return { schemaVersion: 1, name, request, status: 'InProgress', createdAt: new Date().toISOString(), trials };
}

/** Polls until the trial is no longer InProgress (or `timeoutMs` passes, which fails the test). */
export async function waitForEnd(backend: LocalBackend, study: Study, trial: Trial, timeoutMs = 15_000): Promise<TrialUpdate> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [u] = await backend.poll(study, [trial]);
    if (u.status !== 'InProgress') return u;
    if (Date.now() > deadline) throw new Error(`trial ${trial.jobName} still InProgress after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** Waits until `check` returns a value other than undefined. */
export async function waitUntil<T>(check: () => T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** True when the process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export function readJsonFile<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
