/**
 * The live progress display of `sagetune run`. On a terminal: one line per event (trial started, completed,
 * failed...) scrolling above a status block redrawn in place (progress bar, counts, best so far with its
 * hyperparameters, elapsed and estimated time left). Elsewhere (CI logs, pipes, files): the same event lines
 * only, each with the counts, and no control characters.
 *
 * The in-place redraw uses Node's own `readline.moveCursor`/`clearScreenDown`: log-update is ESM-only (v6, and
 * v8 needs Node 22) and cli-progress draws bars, not a multi-line status, so a library would not save code here.
 */
import * as readline from 'node:readline';
import type { StudyEvent } from '../study/events';
import type { Study } from '../study/types';
import { activeRuntimeSeconds, briefReason, maxParallel } from '../study/study';
import { formatDuration, formatHyperParameters, formatNumber } from '../report/format';
import { bestTrial, hyperParameterNames, statusCounters, studyObjective, summarizeStudy, trialRows } from '../report/rows';
import { ellipsize } from '../study/text';

/** ANSI styling, or none. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

const ansi = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
export const COLOR: Style = { bold: ansi(1, 22), dim: ansi(2, 22), green: ansi(32, 39), red: ansi(31, 39), yellow: ansi(33, 39) };
export const PLAIN: Style = { bold: (s) => s, dim: (s) => s, green: (s) => s, red: (s) => s, yellow: (s) => s };

/** Strips ANSI escape sequences (to measure and cut lines). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}

/** `m:ss` (or `h:mm:ss`) since the start of the run, for the event lines. */
export function clockLabel(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * Estimated seconds until the study ends by its trial budget: the trials not yet finished, at the mean duration
 * of the finished ones, `parallel` at a time, less the time the running ones have already run; capped by what
 * is left of `MaxRuntimeInSeconds`. Undefined until one trial has finished. A completion criterion may end the
 * study earlier.
 */
export function estimateRemainingSeconds(study: Study, now: number): number | undefined {
  const summary = summarizeStudy(study, now);
  const rows = trialRows(study, { now });
  const finished = rows.filter((r) => r.status !== 'InProgress' && r.durationSeconds !== undefined);
  if (finished.length === 0 || summary.maxTrials === undefined) return undefined;
  const mean = finished.reduce((a, r) => a + (r.durationSeconds as number), 0) / finished.length;
  const running = rows.filter((r) => r.status === 'InProgress');
  const done = rows.length - running.length;
  const toStart = Math.max(0, summary.maxTrials - rows.length);
  const parallel = Math.max(1, maxParallel(study.request));
  const runningLeft = running.reduce((a, r) => a + Math.max(0, mean - (r.durationSeconds ?? 0)), 0);
  let left = (toStart * mean + runningLeft) / parallel;
  if (done >= summary.maxTrials) left = 0;
  if (summary.maxRuntimeSeconds !== undefined) left = Math.min(left, Math.max(0, summary.maxRuntimeSeconds - activeRuntimeSeconds(study, now)));
  return left;
}

/** `8/20 done · 2 running · 1 failed · 0 stopped`. */
export function countsText(study: Study, style: Style = PLAIN): string {
  const c = statusCounters(study);
  const max = study.request.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs;
  const done = c.Completed + c.NonRetryableError + c.Stopped;
  const failed = c.NonRetryableError > 0 ? style.red(`${c.NonRetryableError} failed`) : `${c.NonRetryableError} failed`;
  return `${done}${max ? `/${max}` : ''} done · ${c.InProgress} running · ${failed} · ${c.Stopped} stopped`;
}

/** The best-so-far line: value, trial and hyperparameters. */
export function bestText(study: Study, style: Style = PLAIN): string {
  const best = bestTrial(study);
  if (!best) return style.dim('best: no trial completed yet');
  return `best ${style.bold(formatNumber(best.objective as number))} ${studyObjective(study).metricName} (trial ${best.trial})  ${style.dim(
    formatHyperParameters(best, hyperParameterNames(study)),
  )}`;
}

/** The status block: bar and counts, best so far, elapsed and time left. */
export function statusBlock(study: Study, now: number, style: Style, width: number): string[] {
  const summary = summarizeStudy(study, now);
  const c = summary.counters;
  const lines: string[] = [];
  if (summary.maxTrials) {
    const cells = 24;
    const done = c.Completed + c.NonRetryableError + c.Stopped;
    const full = Math.round((done / summary.maxTrials) * cells);
    const running = Math.min(cells - full, Math.round((c.InProgress / summary.maxTrials) * cells));
    lines.push(`${style.green('█'.repeat(full))}${style.yellow('▒'.repeat(running))}${style.dim('░'.repeat(cells - full - running))} ${countsText(study, style)}`);
  } else {
    lines.push(countsText(study, style));
  }
  lines.push(bestText(study, style));
  const left = estimateRemainingSeconds(study, now);
  lines.push(
    style.dim(
      `elapsed ${formatDuration(activeRuntimeSeconds(study, now))}${left === undefined || left < 1 ? '' : ` · about ${formatDuration(left)} left`} · Ctrl-C pauses (run again to resume)`,
    ),
  );
  return lines.map((l) => fitWidth(l, width));
}

/** Cuts a line (ANSI-styled or not) to `width` visible characters so that it never wraps. */
export function fitWidth(line: string, width: number): string {
  if (stripAnsi(line).length <= width) return line;
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    // eslint-disable-next-line no-control-regex
    const esc = /^\x1b\[[0-9;?]*[A-Za-z]/.exec(line.slice(i));
    if (esc) {
      out += esc[0];
      i += esc[0].length;
      continue;
    }
    if (visible >= width - 1) break;
    out += line[i];
    visible++;
    i++;
  }
  return `${out}…\x1b[0m`;
}

/** One line for an event, or undefined for events that need none. `study` is the latest snapshot. */
export function eventLine(event: StudyEvent, study: Study | undefined, style: Style): string | undefined {
  const names = study ? hyperParameterNames(study) : [];
  const trial = (n: number) => study?.trials.find((t) => t.number === n);
  const metric = study ? studyObjective(study).metricName : 'objective';
  switch (event.type) {
    case 'study-started':
      return undefined;
    case 'trial-launched': {
      const what = event.adopted ? 'adopted (still running)' : event.attempt > 0 ? `started (attempt ${event.attempt + 1})` : 'started';
      return `trial ${event.trial} ${what}  ${style.dim(formatHyperParameters({ hyperParameters: event.hyperParameters }, names.length ? names : Object.keys(event.hyperParameters)))}`;
    }
    case 'trial-completed': {
      const left = study ? estimateRemainingSeconds(study, event.time) : undefined;
      const eta = left === undefined || left < 1 ? '' : ` · about ${formatDuration(left)} left`;
      return `trial ${event.trial} ${style.green('completed')}  ${metric} = ${formatNumber(event.objective)}${study ? `   ${style.dim(`[${countsText(study)}${eta}]`)}` : ''}`;
    }
    case 'trial-failed':
      return `trial ${event.trial} ${style.red('failed')}${event.retrying ? ' (infrastructure error, retrying)' : ''}: ${oneLine(event.reason)}`;
    case 'trial-stopped':
      return `trial ${event.trial} ${style.yellow('stopped')}: ${oneLine(event.reason)}${event.objective !== undefined ? ` (last ${metric} = ${formatNumber(event.objective)})` : ''}`;
    case 'trial-requeued':
      return `trial ${event.trial} will run again: ${oneLine(event.reason)}`;
    case 'tick-deferred':
      return `${style.yellow('AWS is not answering')}: ${oneLine(event.reason)}; trying again in ${formatDuration(event.retryInSeconds)}`;
    case 'best': {
      const t = trial(event.trial);
      return `${style.bold('new best')}: trial ${event.trial}, ${metric} = ${style.bold(formatNumber(event.objective))}${t ? `  ${style.dim(formatHyperParameters(t, names))}` : ''}`;
    }
    case 'study-stopping': {
      const running = study?.trials.filter((t) => t.status === 'InProgress').length ?? 0;
      return `study stopping: ${briefReason(event.reason)}${running > 0 ? ` (waiting for ${running} running trial${running === 1 ? '' : 's'})` : ''}`;
    }
    case 'study-ended':
      // The summary printed at the end gives the whole reason (tracebacks and all); the event line keeps to one line.
      return `study ${event.status}${event.reason ? `: ${oneLine(event.reason)}` : ''}`;
    case 'study-paused':
      return `study paused${event.requeued ? `; ${event.requeued} running trial${event.requeued === 1 ? '' : 's'} stopped, to run again on resume` : ''}`;
    case 'study-detached':
      return `study detached${event.running ? `; ${event.running} running trial${event.running === 1 ? '' : 's'} left running, adopted with their results on resume` : ''}`;
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return ellipsize(flat, 300);
}

/** Where and how the display writes. */
export interface ProgressOptions {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraw the status block in place (a terminal). @default out.isTTY */
  readonly live?: boolean;
  /** ANSI colours. @default live and NO_COLOR unset */
  readonly color?: boolean;
  /** Milliseconds between redraws of the live block (for the clock). @default 1000 */
  readonly refreshMs?: number;
  /**
   * Without a live block: after this many milliseconds with no line printed, print the counts, elapsed and
   * time left (so that a CI log shows the run is alive during long trials). @default 60000
   */
  readonly heartbeatMs?: number;
  readonly now?: () => number;
}

/** The progress display of one run: feed it events and study snapshots; `close()` when the run ends. */
export class ProgressDisplay {
  private readonly out: ProgressOptions['out'];
  private readonly live: boolean;
  private readonly style: Style;
  private readonly now: () => number;
  private readonly start: number;
  private study: Study | undefined;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private closed = false;
  private lastLine: number;

  constructor(options: ProgressOptions) {
    this.out = options.out;
    this.live = options.live ?? options.out.isTTY === true;
    this.style = options.color ?? (this.live && !process.env.NO_COLOR) ? COLOR : PLAIN;
    this.now = options.now ?? Date.now;
    this.start = this.now();
    this.lastLine = this.start;
    if (this.live) {
      this.out.write('\x1b[?25l'); // hide the cursor while the block is redrawn
      this.timer = setInterval(() => this.redraw(), options.refreshMs ?? 1000);
    } else {
      const every = options.heartbeatMs ?? 60_000;
      this.timer = setInterval(() => this.heartbeat(every), Math.max(10, Math.min(every, 5000)));
    }
    this.timer.unref();
  }

  /** A new snapshot of the study (after each write of the tick). */
  update(study: Study): void {
    this.study = study;
    // A tick writes the study several times in a row: redraw once for the burst.
    if (this.live && !this.pending && !this.closed) {
      this.pending = setTimeout(() => {
        this.pending = undefined;
        this.redraw();
      }, 50);
      this.pending.unref();
    }
  }

  /** Prints the line of an event (above the live block). */
  event(event: StudyEvent): void {
    const line = eventLine(event, this.study, this.style);
    if (line !== undefined) this.print(line);
  }

  /** Prints a message line (above the live block). */
  print(line: string): void {
    if (this.closed) {
      this.out.write(`${line}\n`);
      return;
    }
    this.lastLine = this.now();
    const stamp = this.style.dim(`[${clockLabel((this.lastLine - this.start) / 1000).padStart(5)}]`);
    this.clear();
    this.out.write(`${stamp} ${line}\n`);
    this.redraw();
  }

  private heartbeat(every: number): void {
    const now = this.now();
    if (!this.study || now - this.lastLine < every) return;
    const left = estimateRemainingSeconds(this.study, now);
    this.print(
      `still running: ${countsText(this.study, this.style)} · elapsed ${formatDuration(activeRuntimeSeconds(this.study, now))}${
        left === undefined ? '' : ` · about ${formatDuration(left)} left`
      }`,
    );
  }

  /** Removes the live block and restores the cursor. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    if (this.live) {
      this.clear();
      this.out.write('\x1b[?25h');
    }
  }

  private width(): number {
    return Math.max(20, (this.out.columns ?? 100) - 1);
  }

  private clear(): void {
    if (!this.live || this.drawn === 0) return;
    readline.moveCursor(this.out, 0, -this.drawn);
    readline.cursorTo(this.out, 0);
    readline.clearScreenDown(this.out);
    this.drawn = 0;
  }

  private redraw(): void {
    if (!this.live || this.closed || !this.study) return;
    this.clear();
    const lines = statusBlock(this.study, this.now(), this.style, this.width());
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
