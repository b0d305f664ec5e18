import { BENCH_FUNCTIONS, NOISY_FUNCTIONS, benchFunction, branin, MIXED_FSTAR } from '../../bench/functions';
import { validateParameterRanges } from '../../src/core';

/**
 * Reference values computed independently: a separate stdlib-only Python implementation written from the
 * formulas in anchors.md (no code shared with bench/functions.ts), printed with repr().
 */
const INDEPENDENT: Record<string, Array<[Record<string, number | string>, number]>> = {
  branin: [
    [{ x0: 0, x1: 0 }, 55.602112642270264],
    [{ x0: 10, x1: 15 }, 145.87219087939556],
    [{ x0: -2.5, x1: 7.3 }, 14.46145440434479],
  ],
  hartmann3: [
    [{ x0: 0.5, x1: 0.5, x2: 0.5 }, -0.6280220150705937],
    [{ x0: 0.1, x1: 0.9, x2: 0.3 }, -0.4271234816291884],
  ],
  hartmann6: [
    [{ x0: 0.5, x1: 0.5, x2: 0.5, x3: 0.5, x4: 0.5, x5: 0.5 }, -0.5053149917022333],
    [{ x0: 0.1, x1: 0.2, x2: 0.3, x3: 0.4, x4: 0.5, x5: 0.6 }, -1.4069105761385297],
  ],
  rosenbrock4: [
    [{ x0: 0, x1: 0, x2: 0, x3: 0 }, 3],
    [{ x0: -1.5, x1: 2, x2: 0.5, x3: 9 }, 8895],
  ],
  ackley5: [
    [{ x0: 1, x1: 1, x2: 1, x3: 1, x4: 1 }, 3.6253849384403627],
    [{ x0: -3.2, x1: 10.5, x2: 0.7, x3: -20, x4: 32 }, 20.90231341875333],
  ],
  levy4: [
    [{ x0: 0, x1: 0, x2: 0, x3: 0 }, 0.8975336623509235],
    [{ x0: -7.5, x1: 3.3, x2: 9.9, x3: -0.2 }, 73.77275341440654],
  ],
  mixed: [
    [{ x1: -5, x2: 11.5, kernel: 'c' }, 39.01207952825605],
    [{ x1: 3, x2: 1, kernel: 'b' }, 2.4268934634139665],
  ],
};

