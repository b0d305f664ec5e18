/**
 * The contract every strategy honours: determinism per seed, values inside their ranges, integers integral,
 * categoricals from their set, log dimensions sampled log-uniformly, no duplicates, tell/fail errors, and an
 * optimizer rebuilt from its history suggesting exactly what the original would have.
 */
import {
  createOptimizer,
  OptimizerError,
  type HistoryTrial,
  type HyperParameters,
  type Optimizer,
  type OptimizerConfig,
  type OptimizerHistory,
  type ParameterRanges,
  type StrategyName,
  type Suggestion,
} from '../../src/core';

const MIXED: ParameterRanges = {
  ContinuousParameterRanges: [
    { Name: 'lr', MinValue: '0.0001', MaxValue: '1', ScalingType: 'Logarithmic' },
    { Name: 'momentum', MinValue: 0.5, MaxValue: 0.99, ScalingType: 'Linear' },
  ],
  IntegerParameterRanges: [
    { Name: 'depth', MinValue: '1', MaxValue: '12', ScalingType: 'Linear' },
    { Name: 'trees', MinValue: 1, MaxValue: 1000, ScalingType: 'Logarithmic' },
  ],
  CategoricalParameterRanges: [{ Name: 'booster', Values: ['gbtree', 'dart', 'gblinear'] }],
};
const DISCRETE: ParameterRanges = {
  IntegerParameterRanges: [{ Name: 'depth', MinValue: 1, MaxValue: 6 }],
  CategoricalParameterRanges: [{ Name: 'booster', Values: ['gbtree', 'dart', 'gblinear'] }],
};

/** A smooth objective over MIXED (minimum near lr=0.01, momentum=0.9, depth=6, trees=100, booster=dart). */
function objective(hp: Suggestion['hyperParameters']): number {
  const lr = Math.log10(hp.lr as number) + 2;
  const m = ((hp.momentum as number) - 0.9) * 5;
  const d = ((hp.depth as number) - 6) / 3;
  const t = Math.log10(hp.trees as number) - 2;
  return lr * lr + m * m + d * d + t * t + (hp.booster === 'dart' ? 0 : 0.5);
}
function discreteObjective(hp: Suggestion['hyperParameters']): number {
  return ((hp.depth as number) - 4) ** 2 + (hp.booster === 'dart' ? 0 : 1);
}

const STRATEGIES: { strategy: StrategyName; ranges: ParameterRanges; f: (hp: Suggestion['hyperParameters']) => number }[] = [
  { strategy: 'Bayesian', ranges: MIXED, f: objective },
  { strategy: 'Random', ranges: MIXED, f: objective },
  { strategy: 'Sobol', ranges: MIXED, f: objective },
  { strategy: 'Grid', ranges: DISCRETE, f: discreteObjective },
];

async function runSteps(opt: Optimizer, f: (hp: Suggestion['hyperParameters']) => number, batches: number[]): Promise<Suggestion[]> {
  const all: Suggestion[] = [];
  for (const n of batches) {
    const batch = await opt.ask(n);
    all.push(...batch);
    batch.forEach((s, i) => (i === 0 && all.length % 5 === 1 ? opt.fail(s.id, 'crashed') : opt.tell(s.id, f(s.hyperParameters))));
  }
  return all;
}

