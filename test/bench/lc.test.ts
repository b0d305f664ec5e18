import * as fs from 'node:fs';
import * as path from 'node:path';
import { jobOutcomes, runEngine, trajectory } from '../../bench/lc/engine';
import { EPOCHS, mix, nearestRow, normalise, SYNTHETIC, tableProblem, type LcParam } from '../../bench/lc/problems';
import { barRows, bestAt, epochsTo, lcSection, methodLabel, summarize } from '../../bench/lc/report';
import type { LcRecord } from '../../bench/lc/engine';

describe('learning-curve problems', () => {
  it('normalises on the log scale for log ranges, linearly otherwise, and categoricals to their index', () => {
    expect(normalise({ name: 'lr', kind: 'float', min: 1e-4, max: 1, log: true }, 0.01)).toBeCloseTo(0.5, 12);
    expect(normalise({ name: 'n', kind: 'int', min: 0, max: 10 }, '5')).toBe(0.5);
    expect(normalise({ name: 'o', kind: 'cat', values: ['a', 'b', 'c'] }, 'c')).toBe(2);
    expect(normalise({ name: 'n', kind: 'int', min: 0, max: 10 }, 12)).toBe(1);
  });

  it('mixes 32-bit integers as the Python port does (fixed values)', () => {
    // Computed by bench/lc/anchors.py's mix().
    expect(mix(0x5a17, 1)).toBe(2646229548);
    expect(mix(123456789, 42)).toBe(870028186);
    expect(mix(0xffffffff, 7)).toBe(889887177);
  });

  it('serves a table row by nearest neighbour, a categorical mismatch weighing more than any numeric distance', () => {
    const params: LcParam[] = [
      { name: 'x', kind: 'float', min: 0, max: 1 },
      { name: 'o', kind: 'cat', values: ['a', 'b'] },
    ];
    const rows = [
      [0.1, 0],
      [0.9, 1],
      [0.5, 0],
    ];
    expect(nearestRow(params, rows, [0.85, 0])).toBe(2);
    expect(nearestRow(params, rows, [0.2, 1])).toBe(1);
    expect(nearestRow(params, rows, [0.3, 0])).toBe(0); // tie 0.04 vs 0.04: the first row
    const p = tableProblem({ name: 't', epochs: EPOCHS, metric: 'loss', space: params, rows: [{ hp: { x: 0.1, o: 'a' }, curve: [1, 0.5] }] }, 'test');
    expect(p.curve({ x: 0.7, o: 'a' })).toEqual({ values: [1, 0.5], failed: true });
  });

  it('gives each synthetic problem deterministic 27-epoch curves, equal to the parity file the Python port checks', () => {
    const cases = JSON.parse(fs.readFileSync(path.join(__dirname, '../../bench/lc/data/parity.json'), 'utf8')) as { problem: string; hp: Record<string, number>; curve: number[] }[];
    expect(cases.length).toBeGreaterThanOrEqual(90);
    for (const c of cases) {
      const p = SYNTHETIC.find((q) => q.name === c.problem)!;
      expect(p.curve(c.hp).values).toEqual(c.curve);
    }
  });
});

