/**
 * Metrics of SageMaker training jobs: final values from DescribeTrainingJob's `FinalMetricDataList`, intermediate
 * values from CloudWatch. SageMaker publishes every metric a training job emits (a built-in algorithm's own, or
 * those its MetricDefinitions' regexes find in the logs) to the namespace `/aws/sagemaker/TrainingJobs`, under the
 * metric's name, with the dimension `Host = <job name>/algo-<n>`. sagetune reads the first host (`algo-1`), as
 * SageMaker's tuning job does for its objective.
 */
import type { GetMetricDataInput, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { MetricData } from '@aws-sdk/client-sagemaker';
import type { MetricPoint } from '../../study/types';

/** The CloudWatch namespace of SageMaker training-job metrics. */
export const TRAINING_JOB_METRICS_NAMESPACE = '/aws/sagemaker/TrainingJobs';
/** Period of the intermediate series, in seconds (SageMaker publishes training metrics at one-minute resolution). */
export const METRIC_PERIOD_SECONDS = 60;
/** CloudWatch's limit of queries in one GetMetricData call. */
export const MAX_QUERIES_PER_CALL = 500;

/** Final values of every metric in a FinalMetricDataList, by name (the last one when a name repeats). */
export function finalMetricsOf(list: readonly MetricData[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of list ?? []) {
    if (m.MetricName !== undefined && typeof m.Value === 'number' && Number.isFinite(m.Value)) out[m.MetricName] = m.Value;
  }
  return out;
}

/** One job whose intermediate objective values are wanted. */
export interface MetricSeriesQuery {
  readonly jobName: string;
  /** When the job started training (the origin of the series' `t`). */
  readonly startedAt: Date;
}

/** The `Host` dimension value of a training job's first instance. */
export function hostDimension(jobName: string): string {
  return `${jobName}/algo-1`;
}

/**
 * The GetMetricData request for the intermediate values of one metric of up to 500 jobs: one query per job
 * (ids `m0`, `m1`, ...), one-minute averages, oldest first, from the earliest start to `end`.
 * @throws Error for more than 500 jobs (the caller splits) or none.
 */
export function buildGetMetricDataInput(metricName: string, jobs: readonly MetricSeriesQuery[], end: Date): GetMetricDataInput {
  if (jobs.length === 0 || jobs.length > MAX_QUERIES_PER_CALL) {
    throw new Error(`GetMetricData takes 1 to ${MAX_QUERIES_PER_CALL} queries, got ${jobs.length}`);
  }
  const earliest = Math.min(...jobs.map((j) => j.startedAt.getTime()));
  // CloudWatch aligns one-minute periods on the minute and excludes EndTime: start at the minute of the earliest
  // start, end at the minute boundary after `end` so that the period containing `end` is returned.
  const period = METRIC_PERIOD_SECONDS * 1000;
  const start = new Date(Math.floor(earliest / period) * period);
  const endTime = new Date(Math.max(Math.floor(end.getTime() / period) * period + period, start.getTime() + period));
  return {
    MetricDataQueries: jobs.map((job, i) => ({
      Id: `m${i}`,
      MetricStat: {
        Metric: {
          Namespace: TRAINING_JOB_METRICS_NAMESPACE,
          MetricName: metricName,
          Dimensions: [{ Name: 'Host', Value: hostDimension(job.jobName) }],
        },
        Period: METRIC_PERIOD_SECONDS,
        Stat: 'Average',
      },
      ReturnData: true,
    })),
    StartTime: start,
    EndTime: endTime,
    ScanBy: 'TimestampAscending',
  };
}

/**
 * Collects the results of one or more GetMetricData pages into one series per job, oldest first, with `t` in
 * seconds since the job's start (points from before the start are dropped: they belong to no run of this job).
 */
export function seriesFromResults(jobs: readonly MetricSeriesQuery[], pages: readonly (readonly MetricDataResult[])[]): Map<string, MetricPoint[]> {
  const byId = new Map<string, Map<number, number>>();
  for (const results of pages) {
    for (const r of results) {
      if (!r.Id) continue;
      let points = byId.get(r.Id);
      if (!points) byId.set(r.Id, (points = new Map()));
      const stamps = r.Timestamps ?? [];
      const values = r.Values ?? [];
      for (let i = 0; i < Math.min(stamps.length, values.length); i++) {
        const v = values[i];
        const ts = stamps[i];
        if (ts instanceof Date && Number.isFinite(v)) points.set(ts.getTime(), v);
      }
    }
  }
  const out = new Map<string, MetricPoint[]>();
  jobs.forEach((job, i) => {
    const points = byId.get(`m${i}`);
    const origin = job.startedAt.getTime();
    const series = [...(points ?? new Map<number, number>()).entries()]
      .filter(([ts]) => ts >= Math.floor(origin / 60_000) * 60_000)
      .sort(([a], [b]) => a - b)
      .map(([ts, value]) => ({ t: Math.max(0, (ts - origin) / 1000), value }));
    out.set(job.jobName, series);
  });
  return out;
}