function inRange(ranges: ParameterRanges, s: Suggestion): void {
  for (const r of ranges.ContinuousParameterRanges ?? []) {
    const v = s.hyperParameters[r.Name];
    expect(typeof v).toBe('number');
    expect(v).toBeGreaterThanOrEqual(Number(r.MinValue));
    expect(v).toBeLessThanOrEqual(Number(r.MaxValue));
  }
  for (const r of ranges.IntegerParameterRanges ?? []) {
    const v = s.hyperParameters[r.Name] as number;
    expect(Number.isInteger(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(Number(r.MinValue));
    expect(v).toBeLessThanOrEqual(Number(r.MaxValue));
  }
  for (const r of ranges.CategoricalParameterRanges ?? []) expect(r.Values).toContain(s.hyperParameters[r.Name]);
  expect(Object.keys(s.hyperParameters).sort()).toEqual(
    [...(ranges.ContinuousParameterRanges ?? []), ...(ranges.IntegerParameterRanges ?? []), ...(ranges.CategoricalParameterRanges ?? [])].map((r) => r.Name).sort(),
  );
}

describe.each(STRATEGIES)('$strategy strategy', ({ strategy, ranges, f }) => {
  const config = (seed: number): OptimizerConfig => ({ ParameterRanges: ranges, Objective: { Type: 'Minimize' }, Strategy: strategy, RandomSeed: seed });
  const steps = strategy === 'Grid' ? [3, 4, 2, 5] : [4, 1, 1, 3, 1, 2, 1];

  it('gives the same suggestions for the same seed, and different ones for another seed', async () => {
    const a = await runSteps(createOptimizer(config(7)), f, steps);
    const b = await runSteps(createOptimizer(config(7)), f, steps);
    expect(b).toEqual(a);
    if (strategy !== 'Grid') {
      const c = await runSteps(createOptimizer(config(8)), f, steps);
      expect(c.map((s) => s.hyperParameters)).not.toEqual(a.map((s) => s.hyperParameters));
    }
  });

  it('keeps every value inside its range, integers integral and categoricals from their set', async () => {
    const all = await runSteps(createOptimizer(config(3)), f, steps);
    expect(all.length).toBe(steps.reduce((x, y) => x + y, 0));
    for (const s of all) inRange(ranges, s);
  });

  it('never suggests a configuration twice, within a batch or across the history, and counts pending trials', async () => {
    const opt = createOptimizer(config(11));
    const first = await opt.ask(3); // left pending
    const second = await opt.ask(4);
    const all = [...first, ...second, ...(await runSteps(opt, f, strategy === 'Grid' ? [5] : [3, 3]))];
    const keys = all.map((s) => JSON.stringify(s.hyperParameters));
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
  });

  it('rebuilt from its history, suggests exactly what the original would have', async () => {
    const original = createOptimizer(config(5));
    await runSteps(original, f, steps);
    const pending = await original.ask(2); // pending trials are part of the history too
    const rebuilt = createOptimizer(config(5), JSON.parse(JSON.stringify(original.history())));
    const next = await original.ask(3);
    const again = await rebuilt.ask(3);
    expect(again).toEqual(next);
    expect(pending.length).toBe(2);
  });

  it('rejects unknown ids, non-finite values and second reports with a clear error, changing nothing', async () => {
    const opt = createOptimizer(config(1));
    const [a, b] = await opt.ask(2);
    expect(() => opt.tell('nope', 1)).toThrow(new OptimizerError('tell: unknown suggestion id "nope"'));
    expect(() => opt.tell(a.id, NaN)).toThrow(/must be a finite number; got NaN/);
    expect(() => opt.tell(a.id, Infinity)).toThrow(/must be a finite number; got Infinity/);
    expect(() => opt.tell(a.id, '0.5' as unknown as number)).toThrow(/must be a finite number/);
    opt.tell(a.id, 0.25);
    expect(() => opt.tell(a.id, 0.5)).toThrow(/already reported \(completed\)/);
    expect(() => opt.fail(a.id)).toThrow(/fail: suggestion "0" was already reported/);
    opt.fail(b.id, 'out of memory');
    expect(() => opt.tell(b.id, 1)).toThrow(/already reported \(failed\)/);
    expect(() => opt.fail('zz')).toThrow(/fail: unknown suggestion id "zz"/);
    await expect(opt.ask(0)).rejects.toThrow(/n must be an integer from 1 to 1000; got 0/);
    expect(opt.history().trials).toEqual([
      { id: a.id, hyperParameters: a.hyperParameters, state: 'completed', value: 0.25 },
      { id: b.id, hyperParameters: b.hyperParameters, state: 'failed', reason: 'out of memory' },
    ]);
  });
});

describe('sampling distributions', () => {
  it.each(['Random', 'Sobol', 'Bayesian'] as StrategyName[])('%s samples log-scaled dimensions log-uniformly (initial design for Bayesian)', async (strategy) => {
    const ranges: ParameterRanges = { ContinuousParameterRanges: [{ Name: 'lr', MinValue: 1e-6, MaxValue: 1, ScalingType: 'Logarithmic' }], IntegerParameterRanges: [{ Name: 'n', MinValue: 1, MaxValue: 10000, ScalingType: 'Logarithmic' }] };
    const n = strategy === 'Bayesian' ? 32 : 400;
    const opt = createOptimizer({ ParameterRanges: ranges, Objective: { Type: 'Minimize' }, Strategy: strategy, RandomSeed: 3, Bayesian: { initialPoints: n } });
    const s = await opt.ask(n);
    // Each decade of lr holds about 1/6 of the points; each decade of n about 1/4.
    const decadesLr = new Array(6).fill(0);
    const decadesN = new Array(4).fill(0);
    for (const x of s) {
      decadesLr[Math.min(5, Math.floor(-Math.log10(x.hyperParameters.lr as number)))]++;
      decadesN[Math.min(3, Math.floor(Math.log10(x.hyperParameters.n as number)))]++;
    }
    for (const c of decadesLr) expect(Math.abs(c / n - 1 / 6)).toBeLessThan(strategy === 'Random' ? 0.06 : 0.05);
    for (const c of decadesN) expect(Math.abs(c / n - 1 / 4)).toBeLessThan(strategy === 'Random' ? 0.07 : 0.06);
  });

  it('Grid enumerates integers and categoricals, then returns fewer once exhausted', async () => {
    const opt = createOptimizer({ ParameterRanges: DISCRETE, Objective: { Type: 'Minimize' }, Strategy: 'Grid' });
    const all = await opt.ask(20);
    expect(all.length).toBe(18);
    expect(await opt.ask(1)).toEqual([]);
  });

  it('Random and Bayesian exhaust a tiny space without repeating and then return nothing', async () => {
    for (const strategy of ['Random', 'Bayesian'] as StrategyName[]) {
      const opt = createOptimizer({ ParameterRanges: DISCRETE, Objective: { Type: 'Minimize' }, Strategy: strategy, RandomSeed: 2 });
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) {
        for (const s of await opt.ask(3)) {
          seen.add(JSON.stringify(s.hyperParameters));
          opt.tell(s.id, discreteObjective(s.hyperParameters));
        }
      }
      expect(seen.size).toBe(18);
      expect(await opt.ask(2)).toEqual([]);
    }
  });
});

describe('Bayesian optimization behaviour', () => {
  it('beats random search on a smooth mixed problem within 30 evaluations, and Maximize flips the objective', async () => {
    const best = async (strategy: StrategyName, type: 'Minimize' | 'Maximize'): Promise<number> => {
      const sign = type === 'Maximize' ? -1 : 1;
      let b = Infinity;
      for (const seed of [0, 1]) {
        const opt = createOptimizer({ ParameterRanges: MIXED, Objective: { Type: type }, Strategy: strategy, RandomSeed: seed });
        let seedBest = Infinity;
        for (let i = 0; i < 30; i++) {
          const [s] = await opt.ask(1);
          const v = objective(s.hyperParameters);
          seedBest = Math.min(seedBest, v);
          opt.tell(s.id, sign * v);
        }
        b = Math.min(b, seedBest);
      }
      return b;
    };
    const bo = await best('Bayesian', 'Minimize');
    const boMax = await best('Bayesian', 'Maximize');
    const rnd = await best('Random', 'Minimize');
    expect(bo).toBeLessThan(0.05);
    expect(boMax).toBeLessThan(0.05);
    expect(bo).toBeLessThan(rnd / 3);
  });

  it('is not poisoned by failed trials: they never enter the fit, are never re-proposed, and the search still converges', async () => {
    // Trials with depth > 9 always fail (a quarter of the range), and every fourth trial fails at random.
    const ranges: ParameterRanges = {
      ContinuousParameterRanges: [MIXED.ContinuousParameterRanges![0]],
      IntegerParameterRanges: [MIXED.IntegerParameterRanges![0]],
      CategoricalParameterRanges: MIXED.CategoricalParameterRanges,
    };
    const f = (hp: Suggestion['hyperParameters']): number => objective({ ...hp, momentum: 0.9, trees: 100 });
    const run = async (strategy: StrategyName, seed: number): Promise<number> => {
      const opt = createOptimizer({ ParameterRanges: ranges, Objective: { Type: 'Minimize' }, Strategy: strategy, RandomSeed: seed });
      const failed = new Set<string>();
      let best = Infinity;
      for (let i = 0; i < 30; i++) {
        const [s] = await opt.ask(1);
        expect(failed.has(JSON.stringify(s.hyperParameters))).toBe(false);
        if ((s.hyperParameters.depth as number) > 9 || i % 4 === 3) {
          opt.fail(s.id, 'diverged');
          failed.add(JSON.stringify(s.hyperParameters));
        } else {
          best = Math.min(best, f(s.hyperParameters));
          opt.tell(s.id, f(s.hyperParameters));
        }
      }
      return best;
    };
    const seeds = [1, 2, 3, 4, 5];
    const median = (v: number[]): number => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
    const bo: number[] = [];
    const rnd: number[] = [];
    for (const seed of seeds) {
      bo.push(await run('Bayesian', seed));
      rnd.push(await run('Random', seed));
    }
    expect(median(bo)).toBeLessThan(median(rnd) / 4);
    expect(median(bo)).toBeLessThan(0.05);
  });

  it('spreads a batch out: four asks while trials are pending are distinct and not clustered', async () => {
    const opt = createOptimizer({ ParameterRanges: { ContinuousParameterRanges: [{ Name: 'x', MinValue: 0, MaxValue: 1 }, { Name: 'y', MinValue: 0, MaxValue: 1 }] }, Objective: { Type: 'Minimize' }, RandomSeed: 9 });
    for (let i = 0; i < 10; i++) {
      const [s] = await opt.ask(1);
      opt.tell(s.id, ((s.hyperParameters.x as number) - 0.3) ** 2 + ((s.hyperParameters.y as number) - 0.6) ** 2);
    }
    const batch = await opt.ask(4);
    let minDist = Infinity;
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < i; j++) {
        const dx = (batch[i].hyperParameters.x as number) - (batch[j].hyperParameters.x as number);
        const dy = (batch[i].hyperParameters.y as number) - (batch[j].hyperParameters.y as number);
        minDist = Math.min(minDist, Math.hypot(dx, dy));
      }
    }
    expect(minDist).toBeGreaterThan(1e-3);
  });

  it('rejects a history that does not fit the space, naming the trial', () => {
    const config: OptimizerConfig = { ParameterRanges: DISCRETE, Objective: { Type: 'Minimize' } };
    expect(() => createOptimizer(config, { trials: [{ id: 'a', hyperParameters: { depth: 9, booster: 'dart' }, state: 'completed', value: 1 }] })).toThrow(/history.trials\[0\].hyperParameters depth=9 is outside \[1, 6\]/);
    expect(() => createOptimizer(config, { trials: [{ id: 'a', hyperParameters: { depth: 2, booster: 'dart' }, state: 'completed' }] })).toThrow(/history.trials\[0\].value must be a finite number/);
    expect(() => createOptimizer({ ...config, Objective: { Type: 'Biggest' as 'Minimize' } })).toThrow(/Objective.Type must be 'Minimize' or 'Maximize'; got "Biggest"/);
    expect(() => createOptimizer({ ...config, Strategy: 'Hyperband' as StrategyName })).toThrow(/Strategy must be one of Bayesian, Random, Sobol, Grid; got "Hyperband"/);
  });

  it('rejects malformed configs and histories with an OptimizerError naming the field, never a TypeError', () => {
    const config: OptimizerConfig = { ParameterRanges: DISCRETE, Objective: { Type: 'Minimize' } };
    const rejects = (f: () => unknown, message: RegExp): void => {
      expect(f).toThrow(OptimizerError);
      expect(f).toThrow(message);
    };
    rejects(() => createOptimizer(undefined as unknown as OptimizerConfig), /config must be an object with ParameterRanges and Objective; got nothing/);
    rejects(() => createOptimizer(null as unknown as OptimizerConfig), /config must be an object .* got null/);
    // names inherited from Object.prototype are not strategies
    for (const name of ['toString', 'constructor', '__proto__']) {
      rejects(() => createOptimizer({ ...config, Strategy: name as StrategyName }), new RegExp(`Strategy must be one of Bayesian, Random, Sobol, Grid; got "${name}"`));
    }
    rejects(() => createOptimizer({ ...config, RandomSeed: NaN }), /RandomSeed must be an integer of at most 9007199254740991 in magnitude; got NaN/);
    rejects(() => createOptimizer({ ...config, RandomSeed: 2 ** 60 }), /RandomSeed must be an integer of at most .* got 1152921504606847000/);
    const bayes = (Bayesian: unknown): OptimizerConfig => ({ ...config, Bayesian: Bayesian as OptimizerConfig['Bayesian'] });
    rejects(() => createOptimizer(bayes({ initialPoints: 'x' })), /Bayesian.initialPoints must be a whole number >= 1; got "x"/);
    rejects(() => createOptimizer(bayes({ candidates: -5, maxFitPoints: 1 })), /Bayesian.candidates must be a whole number >= 1; got -5; Bayesian.maxFitPoints must be a whole number >= 2; got 1/);
    rejects(() => createOptimizer(bayes({ localSearchStarts: NaN, initalPoints: 3 })), /Bayesian.localSearchStarts .* got NaN; Bayesian.initalPoints: unknown option; allowed: initialPoints, candidates, localSearchStarts, maxFitPoints/);
    rejects(() => createOptimizer(bayes(7)), /Bayesian must be an object of options .* got 7/);
    expect(() => createOptimizer(bayes({ initialPoints: 3, candidates: 64 }))).not.toThrow();
    rejects(() => createOptimizer(config, 5 as unknown as OptimizerHistory), /history must be an object with a list of trials .* got 5/);
    rejects(() => createOptimizer(config, { trials: {} } as unknown as OptimizerHistory), /history must be an object with a list of trials .* got \{"trials":\{\}\}/);
    rejects(() => createOptimizer(config, { trials: [null as unknown as HistoryTrial] }), /history.trials\[0\] must be an object with id, hyperParameters and state; got null/);
    rejects(
      () => createOptimizer(config, { trials: [{ id: 'a', hyperParameters: 'depth=2' as unknown as HyperParameters, state: 'pending' }] }),
      /history.trials\[0\].hyperParameters must be an object of parameter values; got "depth=2"/,
    );
    rejects(
      () => createOptimizer(config, { trials: [{ id: 'a', hyperParameters: { depth: 2, booster: 'dart' }, state: 'completed', value: NaN }] }),
      /history.trials\[0\].value must be a finite number for a completed trial; got NaN/,
    );
    rejects(() => createOptimizer(config, { trials: [], modelState: 5 as unknown as Record<string, unknown> }), /history.modelState must be an object .* got 5/);
    rejects(() => createOptimizer(config, { trials: [], modelState: { f: () => 1 } }), /history.modelState must hold plain data/);
  });

  it('reads only own keys of a history trial: a parameter named like an Object member is missing, not a function', () => {
    const config: OptimizerConfig = { ParameterRanges: { IntegerParameterRanges: [{ Name: 'constructor', MinValue: 1, MaxValue: 3 }] }, Objective: { Type: 'Minimize' } };
    expect(() => createOptimizer(config, { trials: [{ id: 'a', hyperParameters: {}, state: 'pending' }] })).toThrow(/history.trials\[0\].hyperParameters has no value for constructor/);
  });

  it('keeps a value only for completed trials and a reason only for failed ones when rebuilt from a history', () => {
    const config: OptimizerConfig = { ParameterRanges: DISCRETE, Objective: { Type: 'Minimize' } };
    const opt = createOptimizer(config, {
      trials: [
        { id: 'a', hyperParameters: { depth: 2, booster: 'dart' }, state: 'pending', value: 3, reason: 'x' },
        { id: 'b', hyperParameters: { depth: 3, booster: 'dart' }, state: 'failed', value: 4, reason: 7 as unknown as string },
        { id: 'c', hyperParameters: { depth: 4, booster: 'dart' }, state: 'completed', value: 5, reason: 'y' },
      ],
    });
    expect(opt.history().trials.map(({ id, state, value, reason }) => ({ id, state, value, reason }))).toEqual([
      { id: 'a', state: 'pending', value: undefined, reason: undefined },
      { id: 'b', state: 'failed', value: undefined, reason: '7' },
      { id: 'c', state: 'completed', value: 5, reason: undefined },
    ]);
  });

  it('names NaN, Infinity and strings as such in ask and tell errors', async () => {
    const opt = createOptimizer({ ParameterRanges: DISCRETE, Objective: { Type: 'Minimize' } });
    await expect(opt.ask(NaN)).rejects.toThrow(/n must be an integer from 1 to 1000; got NaN/);
    await expect(opt.ask(Infinity)).rejects.toThrow(/got Infinity/);
    const [s] = await opt.ask(1);
    expect(() => opt.tell(s.id, '1' as unknown as number)).toThrow(/must be a finite number; got "1"/);
  });
});
