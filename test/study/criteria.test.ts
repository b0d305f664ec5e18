import { hasConverged, trialsNotImproving } from '../../src/study/criteria';
import { medianStoppingReason } from '../../src/study/early-stopping';
import { briefReason, requestDifferences, trialJobName } from '../../src/study/study';
import type { Trial } from '../../src/study/types';
import { request } from './helpers';

function trial(number: number, values: number[], status: Trial['status'] = 'Completed'): Trial {
  return {
    number,
    suggestionId: String(number),
    hyperParameters: {},
    status,
    jobName: `j-${number}`,
    createdAt: '',
    objectiveSeries: values.map((value, t) => ({ t, value })),
  };
}

describe('trialsNotImproving (BestObjectiveNotImproving)', () => {
  it('counts trials since the last improvement of at least 1%', () => {
    expect(trialsNotImproving([], 'Minimize')).toBe(0);
    expect(trialsNotImproving([10, 9, 8], 'Minimize')).toBe(0);
    expect(trialsNotImproving([10, 9.95, 9.92, 12], 'Minimize')).toBe(3);
    // 9.95 is better than 10 by 0.5%: the best moves to 9.95 but it is no improvement; 9.86 is 0.9% better than 9.95.
    expect(trialsNotImproving([10, 9.95, 9.86], 'Minimize')).toBe(2);
    // 9.85 is 1.005% better than 9.95: an improvement.
    expect(trialsNotImproving([10, 9.95, 9.85], 'Minimize')).toBe(0);
    expect(trialsNotImproving([1, 1.02, 1.0], 'Maximize')).toBe(1);
    expect(trialsNotImproving([0, -0.001], 'Minimize')).toBe(0); // from 0 any improvement counts
  });
});

describe('hasConverged (ConvergenceDetected)', () => {
  it('needs 2W completed trials and no improvement beyond tol x spread over the last W', () => {
    const flat = [5, 4, 3, 1, 2, 2, 2, 2];
    expect(hasConverged(flat, 'Minimize', 4, 1e-3)).toBe(true);
    expect(hasConverged(flat.slice(0, 7), 'Minimize', 4, 1e-3)).toBe(false);
    expect(hasConverged([5, 4, 3, 2, 2, 2, 2, 1], 'Minimize', 4, 1e-3)).toBe(false);
    expect(hasConverged([1, 2, 3, 4, 3, 3, 3, 3], 'Maximize', 4, 1e-3)).toBe(true);
    expect(hasConverged([1, 2, 3, 4, 3, 3, 3, 4.5], 'Maximize', 4, 1e-3)).toBe(false);
  });
});

describe('medianStoppingReason', () => {
  const options = { minimumTrials: 3, gracePeriodSteps: 1 };
  const completed = [trial(1, [1, 1, 1]), trial(2, [2, 2, 2]), trial(3, [3, 3, 3])];

  it('stops a trial whose best so far is worse than the median of running averages at its step', () => {
    expect(medianStoppingReason(trial(4, [2.5, 2.4], 'InProgress'), completed, 'Minimize', options)).toBe(
      "Early stopping: best objective 2.4 after 2 steps is worse than the median 2 of 3 completed trials' running averages",
    );
    expect(medianStoppingReason(trial(4, [2.5, 1.5], 'InProgress'), completed, 'Minimize', options)).toBeUndefined();
    expect(medianStoppingReason(trial(4, [1.5], 'InProgress'), completed, 'Maximize', options)).toMatch(/worse than the median 2/);
  });

  it('compares at the same step, only with trials that reached it, and needs MinimumTrials of them', () => {
    const short = [trial(1, [1]), trial(2, [2]), trial(3, [3, 3, 3])];
    expect(medianStoppingReason(trial(4, [9, 9], 'InProgress'), short, 'Minimize', options)).toBeUndefined();
    expect(medianStoppingReason(trial(4, [9], 'InProgress'), short, 'Minimize', options)).toMatch(/median 2 of 3/);
  });

  it('waits for the grace period', () => {
    expect(medianStoppingReason(trial(4, [9], 'InProgress'), completed, 'Minimize', { minimumTrials: 3, gracePeriodSteps: 2 })).toBeUndefined();
    expect(medianStoppingReason(trial(4, [9, 9], 'InProgress'), completed, 'Minimize', { minimumTrials: 3, gracePeriodSteps: 2 })).toMatch(
      /^Early stopping: best objective 9 after 2 steps is worse than the median [\d.]+ of 3 completed trials' running averages$/,
    );
  });
});

describe('study helpers', () => {
  it('derives job names from the study, the trial and the attempt', () => {
    expect(trialJobName('demo', 1)).toBe('demo-001');
    expect(trialJobName('demo', 1234, 2)).toBe('demo-1234-2');
    const longest = trialJobName('a'.repeat(32), 999999, 30);
    expect(longest.length).toBeLessThanOrEqual(63);
    expect(longest).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
  });

  it('compares requests, ignoring the run-time knobs', () => {
    expect(requestDifferences(request(), request({ Sagetune: { PollIntervalSeconds: 9, StudyDirectory: 'x', Local: { MaxParallel: 1 } } }))).toEqual([]);
    expect(requestDifferences(request(), request({ HyperParameterTuningJobConfig: { RandomSeed: 8 } }))).toEqual([
      { path: 'HyperParameterTuningJobConfig.RandomSeed', stored: 7, requested: 8 },
    ]);
  });
});

describe('briefReason', () => {
  it('keeps a short one-clause reason, and cuts a long one to its first clause with an ellipsis', () => {
    expect(briefReason('MaxRuntimeInSeconds (250 s) reached')).toBe('MaxRuntimeInSeconds (250 s) reached');
    expect(briefReason('The first 3 trials all failed, so the study stopped; fix the cause. trials 1, 2, 3: Traceback:\n  boom')).toBe(
      'The first 3 trials all failed, so the study stopped…',
    );
    expect(briefReason('x'.repeat(400))).toBe(`${'x'.repeat(159)}…`);
    // a full stop inside the text (a path, an abbreviation) does not end the clause; a leading line break is dropped
    expect(briefReason('no metric in file a.b. c; see the log')).toBe('no metric in file a.b. c…');
    expect(briefReason('\nTraceback (most recent call last):\n  boom')).toBe('Traceback (most recent call last):…');
    expect(briefReason('')).toBe('');
  });
});
