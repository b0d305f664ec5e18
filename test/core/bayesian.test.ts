/** The Bayesian strategy's choice of acquisition scope for parallel suggestions (one global point per wave; every point global after a stall), the local scope's trust region, and the starts of the hyperparameter fit. */
import * as acquisition from '../../src/core/acquisition';
import { LOCAL_RADIUS, optimizeAcquisition } from '../../src/core/acquisition';
import { createOptimizer, type Optimizer } from '../../src/core';
import * as gp from '../../src/core/gp';
import { GaussianProcess, defaultTheta } from '../../src/core/gp';
import { BAYESIAN_DEFAULTS, STALL_WAVES } from '../../src/core/strategies/bayesian';
import { Rng } from '../../src/core/rng';
import { SearchSpace } from '../../src/core/space';

const RANGES = {
  ContinuousParameterRanges: [
    { Name: 'x', MinValue: 0, MaxValue: 1 },
    { Name: 'y', MinValue: 0, MaxValue: 1 },
  ],
};
const f = (hp: Record<string, unknown>): number => ((hp.x as number) - 0.3) ** 2 + ((hp.y as number) - 0.6) ** 2;

async function warmedUp(seed: number): Promise<Optimizer> {
  const opt = createOptimizer({ ParameterRanges: RANGES, Objective: { Type: 'Minimize' }, RandomSeed: seed });
  for (let i = 0; i < 8; i++) {
    const [s] = await opt.ask(1);
    opt.tell(s.id, f(s.hyperParameters));
  }
  return opt;
}

describe('Bayesian parallel suggestions', () => {
  let scopes: (string | undefined)[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    scopes = [];
    const real = acquisition.optimizeAcquisition;
    spy = jest.spyOn(acquisition, 'optimizeAcquisition').mockImplementation((...args) => {
      scopes.push(args[4].scope);
      return real(...args);
    });
  });
  afterEach(() => spy.mockRestore());

  it('places at most modelPointsPerAsk points of one ask with the model and fills the rest from the Sobol design', async () => {
    const opt = await warmedUp(3);
    scopes = [];
    const cap = BAYESIAN_DEFAULTS.modelPointsPerAsk;
    const out = await opt.ask(cap + 40);
    expect(scopes).toHaveLength(cap);
    expect(out).toHaveLength(cap + 40);
    expect(new Set(out.map((s) => JSON.stringify(s.hyperParameters))).size).toBe(cap + 40);
    // the fill is space-filling: its 40 points reach every quarter of both coordinates
    for (const name of ['x', 'y']) {
      const quarters = new Set(out.slice(cap).map((s) => Math.floor((s.hyperParameters[name] as number) * 4)));
      expect(quarters.size).toBe(4);
    }
  });

  it('searches globally for every sequential suggestion', async () => {
    const opt = await warmedUp(1);
    scopes = [];
    for (let i = 0; i < 3; i++) {
      const [s] = await opt.ask(1);
      opt.tell(s.id, f(s.hyperParameters));
    }
    expect(scopes).toEqual(['global', 'global', 'global']);
  });

  it('in a batch searches globally for the first point and near the incumbents for the others', async () => {
    const opt = await warmedUp(2);
    scopes = [];
    const batch = await opt.ask(4);
    expect(scopes).toEqual(['global', 'local', 'local', 'local']);
    expect(new Set(batch.map((s) => JSON.stringify(s.hyperParameters))).size).toBe(4);
  });

  it('searches globally for a whole batch once the best is older than STALL_WAVES waves, and locally again after an improvement', async () => {
    const opt = await warmedUp(2);
    const batchScopes = async (value: (i: number) => number): Promise<(string | undefined)[]> => {
      scopes = [];
      const batch = await opt.ask(4);
      batch.forEach((s, i) => opt.tell(s.id, value(i)));
      return scopes;
    };
    const worse = (): number => 10;
    expect(await batchScopes(worse)).toEqual(['global', 'local', 'local', 'local']);
    // The best is now older than 4 completed trials but not 1.5 waves (6): still one global point per wave.
    expect(await batchScopes(worse)).toEqual(['global', 'local', 'local', 'local']);
    // 8 completed trials without improvement: the whole batch searches globally.
    expect(Math.ceil(STALL_WAVES * 4)).toBeLessThanOrEqual(8);
    expect(await batchScopes((i) => (i === 3 ? -1 : 10))).toEqual(['global', 'global', 'global', 'global']);
    // Its last trial improved on the best: back to one global point per wave.
    expect(await batchScopes(worse)).toEqual(['global', 'local', 'local', 'local']);
  });

  it('with trials in flight (asynchronous parallel jobs), searches globally for one trial in each wave of q', async () => {
    const opt = await warmedUp(3);
    // 4 parallel workers: 3 pending while each new trial is asked, one finishing before the next ask.
    const inFlight = await opt.ask(3);
    scopes = [];
    const trialIndex: number[] = [];
    for (let i = 0; i < 8; i++) {
      trialIndex.push(opt.history().trials.length);
      const [s] = await opt.ask(1);
      const done = inFlight.shift()!;
      opt.tell(done.id, f(done.hyperParameters));
      inFlight.push(s);
    }
    expect(scopes).toEqual(trialIndex.map((t) => (t % 4 === 0 ? 'global' : 'local')));
    expect(scopes.filter((s) => s === 'global')).toHaveLength(2);
  });
});

