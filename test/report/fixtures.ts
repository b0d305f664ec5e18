/**
 * A realistic finished study for the report tests: 3 hyperparameters of mixed types (a log-scaled learning
 * rate, an integer depth, a categorical booster), objective values from a smooth function with a deterministic
 * spread, two failed trials, one stopped trial and one retried infrastructure error.
 */
import type { Study, Trial } from '../../src/study/types';
import type { TuningRequest } from '../../src/study/request';

/** The tuning part of a request; the report reads only HyperParameterTuningJobConfig, so the rest is left out. */
export function exampleRequest(type: 'Minimize' | 'Maximize' = 'Minimize'): TuningRequest {
  const request = {
    HyperParameterTuningJobName: 'xgb-demo',
    HyperParameterTuningJobConfig: {
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { Type: type, MetricName: 'validation:logloss' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 24, MaxParallelTrainingJobs: 2 },
      ParameterRanges: {
        IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '2', MaxValue: '10' }],
        ContinuousParameterRanges: [{ Name: 'eta', MinValue: '0.001', MaxValue: '0.5', ScalingType: 'Logarithmic' }],
        CategoricalParameterRanges: [{ Name: 'booster', Values: ['gbtree', 'dart', 'gblinear'] }],
      },
    },
    Sagetune: { Engine: 'sagetune', Backend: 'local', PollIntervalSeconds: 1 },
  };
  return request as unknown as TuningRequest;
}

/** Pseudo-random in [0, 1) from an integer, so fixtures are identical on every run. */
function unit(i: number): number {
  const x = Math.sin(i * 78.233 + 1.7) * 43758.5453;
  return x - Math.floor(x);
}

export function exampleStudy(options: { trials?: number; type?: 'Minimize' | 'Maximize' } = {}): Study {
  const n = options.trials ?? 24;
  const start = Date.parse('2026-11-27T01:00:00.000Z');
  const trials: Trial[] = [];
  const boosters = ['gbtree', 'dart', 'gblinear'];
  for (let i = 1; i <= n; i++) {
    // Later trials concentrate near the optimum (eta ~ 0.05, depth ~ 6, gbtree), as an optimizer would.
    const focus = Math.min(1, i / n);
    const eta = Math.exp(Math.log(0.001) + unit(i) * (Math.log(0.5) - Math.log(0.001)) * (1 - 0.6 * focus) + focus * 0.6 * Math.log(0.05 / 0.001));
    const depth = Math.round(2 + unit(i + 100) * 8 * (1 - focus) + focus * 4);
    const booster = boosters[i > n / 2 ? 0 : Math.floor(unit(i + 200) * 3)];
    const loss = 0.08 + 0.05 * Math.log10(eta / 0.05) ** 2 + 0.004 * (depth - 6) ** 2 + (booster === 'gblinear' ? 0.09 : booster === 'dart' ? 0.02 : 0) + 0.01 * unit(i + 300);
    const created = start + (i - 1) * 20_000;
    const trial: Trial = {
      number: i,
      suggestionId: `s${i}`,
      hyperParameters: { max_depth: depth, eta, booster },
      status: 'Completed',
      jobName: `xgb-demo-${String(i).padStart(3, '0')}`,
      createdAt: new Date(created).toISOString(),
      startedAt: new Date(created + 1000).toISOString(),
      endedAt: new Date(created + 1000 + 15_000 + Math.round(unit(i + 400) * 20_000)).toISOString(),
      objective: options.type === 'Maximize' ? 1 - loss : loss,
    };
    const objective = trial.objective as number;
    // Every metric the job reported, and the objective's curve over 5 evaluations that settle on its final value.
    trial.finalMetrics = { 'validation:logloss': objective, 'train:logloss': Number((loss * 0.8).toFixed(6)), 'validation:auc': Number((1 - loss).toFixed(6)) };
    trial.objectiveSeries = [1, 2, 3, 4, 5].map((k) => ({ t: k * 3, value: objective + (options.type === 'Maximize' ? -1 : 1) * 0.3 * 0.5 ** k }));
    if (i === 5 || i === 13) {
      trial.status = 'Failed';
      delete trial.objective;
      delete trial.finalMetrics;
      delete trial.objectiveSeries;
      trial.failureReason = i === 5 ? 'AlgorithmError: training diverged: loss is NaN' : 'The objective metric validation:logloss never appeared in the output';
    }
    if (i === 9) {
      trial.status = 'Stopped';
      trial.objective = (trial.objective as number) + 0.05; // the last value it reported
      trial.objectiveSeries = trial.objectiveSeries?.slice(0, 2);
      trial.stopReason = 'Early stopping: intermediate value worse than the median of earlier trials';
    }
    if (i === 3) trial.retries = 1;
    trials.push(trial);
  }
  return {
    schemaVersion: 1,
    name: 'xgb-demo',
    request: exampleRequest(options.type),
    status: 'Completed',
    statusReason: 'Reached MaxNumberOfTrainingJobs (24).',
    createdAt: new Date(start).toISOString(),
    endedAt: new Date(start + n * 20_000 + 30_000).toISOString(),
    trials,
  };
}
