import { createOptimizer } from '../../src/core';
import { hartmann6 } from '../../bench/functions';
import { randomHistory, runSpeedTask } from '../../bench/speed';

describe('speed benchmark', () => {
  it('builds a reproducible history of n completed hartmann6 trials inside [0,1]^6', () => {
    const h = randomHistory(50, 7);
    expect(h.trials).toHaveLength(50);
    expect(randomHistory(50, 7)).toEqual(h);
    expect(randomHistory(50, 8)).not.toEqual(h);
    for (const t of h.trials) {
      const x = [0, 1, 2, 3, 4, 5].map((j) => t.hyperParameters[`x${j}`] as number);
      for (const v of x) expect(v >= 0 && v < 1).toBe(true);
      expect(t.state).toBe('completed');
      expect(t.value).toBe(hartmann6(x));
    }
  });

  it('times a cold ask(1) (no model state) and a warm one (from the state the cold one left), and reports memory', async () => {
    // Record what each optimizer is built from: per repetition, the warm-up aside, a cold build then a warm one.
    const built: { n: number; modelState: boolean }[] = [];
    const recording: typeof createOptimizer = (config, history) => {
      built.push({ n: history?.trials.length ?? 0, modelState: history?.modelState !== undefined });
      return createOptimizer(config, history);
    };
    const recs = await runSpeedTask(40, 2, recording, 'test');
    expect(recs.map((r) => [r.n, r.rep, r.dim])).toEqual([
      [40, 0, 6],
      [40, 1, 6],
    ]);
    expect(built).toEqual([
      { n: 30, modelState: false }, // the warm-up
      { n: 40, modelState: false },
      { n: 41, modelState: true },
      { n: 40, modelState: false },
      { n: 41, modelState: true },
    ]);
    for (const r of recs) {
      for (const ms of [r.ask_ms, r.warm_ask_ms, r.ask_cpu_ms]) expect(ms !== undefined && Number.isFinite(ms) && ms > 0).toBe(true);
      expect(r.heap_used_mb).toBeGreaterThan(1);
      expect(r.rss_peak_mb).toBeGreaterThanOrEqual(r.rss_baseline_mb);
    }
  });
});