describe('local acquisition search', () => {
  // Data crowd the corner near (x, y) = (0.1, 0.1), where the incumbent is; the expected improvement is largest far
  // away. Encoded coordinates: n (integer) first, then x and y.
  const space = SearchSpace.fromRanges({
    ContinuousParameterRanges: [
      { Name: 'x', MinValue: 0, MaxValue: 1 },
      { Name: 'y', MinValue: 0, MaxValue: 1 },
    ],
    IntegerParameterRanges: [{ Name: 'n', MinValue: 0, MaxValue: 20 }],
  });
  const rng = new Rng(3);
  const X = Array.from({ length: 12 }, () => Float64Array.from([0.5, 0.1 + 0.15 * rng.next(), 0.1 + 0.15 * rng.next()]));
  const y = Float64Array.from(X, (x) => (x[1] - 0.1) ** 2 + (x[2] - 0.1) ** 2);
  const gp = new GaussianProcess({ X, y, categorical: new Uint8Array(3) }, Float64Array.from([Math.log(0.3), Math.log(0.3), Math.log(0.3), 0, Math.log(1e-6)]));
  const order = X.map((_, i) => i).sort((a, b) => y[a] - y[b]);
  const incumbents = order.slice(0, 5).map((i) => X[i]);
  const opts = { candidates: 512, localSearchStarts: 5, incumbents, best: y[order[0]] };

  it('keeps every continuous coordinate within LOCAL_RADIUS of an incumbent, while the global search goes further', () => {
    const within = (x: Float64Array): boolean =>
      incumbents.some((inc) => space.continuous.every((d) => Math.abs(x[d] - inc[d]) <= LOCAL_RADIUS + 1e-12));
    for (let seed = 0; seed < 5; seed++) {
      const local = optimizeAcquisition(gp, space, new Set(), new Rng(seed), { ...opts, scope: 'local' });
      expect(local).toBeDefined();
      expect(within(local!.x)).toBe(true);
    }
    const global = optimizeAcquisition(gp, space, new Set(), new Rng(0), { ...opts, scope: 'global' });
    expect(within(global!.x)).toBe(false);
  });
});

describe('hyperparameter fit starts', () => {
  let starts: Float64Array[][];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    starts = [];
    const real = gp.fitHyperparameters;
    spy = jest.spyOn(gp, 'fitHyperparameters').mockImplementation((inputs, opts) => {
      starts.push(opts.starts.map((s) => Float64Array.from(s)));
      return real(inputs, opts);
    });
  });
  afterEach(() => spy.mockRestore());

  /** An optimizer rebuilt from `n` completed trials at random points (no model state: its first fit is cold). */
  function withHistory(n: number): Optimizer {
    const rng = new Rng(11);
    const trials = Array.from({ length: n }, (_, i) => {
      const hp = { x: rng.next(), y: rng.next() };
      return { id: `h${i}`, hyperParameters: hp, state: 'completed' as const, value: f(hp) };
    });
    return createOptimizer({ ParameterRanges: RANGES, Objective: { Type: 'Minimize' }, RandomSeed: 2 }, { trials });
  }

  /** The prior's mode with both (numeric) lengthscales set to `ell`. */
  const lengthscales = (ell: number): number[] => {
    const theta = Array.from(defaultTheta(2, new Uint8Array(2)));
    theta[0] = theta[1] = Math.log(ell);
    return theta;
  };

  it('while the data are few, starts cold from the mode and two lengthscale guesses, warm from the previous fit too', async () => {
    const opt = withHistory(30);
    const mode = Array.from(defaultTheta(2, new Uint8Array(2)));
    const halfCap = lengthscales(gp.GP_BOUNDS.maxNumericLengthscale(2) / 2);
    const [s] = await opt.ask(1);
    expect(starts[0].map((t) => Array.from(t))).toEqual([mode, halfCap, lengthscales(0.2)]);
    opt.tell(s.id, f(s.hyperParameters));
    const previous = (opt.history().modelState as { theta: number[] }).theta;
    await opt.ask(1);
    expect(starts[1].map((t) => Array.from(t))).toEqual([previous, mode, halfCap]);
  });

  it('past maxHyperFitPoints observations starts cold from the mode and the half-cap guess, warm from the previous fit alone', async () => {
    const opt = withHistory(BAYESIAN_DEFAULTS.maxHyperFitPoints + 20);
    const [s] = await opt.ask(1);
    const mode = Array.from(defaultTheta(2, new Uint8Array(2)));
    expect(starts[0].map((t) => Array.from(t))).toEqual([mode, lengthscales(gp.GP_BOUNDS.maxNumericLengthscale(2) / 2)]);
    opt.tell(s.id, f(s.hyperParameters));
    const previous = (opt.history().modelState as { theta: number[] }).theta;
    await opt.ask(1);
    expect(starts[1].map((t) => Array.from(t))).toEqual([previous]);
  });
});

