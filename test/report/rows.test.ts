import { bestSoFar, bestTrial, hyperParameterNames, statusCounters, summarizeStudy, trialRows } from '../../src/report';
import { exampleStudy } from './fixtures';

describe('trialRows', () => {
  const study = exampleStudy();

  it('gives one row per trial in trial order, with durations from start to end', () => {
    const rows = trialRows(study);
    expect(rows.map((r) => r.trial)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    const t1 = study.trials[0];
    expect(rows[0]).toMatchObject({ jobName: 'xgb-demo-001', status: 'Completed', objective: t1.objective, hyperParameters: t1.hyperParameters });
    expect(rows[0].durationSeconds).toBeCloseTo((Date.parse(t1.endedAt as string) - Date.parse(t1.startedAt as string)) / 1000, 6);
  });

  it('keeps the reason of failed and stopped trials and no objective for them', () => {
    const rows = trialRows(study);
    expect(rows[4]).toMatchObject({ status: 'Failed', reason: 'AlgorithmError: training diverged: loss is NaN' });
    expect(rows[4].objective).toBeUndefined();
    expect(rows[8]).toMatchObject({ status: 'Stopped', reason: expect.stringContaining('Early stopping') });
    // A trial stopped early keeps its last value (SageMaker's FinalObjectiveValue of a stopped job).
    expect(rows[8].objective).toBe(study.trials[8].objective);
  });

  it('sorts by objective, best first for Minimize and for Maximize, trials without a value last', () => {
    for (const type of ['Minimize', 'Maximize'] as const) {
      const s = exampleStudy({ type });
      const rows = trialRows(s, { sort: 'objective' });
      const values = rows.filter((r) => r.status === 'Completed').map((r) => r.objective as number);
      const sorted = [...values].sort((a, b) => (type === 'Minimize' ? a - b : b - a));
      expect(values).toEqual(sorted);
      expect(rows.slice(-3).map((r) => r.trial)).toEqual([9, 5, 13]);
      expect(rows[0].trial).toBe(bestTrial(s)?.trial);
    }
  });

  it('measures a running trial up to now, and not at all without now', () => {
    const s = exampleStudy({ trials: 3 });
    s.trials[2].status = 'InProgress';
    delete s.trials[2].endedAt;
    const started = Date.parse(s.trials[2].startedAt as string);
    expect(trialRows(s, { now: started + 12_500 })[2].durationSeconds).toBe(12.5);
    expect(trialRows(s)[2].durationSeconds).toBeUndefined();
  });
});

describe('bestTrial and bestSoFar', () => {
  it('finds the lowest objective for Minimize and the highest for Maximize', () => {
    const min = exampleStudy();
    const completed = min.trials.filter((t) => t.objective !== undefined).map((t) => t.objective as number);
    expect(bestTrial(min)?.objective).toBe(Math.min(...completed));
    const max = exampleStudy({ type: 'Maximize' });
    // Only completed trials compete: the early-stopped trial 9 has a better last value than any of them.
    const completedMax = Math.max(...max.trials.flatMap((t) => (t.status === 'Completed' ? [t.objective as number] : [])));
    expect(max.trials[8].objective).toBeGreaterThan(completedMax);
    expect(bestTrial(max)?.objective).toBe(completedMax);
  });

  it('prefers the earliest trial on a tie and ignores non-finite or non-completed values', () => {
    const s = exampleStudy({ trials: 4 });
    s.trials.forEach((t) => (t.objective = 1));
    s.trials[0].status = 'Failed';
    s.trials[3].objective = Number.NaN;
    expect(bestTrial(s)?.trial).toBe(2);
  });

  it('is undefined when no trial completed', () => {
    const s = exampleStudy({ trials: 2 });
    s.trials.forEach((t) => (t.status = 'InProgress'));
    expect(bestTrial(s)).toBeUndefined();
    expect(bestSoFar(s).map((p) => p.best)).toEqual([undefined, undefined]);
  });

  it('bestSoFar never gets worse and ends at the best trial', () => {
    const s = exampleStudy();
    const curve = bestSoFar(s);
    for (let i = 1; i < curve.length; i++) expect(curve[i].best as number).toBeLessThanOrEqual(curve[i - 1].best as number);
    expect(curve[curve.length - 1].best).toBe(bestTrial(s)?.objective);
  });
});

describe('statusCounters and summarizeStudy', () => {
  it('counts like TrainingJobStatusCounters', () => {
    expect(statusCounters(exampleStudy())).toEqual({ Completed: 21, InProgress: 0, RetryableError: 1, NonRetryableError: 2, Stopped: 1 });
  });

  it('summarizes budget, best trial and durations', () => {
    const s = exampleStudy();
    const summary = summarizeStudy(s, Date.parse('2030-01-01T00:00:00Z'));
    expect(summary).toMatchObject({ name: 'xgb-demo', status: 'Completed', maxTrials: 24, maxParallel: 2, trials: 24, strategy: 'Bayesian' });
    expect(summary.objective).toEqual({ metricName: 'validation:logloss', type: 'Minimize' });
    expect(summary.best?.trial).toBe(bestTrial(s)?.trial);
    // Ended study: elapsed runs to endedAt, not to now.
    expect(summary.elapsedSeconds).toBe((Date.parse(s.endedAt as string) - Date.parse(s.createdAt)) / 1000);
    expect(summary.trialSeconds).toBeCloseTo(trialRows(s).reduce((a, r) => a + (r.durationSeconds ?? 0), 0), 6);
  });

  it('counts a running study up to now', () => {
    const s = exampleStudy({ trials: 2 });
    s.status = 'InProgress';
    delete s.endedAt;
    const now = Date.parse(s.createdAt) + 90_000;
    expect(summarizeStudy(s, now).elapsedSeconds).toBe(90);
  });
});

describe('hyperParameterNames', () => {
  it('lists the request ranges in order, then names only trials carry', () => {
    const s = exampleStudy({ trials: 2 });
    expect(hyperParameterNames(s)).toEqual(['max_depth', 'eta', 'booster']);
    (s.trials[1].hyperParameters as Record<string, unknown>).zeta = 1;
    (s.trials[0].hyperParameters as Record<string, unknown>).alpha = 'x';
    expect(hyperParameterNames(s)).toEqual(['max_depth', 'eta', 'booster', 'alpha', 'zeta']);
  });
});