describe('benchmark functions', () => {
  it('has the seven problems of the anchors with their budgets and dimensions', () => {
    expect(BENCH_FUNCTIONS.map((f) => [f.name, f.dim, f.budget])).toEqual([
      ['branin', 2, 50],
      ['hartmann3', 3, 50],
      ['hartmann6', 6, 100],
      ['rosenbrock4', 4, 50],
      ['ackley5', 5, 100],
      ['levy4', 4, 50],
      ['mixed', 3, 50],
    ]);
  });

  it.each(BENCH_FUNCTIONS.map((f) => [f.name, f] as const))('%s equals f* at its argmin', (_name, f) => {
    expect(Math.abs(f.evaluate(f.argmin) - f.fstar)).toBeLessThan(1e-6);
  });

  it.each(Object.entries(INDEPENDENT))('%s matches independently computed values', (name, cases) => {
    const f = benchFunction(name);
    for (const [hp, expected] of cases) {
      expect(f.evaluate(hp)).toBeCloseTo(expected, 9);
      expect(f.evaluate(hp)).toBeGreaterThanOrEqual(f.fstar);
    }
  });

  it('branin has three global minima', () => {
    const fstar = benchFunction('branin').fstar;
    for (const [x1, x2] of [
      [-Math.PI, 12.275],
      [Math.PI, 2.275],
      [9.42478, 2.475],
    ]) {
      expect(Math.abs(branin(x1, x2) - fstar)).toBeLessThan(1e-6);
    }
  });

  it('mixed: f* is the minimum over every integer and kernel (x2 on a fine grid)', () => {
    const f = benchFunction('mixed');
    let best = Infinity;
    for (let x1 = -5; x1 <= 9; x1++) {
      for (const kernel of ['a', 'b', 'c']) {
        for (let k = 0; k <= 3000; k++) best = Math.min(best, f.evaluate({ x1, x2: (15 * k) / 3000, kernel }));
      }
    }
    expect(best).toBeGreaterThanOrEqual(MIXED_FSTAR - 1e-12);
    expect(best - MIXED_FSTAR).toBeLessThan(1e-5);
  });

  it('expresses every domain as Linear SageMaker ranges whose bounds contain the argmin', () => {
    for (const f of BENCH_FUNCTIONS) {
      const r = f.parameterRanges;
      const numeric = [...(r.ContinuousParameterRanges ?? []), ...(r.IntegerParameterRanges ?? [])];
      expect(numeric.length + (r.CategoricalParameterRanges?.length ?? 0)).toBe(f.dim);
      for (const p of numeric) {
        expect(p.ScalingType).toBe('Linear');
        const v = f.argmin[p.Name] as number;
        expect(v).toBeGreaterThanOrEqual(Number(p.MinValue));
        expect(v).toBeLessThanOrEqual(Number(p.MaxValue));
      }
    }
    expect(benchFunction('ackley5').parameterRanges.ContinuousParameterRanges?.[0]).toMatchObject({
      MinValue: '-32.768',
      MaxValue: '32.768',
    });
    expect(benchFunction('mixed').parameterRanges).toEqual({
      IntegerParameterRanges: [{ Name: 'x1', MinValue: '-5', MaxValue: '9', ScalingType: 'Linear' }],
      ContinuousParameterRanges: [{ Name: 'x2', MinValue: '0', MaxValue: '15', ScalingType: 'Linear' }],
      CategoricalParameterRanges: [{ Name: 'kernel', Values: ['a', 'b', 'c'] }],
    });
  });

  it.each(BENCH_FUNCTIONS.map((f) => [f.name, f] as const))('%s ranges are valid SageMaker ParameterRanges for every strategy', (_name, f) => {
    for (const strategy of ['Bayesian', 'Random', 'Sobol'] as const) expect(validateParameterRanges(f.parameterRanges, strategy)).toEqual([]);
  });

  it('rejects malformed configurations with a message naming the parameter', () => {
    expect(() => benchFunction('mixed').evaluate({ x1: 2.5, x2: 1, kernel: 'a' })).toThrow(/x1 must be an integer/);
    expect(() => benchFunction('mixed').evaluate({ x1: 2, x2: 1, kernel: 'd' })).toThrow(/kernel must be one of/);
    expect(() => benchFunction('branin').evaluate({ x0: 1 })).toThrow(/x1 must be a finite number/);
    expect(() => benchFunction('nope')).toThrow(/unknown benchmark function "nope"/);
  });

  it('has the noisy problems of issue 16: three functions at sd 0.1% and 1% of their range, and one with noise growing in x1', () => {
    expect(NOISY_FUNCTIONS.map((f) => [f.name, f.budget, f.fstar])).toEqual([
      ['branin_noise0.1', 50, benchFunction('branin').fstar],
      ['branin_noise1', 50, benchFunction('branin').fstar],
      ['hartmann6_noise0.1', 100, benchFunction('hartmann6').fstar],
      ['hartmann6_noise1', 100, benchFunction('hartmann6').fstar],
      ['mixed_noise0.1', 50, MIXED_FSTAR],
      ['mixed_noise1', 50, MIXED_FSTAR],
      ['branin_hetero', 50, benchFunction('branin').fstar],
    ]);
    const sd = (name: string, hp: Record<string, number | string>): number => (benchFunction(name).noiseSd as (h: typeof hp) => number)(hp);
    expect(sd('branin_noise0.1', { x0: 0, x1: 0 })).toBeCloseTo(0.308, 10);
    expect(sd('hartmann6_noise1', {})).toBeCloseTo(0.0332, 10);
    expect(sd('mixed_noise1', {})).toBeCloseTo(2.89, 10);
    expect(sd('branin_hetero', { x0: -Math.PI, x1: 12.275 })).toBeCloseTo(3.08 * ((5 - Math.PI) / 15) ** 2, 10);
    expect(sd('branin_hetero', { x0: 10, x1: 0 })).toBeCloseTo(3.08, 10);
    // the true value is the noise-free function's
    expect(benchFunction('branin_hetero').evaluate({ x0: Math.PI, x1: 2.275 })).toBe(branin(Math.PI, 2.275));
    expect(BENCH_FUNCTIONS.some((f) => f.noiseSd)).toBe(false);
  });
});