describe('Bayesian suggestions with trials in flight (issue 16)', () => {
  /** Four parallel workers for `evals` evaluations: ask(1) with 3 pending each time one finishes (oldest first). */
  async function asyncRun(seed: number, evals: number): Promise<{ hp: Record<string, unknown>; pendingAtAsk: Record<string, unknown>[] }[]> {
    const opt = createOptimizer({ ParameterRanges: RANGES, Objective: { Type: 'Minimize' }, RandomSeed: seed });
    const running = await opt.ask(4);
    const out: { hp: Record<string, unknown>; pendingAtAsk: Record<string, unknown>[] }[] = running.map((s) => ({ hp: s.hyperParameters, pendingAtAsk: [] }));
    for (let told = 0; told < evals; told++) {
      const done = running.shift()!;
      opt.tell(done.id, f(done.hyperParameters));
      if (told + running.length + 1 >= evals) continue;
      const pendingAtAsk = running.map((s) => s.hyperParameters);
      const [s] = await opt.ask(1);
      out.push({ hp: s.hyperParameters, pendingAtAsk });
      running.push(s);
    }
    return out;
  }

  it('never repeats a pending or completed configuration, stays in range and is the same for the same seed', async () => {
    const a = await asyncRun(4, 20);
    const keys = a.map((s) => JSON.stringify(s.hp));
    expect(new Set(keys).size).toBe(keys.length);
    for (const { hp } of a) {
      for (const v of [hp.x, hp.y]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    for (const { hp, pendingAtAsk } of a) expect(pendingAtAsk.map((p) => JSON.stringify(p))).not.toContain(JSON.stringify(hp));
    expect((await asyncRun(4, 20)).map((s) => s.hp)).toEqual(a.map((s) => s.hp));
    expect((await asyncRun(5, 20)).map((s) => s.hp)).not.toEqual(a.map((s) => s.hp));
  });

  it('takes a trial in flight into account: the next suggestion moves away from it', async () => {
    const opt = await warmedUp(6);
    const history = opt.history();
    const alone = await createOptimizer({ ParameterRanges: RANGES, Objective: { Type: 'Minimize' }, RandomSeed: 6 }, history).ask(1);
    // The same state with the suggestion `alone` already in flight (as another worker would have it).
    const withPending = createOptimizer({ ParameterRanges: RANGES, Objective: { Type: 'Minimize' }, RandomSeed: 6 }, {
      ...history,
      trials: [...history.trials, { id: 'inflight', hyperParameters: alone[0].hyperParameters, state: 'pending' }],
    });
    // A control with a trial in flight far away (same number of trials, so the same random stream).
    const control = createOptimizer({ ParameterRanges: RANGES, Objective: { Type: 'Minimize' }, RandomSeed: 6 }, {
      ...history,
      trials: [...history.trials, { id: 'inflight', hyperParameters: { x: 1, y: 1 }, state: 'pending' }],
    });
    const dist = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
      Math.hypot((a.x as number) - (b.x as number), (a.y as number) - (b.y as number));
    const [next] = await withPending.ask(1);
    const [far] = await control.ask(1);
    expect(dist(far.hyperParameters, alone[0].hyperParameters)).toBeLessThan(0.05);
    expect(dist(next.hyperParameters, alone[0].hyperParameters)).toBeGreaterThan(10 * dist(far.hyperParameters, alone[0].hyperParameters));
  });
});
