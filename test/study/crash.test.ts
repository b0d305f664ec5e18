/**
 * Crash safety: a crash injected at every call the engine makes to the store or the backend (before the call
 * takes effect, and after it took effect but before the engine saw its result), followed by a resume, gives the
 * same trials as an uninterrupted run: no trial launched twice, none lost, the same hyperparameters and results.
 */
import { rm } from 'node:fs/promises';
import { FakeClock, SimulatedBackend, fakeSleep, type SimulatedTrainer } from '../../src/backends/simulated';
import type { TuningRequest } from '../../src/study/request';
import { runStudy } from '../../src/study/runner';
import { FileStudyStore } from '../../src/study/store/file-store';
import { MemoryStudyStore } from '../../src/study/store/memory-store';
import type { Study, StudyStore } from '../../src/study/types';
import { fastTempDir, quadratic, request } from './helpers';
import { InjectedCrash, Injector, studyOutcome, type When } from '../support/crash-injector';

/**
 * Trial 2's first attempt fails (retryable), trial 7 fails; trials 6 and 8 and bad configurations (x >= 0.75) are
 * laggards for early stopping (by number too, so that the scenario does not depend on what the optimizer suggests).
 */
const trainer: SimulatedTrainer = (hp, ctx) => {
  if (ctx.trial === 2 && ctx.attempt === 0) return { durationSeconds: 4, failure: { reason: 'InternalServerError', retryable: true } };
  if (ctx.trial === 7) return { durationSeconds: 6, failure: { reason: 'diverged' } };
  if (Number(hp.x) >= 0.75 || ctx.trial === 6 || ctx.trial === 8) return { durationSeconds: 30, series: [9, 9, 9, 9, 9] };
  return quadratic(hp, ctx);
};

function crashRequest(strategy: 'Random' | 'Bayesian', trials: number): TuningRequest {
  return request({
    HyperParameterTuningJobConfig: {
      Strategy: strategy,
      ResourceLimits: { MaxNumberOfTrainingJobs: trials, MaxParallelTrainingJobs: 3 },
      TrainingJobEarlyStoppingType: 'Auto',
    },
    TrainingJobDefinition: { RetryStrategy: { MaximumRetryAttempts: 2 } },
    // Fewer idle ticks (a read and a poll each) keep the number of crash points, and the test time, down.
    Sagetune: { PollIntervalSeconds: 4 },
  });
}

interface Outcome {
  study: Study;
  launches: string[];
  calls: number;
}

async function scenario(req: TuningRequest, makeStore: () => Promise<StudyStore>, at: number, when: When): Promise<Outcome & { crashed: boolean }> {
  const clock = new FakeClock();
  const store = await makeStore();
  const backend = new SimulatedBackend({ clock, trainer });
  const injector = new Injector(at, when);
  const common = { request: req, clock, sleep: fakeSleep(clock) };
  let crashed = false;
  try {
    await runStudy({ ...common, store: injector.store(store), backend: injector.backend(backend) });
  } catch (error) {
    if (!(error instanceof InjectedCrash)) throw error;
    crashed = true;
  }
  // Resume with healthy dependencies (the simulated jobs kept running, as SageMaker jobs or orphans would).
  const { study } = await runStudy({ ...common, store, backend });
  return { study, launches: backend.launches, calls: injector.calls, crashed };
}

async function checkEveryCrashPoint(req: TuningRequest, makeStore: () => Promise<StudyStore>, stride = 1): Promise<number> {
  const reference = await scenario(req, makeStore, 0, 'before');
  expect(reference.crashed).toBe(false);
  expect(reference.study.status).toBe('Completed');
  // The scenario exercises launches, retries, failures and early stops.
  expect(reference.study.trials.some((t) => t.retries === 1)).toBe(true);
  expect(reference.study.trials.some((t) => t.status === 'Failed')).toBe(true);
  expect(reference.study.trials.some((t) => t.status === 'Stopped')).toBe(true);
  expect(new Set(reference.launches).size).toBe(reference.launches.length);
  const expected = studyOutcome(reference.study);
  let points = 0;
  for (let at = 1; at <= reference.calls; at += stride) {
    for (const when of ['before', 'after'] as const) {
      const outcome = await scenario(req, makeStore, at, when);
      expect({ at, when, crashed: outcome.crashed }).toEqual({ at, when, crashed: true });
      // No job started twice, and the same jobs started as without the crash.
      expect({ at, when, launches: [...outcome.launches].sort() }).toEqual({ at, when, launches: [...reference.launches].sort() });
      expect({ at, when, study: studyOutcome(outcome.study) }).toEqual({ at, when, study: expected });
      points++;
    }
  }
  return points;
}

