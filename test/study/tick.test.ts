import { tick } from '../../src/study/tick';
import { newStudy, requestStop } from '../../src/study/study';
import type { Study, Trial } from '../../src/study/types';
import type { SimulatedTrainer } from '../../src/backends/simulated';
import { quadratic, request, run, world, type World } from './helpers';

async function create(w: World, req = request()): Promise<void> {
  await w.store.write(await newStudy(req, w.store, w.clock.now()));
}

async function stored(w: World, name = 'demo'): Promise<Study> {
  return (await w.store.read(name))!.value;
}

const byNumber = (study: Study, n: number): Trial => study.trials.find((t) => t.number === n)!;

describe('tick: one step', () => {
  it('records new trials before launching them, then confirms the launches', async () => {
    const w = world();
    await create(w);
    const writes: Study[] = [];
    const store = { ...w.store, read: w.store.read.bind(w.store), list: w.store.list.bind(w.store), write: async (s: Study, v?: string) => { writes.push(structuredClone(s)); return w.store.write(s, v); } };
    const result = await tick('demo', { store, backend: w.backend, clock: w.clock });
    expect(writes).toHaveLength(2);
    expect(writes[0].trials.map((t) => [t.number, t.status, t.jobName, t.launchedAt])).toEqual([
      [1, 'InProgress', 'demo-001', undefined],
      [2, 'InProgress', 'demo-002', undefined],
    ]);
    expect(writes[1].trials.every((t) => t.launchedAt !== undefined)).toBe(true);
    expect(w.backend.launches).toEqual(['demo-001', 'demo-002']);
    expect(result.done).toBe(false);
    expect(result.nextTickSeconds).toBe(1);
    expect(result.events.filter((e) => e.type === 'trial-launched')).toHaveLength(2);
  });

  it('throws StudyNotFoundError for an unknown study', async () => {
    const w = world();
    await expect(tick('nope', { store: w.store, backend: w.backend, clock: w.clock })).rejects.toThrow(/No study named nope/);
  });

  it('does nothing on an ended study', async () => {
    const w = world();
    await run(w, request());
    const before = await w.store.read('demo');
    const result = await tick('demo', { store: w.store, backend: w.backend, clock: w.clock });
    expect(result.done).toBe(true);
    expect((await w.store.read('demo'))!.version).toBe(before!.version);
  });
});

