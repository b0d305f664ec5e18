/** The Bayesian strategy's choice of acquisition scope for parallel suggestions (one global point per wave). */
import * as acquisition from '../../src/core/acquisition';
import { createOptimizer, type Optimizer } from '../../src/core';

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