describe('a run of the learning-curve benchmark', () => {
  it('cuts the trajectory at the budget and skips failed jobs', () => {
    const t = trajectory(
      [
        { epochs: 1, result: 0.9 },
        { epochs: 3, result: 0.5 },
        { epochs: 27 },
        { epochs: 9, result: 0.7 },
        { epochs: 27, result: 0.1 },
      ],
      40,
    );
    expect(t.trajectory).toEqual([
      [1, 0.9],
      [4, 0.5],
    ]);
    expect(t.final).toBe(0.5);
    expect(t.epochs).toBe(67);
  });

  it('runs sagetune Hyperband with random proposals through the engine: jobs stop at rungs, the budget is spent', async () => {
    const r = await runEngine(SYNTHETIC[0], 'sagetune-hyperband-random', 3, 81);
    expect(r.epochs).toBeGreaterThanOrEqual(81);
    expect(r.trajectory.length).toBeGreaterThan(0);
    expect(r.trajectory[r.trajectory.length - 1][0]).toBeLessThanOrEqual(81);
    expect(r.final).toBe(r.trajectory[r.trajectory.length - 1][1]);
    expect(r.jobs).toBeGreaterThan(81 / 27);
  });

  it('reads the ended jobs of a study in order, with the last value as the result', () => {
    const series = (vs: number[]) => vs.map((value, i) => ({ t: i, value }));
    const study = {
      trials: [
        { number: 2, status: 'Stopped', objectiveSeries: series([0.8, 0.6]) },
        { number: 1, status: 'Completed', objectiveSeries: series([0.9, 0.7, 0.4]) },
        { number: 3, status: 'Failed', objectiveSeries: series([0.5]) },
        { number: 4, status: 'InProgress', objectiveSeries: series([0.1]) },
      ],
    } as unknown as Parameters<typeof jobOutcomes>[0];
    expect(jobOutcomes(study)).toEqual([{ epochs: 3, result: 0.4 }, { epochs: 2, result: 0.6 }, { epochs: 1 }]);
  });
});

describe('the learning-curve report', () => {
  const rec = (method: string, seed: number, trajectory: [number, number][], options?: Record<string, unknown>): LcRecord => ({
    kind: 'run',
    problem: 'p',
    method,
    seed,
    budget: 90,
    epochs: 90,
    jobs: 5,
    trajectory,
    final: trajectory[trajectory.length - 1][1],
    wall_s: 0,
    ...(options ? { options } : {}),
  });

  it('reads best-so-far and epochs to a target from a trajectory', () => {
    const t: [number, number][] = [
      [3, 0.9],
      [10, 0.5],
      [40, 0.2],
    ];
    expect(bestAt(t, 2)).toBe(Infinity);
    expect(bestAt(t, 10)).toBe(0.5);
    expect(bestAt(t, 90)).toBe(0.2);
    expect(epochsTo(t, 0.5)).toBe(10);
    expect(epochsTo(t, 0.1)).toBe(Infinity);
    expect(methodLabel({ method: 'sagetune-hyperband', options: { reductionFactor: 2 } })).toBe('sagetune-hyperband[eta=2]');
  });

  it('judges the bar against the best other method and the Bayesian median', () => {
    const records = [
      rec('sagetune-bayesian', 0, [[27, 0.5], [81, 0.3]]),
      rec('sagetune-bayesian', 1, [[27, 0.4]]),
      rec('sagetune-bayesian', 2, [[54, 0.35]]),
      rec('sagetune-hyperband', 0, [[5, 0.3]]),
      rec('sagetune-hyperband', 1, [[20, 0.2]]),
      rec('sagetune-hyperband', 2, [[40, 0.3]]),
      rec('optuna-tpe-sha', 0, [[5, 0.25]]),
      rec('optuna-tpe-sha', 1, [[5, 0.25]]),
      rec('sagetune-hyperband', 0, [[1, 0.01]], { reductionFactor: 2 }),
      rec('sagetune-hyperband', 1, [[1, 0.01]], { reductionFactor: 2 }),
      rec('sagetune-hyperband', 2, [[1, 0.01]], { reductionFactor: 2 }),
    ];
    const s = summarize(records, 90);
    // Only the seeds every method has: optuna-tpe-sha lacks seed 2.
    expect(s[0].seeds).toEqual([0, 1]);
    expect(s[0].target).toBeCloseTo(0.35, 12); // median of 0.3 and 0.4
    const [row] = barRows(s, 90);
    expect(row.bestAnchor).toBe('optuna-tpe-sha'); // the [eta=2] variant of Hyperband is not an anchor
    expect(row.hb).toBeCloseTo(0.25, 12);
    expect(row.equalEpochsMet).toBe(true);
    expect(row.hbEpochsToTarget).toBe(12.5); // median of 5 and 20
    expect(row.thirdMet).toBe(true);
  });

  it('leaves BENCHMARKS.md without a learning-curve section when there are no results', () => {
    expect(lcSection('/nonexistent', 540)).toBeUndefined();
  });
});
