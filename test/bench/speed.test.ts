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

  it('times a cold and a warm ask(1) per repetition and reports memory', async () => {
    const recs = await runSpeedTask(40, 2, createOptimizer, 'test');
    expect(recs.map((r) => [r.n, r.rep, r.dim])).toEqual([
      [40, 0, 6],
      [40, 1, 6],
    ]);
    for (const r of recs) {
      expect(r.ask_ms).toBeGreaterThan(0);
      expect(r.warm_ask_ms).toBeGreaterThan(0);
      expect(r.ask_cpu_ms).toBeGreaterThan(0);
      expect(r.heap_used_mb).toBeGreaterThan(1);
      expect(r.rss_peak_mb).toBeGreaterThanOrEqual(r.rss_baseline_mb);
    }
  });
});
