/**
 * Studies run by this program: the trials are local processes or SageMaker training jobs (or SageMaker's own tuning
 * job, for the native engine), driven in-process, with each study in a folder (`.sagetune/studies/<name>/`). This
 * is what `sagetune run` does, as a library.
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LocalBackend } from '../backends/local';
import { isTerminal } from '../study';
import type { StudyEvent } from '../study/events';
import type { TuningRequest } from '../study/request';
import { runStudy, type RunStudyResult } from '../study/runner';
import { DEFAULT_STUDY_ROOT, FileStudyStore } from '../study/store/file-store';
import { pauseStudy, requestDifferences, requestStop } from '../study/study';
import { StudyRequestMismatchError } from '../study/errors';
import { systemClock, type Study, type StudyLock, type StudyStore, type TrialBackend, type Versioned } from '../study/types';
import { ConflictError, NotFoundError, fromStudyError } from './errors';
import { StoredStudyHandle } from './handle';
import { checkRequest } from './request';
import type { StartOptions, Studies, StudyDescription, StudyHandle, StudySummary, WaitOptions } from './types';

/** Options of {@link localStudies}. */
export interface LocalStudiesOptions {
  /** Folder of the studies. @default a request's `Sagetune.StudyDirectory`, else `.sagetune/studies` (relative to the working directory) */
  readonly storeDir?: string;
  /** Folder that relative paths of a request's local command and channels resolve against. @default the working directory */
  readonly baseDir?: string;
  /** AWS region of SageMaker trials. @default - the AWS SDK's resolution (AWS_REGION, the profile) */
  readonly region?: string;
  /** Where warnings go (an instance quota reached, throttling). @default console.warn */
  readonly warn?: (message: string) => void;
}

/** Options of an in-process start. */
export interface LocalStartOptions extends StartOptions {
  /** Progress events of the run, as they happen (launches, completions, the best so far, ...). */
  readonly onEvent?: (event: StudyEvent) => void;
  /** The study whenever the run reads or writes it (for a live display). */
  readonly onChange?: (study: Study) => void;
  /**
   * What {@link InProcessStudyHandle.interrupt} does to the running trials: `pause` stops them (they run again on
   * resume), `detach` leaves them running (adopted, with their results, on resume). Asked when it happens.
   * @default () => 'pause' for local processes, 'detach' for SageMaker training jobs
   */
  readonly onInterrupt?: () => 'pause' | 'detach';
}

/** A store that shows every study it reads or writes to a listener. */
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

/** The result of an in-process run. */
export interface InProcessRunResult {
  readonly study: Study;
  /** True when the study existed and was resumed. */
  readonly resumed: boolean;
  /** True when {@link InProcessStudyHandle.interrupt} ended the run before the study did. */
  readonly interrupted: boolean;
}

/** A study in a folder on this machine, run (or not) by this program. */
export class InProcessStudyHandle extends StoredStudyHandle {
  protected readonly defaultPollSeconds = 1;
  private readonly changed = new Set<() => void>();

  constructor(
    name: string,
    readonly store: FileStudyStore,
    private readonly studies: LocalStudies,
    private readonly run?: { readonly promise: Promise<InProcessRunResult>; readonly controller: AbortController },
  ) {
    super(name);
  }

  /** The study's folder. */
  get folder(): string {
    return this.store.studyDirectory(this.name);
  }

  async study(): Promise<Study> {
    const found = await this.store.read(this.name);
    if (!found) throw new NotFoundError(`No study named ${this.name} in ${this.store.root}`);
    return found.value;
  }

  protected async where(): Promise<{ runner: 'in-process'; location: string }> {
    return { runner: 'in-process', location: this.folder };
  }

  /** The in-process run's result (its study, and whether it was interrupted); undefined for an attached study. */
  async finished(): Promise<InProcessRunResult | undefined> {
    return this.run?.promise;
  }

  /** Ends this program's run of the study early (see {@link LocalStartOptions.onInterrupt}); the study is resumable. */
  interrupt(reason: unknown = new Error('interrupted')): void {
    this.run?.controller.abort(reason);
  }

  /** Called by the run when the study changes (wakes a waiting `wait`). */
  notify(): void {
    for (const f of [...this.changed]) f();
  }

