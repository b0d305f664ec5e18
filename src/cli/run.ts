/**
 * `sagetune run <request.json>`: runs (or resumes) a study on this machine with a live progress display, and at
 * the end prints the best trial and writes the report next to the study.
 */
import { rmdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { LocalBackend } from '../backends/local';
import type { StudyEvent } from '../study/events';
import type { TrialBackend } from '../study/types';
import { formatDuration, formatNumber, formatValue } from '../report/format';
import { renderHtmlReport } from '../report/html';
import { hyperParameterNames, summarizeStudy } from '../report/rows';
import { runStudy } from '../study/runner';
import { DEFAULT_STUDY_ROOT, FileStudyStore } from '../study/store/file-store';
import { effectiveParallel, isTerminal } from '../study/study';
import type { Study, StudyLock, StudyStore, Versioned } from '../study/types';
import { EXIT, UsageError } from './errors';
import { writeOutputFile, type CliIo } from './io';
import { ProgressDisplay } from './progress';
import { loadRequest } from './request';

/** Options of `sagetune run`. */
export interface RunOptions {
  readonly backend?: string;
  readonly engine?: string;
  readonly storeDir?: string;
  readonly name?: string;
  readonly parallel?: number;
  /** Live redraw: `auto` (a terminal), `on`, `off` (plain lines). @default 'auto' */
  readonly progress?: 'auto' | 'on' | 'off';
  /** Write report.html in the study folder at the end. @default true */
  readonly report?: boolean;
}

/** A store that shows every study it reads or writes to a listener (the progress display). */
class ObservedStore implements StudyStore {
  readonly acquireLock?: (name: string) => Promise<StudyLock>;
  constructor(
    private readonly inner: StudyStore,
    private readonly listener: (study: Study) => void,
  ) {
    if (inner.acquireLock) this.acquireLock = (name) => (inner.acquireLock as (n: string) => Promise<StudyLock>).call(inner, name);
  }
  async read(name: string): Promise<Versioned<Study> | undefined> {
    const found = await this.inner.read(name);
    if (found) this.listener(found.value);
    return found;
  }
  async write(study: Study, expectedVersion?: string): Promise<string> {
    const version = await this.inner.write(study, expectedVersion);
    this.listener(study);
    return version;
  }
  list(): Promise<string[]> {
    return this.inner.list();
  }
}

function show(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

/** The closing summary: how the study ended, its best trial, where the results are. */
export function finalSummary(study: Study, now: number, dir: string, reportFile: string | undefined): string {
  const s = summarizeStudy(study, now);
  const c = s.counters;
  const lines: string[] = [];
  const reason = s.statusReason ? `: ${s.statusReason}` : '';
  lines.push(`Study ${s.name} ${s.status === 'InProgress' ? 'paused' : s.status}${s.status === 'InProgress' ? '' : reason}`);
  if (s.best) {
    lines.push(`Best trial ${s.best.trial}: ${s.objective.metricName} = ${formatNumber(s.best.objective as number)} (job ${s.best.jobName})`);
    const names = hyperParameterNames(study).filter((n) => s.best?.hyperParameters[n] !== undefined);
    const width = Math.max(...names.map((n) => n.length));
    for (const n of names) lines.push(`  ${n.padEnd(width)}  ${formatValue(s.best.hyperParameters[n])}`);
  } else {
    lines.push(`No trial completed with a value of ${s.objective.metricName}.`);
  }
  const parts = [`${c.Completed} completed`];
  if (c.NonRetryableError) parts.push(`${c.NonRetryableError} failed`);
  if (c.Stopped) parts.push(`${c.Stopped} stopped`);
  if (c.InProgress) parts.push(`${c.InProgress} to run again`);
  lines.push(`${s.trials} trial${s.trials === 1 ? '' : 's'} (${parts.join(', ')}) in ${formatDuration(s.elapsedSeconds)}.`);
  lines.push(`Study folder: ${show(dir)}`);
  if (reportFile) lines.push(`Report:       ${show(reportFile)}`);
  lines.push(`Results:      sagetune results ${s.name}${dir.startsWith(resolve(DEFAULT_STUDY_ROOT)) ? '' : ` --store-dir ${show(resolve(dir, '..'))}`}`);
  return `${lines.join('\n')}\n`;
}

/** Runs the `run` command; returns the exit code. */
export async function runCommand(file: string, options: RunOptions, io: CliIo): Promise<number> {
  const loaded = await loadRequest(file, { name: options.name, backend: options.backend, engine: options.engine, parallel: options.parallel }, io.stdin);
  const { request } = loaded;
  // The request schema admits native-only features (Hyperband, several definitions...) only with Engine native.
  const engine = request.Sagetune.Engine;
  if (engine === 'sagetune' && request.Sagetune.Backend !== 'local' && request.Sagetune.Backend !== 'sagemaker') {
    throw new UsageError(`Sagetune.Backend ${JSON.stringify(request.Sagetune.Backend)} is not one of local, sagemaker`);
  }
  const root = resolve(options.storeDir ?? request.Sagetune.StudyDirectory ?? DEFAULT_STUDY_ROOT);
  const files = new FileStudyStore({ root });
  const name = request.HyperParameterTuningJobName;
  const dir = files.studyDirectory(name);

  const live = options.progress === 'on' ? true : options.progress === 'off' ? false : io.stdout.isTTY === true;
  const display = new ProgressDisplay({ out: io.stdout, live, color: live && !io.env.NO_COLOR, now: io.now });
  let latest: Study | undefined;
  const store = new ObservedStore(files, (study) => {
    latest = study;
    display.update(study);
  });
  const warn = (message: string): void => display.print(`warning: ${message}`);
  let backend: TrialBackend | undefined;
  if (engine === 'sagetune' && request.Sagetune.Backend === 'local') backend = new LocalBackend({ baseDir: loaded.baseDir, studiesDir: root });
  else if (engine === 'sagetune') backend = (await import('../backends/sagemaker')).createSageMakerBackend({ warn });

  const config = request.HyperParameterTuningJobConfig;
  const objective = config.HyperParameterTuningJobObjective;
  io.stdout.write(
    `sagetune: study ${name}${engine === 'native' ? ' (SageMaker tuning job)' : backend instanceof LocalBackend ? '' : ' (SageMaker training jobs)'}: ${config.Strategy} search to ${objective?.Type === 'Maximize' ? 'maximize' : 'minimize'} ${objective?.MetricName ?? 'the objective'}, ` +
      `${config.ResourceLimits.MaxNumberOfTrainingJobs ?? 'unlimited'} trials, ${effectiveParallel(request)} in parallel; folder ${show(dir)}\n`,
  );

  const controller = new AbortController();
  let interrupts = 0;
  // The exit code tells what stopped the run: 130 for Ctrl-C (SIGINT), 143 for SIGTERM (kill, a service manager).
  let stopCode: number = EXIT.interrupted;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    interrupts++;
    if (signal === 'SIGTERM') stopCode = EXIT.terminated;
    const what = signal === 'SIGTERM' ? 'terminated (SIGTERM)' : 'interrupted';
    const again = signal === 'SIGTERM' ? 'a second signal quits at once' : 'Ctrl-C again to quit at once';
    if (interrupts === 1) {
      display.print(
        engine === 'native'
          ? `${what}: the SageMaker tuning job keeps running; run the same command again to follow it (${again})`
          : `${what}: stopping the running trials; run the same command again to resume (${again})`,
      );
      controller.abort(new Error(signal === 'SIGTERM' ? 'terminated by SIGTERM' : 'interrupted by the user'));
    } else {
      display.close();
      io.stderr.write('sagetune: quit at once; the running trials may still be running and are adopted or run again on resume\n');
      io.exit(stopCode);
    }
  };
  const removers = [io.onSignal('SIGINT', () => onSignal('SIGINT')), io.onSignal('SIGTERM', () => onSignal('SIGTERM'))];

  let study: Study;
  let interrupted: boolean;
  try {
    await store.read(name).catch(() => undefined); // shows a resumed study's counts at once
    // The AWS parts load only when the request needs them (they pull in the AWS SDK).
    const runNative = async (): Promise<{ study: Study; interrupted: boolean }> => {
      const native = await import('../backends/native');
      return native.runNativeStudy({ request, store, engine: new native.NativeTuningEngine({ warn }), signal: controller.signal, onEvent });
    };
    const onEvent = (event: StudyEvent): void => {
      if (event.type === 'study-started' && event.resumed) {
        const trials = latest?.trials ?? [];
        const completed = trials.filter((t) => t.status === 'Completed').length;
        const trialCount = `${trials.length} trial${trials.length === 1 ? '' : 's'}`;
        const ended = latest && isTerminal(latest.status) ? latest.status : undefined;
        display.print(
          ended
            ? `the study already ended (${ended}) with ${trialCount} (${completed} completed); nothing to run`
            : `resuming the study: ${trialCount} so far (${completed} completed) are kept`,
        );
      }
      display.event(event);
    };
    const result = backend
      ? await runStudy({ request, store, backend, signal: controller.signal, onEvent })
      : await runNative();
    study = result.study;
    interrupted = result.interrupted;
  } catch (error) {
    // A run that stopped before creating its study (a failed warm start, a request mismatch) leaves no empty folder
    // behind. rmdir removes the folder only if nothing is in it.
    if (latest === undefined) await rmdir(dir).catch(() => undefined);
    throw error;
  } finally {
    display.close();
    for (const remove of removers) remove();
  }

  let reportFile: string | undefined;
  if (options.report !== false) {
    reportFile = join(dir, 'report.html');
    await writeOutputFile(reportFile, renderHtmlReport(study, { now: io.now(), location: dir }));
  }
  io.stdout.write(`\n${finalSummary(study, io.now(), dir, reportFile)}`);
  if (interrupted) {
    io.stdout.write(`${stopCode === EXIT.terminated ? 'Terminated' : 'Interrupted'}: run the same command again to resume.\n`);
    return stopCode;
  }
  if (study.status === 'Failed') {
    // On one terminal the summary just above already shows the reason; anywhere else (stdout in a file or a pipe)
    // standard error carries it whole.
    const sameTerminal = io.stdout.isTTY === true && io.stderr.isTTY === true;
    const reason = sameTerminal ? 'the reason is above (also in sagetune status)' : (study.statusReason ?? 'see the trial table (sagetune results)');
    io.stderr.write(`sagetune: study ${name} failed: ${reason}\n`);
    return EXIT.failure;
  }
  return EXIT.ok;
}
