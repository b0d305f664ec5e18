/**
 * The local trial backend: each trial is the request's `Sagetune.Local.Command` run as a child process on this
 * machine, with SageMaker's script-mode contract (see contract.ts), its metrics read from its output with the
 * request's `MetricDefinitions` (see metrics.ts).
 *
 * Each trial runs under a detached wrapper process (see wrapper.ts) that owns it and records everything in the
 * trial folder (see records.ts), so the runner that launched it may die at any moment, even by `kill -9`: a
 * new runner's backend reads the folder and adopts the trial. `launch` is idempotent per trial folder (a folder
 * with a launch record is adopted), and a second wrapper for one trial exits without running anything, so a
 * trial never runs twice.
 *
 * POSIX only (Linux, macOS): trials are process groups, signalled as a whole.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { TrialLaunchError, formatRequestIssue } from '../../study/errors';
import { ellipsize } from '../../study/text';
import { COMMAND_LINE } from '../../study/criteria';
import type { RequestIssue } from '../../study/errors';
import type { LaunchResult, Study, Trial, TrialBackend, TrialSpec, TrialUpdate } from '../../study/types';
import { buildScriptModeContract, resolveChannelLocation, trialLayout } from './contract';
import { compileMetricDefinitions, MetricDefinitionError, MetricScanner, objectiveMissingReason } from './metrics';
import type { CompiledMetric } from './metrics';
import { FILES } from './records';
import type { ChildRecord, ExitRecord, LaunchRecord, StartedRecord, StopRecord, WrapperSpec } from './records';
import { groupAlive, isOurProcess, signalGroup } from './processes';
import { readLocalRequest } from './request-view';
import type { LocalRequestView } from './request-view';
import { resolveProgram, scriptArgumentIndex } from './validate';
import { wrapperProgram } from './wrapper';

/** Options of {@link LocalBackend}. */
export interface LocalBackendOptions {
  /**
   * The folder that relative paths in `Sagetune.Local.Command` and in local channel locations resolve against,
   * and the working directory of the command (as `/opt/ml/code` is on SageMaker). @default process.cwd()
   */
  readonly baseDir?: string;
  /**
   * Folder of the studies; a trial's folder is `<studiesDir>/<study>/trials/<job name>/`. Relative to the
   * current directory. @default '.sagetune/studies'
   */
  readonly studiesDir?: string;
  /** Overrides where a trial's folder is (then `studiesDir` is not used). */
  readonly trialDir?: (study: string, trial: Trial) => string;
  /** Seconds between SIGTERM and SIGKILL when a trial is stopped or exceeds its runtime. @default 10 */
  readonly killGraceSeconds?: number;
  /** Node.js executable that runs the trial wrappers. @default process.execPath */
  readonly nodePath?: string;
  /** `SM_NUM_CPUS` given to the command. @default os.availableParallelism() */
  readonly numCpus?: number;
}

