import { FakeClock, SimulatedBackend, fakeSleep } from '../../../src/backends/simulated';
import { TrialLaunchError } from '../../../src/study/errors';
import type { Study, Trial } from '../../../src/study/types';

const study = { name: 'sim' } as Study;

function trial(number: number, jobName = `sim-00${number}`): Trial {
  return { number, suggestionId: String(number), hyperParameters: { x: number }, status: 'InProgress', jobName, createdAt: '2025-01-01T00:00:00.000Z' };
}

describe('SimulatedBackend', () => {
  it('runs a trial on the clock: InProgress with the series so far, then Completed with the last value', async () => {
    const clock = new FakeClock();
    const backend = new SimulatedBackend({ clock, trainer: () => ({ durationSeconds: 10, series: [3, 2, 1], finalMetrics: { acc: 0.9 } }) });
    const t = trial(1);
    await expect(backend.launch({ study: 'sim', request: {} as never, trial: t })).resolves.toEqual({ adopted: false, backendData: { simulated: true } });
    clock.advance(4000);
    const [running] = await backend.poll(study, [t]);
    expect(running).toMatchObject({ status: 'InProgress', startedAt: '2025-01-01T00:00:00.000Z' });
    expect(running.objectiveSeries).toHaveLength(1);
    expect(running.objectiveSeries![0].value).toBe(3);
    clock.advance(6000);
    const [done] = await backend.poll(study, [t]);
    expect(done).toMatchObject({ status: 'Completed', objective: 1, endedAt: '2025-01-01T00:00:10.000Z', finalMetrics: { acc: 0.9 } });
    expect(done.objectiveSeries!.map((p) => p.value)).toEqual([3, 2, 1]);
  });

  it('adopts a job launched twice under one name, and records real launches only', async () => {
    const clock = new FakeClock();
    const backend = new SimulatedBackend({ clock, trainer: () => ({ durationSeconds: 10, objective: 5 }) });
    await backend.launch({ study: 'sim', request: {} as never, trial: trial(1) });
    clock.advance(3000);
    await expect(backend.launch({ study: 'sim', request: {} as never, trial: trial(1) })).resolves.toMatchObject({ adopted: true });
    expect(backend.launches).toEqual(['sim-001']);
    expect(backend.adoptions).toEqual(['sim-001']);
    clock.advance(7000);
    // The adopted job kept its first start time.
    expect((await backend.poll(study, [trial(1)]))[0]).toMatchObject({ status: 'Completed', endedAt: '2025-01-01T00:00:10.000Z' });
  });

  it('stops a job after the stop delay, keeping the series up to then; stop is idempotent and ignores unknown jobs', async () => {
    const clock = new FakeClock();
    const backend = new SimulatedBackend({ clock, trainer: () => ({ durationSeconds: 100, series: [5, 4, 3, 2, 1] }), stopDelaySeconds: 2 });
    const t = trial(1);
    await backend.launch({ study: 'sim', request: {} as never, trial: t });
    clock.advance(45_000);
    await backend.stop(study, t, 'early stopping');
    await backend.stop(study, t, 'again');
    await backend.stop(study, trial(9), 'never launched');
    expect((await backend.poll(study, [t]))[0].status).toBe('InProgress');
    clock.advance(2000);
    const [stopped] = await backend.poll(study, [t]);
    expect(stopped).toMatchObject({ status: 'Stopped', failureReason: 'early stopping', endedAt: '2025-01-01T00:00:47.000Z' });
    expect(stopped.objectiveSeries!.map((p) => p.value)).toEqual([5, 4]);
  });

  it('fails a trial as planned, and a launch error throws TrialLaunchError', async () => {
    const clock = new FakeClock();
    const backend = new SimulatedBackend({
      clock,
      trainer: (_hp, ctx) => (ctx.trial === 1 ? { durationSeconds: 10, failure: { reason: 'OOM', retryable: true, atSeconds: 3 } } : { durationSeconds: 1, launchError: { reason: 'no such script' } }),
    });
    await backend.launch({ study: 'sim', request: {} as never, trial: trial(1) });
    clock.advance(3000);
    expect((await backend.poll(study, [trial(1)]))[0]).toMatchObject({ status: 'Failed', failureReason: 'OOM', retryable: true, endedAt: '2025-01-01T00:00:03.000Z' });
    const error = await backend.launch({ study: 'sim', request: {} as never, trial: trial(2) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrialLaunchError);
    expect(error).toMatchObject({ message: 'no such script', retryable: false });
    expect(backend.has('sim-002')).toBe(false);
  });

  it('reports lost or unknown jobs as interrupted', async () => {
    const clock = new FakeClock();
    const backend = new SimulatedBackend({ clock, trainer: () => ({ durationSeconds: 10, objective: 1 }) });
    await backend.launch({ study: 'sim', request: {} as never, trial: trial(1) });
    backend.lose('sim-001');
    expect((await backend.poll(study, [trial(1), trial(2)])).map((u) => [u.status, u.interrupted])).toEqual([
      ['Failed', true],
      ['Failed', true],
    ]);
  });

  it('passes the trial context to the trainer', async () => {
    const clock = new FakeClock();
    const seen: unknown[] = [];
    const backend = new SimulatedBackend({ clock, trainer: (hp, ctx) => (seen.push({ hp, ctx }), { durationSeconds: 1, objective: 0 }) });
    await backend.launch({ study: 'sim', request: {} as never, trial: { ...trial(4, 'sim-004-2'), attempt: 2 } });
    expect(seen).toEqual([{ hp: { x: 4 }, ctx: { study: 'sim', trial: 4, attempt: 2, jobName: 'sim-004-2' } }]);
  });
});

describe('FakeClock and fakeSleep', () => {
  it('sleeping advances the clock; an aborted signal rejects', async () => {
    const clock = new FakeClock(0);
    const sleep = fakeSleep(clock);
    await sleep(1500);
    expect(clock.now()).toBe(1500);
    const c = new AbortController();
    c.abort(new Error('stop'));
    await expect(sleep(10, c.signal)).rejects.toThrow('stop');
    expect(clock.now()).toBe(1500);
  });
});
