/**
 * `sagetune run <request.json>`: runs (or resumes) a study on this machine with a live progress display, and at
 * the end prints the best trial and writes the report next to the study.
 */
import { rmdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { localStudies, type InProcessRunResult, type InProcessStudyHandle } from '../sdk/local';
import type { StudyEvent } from '../study/events';
import { formatDuration, formatNumber, formatValue } from '../report/format';
import { renderHtmlReport } from '../report/html';
import { hyperParameterNames, summarizeStudy } from '../report/rows';
import { describeRecommendation, studyRecommendation } from '../report/recommend';
import { DEFAULT_STUDY_ROOT, FileStudyStore } from '../study/store/file-store';
import { effectiveParallel, isTerminal } from '../study/study';
import type { Study } from '../study/types';
import { EXIT } from './errors';
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
  /** Delete an ended study of this name first and run the request afresh. @default false */
  readonly fresh?: boolean;
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
    const rec = studyRecommendation(study);
    if (rec) lines.push(...describeRecommendation(rec, s.objective.metricName));
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

/** Seconds after a detach during which a second Ctrl-C stops the detached SageMaker jobs. */
const DETACH_GRACE_SECONDS = 10;

/** The detach grace period (`SAGETUNE_DETACH_GRACE_SECONDS` shortens it for tests). */
function graceSeconds(io: CliIo): number {
  const n = Number(io.env.SAGETUNE_DETACH_GRACE_SECONDS);
  return Number.isFinite(n) && n >= 0 && io.env.SAGETUNE_DETACH_GRACE_SECONDS !== undefined ? n : DETACH_GRACE_SECONDS;
}

/** Runs the `run` command; returns the exit code. */
export async function runCommand(file: string, options: RunOptions, io: CliIo): Promise<number> {
  const loaded = await loadRequest(file, { name: options.name, backend: options.backend, engine: options.engine, parallel: options.parallel }, io.stdin);
  const { request } = loaded;
  const engine = request.Sagetune.Engine;
  const root = resolve(options.storeDir ?? request.Sagetune.StudyDirectory ?? DEFAULT_STUDY_ROOT);
  const name = request.HyperParameterTuningJobName;
  const dir = new FileStudyStore({ root }).studyDirectory(name);
  const sagemakerTrials = engine === 'sagetune' && request.Sagetune.Backend === 'sagemaker';

  const live = options.progress === 'on' ? true : options.progress === 'off' ? false : io.stdout.isTTY === true;
  const display = new ProgressDisplay({ out: io.stdout, live, color: live && !io.env.NO_COLOR, now: io.now });
  const warn = (message: string): void => display.print(`warning: ${message}`);
  const studies = localStudies({ storeDir: root, baseDir: loaded.baseDir, warn });

  const config = request.HyperParameterTuningJobConfig;
  const objective = config.HyperParameterTuningJobObjective;
  io.stdout.write(
    `sagetune: study ${name}${engine === 'native' ? ' (SageMaker tuning job)' : sagemakerTrials ? ' (SageMaker training jobs)' : ''}: ${config.Strategy} search to ${objective?.Type === 'Maximize' ? 'maximize' : 'minimize'} ${objective?.MetricName ?? 'the objective'}, ` +
      `${config.ResourceLimits.MaxNumberOfTrainingJobs ?? 'unlimited'} trials, ${effectiveParallel(request)} in parallel; folder ${show(dir)}\n`,
  );

  let handle: InProcessStudyHandle | undefined;
  let interrupts = 0;
  // The exit code tells what stopped the run: 130 for Ctrl-C (SIGINT), 143 for SIGTERM (kill, a service manager).
  let stopCode: number = EXIT.interrupted;
  // SageMaker training jobs are paid work: the first signal detaches (they keep running and are adopted with their
  // results on resume); a second one within the grace period stops them. Local processes are stopped at once.
  let stopDetached: (() => void) | undefined;
  let stopJobs = false;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    interrupts++;
    if (signal === 'SIGTERM') stopCode = EXIT.terminated;
    const what = signal === 'SIGTERM' ? 'terminated (SIGTERM)' : 'interrupted';
    const again = signal === 'SIGTERM' ? 'a second signal' : 'Ctrl-C again';
    if (interrupts === 1) {
      display.print(
        engine === 'native'
          ? `${what}: the SageMaker tuning job keeps running; run the same command again to follow it (${again} quits at once)`
          : sagemakerTrials
            ? `${what}: detaching; the running SageMaker training jobs keep running and are adopted, with their results, when you run the same command again. ` +
              `To stop them: sagetune stop ${name}${options.storeDir ? ` --store-dir ${options.storeDir}` : ''} (or ${again} within ${graceSeconds(io)} s)`
            : `${what}: stopping the running trials; run the same command again to resume (${again} quits at once)`,
      );
      handle?.interrupt(new Error(signal === 'SIGTERM' ? 'terminated by SIGTERM' : 'interrupted by the user'));
    } else if (sagemakerTrials && !stopJobs) {
      stopJobs = true;
      display.print('stopping the running SageMaker training jobs; the study stays resumable');
      stopDetached?.();
    } else {
      display.close();
      io.stderr.write('sagetune: quit at once; the running trials may still be running and are adopted or run again on resume\n');
      io.exit(stopCode);
    }
  };
  const removers = [io.onSignal('SIGINT', () => onSignal('SIGINT')), io.onSignal('SIGTERM', () => onSignal('SIGTERM'))];

  let latest: Study | undefined;
  let result: InProcessRunResult | undefined;
  try {
    await studies.storeFor(request).read(name).then((found) => found && display.update(found.value), () => undefined); // a resumed study's counts at once
    const onEvent = (event: StudyEvent): void => {
      if (event.type === 'study-started' && event.resumed) {
        const trials = latest?.trials ?? [];
        const completed = trials.filter((t) => t.status === 'Completed').length;
        const trialCount = `${trials.length} trial${trials.length === 1 ? '' : 's'}`;
        const ended = latest && isTerminal(latest.status) ? latest.status : undefined;
        display.print(
          ended
            ? `the study already ended (${ended}) with ${trialCount} (${completed} completed); nothing to run${options.fresh ? '' : ' (--fresh runs it afresh)'}`
            : `resuming the study: ${trialCount} so far (${completed} completed) are kept`,
        );
      }
      display.event(event);
    };
    handle = await studies.start(request, {
      ifExists: options.fresh ? 'afresh' : 'resume',
      onEvent,
      onChange: (study) => {
        latest = study;
        display.update(study);
      },
      onInterrupt: () => (sagemakerTrials && !stopJobs ? 'detach' : 'pause'),
    });
    if (interrupts > 0) handle.interrupt(new Error('interrupted by the user'));
    result = await handle.finished();
    if (result?.interrupted && sagemakerTrials && !stopJobs && result.study.trials.some((t) => t.status === 'InProgress' && t.launchedAt)) {
      // The detach grace period: a second signal stops the jobs now.
      await new Promise<void>((resolveWait) => {
        stopDetached = resolveWait;
        setTimeout(resolveWait, graceSeconds(io) * 1000).unref();
      });
    }
    if (result?.interrupted && stopJobs) result = { ...result, study: (await studies.pause(request)) ?? result.study };
  } catch (error) {
    // A run that stopped before creating its study (a failed warm start, a request mismatch) leaves no empty folder
    // behind. rmdir removes the folder only if nothing is in it.
    if (latest === undefined) await rmdir(dir).catch(() => undefined);
    throw error;
  } finally {
    display.close();
    for (const remove of removers) remove();
  }
  const study = result?.study ?? latest!;

  let reportFile: string | undefined;
  if (options.report !== false) {
    reportFile = join(dir, 'report.html');
    await writeOutputFile(reportFile, renderHtmlReport(study, { now: io.now(), location: dir }));
  }
  io.stdout.write(`\n${finalSummary(study, io.now(), dir, reportFile)}`);
  if (result?.interrupted) {
    const detached = sagemakerTrials && !stopJobs && study.trials.some((t) => t.status === 'InProgress' && t.launchedAt);
    io.stdout.write(
      detached
        ? `Detached: the running training jobs go on; run the same command again to adopt them, or sagetune stop ${name}${options.storeDir ? ` --store-dir ${options.storeDir}` : ''} to stop them.\n`
        : `${stopCode === EXIT.terminated ? 'Terminated' : 'Interrupted'}: run the same command again to resume.\n`,
    );
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