describe('crash at any step, then resume', () => {
  it('Random strategy, memory store: every call of the run', async () => {
    const points = await checkEveryCrashPoint(crashRequest('Random', 10), async () => new MemoryStudyStore());
    expect(points).toBeGreaterThan(100);
  });

  it('Bayesian strategy (model state kept in the study), memory store: a crash point every 15th call', async () => {
    // The GP makes each run take about a second here, so this one samples the calls.
    const points = await checkEveryCrashPoint(crashRequest('Bayesian', 8), async () => new MemoryStudyStore(), 15);
    expect(points).toBeGreaterThanOrEqual(8);
  });

  it('Random strategy, file store: every fifth call', async () => {
    const dirs: string[] = [];
    try {
      const points = await checkEveryCrashPoint(crashRequest('Random', 10), async () => {
        const dir = await fastTempDir('sagetune-crash-');
        dirs.push(dir);
        return new FileStudyStore({ root: dir });
      }, 5);
      expect(points).toBeGreaterThan(25);
    } finally {
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    }
  });
});

describe('crash while pausing an interrupted study (Ctrl-C), then resume', () => {
  /** Runs until trial 3 completes, then aborts; crashes at call `at` of the interruption path. */
  async function interrupted(at: number, when: When): Promise<{ crashed: boolean; calls: number; atAbort: Study; final: Study; launches: string[] }> {
    const clock = new FakeClock();
    const store = new MemoryStudyStore();
    const backend = new SimulatedBackend({ clock, trainer: quadratic });
    const controller = new AbortController();
    const injector = new Injector(at, when, () => controller.signal.aborted);
    const req = request();
    let crashed = false;
    try {
      await runStudy({
        request: req,
        store: injector.store(store),
        backend: injector.backend(backend),
        clock,
        sleep: fakeSleep(clock),
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'trial-completed' && e.trial === 3 && !controller.signal.aborted) controller.abort();
        },
      });
    } catch (error) {
      if (!(error instanceof InjectedCrash)) throw error;
      crashed = true;
    }
    const atAbort = (await store.read('demo'))!.value;
    clock.advance(60_000);
    const { study } = await runStudy({ request: req, store, backend, clock, sleep: fakeSleep(clock) });
    return { crashed, calls: injector.calls, atAbort, final: study, launches: backend.launches };
  }

  it('loses no completed trial, launches none twice, and re-runs the interrupted ones', async () => {
    const reference = await interrupted(0, 'before');
    expect(reference.calls).toBeGreaterThan(4);
    let points = 0;
    for (let at = 1; at <= reference.calls; at++) {
      for (const when of ['before', 'after'] as const) {
        const outcome = await interrupted(at, when);
        const where = { at, when };
        expect({ ...where, crashed: outcome.crashed }).toEqual({ ...where, crashed: true });
        const { final } = outcome;
        expect({ ...where, status: final.status, numbers: final.trials.map((t) => t.number) }).toEqual({ ...where, status: 'Completed', numbers: [1, 2, 3, 4, 5, 6, 7, 8] });
        expect({ ...where, statuses: final.trials.map((t) => t.status) }).toEqual({ ...where, statuses: Array(8).fill('Completed') });
        expect(new Set(outcome.launches).size).toBe(outcome.launches.length);
        // Trials completed before the interruption are kept as they were.
        const before = reference.atAbort.trials.filter((t) => t.status === 'Completed');
        expect(before.length).toBeGreaterThanOrEqual(3);
        for (const t of before) expect(final.trials[t.number - 1]).toMatchObject({ objective: t.objective, jobName: t.jobName, hyperParameters: t.hyperParameters });
        points++;
      }
    }
    expect(points).toBeGreaterThan(8);
    // Without a crash: the interrupted trials ran again under new job names, once each.
    const rerun = reference.final.trials.filter((t) => (t.interruptions ?? 0) > 0);
    expect(rerun.length).toBeGreaterThan(0);
    for (const t of rerun) expect(t.previousAttempts?.[0].reason).toBe('Interrupted: the runner was stopped; run again on resume');
  });
});
