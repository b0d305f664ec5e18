/** Hyperband's model over (configuration, resource) (core/multifidelity.ts). */
import { createOptimizer } from '../../src/core';
import { bracketWeights, drawBracket, drawFromWeights, equalBracketWeights } from '../../src/core/hyperband';
import { resourceCoordinate, suggestMultiFidelity, type MultiFidelityTrial } from '../../src/core/multifidelity';

const RANGES = { ContinuousParameterRanges: [{ Name: 'x', MinValue: '0', MaxValue: '1' }] };
const CONFIG = { ranges: RANGES, type: 'Minimize' as const, seed: 7, minResource: 1, maxResource: 27 };

describe('the resource coordinate', () => {
  it('maps MinResource..MaxResource to 0..1 on a log scale', () => {
    expect(resourceCoordinate(1, 1, 27)).toBe(0);
    expect(resourceCoordinate(3, 1, 27)).toBeCloseTo(1 / 3, 12);
    expect(resourceCoordinate(9, 1, 27)).toBeCloseTo(2 / 3, 12);
    expect(resourceCoordinate(27, 1, 27)).toBe(1);
    // log(6/2)/log(54/2) = log 3 / log 27.
    expect(resourceCoordinate(6, 2, 54)).toBeCloseTo(1 / 3, 12);
    // Clamped; a single level is the maximum.
    expect(resourceCoordinate(30, 1, 27)).toBe(1);
    expect(resourceCoordinate(1, 4, 27)).toBe(0);
    expect(resourceCoordinate(4, 4, 4)).toBe(1);
  });
});

describe('proposals from the model over (configuration, resource)', () => {
  it("starts with the Bayesian strategy's initial design", async () => {
    const [mf] = suggestMultiFidelity(CONFIG, [], 1).points;
    const [bayes] = await createOptimizer({ ParameterRanges: RANGES, Objective: { Type: 'Minimize' }, Strategy: 'Bayesian', RandomSeed: 7 }).ask(1);
    expect(mf).toEqual(bayes.hyperParameters);
  });

  // Values at 1 epoch are lowest near x = 0.2, values at 27 epochs near x = 0.8 (the rankings cross).
  const early = (x: number): number => 1 + (x - 0.2) ** 2;
  const final = (x: number): number => 0.2 + (x - 0.8) ** 2;
  const trials: MultiFidelityTrial[] = [
    ...[0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95].map((x) => ({ hyperParameters: { x }, observations: [[1, early(x)]] as [number, number][], state: 'ended' as const })),
    ...[0.1, 0.3, 0.5, 0.7, 0.9].map((x) => ({ hyperParameters: { x }, observations: [[1, early(x)], [27, final(x)]] as [number, number][], state: 'ended' as const })),
  ];

  it('proposes where the values at MaxResource are best, not where the first rung is', () => {
    const { points, modelState } = suggestMultiFidelity(CONFIG, trials, 1);
    expect(points).toHaveLength(1);
    expect(Number(points[0].x)).toBeGreaterThan(0.6);
    // The model state holds the fitted hyperparameters: one lengthscale per coordinate and the resource's, signal, noise.
    expect((modelState?.theta as number[]).length).toBe(4);
  });

  it('is deterministic, avoids configurations already seen, and spreads a batch', () => {
    const a = suggestMultiFidelity(CONFIG, trials, 3);
    const b = suggestMultiFidelity(CONFIG, trials, 3);
    expect(a).toEqual(b);
    const keys = new Set(trials.map((t) => String(t.hyperParameters.x)));
    const xs = a.points.map((p) => String(p.x));
    expect(new Set(xs).size).toBe(3);
    for (const x of xs) expect(keys.has(x)).toBe(false);
  });

  it('maximizes when asked to', () => {
    const negated = trials.map((t) => ({ ...t, observations: t.observations.map(([r, v]) => [r, -v] as [number, number]) }));
    const [p] = suggestMultiFidelity({ ...CONFIG, type: 'Maximize' }, negated, 1).points;
    expect(Number(p.x)).toBeGreaterThan(0.6);
  });
});

describe('bracket draws in given proportions', () => {
  const S27 = { minResource: 1, maxResource: 27, reductionFactor: 3 };

  it('gives every bracket the same weight', () => {
    expect(equalBracketWeights(S27)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(equalBracketWeights({ minResource: 1, maxResource: 9, reductionFactor: 3 })).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(equalBracketWeights({ minResource: 4, maxResource: 4, reductionFactor: 3 })).toEqual([1]);
  });

  it("draws with Hyperband's uniform per trial: Hyperband's own proportions draw Hyperband's brackets", () => {
    for (let n = 1; n <= 200; n++) expect(drawFromWeights(bracketWeights(S27), 42, n)).toBe(drawBracket(S27, 42, n));
    // Zero weights are never drawn; the proportions hold.
    const counts = [0, 0, 0, 0];
    for (let n = 1; n <= 20000; n++) counts[drawFromWeights([0, 1, 1, 2], 3, n)]++;
    expect(counts[0]).toBe(0);
    [0, 0.25, 0.25, 0.5].forEach((w, i) => expect(Math.abs(counts[i] / 20000 - w)).toBeLessThan(0.015));
  });
});
