/**
 * `kill -9` of the CLI at 20 moments of one study (`node bin/sagetune.js run`, as a user runs it), each followed by
 * the same command again, then a run to the end: every trial accounted for. The study is never unreadable between
 * kills, each trial's training ran exactly once (trials outlive the CLI and are adopted with their results), the
 * trials are numbered 1..N with none missing or doubled, and each result is the one its training printed.
 *
 * The kill moments are fixed (a seeded sequence of delays after the process starts), so that a failure repeats.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseRequest, tempDir, writeRequest } from './helpers';

const BIN = join(__dirname, '..', '..', 'bin', 'sagetune.js');
// Trials take at least 0.6 s and 2 run at a time, so the study is far from its end at the last of the 20 kills (26 s
// in all): measured here, 14 to 43 trials of 80 had ended by then, depending on the load (with shorter trials and 4 at a
// time, a study ended before its 20th kill once).
const TRIALS = 80;

/** The training script: records that it ran (its job name), then reports its loss over 4 epochs of 150 ms. */
function script(runsFile: string): string {
  return `
const fs = require('fs');
const hp = JSON.parse(process.env.SM_HPS);
const job = JSON.parse(process.env.SM_TRAINING_ENV).job_name;
fs.appendFileSync(${JSON.stringify(runsFile)}, job + '\\n');
const loss = (Number(hp.x) - 0.3) ** 2 + 0.01 * (Number(hp.depth) - 4) ** 2;
for (let e = 1; e <= 4; e++) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
  console.log('epoch ' + e + ' val_loss: ' + (loss + 0.1 / e).toFixed(6));
}
console.log('final val_loss: ' + loss.toFixed(6));
`;
}

function run(args: string[], cwd: string, killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** Delays in ms, from a fixed linear congruential sequence: 20 moments between 300 ms and 2.3 s after the start. */
function killMoments(count: number, seed = 20261205): number[] {
  let s = seed;
  return Array.from({ length: count }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return 300 + (s % 2000);
  });
}

test('20 kill -9 of the CLI during one study, then resume: every trial ran once and is accounted for', async () => {
  const tmp = tempDir('sagetune-kill-');
  try {
    const runsFile = join(tmp.dir, 'runs.txt');
    writeFileSync(runsFile, '');
    writeFileSync(join(tmp.dir, 'train.js'), script(runsFile));
    const req = baseRequest();
    req.HyperParameterTuningJobName = 'killed';
    req.HyperParameterTuningJobConfig.Strategy = 'Random';
    req.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: TRIALS, MaxParallelTrainingJobs: 2 };
    req.HyperParameterTuningJobConfig.ParameterRanges = {
      IntegerParameterRanges: [{ Name: 'depth', MinValue: '1', MaxValue: '8' }],
      ContinuousParameterRanges: [{ Name: 'x', MinValue: '0', MaxValue: '1' }],
    };
    req.Sagetune.PollIntervalSeconds = 0.1;
    const file = writeRequest(tmp.dir, req);
    const args = ['run', file, '--store-dir', join(tmp.dir, 'studies'), '--progress', 'off', '--no-report'];
    const studyFile = join(tmp.dir, 'studies', 'killed', 'study.json');

    let killed = 0;
    const progress: number[] = [];
    for (const ms of killMoments(20)) {
      const r = await run(args, tmp.dir, ms);
      if (r.signal === 'SIGKILL') killed++;
      else expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' }); // it finished before the kill
      // Readable at every kill (a write is atomic): parse it, and count what is recorded.
      try {
        const study = JSON.parse(readFileSync(studyFile, 'utf8')).study as { trials: { status: string }[] };
        progress.push(study.trials.filter((t) => t.status !== 'InProgress').length);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // killed before the study was created
        progress.push(0);
      }
    }
    const final = await run(args, tmp.dir);
    expect({ code: final.code, stderr: final.stderr }).toEqual({ code: 0, stderr: '' });
    // Every run was killed mid-study, and the study moved on between kills.
    expect(killed).toBe(20);
    expect(progress[progress.length - 1]).toBeGreaterThan(progress[0]);

    const study = JSON.parse(readFileSync(studyFile, 'utf8')).study as {
      status: string;
      trials: { number: number; jobName: string; status: string; objective?: number; hyperParameters: Record<string, string> }[];
    };
    expect(study.status).toBe('Completed');
    expect(study.trials.map((t) => t.number)).toEqual(Array.from({ length: TRIALS }, (_, i) => i + 1));
    expect(study.trials.every((t) => t.status === 'Completed')).toBe(true);
    // Each trial's training ran exactly once, and its result is what that training printed.
    const runs = readFileSync(runsFile, 'utf8').trim().split('\n').sort();
    expect(runs).toEqual(study.trials.map((t) => t.jobName).sort());
    for (const t of study.trials) {
      const loss = (Number(t.hyperParameters.x) - 0.3) ** 2 + 0.01 * (Number(t.hyperParameters.depth) - 4) ** 2;
      expect({ trial: t.number, objective: t.objective }).toEqual({ trial: t.number, objective: Number(loss.toFixed(6)) });
    }
  } finally {
    tmp.cleanup();
  }
}, 240_000);