describe('ResourceLimits', () => {
  it('runs exactly MaxNumberOfTrainingJobs trials, never more than MaxParallelTrainingJobs at once', async () => {
    const w = world();
    let running = 0;
    let peak = 0;
    const backend = {
      launch: async (...a: Parameters<typeof w.backend.launch>) => {
        running++;
        peak = Math.max(peak, running);
        return w.backend.launch(...a);
      },
      poll: async (...a: Parameters<typeof w.backend.poll>) => {
        const updates = await w.backend.poll(...a);
        running -= updates.filter((u) => u.status !== 'InProgress').length;
        return updates;
      },
      stop: w.backend.stop.bind(w.backend),
    };
    const { study } = await run(w, request(), { backend });
    expect(study.status).toBe('Completed');
    expect(study.statusReason).toBe('MaxNumberOfTrainingJobs (8) reached');
    expect(study.trials.map((t) => t.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(study.trials.every((t) => t.status === 'Completed')).toBe(true);
    expect(peak).toBe(2);
    expect(new Set(w.backend.launches).size).toBe(8);
  });

  it('caps parallelism with Sagetune.Local.MaxParallel', async () => {
    const w = world();
    const req = request({ HyperParameterTuningJobConfig: { ResourceLimits: { MaxParallelTrainingJobs: 4 } }, Sagetune: { Local: { MaxParallel: 1 } } });
    await create(w, req);
    await tick('demo', { store: w.store, backend: w.backend, clock: w.clock });
    expect((await stored(w)).trials).toHaveLength(1);
  });

  it('ends at MaxRuntimeInSeconds, stopping the running trials', async () => {
    const w = world(() => ({ durationSeconds: 100, series: [3, 2, 1] }));
    const req = request({ HyperParameterTuningJobConfig: { ResourceLimits: { MaxNumberOfTrainingJobs: 50, MaxRuntimeInSeconds: 250 } } });
    const { study } = await run(w, req);
    expect(study.status).toBe('Completed');
    expect(study.statusReason).toBe('MaxRuntimeInSeconds (250 s) reached');
    // Trials take 100 s, two at a time: 4 complete by 200 s, the next two are stopped at 250 s.
    expect(study.trials.filter((t) => t.status === 'Completed')).toHaveLength(4);
    const stopped = study.trials.filter((t) => t.status === 'Stopped');
    expect(stopped).toHaveLength(2);
    expect(stopped[0].stopReason).toBe('MaxRuntimeInSeconds (250 s) reached');
    expect(Date.parse(study.endedAt!) - Date.parse(study.createdAt)).toBeGreaterThanOrEqual(250_000);
    expect(Date.parse(study.endedAt!) - Date.parse(study.createdAt)).toBeLessThan(253_000);
  });

  it('requires no trial budget with Grid: ends when the grid is exhausted', async () => {
    const w = world();
    const req = request({
      HyperParameterTuningJobConfig: {
        Strategy: 'Grid',
        ResourceLimits: { MaxNumberOfTrainingJobs: undefined },
        ParameterRanges: { ContinuousParameterRanges: undefined, IntegerParameterRanges: undefined, CategoricalParameterRanges: [{ Name: 'x', Values: ['0.1', '0.3', '0.9'] }, { Name: 'n', Values: ['1', '2'] }] },
      },
    });
    const { study } = await run(w, req);
    expect(study.status).toBe('Completed');
    expect(study.statusReason).toBe('Every configuration of the search space has been tried');
    expect(study.trials).toHaveLength(6);
    expect(new Set(study.trials.map((t) => JSON.stringify(t.hyperParameters))).size).toBe(6);
  });
});

describe('TuningJobCompletionCriteria', () => {
  it('TargetObjectiveMetricValue: ends as soon as a trial reaches the target (Minimize)', async () => {
    const w = world((hp) => ({ durationSeconds: 10, objective: Number(hp.x) }));
    const req = request({ HyperParameterTuningJobConfig: { ResourceLimits: { MaxNumberOfTrainingJobs: 40 }, TuningJobCompletionCriteria: { TargetObjectiveMetricValue: 0.2 } } });
    const { study } = await run(w, req);
    expect(study.status).toBe('Completed');
    const hit = study.trials.find((t) => t.status === 'Completed' && t.objective! <= 0.2)!;
    expect(study.statusReason).toBe(`TargetObjectiveMetricValue 0.2 reached by trial ${hit.number} (${hit.objective})`);
    const before = study.trials.filter((t) => t.number < hit.number && t.status === 'Completed');
    expect(before.every((t) => t.objective! > 0.2)).toBe(true);
    expect(study.trials.length).toBeLessThan(40);
  });

  it('TargetObjectiveMetricValue: Maximize reaches from below', async () => {
    const w = world((hp) => ({ durationSeconds: 10, objective: Number(hp.x) }));
    const req = request({
      HyperParameterTuningJobConfig: {
        HyperParameterTuningJobObjective: { Type: 'Maximize' },
        ResourceLimits: { MaxNumberOfTrainingJobs: 40 },
        TuningJobCompletionCriteria: { TargetObjectiveMetricValue: 0.8 },
      },
    });
    const { study } = await run(w, req);
    expect(study.statusReason).toMatch(/^TargetObjectiveMetricValue 0.8 reached by trial \d+/);
    expect(study.trials.some((t) => t.objective! >= 0.8)).toBe(true);
  });

  it('BestObjectiveNotImproving: ends after N completed trials without a 1% improvement', async () => {
    // Objectives in order: 10, 5, then 4.99 (better by 0.2%: no improvement), 6, 7 -> 3 in a row.
    const values = [10, 5, 4.99, 6, 7, 1, 1, 1];
    const w = world((_hp, ctx) => ({ durationSeconds: 10 * ctx.trial, objective: values[ctx.trial - 1] }));
    const req = request({
      HyperParameterTuningJobConfig: {
        ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 1 },
        TuningJobCompletionCriteria: { BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 3 } },
      },
    });
    const { study } = await run(w, req);
    expect(study.status).toBe('Completed');
    expect(study.statusReason).toBe('BestObjectiveNotImproving: the last 3 completed trials did not improve the best objective by 1% or more');
    expect(study.trials.filter((t) => t.status === 'Completed').map((t) => t.objective)).toEqual([10, 5, 4.99, 6, 7]);
  });

  it('ConvergenceDetected: ends once the best stops moving relative to the spread', async () => {
    // Trial k reports 1 / k for k <= 4, then values around 2: the best (0.25) never moves after trial 4.
    const w = world((_hp, ctx) => ({ durationSeconds: 10, objective: ctx.trial <= 4 ? 1 / ctx.trial : 2 + (ctx.trial % 3) }));
    const req = request({
      HyperParameterTuningJobConfig: {
        ResourceLimits: { MaxNumberOfTrainingJobs: 100, MaxParallelTrainingJobs: 1 },
        TuningJobCompletionCriteria: { ConvergenceDetected: { CompleteOnConvergence: 'Enabled' } },
      },
      Sagetune: { Convergence: { Window: 5 } },
    });
    const { study } = await run(w, req);
    expect(study.status).toBe('Completed');
    expect(study.statusReason).toMatch(/^ConvergenceDetected: over the last 5 completed trials/);
    // 2W = 10 trials needed, and the best last moved at trial 4 (within the last 5 of 9, not of 10).
    expect(study.trials.filter((t) => t.status === 'Completed')).toHaveLength(10);
  });

  it('ConvergenceDetected Disabled does nothing', async () => {
    const w = world(() => ({ durationSeconds: 10, objective: 1 }));
    const req = request({
      HyperParameterTuningJobConfig: {
        ResourceLimits: { MaxNumberOfTrainingJobs: 30 },
        TuningJobCompletionCriteria: { ConvergenceDetected: { CompleteOnConvergence: 'Disabled' } },
      },
    });
    const { study } = await run(w, req);
    expect(study.statusReason).toBe('MaxNumberOfTrainingJobs (30) reached');
  });
});

