/**
 * The study model's helpers: job names, the budget and runtime a study has used, the best trial, and the
 * operations a runner performs outside the tick (create or resume, request a stop, pause on interruption).
 */
import type { ObjectiveType } from '../core/types';
import { StudyConflictError, StudyError, StudyRequestMismatchError } from './errors';
import type { TuningRequest } from './request';
import { ellipsize } from './text';
import type { Clock, Study, StudyStatus, StudyStore, Trial, TrialBackend, Versioned } from './types';
import { resolveWarmStart } from './warm-start';

/** Statuses after which a study never changes again. */
export const TERMINAL_STATUSES: readonly StudyStatus[] = ['Completed', 'Failed', 'Stopped'];

export function isTerminal(status: StudyStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The training job name of a trial attempt: `<study>-<trial, 3 digits or more>` for the first attempt and
 * `<study>-<trial>-<attempt>` for a retry or a re-run after an interruption. At most 32 + 1 + 6 + 1 + 2 characters,
 * within SageMaker's 63; deterministic, so a repeated launch finds (adopts) the job it already started.
 */
export function trialJobName(study: string, trialNumber: number, attempt = 0): string {
  const base = `${study}-${String(trialNumber).padStart(3, '0')}`;
  return attempt > 0 ? `${base}-${attempt}` : base;
}

/** The objective direction of a study. */
export function objectiveType(study: Study): ObjectiveType {
  return study.request.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective?.Type ?? 'Minimize';
}

/** Whether `a` is strictly better than `b`. */
export function better(a: number, b: number, type: ObjectiveType): boolean {
  return type === 'Maximize' ? a > b : a < b;
}

function hasObjective(trial: Trial): trial is Trial & { objective: number } {
  return typeof trial.objective === 'number' && Number.isFinite(trial.objective);
}

/** Trials that completed with an objective, in the order they ended (then by number). */
export function completedTrials(study: Study): (Trial & { objective: number })[] {
  return study.trials
    .filter((t): t is Trial & { objective: number } => t.status === 'Completed' && hasObjective(t))
    .sort((a, b) => (a.endedAt ?? '').localeCompare(b.endedAt ?? '') || a.number - b.number);
}

/** The best completed trial (the earliest on ties), if any. */
export function bestCompletedTrial(study: Study): (Trial & { objective: number }) | undefined {
  const type = objectiveType(study);
  let best: (Trial & { objective: number }) | undefined;
  for (const t of [...study.trials].sort((a, b) => a.number - b.number)) {
    if (t.status === 'Completed' && hasObjective(t) && (best === undefined || better(t.objective, best.objective, type))) best = t;
  }
  return best;
}

/** Seconds the study has been driven by a runner (time while no runner drives it does not count). */
export function activeRuntimeSeconds(study: Study, now: number): number {
  const since = study.activeSince ? Date.parse(study.activeSince) : undefined;
  return (study.activeSeconds ?? 0) + (since !== undefined ? Math.max(0, (now - since) / 1000) : 0);
}

/** Ends the current session's runtime accounting (a pause, or the end of the study): its seconds are kept. */
export function closeSession(study: Study, now: number): void {
  study.activeSeconds = activeRuntimeSeconds(study, now);
  delete study.activeSince;
}

/**
 * A reason cut to its first clause (up to the first "; " or line break, at most 160 characters), for the places that repeat a study's reason: the trials
 * it stops and the progress line that announces it. A short one-clause reason comes back unchanged; the whole of a
 * long one (tracebacks and all) stays with the study.
 */
export function briefReason(reason: string): string {
  const text = reason.trim();
  const clause = text.split(/; |\n/)[0].trim();
  const cut = ellipsize(clause, 160);
  return cut.length < text.length && !cut.endsWith('…') ? `${cut}…` : cut;
}

/** Trials that can run at once: {@link maxParallel}, and never more than the trial budget. */
export function effectiveParallel(request: TuningRequest): number {
  const budget = request.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs;
  return budget !== undefined ? Math.min(maxParallel(request), budget) : maxParallel(request);
}

/** Parallel trials allowed: `ResourceLimits.MaxParallelTrainingJobs`, capped by `Sagetune.Local.MaxParallel` for local trials. */
export function maxParallel(request: TuningRequest): number {
  const limit = request.HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs;
  const local = request.Sagetune.Backend === 'local' ? request.Sagetune.Local?.MaxParallel : undefined;
  return local !== undefined ? Math.min(limit, local) : limit;
}

/** Marks a trial to run again under the same number with a new job name (an interruption or a retried failure). */
export function requeueTrial(studyName: string, trial: Trial, reason: string, now: string): void {
  trial.previousAttempts = [...(trial.previousAttempts ?? []), { jobName: trial.jobName, reason, endedAt: now }];
  const attempt = (trial.attempt ?? 0) + 1;
  trial.attempt = attempt;
  trial.jobName = trialJobName(studyName, trial.number, attempt);
  trial.status = 'InProgress';
  delete trial.launchedAt;
  delete trial.stopRequestedAt;
  delete trial.stopReason;
  delete trial.interrupting;
  delete trial.startedAt;
  delete trial.objectiveSeries;
  delete trial.finalMetrics;
  // Trained again from the start: Hyperband judges it again at every rung, in its bracket.
  if (trial.hyperband) trial.hyperband = { bracket: trial.hyperband.bracket };
  delete trial.backendData;
}

// ---------------------------------------------------------------------------------------------------------------
// Request comparison (resume)

/**
 * Fields of `Sagetune` that may change between two sessions of one study (they pace the run; they do not change
 * the experiment). The new values are used.
 */
export const RUNTIME_KNOBS = ['PollIntervalSeconds', 'StudyDirectory'] as const;

function comparable(request: TuningRequest): unknown {
  const copy = structuredClone(request) as TuningRequest & { Sagetune: Record<string, unknown> };
  for (const knob of RUNTIME_KNOBS) delete copy.Sagetune[knob];
  if (copy.Sagetune.Local) delete (copy.Sagetune.Local as Record<string, unknown>).MaxParallel;
  return copy;
}

function diff(a: unknown, b: unknown, path: string, out: { path: string; stored: unknown; requested: unknown }[]): void {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) diff(a[k], b[k], Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: path || '(root)', stored: a, requested: b });
}

