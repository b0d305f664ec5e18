import { createOptimizer } from '../../src/core';
import { runPool } from '../../bench/pool';
import { batchSize, runQualityJob, type QualityRecord } from '../../bench/quality';
import type { WorkerReply } from '../../bench/worker';

describe('quality runner', () => {
  it('records the best-so-far regret after every evaluation, with the anchors definitions', async () => {
    const r = await runQualityJob({ function: 'branin', strategy: 'Random', mode: 'seq', seed: 3 }, createOptimizer, 't');
    expect(r.evaluations).toBe(50);
    expect(r.regrets).toHaveLength(50);
    for (let i = 1; i < r.regrets.length; i++) expect(r.regrets[i]).toBeLessThanOrEqual(r.regrets[i - 1]);
    expect(r.regrets[r.regrets.length - 1]).toBe(Number(r.regret_final.toPrecision(4)));
    expect(r.n25).toBe(12);
    expect(r.n50).toBe(25);
    expect(Number(r.regret_25.toPrecision(4))).toBe(r.regrets[11]);
    expect(Number(r.regret_50.toPrecision(4))).toBe(r.regrets[24]);
    expect(r.regret_final).toBeGreaterThan(0);
    expect(r.duplicates).toBe(0);
    expect(r.n_end_window).toBe(5);
    // the best parameters reproduce the best value
    const { benchFunction } = await import('../../bench/functions');
    const f = benchFunction('branin');
    expect(f.evaluate(r.best_params) - f.fstar).toBeCloseTo(r.regret_final, 12);
  });

  it('is deterministic per seed and differs across seeds', async () => {
    const run = (seed: number): Promise<QualityRecord> => runQualityJob({ function: 'mixed', strategy: 'Sobol', mode: 'b4', seed }, createOptimizer, 't');
    const [a, b, c] = await Promise.all([run(1), run(1), run(2)]);
    expect(a.regrets).toEqual(b.regrets);
    expect(a.best_params).toEqual(b.best_params);
    expect(c.regrets).not.toEqual(a.regrets);
    expect(a.batch).toBe(4);
    expect(a.evaluations).toBe(50);
  });

  it('accepts seq and b<k> modes only', () => {
    expect(batchSize('seq')).toBe(1);
    expect(batchSize('b4')).toBe(4);
    expect(() => batchSize('b1')).toThrow(/--modes: unknown mode "b1"; allowed: seq, or b<k>/);
    expect(() => batchSize('batch')).toThrow(/unknown mode "batch"/);
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
    expect(remote?.type === 'quality' && remote.record.regrets).toEqual(local.regrets);
  }, 30000);
});
