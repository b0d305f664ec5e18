/**
 * `sagetune status <study>`: a study's status, counters, best trial and who runs it, on this machine or on a
 * deployed stack; `--watch` follows it to its end with the live display of `run`.
 */
import { formatDuration, formatHyperParameters, formatNumber, formatTimestamp } from '../report/format';
import { hyperParameterNames, summarizeStudy, trialRows } from '../report/rows';
import type { InProcessStudyHandle } from '../sdk/local';
import { isTerminal } from '../study/study';
import type { Study } from '../study/types';
import { EXIT } from './errors';
import type { CliIo } from './io';
import { followStudy } from './follow';
import { isDeployed, openStudy, type TargetOptions } from './target';

type RunnerState = 'driven' | 'paused' | 'gone';

/**
 * `Running:` lines of a status: the trials in progress with how long they have run. Without a runner nothing watches
 * them. A paused study stopped them: `Waiting:`, to run again when the study resumes. A runner that died (kill -9, a
 * crash, a detach) left them as they were: `Unwatched:`, still running as far as anyone knows, adopted when the
 * study resumes.
 */
export function runningLines(study: Study, now: number, runner: RunnerState): string[] {
  const rows = trialRows(study, { now }).filter((r) => r.status === 'InProgress');
  if (rows.length === 0) return [];
  const names = hyperParameterNames(study);
  const label = { driven: 'Running:   ', paused: 'Waiting:   ', gone: 'Unwatched: ' }[runner];
  const launched = new Set(study.trials.filter((t) => t.launchedAt).map((t) => t.number));
  const state = (r: (typeof rows)[number]): string => {
    if (runner === 'paused') return ' (resumes with the study)';
    if (r.durationSeconds === undefined && launched.has(r.trial)) return runner === 'gone' ? ' (launched, not training yet; adopted when the study resumes)' : ' (launched, not training yet)';
    if (r.durationSeconds === undefined) return runner === 'gone' ? ' (not started; starts when the study resumes)' : ' (not started yet)';
    return ` for ${formatDuration(r.durationSeconds)}${runner === 'gone' ? ' (adopted when the study resumes)' : ''}`;
  };
  return rows.map((r, i) => `${i === 0 ? label : ' '.repeat(label.length)} trial ${r.trial}${state(r)}  ${formatHyperParameters(r, names)}`);
}

/** Runs the `status` command; returns the exit code. */
export async function statusCommand(
  ref: string,
  opts: TargetOptions & { json?: boolean; watch?: boolean; pollSeconds?: number; progress?: 'auto' | 'on' | 'off' },
  io: CliIo,
): Promise<number> {
  const out = (text: string): void => void io.stdout.write(text);
  const { handle, study, location, targetArgs } = await openStudy(ref, opts);
  if (opts.watch && !isTerminal(study.status)) return followStudy(handle, io, { progress: opts.progress ?? 'auto', deployed: isDeployed(opts), ...(opts.pollSeconds ? { pollSeconds: opts.pollSeconds } : {}) });
  const open = !isTerminal(study.status);
  const now = io.now();
  const s = summarizeStudy(study, now);
  let runnerState: RunnerState;
  let runnerInfo: Record<string, unknown>;
  let whoLine: string;
  if (isDeployed(opts)) {
    const execution = (await handle.describe()).execution;
    const driven = open && execution?.status === 'RUNNING';
    runnerState = driven ? 'driven' : 'gone';
    runnerInfo = { execution: execution ?? null };
    whoLine = `Execution:  ${execution ? `${execution.arn} (${execution.status ?? 'unknown'})` : 'none'}`;
  } else {
    // A study in progress is driven by a runner holding its lock, or by SageMaker (native engine); otherwise it
    // waits (paused) or its runner is gone. Times run on the real clock, as in results and the report.
    const runner = open && !study.native ? await (handle as InProcessStudyHandle).store.runner(study.name) : undefined;
    const driven = open && (study.native !== undefined || runner !== undefined);
    runnerState = driven ? 'driven' : study.pausedAt ? 'paused' : 'gone';
    runnerInfo = open ? { driven, runner: runner ?? null } : {};
    whoLine = `Folder:     ${location}`;
  }
  if (opts.json) {
    out(`${JSON.stringify({ ...s, ...(isDeployed(opts) ? { location } : { folder: location }), TrainingJobStatusCounters: s.counters, ...runnerInfo }, null, 2)}\n`);
    return EXIT.ok;
  }
  const c = s.counters;
  const again = `run its request again to resume${isDeployed(opts) ? ` (sagetune start <request.json>${targetArgs}, with "Sagetune": {"Resume": true} once it ended)` : ''}`;
  const paused = !open || runnerState === 'driven'
    ? ''
    : study.pausedAt
      ? ` (paused ${formatTimestamp(study.pausedAt)}; ${again})`
      : ` (no runner since ${formatTimestamp(study.lastTickAt ?? study.createdAt)}; ${again})`;
  const lines = [
    `Study ${s.name}: ${s.status}${paused}${s.statusReason ? ` - ${s.statusReason}` : ''}`,
    `Objective:  ${s.objective.type === 'Maximize' ? 'maximize' : 'minimize'} ${s.objective.metricName} (${s.strategy})`,
    `Trials:     ${s.trials}${s.maxTrials ? ` of ${s.maxTrials}` : ''}`,
    `Counters:   Completed ${c.Completed}, InProgress ${c.InProgress}, RetryableError ${c.RetryableError}, NonRetryableError ${c.NonRetryableError}, Stopped ${c.Stopped}`,
    s.best
      ? `Best:       trial ${s.best.trial}, ${s.objective.metricName} = ${formatNumber(s.best.objective as number)}  ${formatHyperParameters(s.best, hyperParameterNames(study))}`
      : 'Best:       no trial completed yet',
    ...runningLines(study, now, runnerState),
    `Started:    ${formatTimestamp(s.createdAt)}${s.endedAt ? `, ended ${formatTimestamp(s.endedAt)}` : ''} (${formatDuration(s.elapsedSeconds)})`,
    ...(isDeployed(opts) ? [`Location:   ${location}`] : []),
    whoLine,
  ];
  out(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