/** Where two requests differ, ignoring {@link RUNTIME_KNOBS} and `Sagetune.Local.MaxParallel`. */
export function requestDifferences(stored: TuningRequest, requested: TuningRequest): { path: string; stored: unknown; requested: unknown }[] {
  const out: { path: string; stored: unknown; requested: unknown }[] = [];
  diff(comparable(stored), comparable(requested), '', out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Operations outside the tick

/** A fresh study for a request (no trials yet). Warm-start parents are read from `store`. */
export async function newStudy(request: TuningRequest, store: StudyStore, now: number): Promise<Study> {
  const warmStartTrials = await resolveWarmStart(request, store);
  return {
    schemaVersion: 1,
    name: request.HyperParameterTuningJobName,
    request,
    status: 'InProgress',
    createdAt: iso(now),
    trials: [],
    ...(warmStartTrials.length > 0 ? { warmStartTrials } : {}),
    activeSeconds: 0,
    activeSince: iso(now),
  };
}

/** What {@link openStudy} did. */
export interface OpenedStudy extends Versioned<Study> {
  /** True when the study existed (a resume), false when it was created. */
  readonly resumed: boolean;
}

/**
 * Creates the study of a request, or resumes the existing one of that name: throws
 * {@link StudyRequestMismatchError} when the stored request differs (beyond {@link RUNTIME_KNOBS}). On resume the
 * runtime of a session that crashed is counted up to its last tick, the new session starts now, and the run-time
 * knobs take their new values. A study that has ended is returned as it is.
 */
export async function openStudy(request: TuningRequest, store: StudyStore, clock: Clock): Promise<OpenedStudy> {
  const name = request.HyperParameterTuningJobName;
  for (let attempt = 0; ; attempt++) {
    const existing = await store.read(name);
    const now = clock.now();
    if (!existing) {
      const study = await newStudy(request, store, now);
      try {
        const version = await store.write(study);
        return { value: study, version, resumed: false };
      } catch (error) {
        if (error instanceof StudyConflictError && attempt < 3) continue; // created meanwhile: resume it
        throw error;
      }
    }
    const study = existing.value;
    const differences = requestDifferences(study.request, request);
    if (differences.length > 0) throw new StudyRequestMismatchError(name, differences);
    if (isTerminal(study.status)) return { ...existing, resumed: true };
    startSession(study, now);
    study.request = { ...study.request, Sagetune: { ...study.request.Sagetune, ...pick(request.Sagetune) } };
    try {
      const version = await store.write(study, existing.version);
      return { value: study, version, resumed: true };
    } catch (error) {
      if (error instanceof StudyConflictError && attempt < 3) continue;
      throw error;
    }
  }
}

/**
 * Starts a new runtime session of a study that a new runner takes over. A previous session that ended without
 * pausing (its runner was killed) counts its runtime up to its last tick.
 */
export function startSession(study: Study, now: number): void {
  if (study.activeSince) {
    const since = Date.parse(study.activeSince);
    const last = study.lastTickAt ? Date.parse(study.lastTickAt) : since;
    study.activeSeconds = (study.activeSeconds ?? 0) + Math.max(0, (last - since) / 1000);
  }
  study.activeSince = iso(now);
  delete study.pausedAt;
}

/**
 * Reopens an ended study so that it runs the rest of its budget: a study stopped by mistake, or one that failed for a
 * cause outside its trials that has since been fixed. Its trials are kept; its end is cleared and a new runtime
 * session starts now. A study that failed because its first trials failed fails again at the next tick, for the
 * same reason, unless a trial has completed since. Returns a new object.
 * @throws StudyError for a study that has not ended, that completed (tune further with a warm start from it), or
 *   that SageMaker's tuning job ran (a stopped tuning job cannot be restarted).
 */
export function reopenStudy(input: Study, now: number): Study {
  if (!isTerminal(input.status)) throw new StudyError(`Study ${input.name} has not ended (it is ${input.status}): there is nothing to reopen`);
  if (input.status === 'Completed') {
    throw new StudyError(`Study ${input.name} completed: to tune further, start a new study whose WarmStartConfig names it as a parent`);
  }
  if (input.native) {
    throw new StudyError(
      `Study ${input.name} was run by SageMaker's tuning job ${input.native.tuningJobName}, which cannot be restarted: start a new study whose WarmStartConfig names that tuning job`,
    );
  }
  const study = structuredClone(input);
  study.status = 'InProgress';
  delete study.statusReason;
  delete study.endedAt;
  delete study.ending;
  startSession(study, now);
  return study;
}

function pick(options: TuningRequest['Sagetune']): Partial<TuningRequest['Sagetune']> {
  const out: Partial<TuningRequest['Sagetune']> = {};
  for (const knob of RUNTIME_KNOBS) if (options[knob] !== undefined) (out as Record<string, unknown>)[knob] = options[knob];
  if (options.Local) out.Local = options.Local;
  return out;
}

/**
 * Asks a study to stop (what `sagetune stop` and the SDK call). Sets status `Stopping`; the next tick stops the
 * running trials and ends the study `Stopped`. Retries on a conflicting write. Returns the study as written, or as
 * found when it had already ended.
 */
export async function requestStop(store: StudyStore, name: string, reason = 'Stopped by request'): Promise<Study | undefined> {
  return update(store, name, (study) => {
    if (isTerminal(study.status) || study.status === 'Stopping') return false;
    study.status = 'Stopping';
    study.ending = { status: 'Stopped', reason };
  });
}

/** Reason recorded on the attempts of trials interrupted with their runner. */
export const INTERRUPTED_REASON = 'Interrupted: the runner was stopped; run again on resume';

/**
 * Reads, changes and writes a study, retrying on a lost race. `change` returns false to leave the study as it is
 * (nothing is written). Returns the study as written or read (undefined when absent).
 */
async function update(store: StudyStore, name: string, change: (study: Study) => void | false): Promise<Study | undefined> {
  for (let attempt = 0; ; attempt++) {
    const current = await store.read(name);
    if (!current) return undefined;
    const study = current.value;
    if (change(study) === false) return study;
    try {
      await store.write(study, current.version);
      return study;
    } catch (error) {
      if (error instanceof StudyConflictError && attempt < 10) continue;
      throw error;
    }
  }
}

/**
 * Pauses a study whose runner is interrupted (Ctrl-C): stops its running trials and records each to run again,
 * under the same trial number and a new job name, when the study is resumed. Interrupted trials therefore use no
 * budget (MaxNumberOfTrainingJobs counts trial numbers) and no retry attempt; the work they had done is lost.
 * The study stays `InProgress` with `pausedAt` set; its runtime stops counting until it is resumed.
 *
 * Crash-safe like the tick: the intent is written first (each running trial marked `interrupting`, with a stop
 * request), then the trials are stopped, then they are requeued. A pause cut short anywhere is completed by the
 * next tick: it stops the marked trials again and requeues them when the backend reports them ended.
 */
export async function pauseStudy(store: StudyStore, backend: TrialBackend, name: string, clock: Clock): Promise<Study | undefined> {
  const marked = await update(store, name, (study) => {
    if (isTerminal(study.status)) return;
    const now = clock.now();
    // Paused already (a second pause, e.g. a second Ctrl-C): its unlaunched trials were requeued by the first and no
    // launch can be in flight, so only launched ones (adopted jobs) are stopped.
    const alreadyPaused = study.pausedAt !== undefined && study.activeSince === undefined;
    for (const trial of study.trials) {
      if (trial.status !== 'InProgress' || (alreadyPaused && !trial.launchedAt)) continue;
      trial.interrupting = true;
      trial.stopRequestedAt = trial.stopRequestedAt ?? iso(now);
      trial.stopReason = INTERRUPTED_REASON;
    }
    closeSession(study, now);
    study.pausedAt = iso(now);
  });
  if (!marked || isTerminal(marked.status)) return marked;
  const running = marked.trials.filter((t) => t.status === 'InProgress' && t.interrupting);
  await Promise.all(running.map((t) => backend.stop(marked, t, 'Interrupted: the runner was stopped')));
  return update(store, name, (study) => {
    const now = iso(clock.now());
    for (const trial of study.trials) {
      if (trial.status !== 'InProgress' || !trial.interrupting) continue;
      trial.interruptions = (trial.interruptions ?? 0) + 1;
      requeueTrial(study.name, trial, INTERRUPTED_REASON, now);
    }
  });
}