describe('TrainingJobEarlyStoppingType: Auto (median rule)', () => {
  // Good trials (x < 0.5) report 1, 0.9, ... ; bad ones report 5, 5, 5, 5, 5.
  const trainer: SimulatedTrainer = (hp) => {
    const good = Number(hp.x) < 0.5;
    return { durationSeconds: 50, series: good ? [1, 0.9, 0.8, 0.7, 0.6] : [5, 5, 5, 5, 5] };
  };

  it('stops a trial whose best is worse than the median of completed running averages at the same step', async () => {
    const w = world(trainer);
    const req = request({
      HyperParameterTuningJobConfig: { TrainingJobEarlyStoppingType: 'Auto', ResourceLimits: { MaxNumberOfTrainingJobs: 20 } },
    });
    const { study } = await run(w, req);
    const completed = study.trials.filter((t) => t.status === 'Completed');
    const stopped = study.trials.filter((t) => t.status === 'Stopped');
    expect(stopped.length).toBeGreaterThan(0);
    for (const t of stopped) {
      expect(Number(t.hyperParameters.x)).toBeGreaterThanOrEqual(0.5);
      expect(t.stopReason).toMatch(/^Early stopping: best objective 5 after \d steps? is worse than the median [0-9.]+ of \d+ completed trials' running averages$/);
      expect(t.objective).toBe(5); // the last reported value, as SageMaker keeps it
      expect(t.objectiveSeries!.length).toBeLessThan(5);
    }
    // Nothing is stopped before 3 trials have completed (MinimumTrials).
    const firstStopEnd = Math.min(...stopped.map((t) => Date.parse(t.endedAt!)));
    expect(completed.filter((t) => Date.parse(t.endedAt!) <= firstStopEnd).length).toBeGreaterThanOrEqual(3);
    // Every good trial runs to completion.
    expect(study.trials.filter((t) => Number(t.hyperParameters.x) < 0.5).every((t) => t.status === 'Completed')).toBe(true);
  });

  it('does not stop anything with TrainingJobEarlyStoppingType Off', async () => {
    const w = world(trainer);
    const { study } = await run(w, request({ HyperParameterTuningJobConfig: { ResourceLimits: { MaxNumberOfTrainingJobs: 20 } } }));
    expect(study.trials.every((t) => t.status === 'Completed')).toBe(true);
  });

  it('honours the grace period', async () => {
    const w = world(trainer);
    const req = request({
      HyperParameterTuningJobConfig: { TrainingJobEarlyStoppingType: 'Auto', ResourceLimits: { MaxNumberOfTrainingJobs: 20 } },
      Sagetune: { EarlyStopping: { GracePeriodSteps: 4 } },
    });
    const { study } = await run(w, req);
    const stopped = study.trials.filter((t) => t.status === 'Stopped');
    expect(stopped.length).toBeGreaterThan(0);
    for (const t of stopped) expect(t.objectiveSeries!.length).toBe(4);
  });
});

describe('failures', () => {
  it('records a failed trial with its reason and goes on', async () => {
    const w = world((hp, ctx) => (ctx.trial === 2 ? { durationSeconds: 5, failure: { reason: 'CUDA out of memory' } } : quadratic(hp, ctx)));
    const { study } = await run(w, request());
    expect(study.status).toBe('Completed');
    expect(byNumber(study, 2)).toMatchObject({ status: 'Failed', failureReason: 'CUDA out of memory' });
    expect(study.trials.filter((t) => t.status === 'Completed')).toHaveLength(7);
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'trial-failed', trial: 2, reason: 'CUDA out of memory', retrying: false }));
  });

  it('fails a trial that completes without reporting the objective', async () => {
    const w = world((hp, ctx) => (ctx.trial === 1 ? { durationSeconds: 5 } : quadratic(hp, ctx)));
    const { study } = await run(w, request());
    expect(byNumber(study, 1)).toMatchObject({ status: 'Failed', failureReason: 'The training ended without reporting the objective metric loss' });
  });

  it('retries infrastructure failures up to RetryStrategy.MaximumRetryAttempts under the same trial number', async () => {
    const w = world((hp, ctx) =>
      ctx.trial === 1 && ctx.attempt < 2 ? { durationSeconds: 3, failure: { reason: 'InternalServerError', retryable: true } } : quadratic(hp, ctx),
    );
    const { study } = await run(w, request({ TrainingJobDefinition: { RetryStrategy: { MaximumRetryAttempts: 2 } } }));
    const first = byNumber(study, 1);
    expect(first).toMatchObject({ status: 'Completed', retries: 2, attempt: 2, jobName: 'demo-001-2' });
    expect(first.previousAttempts!.map((a) => a.jobName)).toEqual(['demo-001', 'demo-001-1']);
    expect(w.backend.launches.filter((j) => j.startsWith('demo-001'))).toEqual(['demo-001', 'demo-001-1', 'demo-001-2']);
    expect(study.trials).toHaveLength(8); // retries use no budget
  });

  it('gives up after MaximumRetryAttempts', async () => {
    const w = world((hp, ctx) => (ctx.trial === 1 ? { durationSeconds: 3, failure: { reason: 'CapacityError', retryable: true } } : quadratic(hp, ctx)));
    const { study } = await run(w, request({ TrainingJobDefinition: { RetryStrategy: { MaximumRetryAttempts: 1 } } }));
    expect(byNumber(study, 1)).toMatchObject({ status: 'Failed', failureReason: 'CapacityError', retries: 1 });
  });

  it('does not retry without a RetryStrategy', async () => {
    const w = world((hp, ctx) => (ctx.trial === 1 ? { durationSeconds: 3, failure: { reason: 'CapacityError', retryable: true } } : quadratic(hp, ctx)));
    const { study } = await run(w, request());
    expect(byNumber(study, 1).status).toBe('Failed');
    expect(byNumber(study, 1).attempt).toBeUndefined();
    expect(w.backend.launches.filter((j) => j.startsWith('demo-001'))).toEqual(['demo-001']);
  });

  it('fails the study when its first three trials all fail, naming each failure once', async () => {
    const w = world(() => ({ durationSeconds: 2, failure: { reason: 'ModuleNotFoundError: No module named torch' } }));
    const { study } = await run(w, request());
    expect(study.status).toBe('Failed');
    expect(study.statusReason).toBe(
      'The first 3 trials all failed, so the study stopped; fix the cause, then start a new study (another HyperParameterTuningJobName, or remove this one). ' +
        'trials 1, 2, 3: ModuleNotFoundError: No module named torch',
    );
    // Trial 4 was launched while trial 3 ran, and was stopped when the study failed.
    expect(study.trials.slice(3).every((t) => t.status === 'Stopped' || t.status === 'Failed')).toBe(true);
    expect(study.trials.length).toBeLessThanOrEqual(4);
  });

  it('groups failures that differ only by their own job name (a log path), showing <job> in its place', async () => {
    const w = world((hp, ctx) => ({ durationSeconds: 2, failure: { reason: `no objective in studies/demo/trials/${ctx.jobName}/stdout.log` } }));
    const { study } = await run(w, request());
    expect(study.statusReason).toMatch(/\. trials 1, 2, 3: no objective in studies\/demo\/trials\/<job>\/stdout\.log$/);
  });

  it('lists different failures of the first trials each with its trials', async () => {
    const w = world((hp, ctx) => ({ durationSeconds: 2, failure: { reason: ctx.trial === 2 ? 'OutOfMemory' : 'ValueError: bad lr' } }));
    const { study } = await run(w, request());
    expect(study.statusReason).toMatch(/stopped; .*\. trials 1, 3: ValueError: bad lr; trial 2: OutOfMemory$/);
  });

  it('keeps going when a later trial fails after the first ones succeeded', async () => {
    const w = world((hp, ctx) => (ctx.trial >= 4 ? { durationSeconds: 2, failure: { reason: 'boom' } } : quadratic(hp, ctx)));
    const { study } = await run(w, request());
    expect(study.status).toBe('Completed');
    expect(study.trials.filter((t) => t.status === 'Failed')).toHaveLength(5);
  });

  it('records a launch error as a failed trial (a script that does not exist)', async () => {
    const w = world(() => ({ durationSeconds: 1, launchError: { reason: 'spawn train.py ENOENT: the command was not found' } }));
    const { study } = await run(w, request());
    expect(study.status).toBe('Failed');
    expect(study.statusReason).toContain('trials 1, 2, 3: spawn train.py ENOENT: the command was not found');
    expect(w.backend.launches).toEqual([]);
  });

  it('re-runs a trial lost with its runner, without using budget or retries', async () => {
    const w = world();
    await create(w);
    const deps = { store: w.store, backend: w.backend, clock: w.clock };
    await tick('demo', deps);
    w.clock.advance(2000);
    w.backend.lose('demo-001');
    const result = await tick('demo', deps);
    const trial = byNumber(result.study, 1);
    expect(trial).toMatchObject({ status: 'InProgress', jobName: 'demo-001-1', attempt: 1, interruptions: 1 });
    expect(trial.retries).toBeUndefined();
    expect(result.events).toContainEqual(expect.objectContaining({ type: 'trial-requeued', trial: 1, jobName: 'demo-001' }));
    expect(w.backend.launches).toContain('demo-001-1');
  });
});

