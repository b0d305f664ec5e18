/**
 * Hyperband through the engine: the real tick and runner, the simulated backend on a fake clock. Learning curves
 * that settle at a configuration's quality, one value per epoch of 10 simulated seconds.
 */
import type { SimulatedTrainer } from '../../src/backends/simulated';
import { rungLevels } from '../../src/core/hyperband';
import { hyperbandSettings, rungObservations } from '../../src/study/hyperband';
import { request, run, world } from './helpers';

const EPOCH_SECONDS = 10;
/** Loss after `e` epochs: approaches (x - 0.3)² + n/100 from above, one value per epoch for `epochs` epochs. */
function curves(epochs: number): SimulatedTrainer {
  return (hp) => {
    const final = (Number(hp.x) - 0.3) ** 2 + Number(hp.n) / 100;
    const series = Array.from({ length: epochs }, (_, e) => ({ t: (e + 1) * EPOCH_SECONDS, value: final + 0.5 / (e + 1) }));
    return { durationSeconds: epochs * EPOCH_SECONDS + 1, series };
  };
}

function hyperbandRequest(patch: Record<string, unknown> = {}, epochs = 27) {
  return request({
    HyperParameterTuningJobConfig: {
      Strategy: 'Hyperband',
      ResourceLimits: { MaxNumberOfTrainingJobs: 40, MaxParallelTrainingJobs: 4 },
      ...patch,
    },
    TrainingJobDefinition: { StaticHyperParameters: { epochs: String(epochs) } },
    Sagetune: { PollIntervalSeconds: 5 },
  });
}

describe("the model's observations of a trial", () => {
  it('are its values at the rung levels it reached and at MaxResource', () => {
    const settings = { minResource: 1, maxResource: 27, reductionFactor: 3 };
    const values = Array.from({ length: 27 }, (_, e) => 1 / (e + 1));
    expect(rungObservations(values, settings)).toEqual([[1, 1], [3, 1 / 3], [9, 1 / 9], [27, 1 / 27]]);
    // Stopped one epoch past rung 3: the value at 3, not its last.
    expect(rungObservations([0.9, 0.8, 0.7, 0.6], settings)).toEqual([[1, 0.9], [3, 0.7]]);
    expect(rungObservations([], settings)).toEqual([]);
    expect(rungObservations([0.5, 0.4, 0.3, 0.2], { minResource: 2, maxResource: 4, reductionFactor: 2 })).toEqual([[2, 0.4], [4, 0.2]]);
  });
});

