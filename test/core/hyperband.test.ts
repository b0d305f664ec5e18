/** Hyperband's rules (core/hyperband.ts) against cases computed by hand. */
import { bracketCount, bracketWeights, drawBracket, hyperbandStep, judgeAtRung, rungLevels, rungReached, RUNG_CUT_REASON, valueAt, type HyperbandTrialView } from '../../src/core/hyperband';

const S27 = { minResource: 1, maxResource: 27, reductionFactor: 3 };

describe('rungs and brackets', () => {
  it('puts rungs at min·η^k below MaxResource', () => {
    expect(rungLevels(S27)).toEqual([1, 3, 9]);
    expect(rungLevels({ minResource: 2, maxResource: 60, reductionFactor: 3 })).toEqual([2, 6, 18, 54]);
    expect(rungLevels({ minResource: 1, maxResource: 16, reductionFactor: 2 })).toEqual([1, 2, 4, 8]);
    // Rounded to whole epochs and strictly increasing.
    expect(rungLevels({ minResource: 3, maxResource: 100, reductionFactor: 2 })).toEqual([3, 6, 12, 24, 48, 96]);
    expect(rungLevels({ minResource: 5, maxResource: 10, reductionFactor: 3 })).toEqual([5]);
    expect(rungLevels({ minResource: 4, maxResource: 4, reductionFactor: 3 })).toEqual([]);
  });

  it("draws brackets in Hyperband's proportions", () => {
    expect(bracketCount(S27)).toBe(4);
    // 27/4, 9/3, 3/2, 1/1 over their sum 12.25.
    const w = bracketWeights(S27);
    [6.75, 3, 1.5, 1].forEach((raw, i) => expect(w[i]).toBeCloseTo(raw / 12.25, 12));
    const counts = [0, 0, 0, 0];
    for (let n = 1; n <= 20000; n++) counts[drawBracket(S27, 42, n)]++;
    counts.forEach((c, i) => expect(Math.abs(c / 20000 - w[i])).toBeLessThan(0.015));
    // The same seed and trial, the same bracket; another seed, another sequence.
    expect(drawBracket(S27, 42, 17)).toBe(drawBracket(S27, 42, 17));
    const a = Array.from({ length: 40 }, (_, n) => drawBracket(S27, 1, n));
    const b = Array.from({ length: 40 }, (_, n) => drawBracket(S27, 2, n));
    expect(a).not.toEqual(b);
  });

  it('reads the value at a resource as the value reported at that epoch', () => {
    expect(valueAt([0.9, 0.5, 0.7], 2)).toBe(0.5);
    expect(valueAt([0.9, 0.5, 0.7], 3)).toBe(0.7);
    expect(valueAt([0.9, 0.5], 3)).toBeUndefined();
    expect(valueAt([0.9], 0)).toBeUndefined();
  });
});

describe('a rung', () => {
  it('keeps the best floor(n/η) (at least one), or everyone while fewer than η values are in', () => {
    // Minimize; 6 values at the rung, η = 3: the best 2 continue.
    expect(judgeAtRung(0.3, [0.1, 0.2, 0.4, 0.5, 0.6], 3, 3, 'Minimize')).toEqual({ resource: 3, value: 0.3, rank: 3, count: 6, kept: 2, continues: false });
    expect(judgeAtRung(0.15, [0.1, 0.2, 0.4, 0.5, 0.6], 3, 3, 'Minimize')).toMatchObject({ rank: 2, kept: 2, continues: true });
    // 4 values: floor(4/3) = 1 continues.
    expect(judgeAtRung(0.2, [0.1, 0.3, 0.4], 1, 3, 'Minimize')).toMatchObject({ rank: 2, kept: 1, continues: false });
    // η values: only the best continues; fewer than η: it continues whatever its rank.
    expect(judgeAtRung(0.9, [0.1, 0.2], 1, 3, 'Minimize')).toMatchObject({ rank: 3, count: 3, kept: 1, continues: false });
    expect(judgeAtRung(0.9, [0.1], 1, 3, 'Minimize')).toMatchObject({ rank: 2, count: 2, kept: 2, continues: true });
    // Maximize, and ties count in the trial's favour.
    expect(judgeAtRung(0.8, [0.9, 0.8, 0.1, 0.2, 0.3], 1, 3, 'Maximize')).toMatchObject({ rank: 2, kept: 2, continues: true });
  });
});

