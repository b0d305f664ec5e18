import { createOptimizer } from '../../src/core';
import { runPool } from '../../bench/pool';
import { parseMode, regretCurve, runQualityJob, type CreateOptimizer, type QualityRecord } from '../../bench/quality';
import type { WorkerReply } from '../../bench/worker';

describe('quality runner', () => {
  it('records the best-so-far regret after every evaluation, with the anchors definitions', async () => {
    const r = await runQualityJob({ function: 'branin', strategy: 'Random', mode: 'seq', seed: 3 }, createOptimizer, 't');
    expect(r.evaluations).toBe(50);
    const curve = regretCurve(r);
    expect(curve).toHaveLength(50);
    for (let i = 1; i < curve.length; i++) expect(curve[i]).toBeLessThanOrEqual(curve[i - 1]);
    expect(r.improvements[0][0]).toBe(1);
    expect(r.improvements.length).toBeGreaterThan(1);
    expect(curve[49]).toBe(Number(r.regret_final.toPrecision(6)));
    expect(r.n25).toBe(12);
    expect(r.n50).toBe(25);
    expect(Number(r.regret_25.toPrecision(6))).toBe(curve[11]);
    expect(Number(r.regret_50.toPrecision(6))).toBe(curve[24]);
    expect(r.regret_final).toBeGreaterThan(0);
    expect(r.duplicates).toBe(0);
    expect(r.n_end_window).toBe(5);
    // the best parameters reproduce the best value
    const { benchFunction } = await import('../../bench/functions');
    const f = benchFunction('branin');
    expect(f.evaluate(r.best_params) - f.fstar).toBeCloseTo(r.regret_final, 12);
  });

  it('on a noisy problem, tells noisy values and measures the true value at the best reported trial', async () => {
    const { benchFunction } = await import('../../bench/functions');
    const f = benchFunction('branin_noise1');
    const r = await runQualityJob({ function: 'branin_noise1', strategy: 'Random', mode: 'seq', seed: 3 }, createOptimizer, 't');
    expect(r.noisy).toBe(true);
    // the best reported trial's true regret, which a lucky draw elsewhere can make worse than the best true value
    expect(f.evaluate(r.best_params) - f.fstar).toBeCloseTo(r.regret_final, 12);
    expect(r.regret_best_true as number).toBeLessThanOrEqual(r.regret_final);
    // a model-free strategy recommends the best reported trial
    expect(r.regret_recommended).toBe(r.regret_final);
    const again = await runQualityJob({ function: 'branin_noise1', strategy: 'Random', mode: 'seq', seed: 3 }, createOptimizer, 'u');
    expect(again.regret_final).toBe(r.regret_final);
    // the noise is there: the same run without it picks another trial
    const clean = await runQualityJob({ function: 'branin', strategy: 'Random', mode: 'seq', seed: 3 }, createOptimizer, 'v');
    expect(clean.regret_final).not.toBe(r.regret_final);
    expect(clean.noisy).toBeUndefined();
  });

  it('is deterministic per seed and differs across seeds', async () => {
    const run = (seed: number): Promise<QualityRecord> => runQualityJob({ function: 'mixed', strategy: 'Sobol', mode: 'b4', seed }, createOptimizer, 't');
    const [a, b, c] = await Promise.all([run(1), run(1), run(2)]);
    expect(a.improvements).toEqual(b.improvements);
    expect(a.best_params).toEqual(b.best_params);
    expect(c.improvements).not.toEqual(a.improvements);
    expect(a.batch).toBe(4);
    expect(a.evaluations).toBe(50);
  });

  it('expands improvements into the best-so-far curve', () => {
    expect(regretCurve({ evaluations: 6, improvements: [[1, 9], [3, 4], [6, 1]] })).toEqual([9, 9, 4, 4, 4, 1]);
  });

  it('accepts seq, b<k> and a<k> modes only', () => {
    expect(parseMode('seq')).toEqual({ kind: 'seq', k: 1 });
    expect(parseMode('b4')).toEqual({ kind: 'batch', k: 4 });
    expect(parseMode('a8')).toEqual({ kind: 'async', k: 8 });
    expect(parseMode('b2')).toEqual({ kind: 'batch', k: 2 });
    expect(() => parseMode('b1')).toThrow(/--modes: unknown mode "b1"; allowed: seq, b<k> \(batches\) or a<k> \(asynchronous\)/);
    expect(() => parseMode('a65')).toThrow(/unknown mode "a65"/);
    expect(() => parseMode('batch')).toThrow(/unknown mode "batch"/);
  });

  it('runs the asynchronous mode with k trials always running, told in the order they finish', async () => {
    const asks: { n: number; outstanding: number }[] = [];
    const toldOrder: string[] = [];
    const askedOrder: string[] = [];
    const spy: CreateOptimizer = (config) => {
      const opt = createOptimizer(config);
      let outstanding = 0;
      return {
        ...opt,
        ask: async (n?: number) => {
          asks.push({ n: n ?? 1, outstanding });
          const out = await opt.ask(n);
          outstanding += out.length;
          askedOrder.push(...out.map((s) => s.id));
          return out;
        },
        tell: (id: string, y: number) => {
          outstanding--;
          toldOrder.push(id);
          opt.tell(id, y);
        },
        recommend: () => opt.recommend(),
      } as ReturnType<CreateOptimizer>;
    };
    const r = await runQualityJob({ function: 'hartmann3', strategy: 'Random', mode: 'a4', seed: 5 }, spy, 't');
    expect(r.evaluations).toBe(50);
    expect(r.batch).toBe(4);
    expect(asks[0]).toEqual({ n: 4, outstanding: 0 });
    // every later ask is one trial, started when one of the four finished: three still running
    expect(asks.slice(1).every((a) => a.n === 1 && a.outstanding === 3)).toBe(true);
    expect(asks).toHaveLength(47);
    expect(toldOrder.slice().sort()).toEqual(askedOrder.slice().sort());
    expect(toldOrder).not.toEqual(askedOrder);
    const again = await runQualityJob({ function: 'hartmann3', strategy: 'Random', mode: 'a4', seed: 5 }, createOptimizer, 't');
    expect(again.improvements).toEqual(r.improvements);
  });

  it('spreads tasks over worker processes and reports a failing task without losing the others', async () => {
    const replies: WorkerReply[] = [];
    const failures = await runPool(
      [
        { kind: 'quality', job: { function: 'levy4', strategy: 'Random', mode: 'seq', seed: 0 }, runId: 'w' },
        { kind: 'quality', job: { function: 'nope', strategy: 'Random', mode: 'seq', seed: 0 }, runId: 'w' },
        { kind: 'quality', job: { function: 'levy4', strategy: 'Random', mode: 'b4', seed: 0 }, runId: 'w' },
      ],
      { workers: 2 },
      (reply) => replies.push(reply),
    );
    expect(failures).toHaveLength(1);
    expect(failures[0].message).toMatch(/unknown benchmark function "nope"/);
    expect(replies.map((r) => (r.type === 'quality' ? r.record.mode : r.type)).sort()).toEqual(['b4', 'seq']);
    // the worker computes exactly what the in-process runner computes
    const local = await runQualityJob({ function: 'levy4', strategy: 'Random', mode: 'seq', seed: 0 }, createOptimizer, 'w');
    const remote = replies.find((r) => r.type === 'quality' && r.record.mode === 'seq');
    expect(remote?.type === 'quality' && remote.record.improvements).toEqual(local.improvements);
  }, 30000);
});
