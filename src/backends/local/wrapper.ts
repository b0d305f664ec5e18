/**
 * The trial wrapper: a small detached Node process (its own session and process group) that runs one training
 * command and outlives the runner that launched it. It claims the trial folder exclusively, runs the command in
 * a process group of its own, copies its output to files with a timestamp per line, enforces
 * `MaxRuntimeInSeconds`, turns SIGTERM (a stop) into SIGTERM to the command's whole process group followed by
 * SIGKILL after the grace period, and, once the command has ended and its output is drained, writes `exit.json`.
 * A runner that dies (even by `kill -9`) loses nothing: a new runner reads the files and adopts the trial.
 *
 * The function below is serialized with `Function.prototype.toString` into `wrapper.js` in each trial folder and
 * run by `node`, so it must be self-contained: no imports, no helpers from outside its body (modules come from
 * the `req` parameter), only syntax that Node runs as is.
 */
import type * as ChildProcess from 'node:child_process';
import type * as Fs from 'node:fs';
import type * as Path from 'node:path';
import type * as StringDecoderModule from 'node:string_decoder';

/** Longest line kept whole in output.log (bytes of UTF-16 text); a longer one is cut into several events, as CloudWatch does. */
export const MAX_LINE_CHARS = 256 * 1024;

/* istanbul ignore next: serialized and run in a separate process, never instrumented */
export function wrapperMain(req: (id: string) => unknown, trialDir: string, token: string, maxLineChars: number): void {
  const fs = req('node:fs') as typeof Fs;
  const path = req('node:path') as typeof Path;
  const cp = req('node:child_process') as typeof ChildProcess;
  const { StringDecoder } = req('node:string_decoder') as typeof StringDecoderModule;

  const file = (name: string): string => path.join(trialDir, name);
  const writeJson = (name: string, value: unknown): void => {
    const tmp = file(`.${name}.${process.pid}.tmp`);
    const fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, JSON.stringify(value));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file(name));
  };
  const readJson = (name: string): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(fs.readFileSync(file(name), 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const log = (message: string): void => {
    process.stderr.write(`${new Date().toISOString()} wrapper ${process.pid}: ${message}\n`);
  };

  let child: ChildProcess.ChildProcess | undefined;
  let childExited = false;
  let terminated: string | undefined;
  let startMs = Date.now();
  let finished = false;
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child?.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  const finish = (record: Record<string, unknown>): void => {
    if (finished) return;
    finished = true;
    const end = Date.now();
    const stop = readJson('stop.json');
    writeJson('exit.json', {
      exitCode: null,
      signal: null,
      ...record,
      ...(terminated ? { terminated } : {}),
      ...(terminated === 'stop' && stop && typeof stop.reason === 'string' ? { stopReason: stop.reason } : {}),
      startedAt: new Date(startMs).toISOString(),
      endedAt: new Date(end).toISOString(),
      durationMs: end - startMs,
    });
    process.exit(0);
  };
  const terminate = (why: string): void => {
    if (terminated !== undefined || childExited) return;
    terminated = why;
    log(`terminating the command (${why})`);
    signalGroup('SIGTERM');
    const spec = readJson('spec.json');
    const grace = spec && typeof spec.killGraceMs === 'number' ? spec.killGraceMs : 10_000;
    setTimeout(() => signalGroup('SIGKILL'), grace);
  };
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, () => terminate('stop'));
  process.on('uncaughtException', (err) => {
    log(`internal error: ${err.stack ?? String(err)}`);
    signalGroup('SIGKILL');
    try {
      finish({ error: `the trial wrapper failed: ${err.message}` });
    } finally {
      process.exit(1);
    }
  });

  // Claim the trial: of two wrappers started for one trial (a launch repeated after a crash), one runs it.
  try {
    fs.closeSync(fs.openSync(file('claim'), 'wx'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      log('another wrapper has claimed this trial; exiting');
      process.exit(0);
    }
    throw err;
  }
  const spec = JSON.parse(fs.readFileSync(file('spec.json'), 'utf8')) as {
    argv: string[];
    cwd: string;
    env: Record<string, string>;
    maxRuntimeMs: number;
    token: string;
  };
  startMs = Date.now();
  writeJson('started.json', { pid: process.pid, token, startedAt: new Date(startMs).toISOString(), startMs });
  if (terminated !== undefined || fs.existsSync(file('stop.json'))) {
    terminated = 'stop';
    finish({});
    return;
  }

  const outFd = fs.openSync(file('stdout.log'), 'a');
  const errFd = fs.openSync(file('stderr.log'), 'a');
  const eventsFd = fs.openSync(file('output.log'), 'a');
  const { NODE_OPTIONS: _ours, SAGETUNE_USER_NODE_OPTIONS: userNodeOptions, ...inherited } = process.env;
  const env: Record<string, string | undefined> = { ...inherited, ...spec.env };
  if (userNodeOptions !== undefined) env.NODE_OPTIONS = userNodeOptions;
  try {
    child = cp.spawn(spec.argv[0], spec.argv.slice(1), {
      cwd: spec.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (err) {
    finish({ error: `the training command could not be started: ${(err as Error).message}` });
    return;
  }
  if (child.pid !== undefined) writeJson('child.json', { pid: child.pid, pgid: child.pid, token: spec.env.SAGETUNE_TRIAL_TOKEN });

  const partial: Record<string, string> = { o: '', e: '' };
  const decoders: Record<string, InstanceType<typeof StringDecoder>> = { o: new StringDecoder('utf8'), e: new StringDecoder('utf8') };
  const event = (stream: string, text: string): void => {
    fs.writeSync(eventsFd, `${Date.now() - startMs}\t${stream}\t${text}\n`);
  };
  const take = (stream: string, text: string): void => {
    let s = partial[stream] + text;
    let nl: number;
    while ((nl = s.indexOf('\n')) >= 0) {
      event(stream, s.slice(0, nl).replace(/\r$/, ''));
      s = s.slice(nl + 1);
    }
    while (s.length > maxLineChars) {
      event(stream, s.slice(0, maxLineChars));
      s = s.slice(maxLineChars);
    }
    partial[stream] = s;
  };
  const open = { o: true, e: true };
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const maybeFinish = (): void => {
    if (open.o || open.e) return;
    if (spawnError) {
      finish({ error: `the training command could not be started: ${spawnError.message}` });
    } else if (exitInfo) {
      for (const s of ['o', 'e']) {
        take(s, decoders[s].end());
        if (partial[s] !== '') event(s, partial[s]);
        partial[s] = '';
      }
      finish({ exitCode: exitInfo.code, signal: exitInfo.signal });
    }
  };
  const pipe = (stream: 'o' | 'e', source: NodeJS.ReadableStream | null, fd: number): void => {
    if (!source) {
      open[stream] = false;
      return;
    }
    source.on('data', (chunk: Buffer) => {
      fs.writeSync(fd, chunk);
      take(stream, decoders[stream].write(chunk));
    });
    source.on('close', () => {
      open[stream] = false;
      maybeFinish();
    });
  };
  pipe('o', child.stdout, outFd);
  pipe('e', child.stderr, errFd);

  // Node's timers take at most 2^31 - 1 ms (24.8 days); SageMaker allows MaxRuntimeInSeconds up to 28 days.
  const deadline = startMs + spec.maxRuntimeMs;
  let maxTimer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    const left = deadline - Date.now();
    if (left <= 0) terminate('MaxRuntimeExceeded');
    else maxTimer = setTimeout(arm, Math.min(left, 2 ** 31 - 1));
  };
  arm();
  child.on('error', (err) => {
    spawnError = err;
    if (child?.pid === undefined) {
      open.o = false;
      open.e = false;
    }
    clearTimeout(maxTimer);
    maybeFinish();
  });
  child.on('exit', (code, signal) => {
    childExited = true;
    clearTimeout(maxTimer);
    exitInfo = { code, signal };
    // Processes the command left behind in its group would hold its output open and outlive the job;
    // SageMaker ends them with the container.
    signalGroup('SIGKILL');
    // Output still in flight is drained by the 'close' events; do not wait for it forever.
    setTimeout(() => {
      open.o = false;
      open.e = false;
      maybeFinish();
    }, 5000).unref();
    maybeFinish();
  });
}

/** The program written to `wrapper.js`: `node wrapper.js <trialDir> <token>`. */
export function wrapperProgram(): string {
  return `'use strict';\n// sagetune trial wrapper (generated; see src/backends/local/wrapper.ts)\n(${wrapperMain.toString()})(require, process.argv[2], process.argv[3], ${MAX_LINE_CHARS});\n`;
}