  override async wait(options: WaitOptions = {}): Promise<StudyDescription> {
    const run = this.run;
    if (!run) return super.wait(options);
    let settled = false;
    let failure: unknown;
    run.promise.then(
      () => (settled = true),
      (error: unknown) => {
        settled = true;
        failure = error;
      },
    );
    let last = '';
    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason;
      const description = await this.describe();
      const key = JSON.stringify({ ...description, elapsedSeconds: 0, trainingSeconds: 0 });
      if (key !== last) {
        last = key;
        options.onProgress?.(description);
      }
      if (settled && failure !== undefined) throw failure;
      // The run ended (the study did, or the run was interrupted): nothing will change here any more. A study that has
      // ended is waited for until its run has let it go (its lock released).
      if (settled) return description;
      if (isTerminal(description.status)) {
        await run.promise.then(
          () => undefined,
          () => undefined,
        );
        continue;
      }
      await new Promise<void>((resolveWait, rejectWait) => {
        const done = (): void => {
          this.changed.delete(done);
          options.signal?.removeEventListener('abort', aborted);
          resolveWait();
        };
        const aborted = (): void => {
          this.changed.delete(done);
          rejectWait(options.signal?.reason);
        };
        this.changed.add(done);
        options.signal?.addEventListener('abort', aborted, { once: true });
        run.promise.then(done, done);
      });
    }
  }

  /**
   * Stops the study: it ends `Stopped` once its running trials are stopped. When this program runs it, its run does
   * so; when nothing runs it, this call resumes it to stop the trials and returns when the study has stopped; when
   * another program runs it, that program stops it.
   */
  async stop(reason = 'Stopped by request'): Promise<void> {
    const stored = await this.study();
    if (isTerminal(stored.status)) return;
    await requestStop(this.store, this.name, reason);
    if (this.run) return;
    try {
      await this.studies.drive(stored.request, this.store);
    } catch (error) {
      if ((error as Error).name === 'StudyLockedError') return; // another runner drives it: it stops it
      throw fromStudyError(error);
    }
  }
}

/** Studies in a folder on this machine. */
export class LocalStudies implements Studies {
  constructor(private readonly options: LocalStudiesOptions = {}) {}

  /** The store of a study folder. */
  storeFor(request?: TuningRequest): FileStudyStore {
    return new FileStudyStore({ root: resolve(this.options.storeDir ?? request?.Sagetune.StudyDirectory ?? DEFAULT_STUDY_ROOT) });
  }

  /**
   * Starts (or resumes) a study and runs it in this process, in the background: the handle's `wait` follows it.
   * @throws RequestInvalidError (every problem of the request), ConflictError (another request under that name, or
   *   another runner), before anything runs.
   */
  async start(request: unknown, options: LocalStartOptions = {}): Promise<InProcessStudyHandle> {
    let checked: TuningRequest;
    try {
      checked = checkRequest(request, { source: 'the request', baseDir: resolve(this.options.baseDir ?? process.cwd()) });
    } catch (error) {
      throw fromStudyError(error);
    }
    const files = this.storeFor(checked);
    const name = checked.HyperParameterTuningJobName;
    if (options.ifExists === 'afresh') await this.removeEnded(files, name, true);
    const existing = (await files.read(name).catch((e: unknown) => Promise.reject(fromStudyError(e))))?.value;
    if (existing) {
      const differences = requestDifferences(existing.request, checked);
      if (differences.length > 0) throw fromStudyError(new StudyRequestMismatchError(name, differences));
      const runner = await files.runner(name);
      if (runner) throw new ConflictError(`Study ${name} is already run by process ${runner.pid} on ${runner.host} (since ${runner.acquiredAt})`);
    }
    const controller = new AbortController();
    // The run reports changes from its first read, before the handle exists.
    const made: { handle?: InProcessStudyHandle } = {};
    const store = new ObservedStore(files, (study) => {
      options.onChange?.(study);
      made.handle?.notify();
    });
    const onInterrupt = options.onInterrupt ?? (() => (checked.Sagetune.Backend === 'sagemaker' ? 'detach' : 'pause'));
    const promise = this.drive(checked, store, { signal: controller.signal, onEvent: options.onEvent, onInterrupt }).catch((error: unknown) => {
      throw fromStudyError(error);
    });
    promise.catch(() => undefined); // observed by wait() and finished(); never an unhandled rejection
    // A run that fails at once (a warm start from a study that does not exist) fails start() itself.
    await Promise.race([promise.then(() => undefined), waitForStudy(files, name)]);
    made.handle = new InProcessStudyHandle(name, files, this, { promise, controller });
    return made.handle;
  }