describe('hyperbandStep', () => {
  const view = (number: number, bracket: number, values: number[], passed = 0, running = true): HyperbandTrialView => ({ number, bracket, values, passed, running });

  it('judges a running trial at each new rung of its bracket, in order, until one cuts it', () => {
    // Three finished trials give the rungs at 1 and 3 epochs their values.
    const done = [view(1, 0, [0.5, 0.4, 0.3, 0.2], 3, false), view(2, 0, [0.6, 0.5, 0.45, 0.4], 3, false), view(3, 0, [0.9, 0.8, 0.7], 3, false)];
    // Trial 4 reached epoch 3 since the last look: judged at rung 1 (value 0.55: 2nd of 4, kept 1 -> cut).
    const decisions = hyperbandStep([...done, view(4, 0, [0.55, 0.5, 0.2])], S27, 'Minimize');
    expect(decisions).toEqual([
      {
        number: 4,
        kind: 'stop',
        passed: 1,
        judgements: [{ resource: 1, value: 0.55, rank: 2, count: 4, kept: 1, continues: false }],
        reason: 'Hyperband: at rung 1 (1 epoch) its value 0.55 ranked 2 of 4; only the best 1 continue',
      },
    ]);
    // Trial 5 is best at epoch 1 and at epoch 3: passes both rungs at once.
    const [five] = hyperbandStep([...done, view(5, 0, [0.45, 0.3, 0.1])], S27, 'Minimize');
    expect(five).toMatchObject({ number: 5, kind: 'continue', passed: 3 });
    expect(five.judgements.map((j) => [j.resource, j.rank, j.continues])).toEqual([
      [1, 1, true],
      [3, 1, true],
    ]);
  });

  it("passes the rungs below a trial's bracket without judging it, and judges each rung once", () => {
    const done = [view(1, 0, [0.1, 0.1, 0.1], 3, false), view(2, 0, [0.2, 0.2, 0.2], 3, false), view(3, 0, [0.3, 0.3, 0.3], 3, false)];
    // Bracket 1 starts at rung 2 (3 epochs): its poor first epoch is not held against it, its third is.
    const [d] = hyperbandStep([...done, view(4, 1, [0.9, 0.5, 0.25])], S27, 'Minimize');
    expect(d).toMatchObject({ kind: 'stop', passed: 3 });
    expect(d.judgements.map((j) => j.resource)).toEqual([3]);
    // Already past rung 2 (passed 3): nothing new to judge until epoch 9.
    expect(hyperbandStep([...done, view(5, 1, [0.9, 0.5, 0.25, 0.2], 3)], S27, 'Minimize')).toEqual([]);
    // The last bracket is never judged.
    expect(hyperbandStep([...done, view(6, 3, [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9])], S27, 'Minimize')).toEqual([
      { number: 6, kind: 'continue', passed: 9, judgements: [] },
    ]);
  });

  it('stops a trial that reached MaxResource, and leaves finished trials alone', () => {
    const values = Array.from({ length: 27 }, (_, i) => 1 / (i + 1));
    expect(hyperbandStep([view(1, 3, values, 9)], S27, 'Minimize')).toEqual([
      { number: 1, kind: 'max', passed: 27, judgements: [], reason: 'Hyperband: reached MaxResource (27 epochs)' },
    ]);
    expect(hyperbandStep([view(1, 3, values, 9, false)], S27, 'Minimize')).toEqual([]);
  });
});

describe('rungReached (what results show)', () => {
  // Rungs 2, 6, 18, 54 below MaxResource 60 (the quick start's Hyperband request).
  const settings = { minResource: 2, maxResource: 60, reductionFactor: 3 };

  it('a trial cut at a rung shows that rung, even when it trained past it before the stop took effect', () => {
    expect(rungReached(settings, 41, 6, true)).toBe(6);
  });

  it('a trial that ended by itself shows the highest level its epochs reached, MaxResource included', () => {
    // Every epoch reported between two looks of the engine: never judged (passed 0), yet it ran to the end.
    expect(rungReached(settings, 60, 0, false)).toBe(60);
    expect(rungReached(settings, 59, 0, false)).toBe(54);
    expect(rungReached(settings, 17, 6, false)).toBe(6);
    expect(rungReached(settings, 1, 0, false)).toBe(0);
  });

  it('never less than the rungs it was judged at', () => {
    expect(rungReached(settings, 10, 18, false)).toBe(18);
  });

  it('the stop reasons of a cut begin with RUNG_CUT_REASON', () => {
    const views: HyperbandTrialView[] = [0.1, 0.2, 0.3, 0.4].map((v, i) => ({ number: i + 1, bracket: 0, values: [v, v], passed: 0, running: true }));
    const cut = hyperbandStep(views, settings, 'Minimize').filter((d) => d.kind === 'stop');
    expect(cut.length).toBeGreaterThan(0);
    for (const d of cut) expect(d.kind === 'stop' && d.reason.startsWith(RUNG_CUT_REASON)).toBe(true);
  });
});
