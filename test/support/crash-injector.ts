/**
 * Crash injection for the crash-safety tests: counts the calls a runner or handler makes to its study store and its
 * backend, and throws {@link InjectedCrash} at one of them, before the call takes effect or after it took effect but
 * before the caller sees its result (a process killed at that line).
 */
import type { Study, StudyStore, TrialBackend } from '../../src/study/types';

export class InjectedCrash extends Error {
  constructor(readonly call: number) {
    super(`injected crash at call ${call}`);
    this.name = 'InjectedCrash';
  }
}

export type When = 'before' | 'after';

/** Throws at call number `at` (never when `at` is 0), counting only while `armed()` holds. */
export class Injector {
  calls = 0;
  crashed = false;
  readonly log: string[] = [];
  constructor(
    private readonly at: number,
    private readonly when: When,
    private readonly armed: () => boolean = () => true,
  ) {}

  async around<T>(what: string, call: () => Promise<T>): Promise<T> {
    if (!this.armed()) return call();
    this.calls++;
    this.log.push(what);
    const here = this.calls === this.at;
    if (here && this.when === 'before') {
      this.crashed = true;
      throw new InjectedCrash(this.calls);
    }
    const result = await call();
    if (here) {
      this.crashed = true;
      throw new InjectedCrash(this.calls);
    }
    return result;
  }

  store(inner: StudyStore): StudyStore {
    return {
      read: (name) => this.around('store.read', () => inner.read(name)),
      write: (study, version) => this.around('store.write', () => inner.write(study, version)),
      list: () => this.around('store.list', () => inner.list()),
      ...(inner.acquireLock ? { acquireLock: inner.acquireLock.bind(inner) } : {}),
    };
  }

  backend(inner: TrialBackend): TrialBackend {
    return {
      launch: (spec) => this.around('backend.launch', () => inner.launch(spec)),
      poll: (study, trials) => this.around('backend.poll', () => inner.poll(study, trials)),
      stop: (study, trial, reason) => this.around('backend.stop', () => inner.stop(study, trial, reason)),
    };
  }
}

/** What a crash must not change: the study's outcome and every trial's configuration, attempts, result and times. */
export function studyOutcome(study: Study): unknown {
  return {
    status: study.status,
    statusReason: study.statusReason,
    trials: study.trials.map((t) => ({
      number: t.number,
      hyperParameters: t.hyperParameters,
      status: t.status,
      objective: t.objective,
      jobName: t.jobName,
      attempt: t.attempt,
      retries: t.retries,
      startedAt: t.startedAt,
      endedAt: t.endedAt,
      failureReason: t.failureReason,
      stopReason: t.stopReason,
      series: t.objectiveSeries,
    })),
  };
}
