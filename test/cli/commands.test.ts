/**
 * The commands in-process on a real study: train.js runs as real child processes through the local backend;
 * only the output streams and the signal handlers are the test's.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main';
import { FileStudyStore } from '../../src/study/store/file-store';
import type { Study } from '../../src/study/types';
import { baseRequest, cli, FIXTURES, tempDir, testIo, TRAIN_SCRIPT, writeRequest } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let store: string;
let requestFile: string;
beforeAll(() => {
  tmp = tempDir();
  store = join(tmp.dir, 'studies');
  requestFile = join(FIXTURES, 'request.json');
});
afterAll(() => tmp.cleanup());

function readStudy(name: string): Study {
  return (JSON.parse(readFileSync(join(store, name, 'study.json'), 'utf8')) as { study: Study }).study;
}

describe('sagetune validate', () => {
  it('prints a one-line summary of the space and budget and exits 0', async () => {
    const result = await cli(['validate', requestFile]);
    expect(result).toEqual({
      code: 0,
      stderr: expect.stringMatching(/^sagetune: warning: hyperparameter "x" has a one-letter name: /),
      stdout:
        `${requestFile} is valid: study cli-e2e: Bayesian search over 3 hyperparameters (depth integer 1..8; x 0.001..1 logarithmic; kind {a, b, c}) ` +
        'to minimize val_loss; 6 trials, 2 in parallel; local backend\n',
    });
  });

  it('never counts more trials in parallel than the budget', async () => {
    const r = baseRequest();
    r.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 10 };
    r.Sagetune.Local.Command = ['node', TRAIN_SCRIPT];
    const result = await cli(['validate', writeRequest(tmp.dir, r, 'wide.json')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('; 4 trials, 4 in parallel;');
  });
});

describe('sagetune validate -', () => {
  it('reads the request from standard input; relative paths resolve against the working directory', async () => {
    const result = await cli(['validate', '-'], { stdin: readFileSync(requestFile, 'utf8') });
    // The command is ["node", "train.js"]: from standard input, train.js is looked up in the working directory.
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^sagetune: Invalid tuning request in <stdin> \(1 problem\):\n {2}- Sagetune\.Local\.Command\[1\]: names a script that does not exist: .*train\.js/);
  });
});

describe('a study run in-process, then inspected', () => {
  let run: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    run = await cli(['run', requestFile, '--store-dir', store, '--name', 'inproc']);
  });

  it('runs every trial, prints progress and the best trial, and exits 0', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const study = readStudy('inproc');
    expect(study.status).toBe('Completed');
    expect(study.trials).toHaveLength(6);
    const best = study.trials.reduce((a, b) => ((b.objective ?? Infinity) < (a.objective ?? Infinity) ? b : a));
    expect(run.stdout).toMatch(/^sagetune: study inproc: Bayesian search to minimize val_loss, 6 trials, 2 in parallel; folder /);
    // Plain lines (not a terminal): no control characters.
    expect(run.stdout).not.toContain('\x1b');
    expect(run.stdout.match(/trial \d+ started/g)).toHaveLength(6);
    expect(run.stdout.match(/trial \d+ (completed|failed)/g)).toHaveLength(6);
    expect(run.stdout).toContain(`Best trial ${best.number}: val_loss = ${Number((best.objective as number).toPrecision(6))} (job ${best.jobName})`);
    expect(run.stdout).toMatch(new RegExp(`\\n  depth +${best.hyperParameters.depth}\\n`));
    expect(run.stdout).toContain(`Report:       ${join(store, 'inproc', 'report.html')}`);
    expect(run.stdout).toContain(`Results:      sagetune results inproc --store-dir ${store}`);
    expect(existsSync(join(store, 'inproc', 'report.html'))).toBe(true);
  });

  it('status: counters like TrainingJobStatusCounters and the best so far', async () => {
    const status = await cli(['status', 'inproc', '--store-dir', store]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Study inproc: Completed - MaxNumberOfTrainingJobs \(6\) reached\n/);
    const study = readStudy('inproc');
    const completed = study.trials.filter((t) => t.status === 'Completed').length;
    expect(status.stdout).toContain(`Counters:   Completed ${completed}, InProgress 0, RetryableError 0, NonRetryableError ${6 - completed}, Stopped 0`);
    const json = JSON.parse((await cli(['status', join(store, 'inproc'), '--json'])).stdout);
    expect(json.TrainingJobStatusCounters).toEqual({ Completed: completed, InProgress: 0, RetryableError: 0, NonRetryableError: 6 - completed, Stopped: 0 });
    expect(json.best.trial).toBe(study.trials.reduce((a, b) => ((b.objective ?? Infinity) < (a.objective ?? Infinity) ? b : a)).number);
  });

  it('run again on an ended study: says so, runs nothing and changes nothing', async () => {
    const before = readFileSync(join(store, 'inproc', 'study.json'), 'utf8');
    const again = await cli(['run', requestFile, '--store-dir', store, '--name', 'inproc', '--no-report']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('the study already ended (Completed) with 6 trials (');
    expect(again.stdout).not.toContain('resuming the study');
    expect(again.stdout).not.toMatch(/trial \d+ started/);
    expect(JSON.parse(readFileSync(join(store, 'inproc', 'study.json'), 'utf8')).study).toEqual(JSON.parse(before).study);
  });

  it('results as a table, CSV and JSON, sorted by objective on request', async () => {
    const study = readStudy('inproc');
    const table = await cli(['results', 'inproc', '--store-dir', store]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['trial', 'job name', 'depth', 'x', 'kind', 'objective', 'status', 'duration s', 'reason']);
    expect(lines).toHaveLength(8);

    const csv = (await cli(['results', 'inproc', '--store-dir', store, '--format', 'csv'])).stdout.trimEnd().split('\r\n');
    expect(csv[0]).toBe('TrialNumber,TrainingJobName,depth,x,kind,FinalObjectiveValue,TrainingJobStatus,TrainingStartTime,TrainingEndTime,TrainingElapsedTimeSeconds,FailureReason');
    expect(csv).toHaveLength(7);
    const t1 = study.trials[0];
    expect(csv[1].split(',').slice(0, 7)).toEqual(['1', t1.jobName, String(t1.hyperParameters.depth), String(t1.hyperParameters.x), String(t1.hyperParameters.kind), String(t1.objective ?? ''), t1.status]);

    const json = JSON.parse((await cli(['results', 'inproc', '--store-dir', store, '--format', 'json', '--sort', 'objective'])).stdout);
    const values = json.filter((r: { FinalObjectiveValue?: number }) => r.FinalObjectiveValue !== undefined).map((r: { FinalObjectiveValue: number }) => r.FinalObjectiveValue);
    expect(values).toEqual([...values].sort((a: number, b: number) => a - b));
    expect(json[0].HyperParameters).toEqual(study.trials.find((t) => t.number === json[0].TrialNumber)?.hyperParameters);
  });

  it('report: one HTML file with the charts, where asked', async () => {
    const out = join(tmp.dir, 'my-report.html');
    const result = await cli(['report', 'inproc', '--store-dir', store, '--out', out]);
    expect(result).toMatchObject({ code: 0, stdout: `Report of inproc (6 trials) written to ${out}\n` });
    const html = readFileSync(out, 'utf8');
    const charts = [...html.matchAll(/<svg [^>]*aria-label="([^"]*)"/g)].map((m) => m[1]);
    expect(charts).toEqual(expect.arrayContaining(['Parallel coordinates', 'Learning curves']));
    expect(charts.filter((c) => c.includes(' against '))).toHaveLength(3);
    expect(html).toContain('<h1>inproc<span class="badge Completed">');
  });

  it('running the same command again changes nothing: the study is complete', async () => {
    const before = readStudy('inproc');
    const again = await cli(['run', requestFile, '--store-dir', store, '--name', 'inproc']);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/trial \d+ started/);
    expect(readStudy('inproc').trials).toEqual(before.trials);
  });
});

describe('a study whose trials all fail', () => {
  it('states the shared reason once per place: once in the summary, and on a terminal not again on standard error', async () => {
    const r = baseRequest();
    r.HyperParameterTuningJobName = 'crashing';
    const script = join(tmp.dir, 'crash.js');
    writeFileSync(script, 'console.error("Traceback: boom");\nprocess.exit(3);\n');
    r.Sagetune.Local.Command = ['node', script];
    const file = writeRequest(tmp.dir, r, 'crashing.json');
    const onTerminal = testIo();
    Object.assign(onTerminal.io.stdout, { isTTY: true });
    Object.assign(onTerminal.io.stderr, { isTTY: true });
    expect(await runCli(['run', file, '--store-dir', store, '--progress', 'off', '--no-report'], onTerminal.io)).toBe(1);
    const out = onTerminal.stdout();
    expect(out).toContain('Study crashing Failed: The first 3 trials all failed, so the study stopped');
    expect(out.match(/trials 1, 2, 3: /g)).toHaveLength(2); // the one-line event and the summary
    // each failed trial's own line, then only the event line and the summary
    const failedLines = out.match(/trial \d+ failed: /g)?.length ?? 0;
    expect(failedLines).toBeGreaterThanOrEqual(3);
    expect(out.match(/Traceback: boom/g)).toHaveLength(failedLines + 2);
    expect(onTerminal.stderr()).toBe('sagetune: study crashing failed: the reason is above (also in sagetune status)\n');
    // Standard output elsewhere (a file, a pipe): standard error carries the reason whole.
    const piped = await cli(['run', file, '--store-dir', join(tmp.dir, 'piped'), '--progress', 'off', '--no-report']);
    expect(piped.code).toBe(1);
    expect(piped.stderr).toMatch(/^sagetune: study crashing failed: The first 3 trials all failed.* trials 1, 2, 3: .*\nTraceback: boom\nthe command was: \S*node \S*crash\.js --depth \d+ --kind \w -x [\d.e-]+\n$/s);
    const status = await cli(['status', 'crashing', '--store-dir', store]);
    expect(status.stdout).toMatch(/^Study crashing: Failed - The first 3 trials all failed.*trials 1, 2, 3: /);
  });
});

describe('Ctrl-C', () => {
  /** A request whose trials take ~1.5 s, so that Ctrl-C finds them running. */
  function slowRequest(name: string): string {
    const r = baseRequest();
    r.HyperParameterTuningJobName = name;
    r.Sagetune.Local.Command = ['node', TRAIN_SCRIPT, '--sleep-ms', '500'];
    r.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 4;
    return writeRequest(tmp.dir, r, `${name}.json`);
  }

  /** Calls `then` once, the first time the run's standard output matches `pattern`. */
  function onceOutput(t: ReturnType<typeof testIo>, pattern: RegExp, then: () => void): void {
    let seen = false;
    t.io.stdout.on('data', (chunk) => {
      if (!seen && pattern.test(String(chunk))) {
        seen = true;
        then();
      }
    });
  }

  it('stops the running trials, leaves the study resumable, and the same command resumes it', async () => {
    const file = slowRequest('interrupted');
    const t = testIo();
    // Interrupt once the first trial has completed and two more are running.
    onceOutput(t, /trial 1 completed|trial 2 completed/, () => setTimeout(() => t.handlers.get('SIGINT')?.(), 300));
    const code = await runCli(['run', file, '--store-dir', store], t.io);
    expect(code).toBe(130);
    expect(t.stdout()).toContain('interrupted: stopping the running trials');
    expect(t.stdout()).toContain('Interrupted: run the same command again to resume.');
    expect(t.handlers.size).toBe(0); // handlers removed after the run
    const paused = readStudy('interrupted');
    expect(paused.status).toBe('InProgress');
    // Paused during this run: a timestamp within the last minute.
    expect(Date.now() - Date.parse(paused.pausedAt!)).toBeGreaterThanOrEqual(0);
    expect(Date.now() - Date.parse(paused.pausedAt!)).toBeLessThan(60_000);
    const status = await cli(['status', 'interrupted', '--store-dir', store]);
    expect(status.stdout).toMatch(/^Study interrupted: InProgress \(paused .* UTC; run its request again to resume\)/);
    // Nothing runs while paused: the trials in progress wait for the resume, and the clock stands still.
    expect(status.stdout).not.toContain('Running:');
    // The trials running at Ctrl-C were stopped and requeued: they wait for the resume.
    expect(paused.trials.some((tr) => tr.status === 'InProgress')).toBe(true);
    expect(status.stdout).toMatch(/^Waiting: +trial \d+ \(resumes with the study\)/m);
    // A runner that died without pausing the study (kill -9, a crash): the status says that none drives it...
    const file2 = join(store, 'interrupted', 'study.json');
    const stored = JSON.parse(readFileSync(file2, 'utf8'));
    writeFileSync(file2, JSON.stringify({ ...stored, study: { ...stored.study, pausedAt: undefined } }));
    const orphan = await cli(['status', 'interrupted', '--store-dir', store]);
    expect(orphan.stdout).toMatch(/^Study interrupted: InProgress \(no runner since .* UTC; run its request again to resume\)/);
    // its trials may still run (nothing stopped them): unwatched, not waiting
    expect(orphan.stdout).toMatch(/^Unwatched: +trial \d+ /m);
    expect(orphan.stdout).not.toContain('Waiting:');
    expect(JSON.parse((await cli(['status', 'interrupted', '--store-dir', store, '--json'])).stdout)).toMatchObject({ driven: false, runner: null });
    // ...and while a runner holds the study, it is running.
    const lock = await new FileStudyStore({ root: store }).acquireLock('interrupted');
    try {
      const live = await cli(['status', 'interrupted', '--store-dir', store]);
      expect(live.stdout).toMatch(/^Study interrupted: InProgress\n/);
      expect(JSON.parse((await cli(['status', 'interrupted', '--store-dir', store, '--json'])).stdout)).toMatchObject({ driven: true, runner: { pid: process.pid } });
    } finally {
      await lock.release();
    }
    writeFileSync(file2, JSON.stringify(stored));
    const kept = paused.trials.filter((tr) => tr.status === 'Completed');
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThan(4);

    const resumed = await cli(['run', file, '--store-dir', store]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resuming the study: ${paused.trials.length} trials so far (${kept.length} completed) are kept`);
    const done = readStudy('interrupted');
    expect(done.status).toBe('Completed');
    expect(done.trials.map((tr) => tr.number)).toEqual([1, 2, 3, 4]);
    // Every trial completed before the interruption is kept as it was, and not run again.
    for (const k of kept) expect(done.trials.find((tr) => tr.number === k.number)).toEqual(k);
    for (const k of kept) expect(resumed.stdout).not.toContain(`trial ${k.number} started`);
  });

  it('a second Ctrl-C quits at once with code 130', async () => {
    const file = slowRequest('forced');
    const t = testIo();
    onceOutput(t, /trial 1 started/, () =>
      setImmediate(() => {
        t.handlers.get('SIGINT')?.();
        try {
          t.handlers.get('SIGINT')?.();
        } catch {
          // The test's exit() throws instead of ending the process.
        }
      }),
    );
    await runCli(['run', file, '--store-dir', store], t.io);
    expect(t.exits).toEqual([130]);
    expect(t.stderr()).toContain('quit at once');
  });

  it('SIGTERM stops the running trials like Ctrl-C and exits with 143 (128 + SIGTERM)', async () => {
    const file = slowRequest('terminated');
    const t = testIo();
    onceOutput(t, /trial 1 started/, () => setTimeout(() => t.handlers.get('SIGTERM')?.(), 100));
    const code = await runCli(['run', file, '--store-dir', store], t.io);
    expect(code).toBe(143);
    expect(t.stdout()).toContain('terminated (SIGTERM): stopping the running trials; run the same command again to resume (a second signal quits at once)');
    expect(t.stdout()).toContain('Terminated: run the same command again to resume.');
    const paused = readStudy('terminated');
    expect(paused.status).toBe('InProgress');
    // Paused during this run: a timestamp within the last minute.
    expect(Date.now() - Date.parse(paused.pausedAt!)).toBeGreaterThanOrEqual(0);
    expect(Date.now() - Date.parse(paused.pausedAt!)).toBeLessThan(60_000);
  });

  it('a second signal after SIGTERM quits at once with 143, whichever it is', async () => {
    for (const second of ['SIGTERM', 'SIGINT'] as const) {
      const file = slowRequest(`terminated-${second}`);
      const t = testIo();
      onceOutput(t, /trial 1 started/, () =>
        setImmediate(() => {
          t.handlers.get('SIGTERM')?.();
          try {
            t.handlers.get(second)?.();
          } catch {
            // The test's exit() throws instead of ending the process.
          }
        }),
      );
      await runCli(['run', file, '--store-dir', store], t.io);
      expect(t.exits).toEqual([143]);
      expect(t.stderr()).toContain('quit at once');
    }
  });
});

describe('validate warnings', () => {
  it('a one-letter hyperparameter name: valid, with a warning on standard error about -x', async () => {
    const t = tempDir();
    try {
      const r = baseRequest();
      r.Sagetune.Local.Command = ['node', TRAIN_SCRIPT];
      const result = await cli(['validate', writeRequest(t.dir, r)]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/is valid: /);
      expect(result.stderr).toBe(
        'sagetune: warning: hyperparameter "x" has a one-letter name: the training command gets it as "-x <value>" (as SageMaker\'s training toolkit passes it), not "--x"; a script that parses --x will not see it (it is also in SM_HPS)\n',
      );
    } finally {
      t.cleanup();
    }
  });
});