/** Backend data recorded with a launched trial. */
export interface LocalBackendData extends Record<string, unknown> {
  /** The trial's folder. */
  readonly workDir: string;
  /** The job name (attempt) the folder belongs to. */
  readonly jobName: string;
  readonly wrapperPid: number;
  readonly token: string;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function writeJson(file: string, value: unknown): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  // Owner-only: spec.json holds the request's Environment (secrets), the others the trial's settings.
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(value, null, 2));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** JSON with sorted keys, to compare hyperparameters whatever their order. */
function canonical(values: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** The last lines of a file (at most `maxChars` characters, from its last 64 KiB). */
function tail(file: string, maxLines = 15, maxChars = 2000): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').replace(/\s+$/, '').split('\n').slice(-maxLines);
    const text = lines.join('\n');
    return text.length > maxChars ? `...${text.slice(-maxChars)}` : text;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * After a trial's output grows, how long {@link LocalBackend.waitForChange} waits for more before it returns, so that
 * a script printing many lines at once wakes the runner once.
 */
const PROGRESS_COALESCE_MS = 50;
/**
 * The shortest wait that output can end (a trial's end ends any wait at once): trials printing all the time then wake
 * the runner at most about five times a second, whatever their number, and a rung or the median rule still judges a
 * job within a fraction of an epoch of any real length.
 */
const PROGRESS_MIN_WAIT_MS = 200;

/** Bytes of output.log read at a time. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

/** Incremental reading of one trial's output.log. */
interface ScanState {
  offset: number;
  scanner: MetricScanner;
  /** The metric definitions the scanner was built for. */
  key: string;
}

interface Metrics {
  readonly compiled?: CompiledMetric[];
  readonly objective?: CompiledMetric;
  /** Why metrics cannot be read (bad definitions, no objective definition). */
  readonly error?: string;
}

/** Runs trials as local processes with SageMaker's script-mode contract. */
export class LocalBackend implements TrialBackend {
  readonly baseDir: string;
  readonly studiesDir: string;
  readonly killGraceMs: number;
  private readonly nodePath: string;
  private readonly numCpus: number;
  private readonly trialDirFn?: (study: string, trial: Trial) => string;
  private readonly scans = new Map<string, ScanState>();
  /** Folders of running trials whose exit record already ended a {@link waitForChange} at once. */
  private readonly wokenByExit = new Set<string>();

  constructor(options: LocalBackendOptions = {}) {
    this.baseDir = path.resolve(options.baseDir ?? process.cwd());
    this.studiesDir = path.resolve(options.studiesDir ?? path.join('.sagetune', 'studies'));
    const grace = options.killGraceSeconds ?? 10;
    if (!(grace >= 0) || !Number.isFinite(grace)) throw new RangeError(`killGraceSeconds must be a number of seconds >= 0, got ${grace}`);
    this.killGraceMs = Math.round(grace * 1000);
    this.nodePath = options.nodePath ?? process.execPath;
    this.numCpus = options.numCpus ?? (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
    this.trialDirFn = options.trialDir;
  }

  /** The folder of one trial. */
  trialDir(study: string, trial: Trial): string {
    if (this.trialDirFn) return path.resolve(this.trialDirFn(study, trial));
    return path.join(this.studiesDir, study, 'trials', trial.jobName);
  }

  private dirOf(study: Study, trial: Trial): string {
    // The recorded folder, unless it belongs to an earlier attempt (another job name) of the trial.
    const recorded = trial.backendData?.workDir;
    const ofThisJob = trial.backendData?.jobName === undefined || trial.backendData.jobName === trial.jobName;
    return typeof recorded === 'string' && ofThisJob ? recorded : this.trialDir(study.name, trial);
  }

  /**
   * Starts the trial's command under a detached wrapper. Adopts the trial instead when its folder already has a
   * launch record. Throws {@link TrialLaunchError} (not retryable) when the request cannot run locally: the
   * command or script is missing, a channel is not local, a metric regex is invalid.
   */
  async launch(spec: TrialSpec): Promise<LaunchResult> {
    const dir = this.trialDir(spec.study, spec.trial);
    const existing = readJson<LaunchRecord>(path.join(dir, FILES.launch));
    if (existing) {
      if (existing.hyperParameters && canonical(existing.hyperParameters) !== canonical(spec.trial.hyperParameters)) {
        throw new TrialLaunchError(
          `Trial ${spec.trial.jobName}: its folder ${dir} holds another run of that job name, with other hyperparameters ` +
            `(${canonical(existing.hyperParameters)}); delete the folder, or name the study differently`,
          { retryable: false },
        );
      }
      const data: LocalBackendData = { workDir: dir, jobName: spec.trial.jobName, wrapperPid: existing.wrapperPid, token: existing.token };
      return { adopted: true, backendData: data };
    }

    const { view, issues } = readLocalRequest(spec.request);
    const problems: RequestIssue[] = [...issues];
    let program: string | undefined;
    if (view.command) {
      const resolved = resolveProgram(view.command[0], this.baseDir);
      if ('error' in resolved) problems.push({ path: 'Sagetune.Local.Command[0]', message: `cannot be run: ${resolved.error}` });
      else program = resolved.path;
    }
    const metrics = this.metricsOf(view);
    if (metrics.error) problems.push({ path: `${view.definitionField}.AlgorithmSpecification.MetricDefinitions`, message: metrics.error });
    const channelPaths: Record<string, string> = {};
    for (const c of view.channels) {
      if (c.location === undefined) continue;
      const loc = resolveChannelLocation(c.location, this.baseDir);
      if ('remote' in loc) problems.push({ path: c.field, message: `channel ${c.name} is not a local path: ${c.location}` });
      else channelPaths[c.name] = loc.local;
    }
    if (problems.length > 0 || !view.command || !program) {
      throw new TrialLaunchError(
        `Trial ${spec.trial.jobName} cannot run locally:\n${problems.map((p) => `  - ${formatRequestIssue(p)}`).join('\n')}`,
        { retryable: false },
      );
    }

    const layout = trialLayout(dir);
    for (const d of [layout.modelDir, layout.outputDataDir, layout.outputIntermediateDir, layout.inputConfigDir, layout.inputDataDir]) {
      fs.mkdirSync(d, { recursive: true });
    }
    const specFile = path.join(dir, FILES.spec);
    // A launch repeated after a crash keeps the first one's spec: a wrapper may already be reading it.
    let wrapperSpec = readJson<WrapperSpec>(specFile);
    if (!wrapperSpec) {
      const s = scriptArgumentIndex(view.command);
      const entryPoint = s === undefined ? undefined : path.resolve(this.baseDir, view.command[s]);
      const contract = buildScriptModeContract({
        view,
        hyperParameters: spec.trial.hyperParameters,
        jobName: spec.trial.jobName,
        layout,
        channelPaths,
        numCpus: this.numCpus,
        entryPoint,
      });
      for (const [file, value] of Object.entries(contract.files)) writeJson(file, value);
      for (const { link, target } of contract.links) {
        fs.mkdirSync(path.dirname(link), { recursive: true });
        fs.rmSync(link, { force: true });
        fs.symlinkSync(target, link);
      }
      const token = randomUUID();
      const env: Record<string, string> = {
        ...contract.env,
        SAGETUNE_STUDY: spec.study,
        SAGETUNE_TRIAL_NUMBER: String(spec.trial.number),
        SAGETUNE_TRIAL_DIR: dir,
        SAGETUNE_TRIAL_TOKEN: token,
      };
      if (process.env.PYTHONUNBUFFERED === undefined && view.environment.PYTHONUNBUFFERED === undefined) env.PYTHONUNBUFFERED = '1';
      wrapperSpec = {
        jobName: spec.trial.jobName,
        argv: [program, ...view.command.slice(1), ...contract.args],
        cwd: this.baseDir,
        env,
        maxRuntimeMs: view.maxRuntimeSeconds * 1000,
        killGraceMs: this.killGraceMs,
        token,
      };
      writeJson(specFile, wrapperSpec);
    }
    const wrapperFile = path.join(dir, FILES.wrapper);
    fs.writeFileSync(wrapperFile, wrapperProgram());

    const logFd = fs.openSync(path.join(dir, FILES.wrapperLog), 'a');
    const { NODE_OPTIONS: nodeOptions, ...env } = process.env;
    let pid: number | undefined;
    try {
      const wrapper = spawn(this.nodePath, [wrapperFile, dir, wrapperSpec.token], {
        cwd: dir,
        detached: true,
        stdio: ['ignore', logFd, logFd],
        // The runner's NODE_OPTIONS (a debugger, a loader) are not for the wrapper; the command gets them back.
        env: nodeOptions === undefined ? env : { ...env, SAGETUNE_USER_NODE_OPTIONS: nodeOptions },
      });
      wrapper.on('error', (err) => fs.appendFileSync(path.join(dir, FILES.wrapperLog), `cannot start the wrapper: ${err.message}\n`));
      wrapper.unref();
      pid = wrapper.pid;
    } finally {
      fs.closeSync(logFd);
    }
    if (pid === undefined) {
      throw new TrialLaunchError(`Trial ${spec.trial.jobName}: cannot start its wrapper process with ${this.nodePath}`, { retryable: true });
    }
    const record: LaunchRecord = {
      jobName: spec.trial.jobName,
      wrapperPid: pid,
      token: wrapperSpec.token,
      launchedAt: new Date().toISOString(),
      hyperParameters: spec.trial.hyperParameters,
    };
    writeJson(path.join(dir, FILES.launch), record);
    const data: LocalBackendData = { workDir: dir, jobName: spec.trial.jobName, wrapperPid: pid, token: wrapperSpec.token };
    return { adopted: false, backendData: data };
  }

  /** Status and metrics of each trial, read from its folder. */
  async poll(study: Study, trials: readonly Trial[]): Promise<TrialUpdate[]> {
    const { view } = readLocalRequest(study.request);
    const metrics = this.metricsOf(view);
    return trials.map((t) => {
      const update = this.pollOne(study, t, view, metrics);
      if (update.status !== 'InProgress') this.scans.delete(this.dirOf(study, t)); // read again from the start if asked again
      return update;
    });
  }

  /**
   * Stops a trial: SIGTERM to its command's process group, SIGKILL after the grace period (the wrapper does
   * both, so they happen even if this runner exits right away). Idempotent; a trial that has ended is left alone.
   * Poll reports the trial `Stopped` once its command has ended.
   */
  async stop(study: Study, trial: Trial, reason: string): Promise<void> {
    const dir = this.dirOf(study, trial);
    if (fs.existsSync(path.join(dir, FILES.exit)) || !fs.existsSync(dir)) return;
    const stopFile = path.join(dir, FILES.stop);
    if (!fs.existsSync(stopFile)) writeJson(stopFile, { reason, requestedAt: new Date().toISOString() } satisfies StopRecord);
    // stop.json is written before the wrapper is looked for, and the wrapper checks for it after it has
    // recorded itself: whichever comes first, the command is not left running.
    const started = readJson<StartedRecord>(path.join(dir, FILES.started));
    if (started && isOurProcess(started.pid, started.token)) {
      process.kill(started.pid, 'SIGTERM');
      return;
    }
    const launch = readJson<LaunchRecord>(path.join(dir, FILES.launch));
    if (launch && isOurProcess(launch.wrapperPid, launch.token)) {
      process.kill(launch.wrapperPid, 'SIGTERM');
      return;
    }
    // No wrapper left: make sure nothing of the command survives it.
    this.killOrphans(dir);
  }

  /**
   * Waits for a running trial's `exit.json` (it ended) or, with `progress`, for its output to grow (coalesced over
   * {@link PROGRESS_COALESCE_MS}, and not before {@link PROGRESS_MIN_WAIT_MS}), at most `ms`. Watches the trials'
   * folders (fs.watch). A trial that ended before the watch began (its exit record is there, but the study still has
   * it running) ends the wait at once, once per trial.
   */
  async waitForChange(study: Study, ms: number, options: { readonly progress?: boolean; readonly signal?: AbortSignal } = {}): Promise<void> {
    const { progress = false, signal } = options;
    if (signal?.aborted) return;
    const dirs = study.trials.filter((t) => t.status === 'InProgress').map((t) => this.dirOf(study, t));
    for (const dir of this.wokenByExit) if (!dirs.includes(dir)) this.wokenByExit.delete(dir);
    const earliest = Date.now() + PROGRESS_MIN_WAIT_MS;
    await new Promise<void>((resolve) => {
      const watchers: fs.FSWatcher[] = [];
      let coalesce: NodeJS.Timeout | undefined;
      let ended = false;
      const done = (): void => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        clearTimeout(coalesce);
        for (const w of watchers) w.close();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      for (const dir of dirs) {
        if (ended) break;
        try {
          const watcher = fs.watch(dir, (event, file) => {
            if (file === FILES.exit || (file === null && fs.existsSync(path.join(dir, FILES.exit)))) done();
            // 'change': written to (its creation, empty, is a 'rename').
            else if (progress && event === 'change' && (file === FILES.output || file === null) && coalesce === undefined) {
              coalesce = setTimeout(done, Math.max(PROGRESS_COALESCE_MS, earliest - Date.now()));
            }
          });
          watcher.on('error', () => undefined);
          watchers.push(watcher);
        } catch {
          // The folder is gone or cannot be watched: the next poll says why, at the latest after `ms`.
        }
        // Ended before the watch began: at once, but once per trial, so that a study that keeps such a trial running
        // (a tick that failed before recording it) falls back to the poll interval instead of spinning.
        if (!this.wokenByExit.has(dir) && fs.existsSync(path.join(dir, FILES.exit))) {
          this.wokenByExit.add(dir);
          done();
        }
      }
    });
  }

  private metricsOf(view: LocalRequestView): Metrics {
    let compiled: CompiledMetric[];
    try {
      compiled = compileMetricDefinitions(view.metricDefinitions);
    } catch (err) {
      if (err instanceof MetricDefinitionError) return { error: `MetricDefinitions[${err.index}]: ${err.message}` };
      throw err;
    }
    const name = view.objectiveMetricName;
    const objective = compiled.find((m) => m.name === name);
    if (name !== undefined && !objective) {
      return {
        compiled,
        error: `the objective metric ${name} has no entry in MetricDefinitions (${compiled.map((m) => m.name).join(', ') || 'none'})`,
      };
    }
    return { compiled, objective };
  }

  private scan(dir: string, metrics: Metrics): MetricScanner | undefined {
    if (!metrics.compiled) return undefined;
    const key = JSON.stringify(metrics.compiled.map((m) => [m.name, m.pattern]));
    let state = this.scans.get(dir);
    if (!state || state.key !== key) {
      state = { offset: 0, scanner: new MetricScanner(metrics.compiled), key };
      this.scans.set(dir, state);
    }
    let fd: number;
    try {
      fd = fs.openSync(path.join(dir, FILES.output), 'r');
    } catch {
      return state.scanner;
    }
    try {
      // In chunks, so that a new runner reading a long log from the start holds only a chunk in memory.
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(Math.max(size - state.offset, 0), SCAN_CHUNK_BYTES));
      while (state.offset < size) {
        const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - state.offset), state.offset);
        let end = buf.subarray(0, n).lastIndexOf(0x0a);
        if (end < 0 && n === buf.length) end = n - 1; // one event longer than a chunk (the wrapper caps them far lower)
        if (end < 0) break; // the last line is still being written
        for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
          const a = line.indexOf('\t');
          const b = line.indexOf('\t', a + 1);
          if (a < 0 || b < 0) continue;
          state.scanner.scan(Number(line.slice(0, a)) / 1000, line.slice(b + 1));
        }
        state.offset += end + 1;
      }
    } finally {
      fs.closeSync(fd);
    }
    return state.scanner;
  }

  private pollOne(study: Study, trial: Trial, view: LocalRequestView, metrics: Metrics): TrialUpdate {
    const dir = this.dirOf(study, trial);
    const base = { number: trial.number };
    const exitFile = path.join(dir, FILES.exit);
    let exit = readJson<ExitRecord>(exitFile);
    const scanner = this.scan(dir, metrics);
    const seen = this.seen(scanner, metrics);
    if (exit) return this.ended(trial, dir, exit, view, metrics, scanner);

    const started = readJson<StartedRecord>(path.join(dir, FILES.started));
    if (started) {
      if (isOurProcess(started.pid, started.token)) return { ...base, status: 'InProgress', startedAt: started.startedAt, ...seen };
      exit = readJson<ExitRecord>(exitFile); // it may have ended between the two reads
      if (exit) return this.ended(trial, dir, exit, view, metrics, this.scan(dir, metrics));
      return this.lost(trial, dir, `the process supervising it (pid ${started.pid}) ended without recording how the training command ended`, seen, started.startedAt);
    }
    const launch = readJson<LaunchRecord>(path.join(dir, FILES.launch));
    if (launch && isOurProcess(launch.wrapperPid, launch.token)) return { ...base, status: 'InProgress' };
    const lateStart = readJson<StartedRecord>(path.join(dir, FILES.started));
    if (lateStart) return this.pollOne(study, trial, view, metrics);
    if (!launch) {
      return {
        ...base,
        status: 'Failed',
        retryable: true,
        interrupted: true,
        failureReason: `InternalServerError: trial ${trial.jobName} was never launched (no launch record in ${dir})`,
      };
    }
    return this.lost(trial, dir, `its wrapper process (pid ${launch.wrapperPid}) ended before starting the training command`, {});
  }

  private seen(scanner: MetricScanner | undefined, metrics: Metrics): Pick<TrialUpdate, 'finalMetrics' | 'objectiveSeries'> {
    if (!scanner) return {};
    const finalMetrics = scanner.finalMetrics();
    const series = metrics.objective ? scanner.traces.get(metrics.objective.name)?.series : undefined;
    return {
      ...(Object.keys(finalMetrics).length > 0 ? { finalMetrics } : {}),
      ...(series && series.length > 0 ? { objectiveSeries: series.slice() } : {}),
    };
  }

  /** The wrapper is gone without an exit record: a crash of the machinery, not of the training script. */
  private lost(trial: Trial, dir: string, what: string, seen: Pick<TrialUpdate, 'finalMetrics' | 'objectiveSeries'>, startedAt?: string): TrialUpdate {
    this.killOrphans(dir);
    const stop = readJson<StopRecord>(path.join(dir, FILES.stop));
    if (stop) {
      return { number: trial.number, status: 'Stopped', startedAt, endedAt: new Date().toISOString(), ...seen };
    }
    const log = tail(path.join(dir, FILES.wrapperLog), 5, 800);
    // Lost with its wrapper (a reboot, a kill of every process): the trial did not end by itself and runs again.
    return {
      number: trial.number,
      status: 'Failed',
      retryable: true,
      interrupted: true,
      startedAt,
      endedAt: new Date().toISOString(),
      failureReason: `InternalServerError: trial ${trial.jobName}: ${what}${log ? `; wrapper log: ${log}` : ''}`,
      ...seen,
    };
  }

  private killOrphans(dir: string): void {
    const child = readJson<ChildRecord>(path.join(dir, FILES.child));
    if (child && groupAlive(child.pgid, child.token)) signalGroup(child.pgid, child.token, 'SIGKILL');
  }

  private ended(
    trial: Trial,
    dir: string,
    exit: ExitRecord,
    view: LocalRequestView,
    metrics: Metrics,
    scanner: MetricScanner | undefined,
  ): TrialUpdate {
    const seen = this.seen(scanner, metrics);
    const objectiveValue = metrics.objective ? scanner?.traces.get(metrics.objective.name)?.last : undefined;
    const times = { startedAt: exit.startedAt, endedAt: exit.endedAt };
    const base = { number: trial.number, ...times, ...seen };
    const withObjective = objectiveValue === undefined ? {} : { objective: objectiveValue };
    if (exit.terminated === 'MaxRuntimeExceeded') {
      return {
        ...base,
        ...withObjective,
        status: 'Stopped',
        failureReason:
          `MaxRuntimeExceeded: the training command ran longer than ${view.definitionField}.StoppingCondition.MaxRuntimeInSeconds ` +
          `(${view.maxRuntimeSeconds} s) and was stopped`,
      };
    }
    if (exit.terminated === 'stop') return { ...base, ...withObjective, status: 'Stopped' };
    if (exit.error) return { ...base, status: 'Failed', failureReason: `ClientError: ${exit.error}` };
    if (metrics.error) return { ...base, status: 'Failed', failureReason: `ClientError: ${metrics.error}` };
    if (exit.exitCode === 0) {
      if (!metrics.objective || objectiveValue !== undefined) return { ...base, ...withObjective, status: 'Completed' };
      const trace = scanner?.traces.get(metrics.objective.name);
      const reason = objectiveMissingReason(metrics.objective, trace, scanner?.lines ?? 0);
      return {
        ...base,
        status: 'Failed',
        failureReason: `AlgorithmError: the training command succeeded, but ${reason}; its output is in ${path.join(dir, FILES.stdout)}`,
      };
    }
    const how = exit.signal
      ? `was killed by signal ${exit.signal}${exit.signal === 'SIGKILL' ? ' (out of memory?)' : ''}`
      : `exited with code ${exit.exitCode}`;
    const stderr = tail(path.join(dir, FILES.stderr));
    const detail = stderr
      ? `; last lines of stderr:\n${stderr}`
      : (() => {
          const stdout = tail(path.join(dir, FILES.stdout), 5, 800);
          return stdout ? `; stderr is empty, last lines of stdout:\n${stdout}` : '; it wrote nothing';
        })();
    return { ...base, status: 'Failed', failureReason: `AlgorithmError: the training command ${how}${detail}${ranAs(dir)}` };
  }
}

/** A word of a command line as a shell would need it quoted (for showing the command, never for running it). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `; the command was: <argv>`, from the trial's spec (what ran), or nothing when it cannot be read. */
function ranAs(dir: string): string {
  const spec = readJson<WrapperSpec>(path.join(dir, FILES.spec));
  if (!spec?.argv?.length) return '';
  return `${COMMAND_LINE}${ellipsize(spec.argv.map(shellWord).join(' '), 2000)}`;
}
