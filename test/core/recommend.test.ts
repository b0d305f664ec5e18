/** Optimizer.recommend(): the best posterior mean among completed trials (Bayesian), the best reported otherwise. */
import { createOptimizer, type Optimizer, type OptimizerConfig, type StrategyName } from '../../src/core';
import { Rng } from '../../src/core/rng';
import { transformOutputs } from '../../src/core/transforms';

const RANGES = {
  ContinuousParameterRanges: [
    { Name: 'x', MinValue: 0, MaxValue: 1 },
    { Name: 'y', MinValue: 0, MaxValue: 1 },
  ],
};
const f = (hp: Record<string, unknown>): number => ((hp.x as number) - 0.3) ** 2 + ((hp.y as number) - 0.6) ** 2;
const config = (Strategy: StrategyName, Type: 'Minimize' | 'Maximize' = 'Minimize'): OptimizerConfig => ({
  ParameterRanges: RANGES,
  Objective: { Type },
  Strategy,
  RandomSeed: 4,
});

async function run(opt: Optimizer, n: number, value: (hp: Record<string, unknown>, i: number) => number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const [s] = await opt.ask(1);
    opt.tell(s.id, value(s.hyperParameters, i));
  }
}

describe('Optimizer.recommend', () => {
  it('is undefined before any trial completed', async () => {
    const opt = createOptimizer(config('Bayesian'));
    expect(opt.recommend()).toBeUndefined();
    const [s] = await opt.ask(1);
    opt.fail(s.id);
    expect(opt.recommend()).toBeUndefined();
  });

  it('model-free strategies recommend the best reported trial', async () => {
    const opt = createOptimizer(config('Random', 'Maximize'));
    await run(opt, 10, (hp) => -f(hp));
    const rec = opt.recommend();
    const best = opt.history().trials.reduce((a, b) => ((b.value as number) > (a.value as number) ? b : a));
    expect(rec).toMatchObject({ id: best.id, value: best.value, basis: 'best-reported', bestReported: { id: best.id } });
    expect(rec?.predicted).toBeUndefined();
  });

  it('on a noise-free objective the Bayesian strategy recommends the best trial, its estimate close to its value', async () => {
    const opt = createOptimizer(config('Bayesian'));
    await run(opt, 20, f);
    const rec = opt.recommend();
    expect(rec?.basis).toBe('posterior-mean');
    expect(rec?.id).toBe(rec?.bestReported.id);
    expect(Math.abs((rec?.predicted as number) - (rec?.value as number))).toBeLessThan(1e-3);
  });

  it('passes over a lucky draw: the trial reported best thanks to its noise is not recommended', async () => {
    const noise = new Rng(7);
    const opt = createOptimizer(config('Bayesian'));
    // A smooth bowl with noise of sd 0.05; trial 15 draws 0.2 (4 sd) of luck and reports a value below every other.
    await run(opt, 30, (hp, i) => f(hp) + 0.05 * noise.normal() - (i === 15 ? 0.2 : 0));
    const rec = opt.recommend();
    expect(rec?.bestReported.id).toBe(opt.history().trials[15].id);
    expect(rec?.id).not.toBe(rec?.bestReported.id);
    expect(rec?.predicted as number).toBeLessThan(rec?.bestReported.predicted as number);
    expect(f(rec?.hyperParameters as Record<string, unknown>)).toBeLessThan(f(opt.history().trials[15].hyperParameters));
  });

  it('changes nothing the optimizer suggests, and is the same after a rebuild from history', async () => {
    const a = createOptimizer(config('Bayesian'));
    const b = createOptimizer(config('Bayesian'));
    await run(a, 12, f);
    await run(b, 12, f);
    const rec = a.recommend();
    const [sa] = await a.ask(2);
    const [sb] = await b.ask(2);
    expect(sa).toEqual(sb);
    const c = createOptimizer(config('Bayesian'), b.history());
    const d = createOptimizer(config('Bayesian'), a.history());
    expect(c.recommend()).toEqual(d.recommend());
    expect(rec?.id).toBeDefined();
  });

  it("reports estimates in the objective's units for Maximize too", async () => {
    const opt = createOptimizer(config('Bayesian', 'Maximize'));
    await run(opt, 15, (hp) => 10 - f(hp));
    const rec = opt.recommend();
    expect(rec?.predicted as number).toBeGreaterThan(9);
    expect(Math.abs((rec?.predicted as number) - (rec?.value as number))).toBeLessThan(1e-2);
  });
});

describe('transformOutputs().inverse', () => {
  it('maps every transformed observation back to itself', () => {
    for (const y of [
      [3, 1, 2],
      [5, 4, 4.5, 1, 0.5, 0.2, 0.1, 0],
      [1e6, 3, 2, 1, 0.5, 7, 12, 100],
      [1e300, 2e300, 3e300, 5e300],
    ]) {
      const t = transformOutputs(y);
      y.forEach((v, i) => expect(Math.abs(t.inverse(t.z[i]) - v)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v))));
    }
  });
});