describe('stop requests', () => {
  it('a study set to Stopping stops its running trials and ends Stopped', async () => {
    const w = world(() => ({ durationSeconds: 100, series: [3, 2, 1] }));
    await create(w);
    const deps = { store: w.store, backend: w.backend, clock: w.clock };
    await tick('demo', deps);
    w.clock.advance(40_000);
    await requestStop(w.store, 'demo', 'Stopped by the user');
    const stopping = await tick('demo', deps);
    expect(stopping.study.status).toBe('Stopping');
    expect(w.backend.stops.map((s) => s.jobName).sort()).toEqual(['demo-001', 'demo-002']);
    w.clock.advance(1000);
    const ended = await tick('demo', deps);
    expect(ended.done).toBe(true);
    expect(ended.study.status).toBe('Stopped');
    expect(ended.study.statusReason).toBe('Stopped by the user');
    // At 40 s of 100 each trial had reported its first value (3, at 33 s): kept as its objective.
    expect(ended.study.trials.map((t) => [t.status, t.stopReason, t.objective])).toEqual([
      ['Stopped', 'Stopped by the user', 3],
      ['Stopped', 'Stopped by the user', 3],
    ]);
    expect(w.backend.launches).toHaveLength(2);
  });

  it('a stop before any launch ends the study at once', async () => {
    const w = world();
    await create(w);
    await requestStop(w.store, 'demo');
    const result = await tick('demo', { store: w.store, backend: w.backend, clock: w.clock });
    expect(result.study.status).toBe('Stopped');
    expect(w.backend.launches).toEqual([]);
  });
});
