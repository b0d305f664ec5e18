import { rm } from 'node:fs/promises';
import { FakeClock, SimulatedBackend, fakeSleep } from '../../src/backends/simulated';
import { FileStudyStore } from '../../src/study/store/file-store';
import { StudyFailedError, StudyLockedError, StudyRequestMismatchError, WarmStartError } from '../../src/study/errors';
import type { StudyEvent } from '../../src/study/events';
import { runStudy } from '../../src/study/runner';
import { activeRuntimeSeconds, requestStop } from '../../src/study/study';
import { optimizerHistory } from '../../src/study/tick';
import type { Study } from '../../src/study/types';
import { fastTempDir, quadratic, request, run, world } from './helpers';

/** Aborts the run when `when` first holds for an event. */
function abortOn(when: (e: StudyEvent) => boolean): { signal: AbortSignal; onEvent: (e: StudyEvent) => void } {
  const controller = new AbortController();
  return { signal: controller.signal, onEvent: (e) => (when(e) ? controller.abort() : undefined) };
}

describe('runStudy', () => {
  it('runs a study to its end and reports progress events', async () => {
    const w = world();
    const result = await run(w, request());
    expect(result).toMatchObject({ resumed: false, interrupted: false });
    expect(result.study.status).toBe('Completed');
    const types = w.events.map((e) => e.type);
    expect(types[0]).toBe('study-started');
    expect(types[types.length - 1]).toBe('study-ended');
    expect(types.filter((t) => t === 'trial-launched')).toHaveLength(8);
    expect(types.filter((t) => t === 'trial-completed')).toHaveLength(8);
    // "best" events trace the best value so far, each better than the last.
    const bests = w.events.filter((e): e is Extract<StudyEvent, { type: 'best' }> => e.type === 'best');
    expect(bests.length).toBeGreaterThan(0);
    for (let i = 1; i < bests.length; i++) expect(bests[i].objective).toBeLessThan(bests[i - 1].objective);
    const best = Math.min(...result.study.trials.map((t) => t.objective!));
    expect(bests[bests.length - 1].objective).toBe(best);
  });

  it('resumes a finished study without running anything', async () => {
    const w = world();
    await run(w, request());
    const launches = w.backend.launches.length;
    const again = await run(w, request());
    expect(again.resumed).toBe(true);
    expect(again.study.status).toBe('Completed');
    expect(w.backend.launches).toHaveLength(launches);
  });

  it('refuses a different request under an existing name, naming the differences', async () => {
    const w = world();
    await run(w, request());
    const error = await run(w, request({ HyperParameterTuningJobConfig: { ResourceLimits: { MaxNumberOfTrainingJobs: 30 } } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StudyRequestMismatchError);
    expect((error as Error).message).toContain('A study named demo already exists with a different request');
    expect((error as Error).message).toContain('HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs: stored 8, requested 30');
  });

  it('accepts changed run-time knobs on resume, and uses them', async () => {
    const w = world();
    const { signal, onEvent } = abortOn((e) => e.type === 'trial-completed');
    await runStudy({ request: request(), store: w.store, backend: w.backend, clock: w.clock, sleep: fakeSleep(w.clock), signal, onEvent });
    const resumed = await run(w, request({ Sagetune: { PollIntervalSeconds: 5, Local: { MaxParallel: 1 } } }));
    expect(resumed.resumed).toBe(true);
    expect(resumed.study.request.Sagetune.PollIntervalSeconds).toBe(5);
    expect(resumed.study.request.Sagetune.Local?.MaxParallel).toBe(1);
  });

  it('refuses to run a study whose lock another runner holds', async () => {
    const w = world();
    const lock = await w.store.acquireLock('demo');
    await expect(run(w, request())).rejects.toThrow(StudyLockedError);
    await lock.release();
    await expect(run(w, request())).resolves.toMatchObject({ interrupted: false });
  });

  it('two runners on one study in a file store: the second is refused while the first runs', async () => {
    const root = await fastTempDir('sagetune-runner-');
    try {
      const w = world();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let sleeping!: () => void;
      const asleep = new Promise<void>((r) => (sleeping = r));
      const first = runStudy({
        request: request(),
        store: new FileStudyStore({ root }),
        backend: w.backend,
        clock: w.clock,
        sleep: async (ms) => {
          sleeping();
          await gate;
          w.clock.advance(ms);
        },
      });
      await asleep;
      const second = runStudy({ request: request(), store: new FileStudyStore({ root }), backend: w.backend, clock: w.clock, sleep: fakeSleep(w.clock) });
      await expect(second).rejects.toThrow(StudyLockedError);
      release();
      await expect(first).resolves.toMatchObject({ interrupted: false });
      expect(new Set(w.backend.launches).size).toBe(8);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('releases the lock when it ends, and when it fails', async () => {
    const w = world();
    await run(w, request());
    const lock = await w.store.acquireLock('demo');
    await lock.release();
    const broken = { ...w.backend, launch: async () => Promise.reject(new Error('network down')), poll: w.backend.poll.bind(w.backend), stop: w.backend.stop.bind(w.backend) };
    await expect(run(w, request({ HyperParameterTuningJobName: 'other' }), { backend: broken })).rejects.toThrow('network down');
    await (await w.store.acquireLock('other')).release();
  });

  it('throws StudyFailedError with throwOnFailure', async () => {
    const w = world(() => ({ durationSeconds: 1, failure: { reason: 'bad script' } }));
    await expect(
      runStudy({ request: request(), store: w.store, backend: w.backend, clock: w.clock, sleep: fakeSleep(w.clock), throwOnFailure: true }),
    ).rejects.toThrow(StudyFailedError);
  });

  it('retries a tick that lost a race to a stop request, then stops', async () => {
    const w = world(() => ({ durationSeconds: 100, series: [1] }));
    let armed = true;
    const store = {
      read: w.store.read.bind(w.store),
      list: w.store.list.bind(w.store),
      acquireLock: w.store.acquireLock.bind(w.store),
      write: async (s: Study, v?: string) => {
        if (armed && s.trials.length > 0 && s.trials.every((t) => t.launchedAt)) {
          // Another process (sagetune stop) writes between this tick's read and its second write.
          armed = false;
          await requestStop(w.store, 'demo', 'Stopped by the user');
        }
        return w.store.write(s, v);
      },
    };
    const { study } = await run(w, request(), { store });
    expect(study.status).toBe('Stopped');
    expect(study.statusReason).toBe('Stopped by the user');
    // The launches whose record was lost were not leaked: the retried tick stopped those jobs by name.
    expect(w.backend.launches).toEqual(['demo-001', 'demo-002']);
    expect(w.backend.stops.map((s) => s.jobName)).toEqual(['demo-001', 'demo-002']);
    expect(study.trials.map((t) => [t.status, t.stopReason])).toEqual([
      ['Stopped', 'Stopped by the user'],
      ['Stopped', 'Stopped by the user'],
    ]);
  });
});

describe('interruption (Ctrl-C) and resume', () => {
  it('stops the running trials, leaves a resumable study, and re-runs the interrupted trials on resume', async () => {
    const w = world();
    const { signal, onEvent } = abortOn((e) => e.type === 'trial-completed' && e.trial === 3);
    const first = await runStudy({ request: request(), store: w.store, backend: w.backend, clock: w.clock, sleep: fakeSleep(w.clock), signal, onEvent });
    expect(first.interrupted).toBe(true);
    const paused = first.study;
    expect(paused.status).toBe('InProgress');
    // Paused at the moment of the interruption (the fake clock has not moved since).
    expect(paused.pausedAt).toBe(new Date(w.clock.now()).toISOString());
    expect(paused.activeSince).toBeUndefined();
    const interrupted = paused.trials.filter((t) => (t.interruptions ?? 0) > 0);
    expect(interrupted.length).toBeGreaterThan(0);
    for (const t of interrupted) {
      expect(t).toMatchObject({ status: 'InProgress', attempt: 1, jobName: `demo-00${t.number}-1` });
      expect(t.launchedAt).toBeUndefined();
      expect(t.previousAttempts).toEqual([expect.objectContaining({ jobName: `demo-00${t.number}`, reason: 'Interrupted: the runner was stopped; run again on resume' })]);
      expect(w.backend.stops).toContainEqual({ jobName: `demo-00${t.number}`, reason: 'Interrupted: the runner was stopped' });
    }
    const completedBefore = paused.trials.filter((t) => t.status === 'Completed').map((t) => [t.number, t.objective]);

    // An hour passes; the runtime clock does not count it.
    w.clock.advance(3_600_000);
    const second = await run(w, request());
    expect(second.resumed).toBe(true);
    expect(second.study.status).toBe('Completed');
    expect(second.study.trials).toHaveLength(8); // the interrupted trials used no budget
    for (const [n, objective] of completedBefore) expect(second.study.trials.find((t) => t.number === n)!.objective).toBe(objective);
    for (const t of interrupted) {
      const after = second.study.trials.find((x) => x.number === t.number)!;
      expect(after).toMatchObject({ status: 'Completed', hyperParameters: t.hyperParameters, jobName: `demo-00${t.number}-1` });
    }
    expect(new Set(w.backend.launches).size).toBe(w.backend.launches.length);
    const active = activeRuntimeSeconds(second.study, w.clock.now());
    const wall = (Date.parse(second.study.endedAt!) - Date.parse(second.study.createdAt)) / 1000;
    expect(wall - active).toBeGreaterThanOrEqual(3600);
  });

  it('an abort while sleeping is handled the same way', async () => {
    const w = world();
    const controller = new AbortController();
    let sleeps = 0;
    const sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
      if (++sleeps === 5) controller.abort();
      if (signal?.aborted) throw new Error('aborted');
      w.clock.advance(ms);
    };
    const result = await runStudy({ request: request(), store: w.store, backend: w.backend, clock: w.clock, sleep, signal: controller.signal });
    expect(result.interrupted).toBe(true);
    expect(result.study.pausedAt).toBe(new Date(w.clock.now()).toISOString());
  });

  it('after a kill (no pause), the next run counts the dead session up to its last tick and continues', async () => {
    const w = world();
    const crash = new Error('killed');
    const backend = { launch: w.backend.launch.bind(w.backend), poll: async (...a: Parameters<typeof w.backend.poll>) => { if (w.clock.now() > Date.UTC(2025, 0, 1) + 20_000) throw crash; return w.backend.poll(...a); }, stop: w.backend.stop.bind(w.backend) };
    await expect(run(w, request(), { backend })).rejects.toBe(crash);
    const dead = (await w.store.read('demo'))!.value;
    const lastTick = Date.parse(dead.lastTickAt!);
    w.clock.advance(600_000);
    const { study } = await run(w, request());
    expect(study.status).toBe('Completed');
    expect(study.trials.every((t) => t.status === 'Completed')).toBe(true);
    // The 10 minutes without a runner are not counted; the dead session is counted up to its last tick.
    const counted = study.activeSeconds!;
    const wall = (Date.parse(study.endedAt!) - Date.parse(study.createdAt)) / 1000;
    expect(counted).toBeLessThanOrEqual(wall - 600 + 1);
    expect(counted).toBeGreaterThanOrEqual((lastTick - Date.parse(study.createdAt)) / 1000);
  });
});

describe('WarmStartConfig', () => {
  async function parentStudy(w: ReturnType<typeof world>, name: string, patch: Record<string, unknown> = {}): Promise<Study> {
    return (await run(w, request({ HyperParameterTuningJobName: name, ...patch }))).study;
  }

  it('IdenticalDataAndAlgorithm: the parents\' completed trials become observations', async () => {
    const w = world();
    const parent = await parentStudy(w, 'parent');
    const child = request({
      HyperParameterTuningJobName: 'child',
      WarmStartConfig: { ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'parent' }], WarmStartType: 'IdenticalDataAndAlgorithm' },
    });
    const { study } = await run(w, child);
    expect(study.warmStartTrials).toHaveLength(8);
    expect(study.warmStartTrials!.map((t) => t.objective)).toEqual(parent.trials.map((t) => t.objective));
    expect(study.trials).toHaveLength(8); // parent trials use no budget
    const history = optimizerHistory(study);
    expect(history.trials.slice(0, 8).every((t) => t.state === 'completed')).toBe(true);
  });

  it('IdenticalDataAndAlgorithm refuses a parent that ran a different training', async () => {
    const w = world();
    await parentStudy(w, 'parent', { TrainingJobDefinition: { StaticHyperParameters: { epochs: '50' } } });
    const child = request({
      HyperParameterTuningJobName: 'child',
      WarmStartConfig: { ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'parent' }], WarmStartType: 'IdenticalDataAndAlgorithm' },
    });
    await expect(run(w, child)).rejects.toThrow(WarmStartError);
    await expect(run(w, child)).rejects.toThrow(/parent ran a different training \(TrainingJobDefinition\.StaticHyperParameters differ\)/);
  });

  it('TransferLearning: keeps the parent trials that fit the new ranges, whatever the training', async () => {
    const w = world();
    const parent = await parentStudy(w, 'parent', { TrainingJobDefinition: { StaticHyperParameters: { epochs: '50' } } });
    const child = request({
      HyperParameterTuningJobName: 'child',
      HyperParameterTuningJobConfig: { ParameterRanges: { ContinuousParameterRanges: [{ Name: 'x', MinValue: '0', MaxValue: '0.5' }] } },
      WarmStartConfig: { ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'parent' }], WarmStartType: 'TransferLearning' },
    });
    const { study } = await run(w, child);
    const fitting = parent.trials.filter((t) => Number(t.hyperParameters.x) <= 0.5);
    expect(fitting.length).toBeGreaterThan(0);
    expect(fitting.length).toBeLessThan(parent.trials.length);
    expect(study.warmStartTrials!.map((t) => t.hyperParameters)).toEqual(fitting.map((t) => t.hyperParameters));
    expect(study.trials.every((t) => Number(t.hyperParameters.x) <= 0.5)).toBe(true);
  });

  it('refuses parents that are missing, running, or optimize another metric', async () => {
    const w = world();
    await parentStudy(w, 'maxi', { HyperParameterTuningJobConfig: { HyperParameterTuningJobObjective: { Type: 'Maximize' } } });
    const { signal, onEvent } = abortOn((e) => e.type === 'trial-launched');
    await runStudy({ request: request({ HyperParameterTuningJobName: 'running' }), store: w.store, backend: w.backend, clock: w.clock, sleep: fakeSleep(w.clock), signal, onEvent });
    const child = request({
      HyperParameterTuningJobName: 'child',
      WarmStartConfig: {
        ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'ghost' }, { HyperParameterTuningJobName: 'running' }, { HyperParameterTuningJobName: 'maxi' }],
        WarmStartType: 'TransferLearning',
      },
    });
    const error = await run(w, child).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarmStartError);
    expect((error as Error).message).toBe(
      'WarmStartConfig.ParentHyperParameterTuningJobs of child cannot be used: ghost does not exist in this store; ' +
        'running has not ended (status InProgress); stop it or let it finish first; maxi optimizes Maximize loss, not Minimize loss',
    );
    expect(await w.store.read('child')).toBeUndefined();
  });
});

describe('determinism', () => {
  it('the same request on the same simulated world gives the same study', async () => {
    const a = world();
    const b = world();
    const ra = await run(a, request({ HyperParameterTuningJobConfig: { Strategy: 'Bayesian', ResourceLimits: { MaxNumberOfTrainingJobs: 7 } } }));
    const rb = await run(b, request({ HyperParameterTuningJobConfig: { Strategy: 'Bayesian', ResourceLimits: { MaxNumberOfTrainingJobs: 7 } } }));
    expect(rb.study.trials).toEqual(ra.study.trials);
    expect(ra.study.optimizerState).toBeDefined();
  });

  it('keeps the clock it is given', async () => {
    const clock = new FakeClock(Date.UTC(2030, 5, 1));
    const backend = new SimulatedBackend({ clock, trainer: quadratic });
    const { study } = await runStudy({ request: request(), store: world().store, backend, clock, sleep: fakeSleep(clock) });
    expect(study.createdAt).toBe('2030-06-01T00:00:00.000Z');
  });
});
