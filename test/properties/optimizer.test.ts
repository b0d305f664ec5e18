/**
 * Properties of ask/tell over arbitrary valid search spaces and histories (fast-check): every suggestion lies in
 * its ranges (integers whole, categories among the values, log ranges positive), none repeats a pending point, and
 * the optimizer throws nothing but its own typed errors. Failing cases shrink to a minimal space and history.
 */
import fc from 'fast-check';
import { createOptimizer, OptimizerError, SearchSpaceError } from '../../src/core';
import type { HistoryTrial, HyperParameters, ParameterRanges, StrategyName } from '../../src/core/types';

interface Space {
  ranges: ParameterRanges;
  /** A point inside the space from unit coordinates (for histories). */
  point: (u: number[]) => HyperParameters;
  check: (hp: HyperParameters) => string | undefined;
  dims: number;
}

const name = (i: number): string => `p${i}`;

const continuous = fc
  .record({
    lo: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    span: fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
    log: fc.boolean(),
  })
  .map(({ lo, span, log }) => (log ? { kind: 'c' as const, lo: Math.abs(lo) + 1e-3, hi: Math.abs(lo) + 1e-3 + span, log } : { kind: 'c' as const, lo, hi: lo + span, log }))
  .filter((r) => r.hi > r.lo && Number.isFinite(r.hi));
const integer = fc
  .record({ lo: fc.integer({ min: -1000, max: 1000 }), span: fc.integer({ min: 0, max: 5000 }), log: fc.boolean() })
  .map(({ lo, span, log }) => (log ? { kind: 'i' as const, lo: Math.abs(lo) + 1, hi: Math.abs(lo) + 1 + span, log } : { kind: 'i' as const, lo, hi: lo + span, log }));
const categorical = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s.trim() === s && s.length > 0), { minLength: 1, maxLength: 5 }).map((values) => ({ kind: 'k' as const, values }));

const space: fc.Arbitrary<Space> = fc.array(fc.oneof(continuous, integer, categorical), { minLength: 1, maxLength: 4 }).map((dims) => {
  const ranges: { IntegerParameterRanges: object[]; ContinuousParameterRanges: object[]; CategoricalParameterRanges: object[] } = {
    IntegerParameterRanges: [],
    ContinuousParameterRanges: [],
    CategoricalParameterRanges: [],
  };
  dims.forEach((d, i) => {
    if (d.kind === 'k') ranges.CategoricalParameterRanges.push({ Name: name(i), Values: d.values });
    else if (d.kind === 'i') ranges.IntegerParameterRanges.push({ Name: name(i), MinValue: String(d.lo), MaxValue: String(d.hi), ScalingType: d.log ? 'Logarithmic' : 'Linear' });
    else ranges.ContinuousParameterRanges.push({ Name: name(i), MinValue: String(d.lo), MaxValue: String(d.hi), ScalingType: d.log ? 'Logarithmic' : 'Linear' });
  });
  return {
    ranges: ranges as ParameterRanges,
    dims: dims.length,
    point: (u) =>
      Object.fromEntries(
        dims.map((d, i) => {
          const t = u[i % u.length];
          if (d.kind === 'k') return [name(i), d.values[Math.min(d.values.length - 1, Math.floor(t * d.values.length))]];
          const v = d.lo + t * (d.hi - d.lo);
          return [name(i), d.kind === 'i' ? Math.min(d.hi, Math.max(d.lo, Math.round(v))) : Math.min(d.hi, Math.max(d.lo, v))];
        }),
      ),
    check: (hp) => {
      for (const [i, d] of dims.entries()) {
        const v = hp[name(i)];
        if (d.kind === 'k') {
          if (!d.values.includes(v as string)) return `${name(i)}=${String(v)} is not among ${JSON.stringify(d.values)}`;
        } else if (typeof v !== 'number' || !(v >= Number(String(d.lo)) && v <= Number(String(d.hi)))) return `${name(i)}=${String(v)} is outside [${d.lo}, ${d.hi}]`;
        else if (d.kind === 'i' && !Number.isInteger(v)) return `${name(i)}=${v} is not an integer`;
      }
      return Object.keys(hp).length === dims.length ? undefined : `unexpected keys ${Object.keys(hp).join(',')}`;
    },
  };
});

const historyOf = (s: Space) =>
  fc.array(
    fc.record({
      u: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
      state: fc.constantFrom('completed', 'completed', 'completed', 'pending', 'failed') as fc.Arbitrary<HistoryTrial['state']>,
      value: fc.oneof(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.constantFrom(0, 1, -1)),
    }),
    { maxLength: 14 },
  ).map((items) => items.map((it, i): HistoryTrial => ({ id: `h${i}`, hyperParameters: s.point(it.u), state: it.state, ...(it.state === 'completed' ? { value: it.value } : {}) })));

const key = (hp: HyperParameters): string => JSON.stringify(Object.keys(hp).sort().map((k) => hp[k]));

async function property(strategy: StrategyName, runs: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      space.chain((s) => fc.tuple(fc.constant(s), historyOf(s), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom('Minimize', 'Maximize'))),
      async ([s, history, n, seed, type]) => {
        let suggestions;
        try {
          const optimizer = createOptimizer({ ParameterRanges: s.ranges, Objective: { Type: type as 'Minimize' }, Strategy: strategy, RandomSeed: seed }, { trials: history });
          suggestions = await optimizer.ask(n);
        } catch (error) {
          // Typed errors only (e.g. a space with nothing left to suggest is not an error at all: fewer suggestions).
          if (error instanceof OptimizerError || error instanceof SearchSpaceError) return;
          throw error;
        }
        expect(suggestions.length).toBeLessThanOrEqual(n);
        const pending = new Set(history.filter((h) => h.state === 'pending').map((h) => key(h.hyperParameters)));
        const seen = new Set<string>();
        // A tiny discrete space may have nothing else left: only then may a suggestion repeat.
        const exhausted = discreteExhausted(s, history);
        for (const sug of suggestions) {
          expect(s.check(sug.hyperParameters)).toBeUndefined();
          const k = key(sug.hyperParameters);
          expect({ repeatsPending: pending.has(k) && !exhausted, repeatsBatch: seen.has(k) && !exhausted }).toEqual({ repeatsPending: false, repeatsBatch: false });
          seen.add(k);
        }
      },
    ),
    { numRuns: runs, seed: 20261205 },
  );
}

/** True when a fully discrete space has no untried point left (then repeats are allowed). */
function discreteExhausted(s: Space, history: readonly HistoryTrial[]): boolean {
  const r = s.ranges;
  if ((r.ContinuousParameterRanges ?? []).length > 0) return false;
  let size = 1;
  for (const i of r.IntegerParameterRanges ?? []) size *= Number(i.MaxValue) - Number(i.MinValue) + 1;
  for (const c of r.CategoricalParameterRanges ?? []) size *= c.Values.length;
  return size <= history.length + 4;
}

describe('ask over arbitrary valid spaces and histories', () => {
  test('Random: in range, no pending point repeated, only typed errors', () => property('Random', 300));
  test('Sobol: the same', () => property('Sobol', 200));
  test('Bayesian: the same (the Gaussian process fitted on whatever history)', () => property('Bayesian', 60), 120_000);
});
