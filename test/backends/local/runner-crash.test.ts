/**
 * A runner process that launched a trial is killed with SIGKILL while the trial runs: the trial goes on under its
 * wrapper, and a new backend adopts it and reads its whole result; the training runs once.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalBackend } from '../../../src/backends/local';
import { isRunning, makeRequest, makeStudy, makeTrial, makeWorkspace, readJsonFile, waitForEnd, waitUntil } from './helpers';

const repo = path.resolve(__dirname, '../../..');

// The runner: the real backend (TypeScript, through ts-node) launching one trial, then idling until killed.
const RUNNER = `
require(${JSON.stringify(require.resolve('ts-node'))}).register({ transpileOnly: true, project: ${JSON.stringify(path.join(repo, 'tsconfig.json'))} });
const { LocalBackend } = require(${JSON.stringify(path.join(repo, 'src/backends/local'))});
const [studiesDir, baseDir, request, trial] = process.argv.slice(2);
new LocalBackend({ baseDir, studiesDir })
  .launch({ study: 'study', request: JSON.parse(request), trial: JSON.parse(trial) })
  .then((r) => { console.log('launched ' + JSON.stringify(r)); setInterval(() => {}, 1000); });
`;

test('a trial survives the kill -9 of the runner that launched it and is adopted by the next runner', async () => {
  const ws = makeWorkspace();
  try {
    const runsFile = path.join(ws.dir, 'runs.txt');
    const request = makeRequest({ environment: { RUNS_FILE: runsFile } });
    const trial = makeTrial(1, { mode: 'ok', steps: 6, delay: 250 });
    const runnerFile = path.join(ws.dir, 'runner.js');
    fs.writeFileSync(runnerFile, RUNNER);
    const runner = spawn(process.execPath, [runnerFile, ws.studiesDir, ws.dir, JSON.stringify(request), JSON.stringify(trial)], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    runner.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => runner.on('exit', (_code, signal) => resolve(signal)));
    await waitUntil(
      () => {
        if (runner.exitCode !== null) throw new Error(`the runner exited with code ${runner.exitCode}: ${out}`);
        return out.includes('launched') ? true : undefined;
      },
      30_000,
      'the runner to launch the trial',
    );
    expect(out).toContain('"adopted":false');

    const b = new LocalBackend({ baseDir: ws.dir, studiesDir: ws.studiesDir });
    const dir = b.trialDir('study', trial);
    const started = await waitUntil(() => readJsonFile<{ pid: number }>(path.join(dir, 'started.json')), 10_000, 'started.json');
    runner.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(isRunning(started.pid)).toBe(true); // the wrapper outlives its runner

    const study = makeStudy(request, [trial]);
    expect((await b.launch({ study: 'study', request, trial })).adopted).toBe(true);
    const u = await waitForEnd(b, study, trial, 30_000);
    expect(u.status).toBe('Completed');
    expect(u.objective).toBeCloseTo(1 / 6, 4);
    expect(u.objectiveSeries?.map((p) => p.value)).toEqual([1, 0.5, 0.3333, 0.25, 0.2, 0.1667]);
    expect(fs.readFileSync(runsFile, 'utf8').trim().split('\n')).toHaveLength(1);
    await waitUntil(() => (isRunning(started.pid) ? undefined : true), 5000, 'the wrapper to exit');
  } finally {
    ws.cleanup();
  }
});