  /** Runs (or resumes) a study in this process until it ends or `signal` aborts. */
  async drive(
    request: TuningRequest,
    store: StudyStore,
    options: { signal?: AbortSignal; onEvent?: (event: StudyEvent) => void; onInterrupt?: () => 'pause' | 'detach' } = {},
  ): Promise<RunStudyResult> {
    const warn = this.options.warn ?? ((m: string) => console.warn(m));
    if (request.Sagetune.Engine === 'native') {
      const native = await import('../backends/native');
      const result = await native.runNativeStudy({ request, store, engine: new native.NativeTuningEngine({ warn, region: this.options.region }), signal: options.signal, onEvent: options.onEvent });
      return { ...result, resumed: false };
    }
    let backend: TrialBackend;
    if (request.Sagetune.Backend === 'local') {
      backend = new LocalBackend({ baseDir: resolve(this.options.baseDir ?? process.cwd()), studiesDir: this.storeFor(request).root });
    } else {
      backend = (await import('../backends/sagemaker')).createSageMakerBackend({ warn, region: this.options.region });
    }
    return runStudy({ request, store, backend, signal: options.signal, onEvent: options.onEvent, onInterrupt: options.onInterrupt });
  }

  /**
   * Pauses a study no runner drives (its runner was interrupted and left its SageMaker jobs running): stops its
   * running trials, which run again when the study resumes. Returns the study as paused.
   */
  async pause(request: TuningRequest): Promise<Study | undefined> {
    const store = this.storeFor(request);
    if (request.Sagetune.Engine === 'native') return (await store.read(request.HyperParameterTuningJobName))?.value;
    const backend =
      request.Sagetune.Backend === 'local'
        ? new LocalBackend({ baseDir: resolve(this.options.baseDir ?? process.cwd()), studiesDir: store.root })
        : (await import('../backends/sagemaker')).createSageMakerBackend({ warn: this.options.warn ?? ((m: string) => console.warn(m)), region: this.options.region });
    return pauseStudy(store, backend, request.HyperParameterTuningJobName, systemClock);
  }

  async attach(name: string): Promise<InProcessStudyHandle> {
    const store = this.storeFor();
    if (!(await store.read(name))) throw new NotFoundError(`No study named ${name} in ${store.root}`);
    return new InProcessStudyHandle(name, store, this);
  }

  async list(): Promise<StudySummary[]> {
    const store = this.storeFor();
    const out: StudySummary[] = [];
    for (const name of await store.list()) {
      const s = (await store.read(name).catch(() => undefined))?.value;
      if (s) out.push({ name, status: s.status, trials: s.trials.length, createdAt: s.createdAt });
    }
    return out;
  }

  async delete(name: string): Promise<void> {
    await this.removeEnded(this.storeFor(), name, false);
  }

  /**
   * Removes a study's folder, refusing while anything may still run: a runner holding its lock, or a trial launched
   * and not ended (detached SageMaker jobs would be left with no study to adopt them).
   */
  private async removeEnded(store: FileStudyStore, name: string, missingOk: boolean): Promise<void> {
    const found = (await store.read(name).catch(() => undefined))?.value;
    if (!found) {
      if (missingOk) return;
      throw new NotFoundError(`No study named ${name} in ${store.root}`);
    }
    const runner = await store.runner(name);
    if (runner) throw new ConflictError(`Study ${name} is run by process ${runner.pid} on ${runner.host}; stop it first (sagetune stop ${name})`);
    const running = found.trials.filter((t) => t.status === 'InProgress' && t.launchedAt);
    if (!isTerminal(found.status) && running.length > 0) {
      throw new ConflictError(
        `Study ${name} has ${running.length} trial${running.length === 1 ? '' : 's'} that may still run (${running.map((t) => t.jobName).join(', ')}); stop it first (sagetune stop ${name})`,
      );
    }
    await rm(store.studyDirectory(name), { recursive: true, force: true });
  }
}

/** Resolves once the study exists in the store (the run created or opened it). */
async function waitForStudy(store: FileStudyStore, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await store.read(name).catch(() => undefined)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Studies on this machine (`sagetune run` as a library). */
export function localStudies(options: LocalStudiesOptions = {}): LocalStudies {
  return new LocalStudies(options);
}

export type { StudyHandle };