describe('a Hyperband study in the engine', () => {
  it('stops trials at their rungs, never before their bracket, and keeps the parallel slots full', async () => {
    const w = world(curves(27));
    const req = hyperbandRequest();
    const settings = hyperbandSettings(req)!;
    expect(settings).toEqual({ minResource: 1, maxResource: 27, reductionFactor: 3 });
    const levels = rungLevels(settings);
    const { study } = await run(w, req);
    expect(study.status).toBe('Completed');
    expect(study.trials).toHaveLength(40);
    const stopped = study.trials.filter((t) => t.status === 'Stopped');
    const completed = study.trials.filter((t) => t.status === 'Completed');
    // Every bracket is equally likely (half the trials are not judged before 9 epochs), and the model's proposals
    // near the optimum mostly rank in the top third at their rungs: few are stopped, but some are.
    expect(stopped.length).toBeGreaterThan(2);
    expect(completed.length).toBeGreaterThan(2);
    for (const t of stopped) {
      const rung = Number(/at rung (\d+)/.exec(t.stopReason ?? '')?.[1]);
      expect(rung).toBeGreaterThanOrEqual(1);
      // Judged at a rung of its bracket or above, and stopped soon after reaching it: the 5-s poll, a 1-s stop.
      expect(rung - 1).toBeGreaterThanOrEqual(t.hyperband!.bracket);
      const level = levels[rung - 1];
      expect(t.hyperband!.passed).toBe(level);
      expect(t.objectiveSeries!.length).toBeGreaterThanOrEqual(level);
      expect(t.objectiveSeries!.length).toBeLessThanOrEqual(level + 1);
    }
    // Every trial has a bracket, and the brackets are mixed.
    expect(new Set(study.trials.map((t) => t.hyperband?.bracket)).size).toBeGreaterThan(1);
    // Slots: after the launches of each tick, 4 run as long as trials are left to start (a stopped job's slot is
    // refilled in the tick that sees it end).
    let running = 0;
    let launched = 0;
    const afterLaunches: number[] = [];
    w.events.forEach((e, i) => {
      if (e.type === 'trial-launched') {
        running++;
        launched++;
        if (w.events[i + 1]?.type !== 'trial-launched' && launched < 40) afterLaunches.push(running);
      } else if (e.type === 'trial-completed' || e.type === 'trial-stopped' || e.type === 'trial-failed') running--;
      expect(running).toBeLessThanOrEqual(4);
    });
    expect(afterLaunches.length).toBeGreaterThan(10);
    expect(new Set(afterLaunches)).toEqual(new Set([4]));
    // No job was started twice.
    expect(new Set(w.backend.launches).size).toBe(w.backend.launches.length);
  });

  it('stops a job at MaxResource and counts it completed, with its value there', async () => {
    // The jobs would train 27 epochs; MaxResource 9 stops them at 9.
    const w = world(curves(27));
    const { study } = await run(w, hyperbandRequest({ StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 9 } } }));
    const atMax = study.trials.filter((t) => t.hyperband?.reachedMax);
    expect(atMax.length).toBeGreaterThan(0);
    for (const t of atMax) {
      expect(t.status).toBe('Completed');
      expect(t.stopReason).toBe('Hyperband: reached MaxResource (9 epochs)');
      expect(t.objectiveSeries!.length).toBeGreaterThanOrEqual(9);
      expect(t.objectiveSeries!.length).toBeLessThanOrEqual(10);
      expect(t.objective).toBe(t.objectiveSeries![t.objectiveSeries!.length - 1].value);
    }
    expect(study.trials.every((t) => (t.objectiveSeries ?? []).length <= 10)).toBe(true);
  });

  it('spends fewer epochs than the same budget of jobs at full length, and finds as good a configuration', async () => {
    const epochs = (s: { trials: { objectiveSeries?: unknown[] }[] }): number => s.trials.reduce((n, t) => n + (t.objectiveSeries ?? []).length, 0);
    const hb = await run(world(curves(27)), hyperbandRequest());
    const full = await run(world(curves(27)), request({ HyperParameterTuningJobConfig: { Strategy: 'Bayesian', ResourceLimits: { MaxNumberOfTrainingJobs: 40, MaxParallelTrainingJobs: 4 } }, Sagetune: { PollIntervalSeconds: 5 } }));
    // 40 jobs of 27 epochs are 1,080 epochs; some Hyperband jobs stop at 1, 3 or 9. (With Hyperband's own bracket
    // proportions and the one-rung model, most did: below 0.7 of it. With equal proportions and the model over
    // (configuration, resource), whose proposals on these curves rank well at their rungs, 986 epochs.)
    expect(epochs(full.study)).toBe(1080);
    expect(epochs(hb.study)).toBeLessThan(1080);
    const best = (s: typeof hb.study): number => Math.min(...s.trials.filter((t) => t.status === 'Completed').map((t) => t.objective!));
    expect(best(hb.study)).toBeLessThan(0.1);
    expect(best(full.study)).toBeLessThan(0.1);
  });

  it('proposes at random with Sagetune.Hyperband.Proposals Random, with the same rungs and brackets', async () => {
    const bayes = await run(world(curves(27)), hyperbandRequest());
    const again = await run(world(curves(27)), hyperbandRequest());
    const randomReq = request({
      HyperParameterTuningJobConfig: { Strategy: 'Hyperband', ResourceLimits: { MaxNumberOfTrainingJobs: 40, MaxParallelTrainingJobs: 4 } },
      TrainingJobDefinition: { StaticHyperParameters: { epochs: '27' } },
      Sagetune: { PollIntervalSeconds: 5, Hyperband: { Proposals: 'Random' } },
    });
    const r = await run(world(curves(27)), randomReq);
    expect(r.study.status).toBe('Completed');
    expect(r.study.trials).toHaveLength(40);
    expect(r.study.trials.map((t) => t.hyperband?.bracket)).toEqual(bayes.study.trials.map((t) => t.hyperband?.bracket));
    expect(r.study.trials.some((t) => t.status === 'Stopped')).toBe(true);
    // The same request twice gives the same study; random proposals give other configurations than the model's.
    expect(again.study.trials.map((t) => t.hyperParameters)).toEqual(bayes.study.trials.map((t) => t.hyperParameters));
    expect(r.study.trials.map((t) => t.hyperParameters)).not.toEqual(bayes.study.trials.map((t) => t.hyperParameters));
  });

  it('the same seed gives the same study', async () => {
    const a = await run(world(curves(27)), hyperbandRequest());
    const b = await run(world(curves(27)), hyperbandRequest());
    expect(b.study.trials.map((t) => [t.hyperParameters, t.hyperband, t.status])).toEqual(a.study.trials.map((t) => [t.hyperParameters, t.hyperband, t.status]));
  });
});
