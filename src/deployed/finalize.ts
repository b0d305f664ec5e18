/**
 * The last step of a deployed execution: write the study's results next to it in S3 (a summary, the trial table as
 * CSV and JSON, the HTML report) and return the summary as the execution's output, with the best training job in
 * the shape of SageMaker's `DescribeHyperParameterTuningJob.BestTrainingJob`.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { withAwsRetry, type RetryOptions } from '../aws/retry';
import { formatHyperParameterValue } from '../backends/sagemaker/training-job-request';
import { formatCsv, formatJson, hyperParameterNames, otherMetricNames, renderHtmlReport, summarizeStudy, trialRows } from '../report';
import { StudyNotFoundError } from '../study/errors';
import type { Clock, Study, StudyStore, TrainingJobStatusCounters } from '../study/types';
import { studyKeyPrefix, type ServiceConfig } from './config';
import { engineOf, type EngineName } from './engine';

/** The execution's output: what the study came to and where its results are. */
export interface StudySummaryOutput {
  readonly StudyName: string;
  readonly Status: Study['status'];
  /** Why the study ended (empty while it runs). */
  readonly StatusReason: string;
  /** The engine that ran the study (`native` also when sagetune handed it over to SageMaker's tuning job). */
  readonly Engine: EngineName;
  /** The SageMaker tuning job that ran (or took over) the study, for the native engine. */
  readonly TuningJobName?: string;
  readonly TrainingJobStatusCounters: TrainingJobStatusCounters;
  readonly BestTrainingJob?: {
    readonly TrainingJobName: string;
    readonly TrialNumber: number;
    readonly TunedHyperParameters: Record<string, string>;
    readonly FinalHyperParameterTuningJobObjectiveMetric: { readonly MetricName: string; readonly Value: number; readonly Type: 'Minimize' | 'Maximize' };
    readonly TrainingJobArn?: string;
  };
  /** Seconds from the study's creation to its end. */
  readonly ElapsedSeconds: number;
  /** Seconds of training, summed over trials. */
  readonly TrainingSeconds: number;
  /** Where the result files are (s3:// URIs). */
  readonly Results: { readonly Summary: string; readonly Csv: string; readonly Json: string; readonly Report: string };
}

/** What Finalize needs. */
export interface FinalizeDeps {
  readonly config: Pick<ServiceConfig, 'bucket' | 'keyPrefix'>;
  readonly store: StudyStore;
  readonly s3: S3Client;
  readonly clock: Clock;
  readonly retry?: RetryOptions;
}

/** The keys of a study's result files. */
export function resultKeys(config: Pick<ServiceConfig, 'keyPrefix'>, study: string): { summary: string; csv: string; json: string; report: string } {
  const base = `${studyKeyPrefix(config, study)}results/`;
  return { summary: `${base}summary.json`, csv: `${base}results.csv`, json: `${base}results.json`, report: `${base}report.html` };
}

/** The summary of a study as the execution's output. */
export function studySummaryOutput(study: Study, now: number, config: Pick<ServiceConfig, 'bucket' | 'keyPrefix'>): StudySummaryOutput {
  const summary = summarizeStudy(study, now);
  const keys = resultKeys(config, study.name);
  const uri = (key: string): string => `s3://${config.bucket}/${key}`;
  const best = summary.best;
  const bestTrial = best ? study.trials.find((t) => t.number === best.trial) : undefined;
  const arn = bestTrial?.backendData?.trainingJobArn;
  return {
    StudyName: study.name,
    Status: study.status,
    StatusReason: study.statusReason ?? '',
    Engine: engineOf(study),
    ...(study.native ? { TuningJobName: study.native.tuningJobName } : {}),
    TrainingJobStatusCounters: summary.counters,
    ...(best && best.objective !== undefined
      ? {
          BestTrainingJob: {
            TrainingJobName: best.jobName,
            TrialNumber: best.trial,
            TunedHyperParameters: Object.fromEntries(Object.entries(best.hyperParameters).map(([k, v]) => [k, formatHyperParameterValue(v)])),
            FinalHyperParameterTuningJobObjectiveMetric: { MetricName: summary.objective.metricName, Value: best.objective, Type: summary.objective.type },
            ...(typeof arn === 'string' ? { TrainingJobArn: arn } : {}),
          },
        }
      : {}),
    ElapsedSeconds: Math.round(summary.elapsedSeconds),
    TrainingSeconds: Math.round(summary.trialSeconds),
    Results: { Summary: uri(keys.summary), Csv: uri(keys.csv), Json: uri(keys.json), Report: uri(keys.report) },
  };
}

/** Writes the result files of a study and returns its summary. @throws StudyNotFoundError */
export async function finalizeStudy(name: string, deps: FinalizeDeps): Promise<StudySummaryOutput> {
  const read = await deps.store.read(name);
  if (!read) throw new StudyNotFoundError(name, `s3://${deps.config.bucket}/${deps.config.keyPrefix}studies/`);
  const study = read.value;
  const now = deps.clock.now();
  const output = studySummaryOutput(study, now, deps.config);
  const rows = trialRows(study, { now });
  const names = hyperParameterNames(study);
  const keys = resultKeys(deps.config, name);
  const location = `s3://${deps.config.bucket}/${studyKeyPrefix(deps.config, name)}`;
  const files: [string, string, string][] = [
    [keys.csv, formatCsv(rows, names, otherMetricNames(study)), 'text/csv; charset=utf-8'],
    [keys.json, formatJson(rows), 'application/json'],
    [keys.report, renderHtmlReport(study, { now, location }), 'text/html; charset=utf-8'],
    // Last: a summary present means the other files are complete.
    [keys.summary, `${JSON.stringify(output, null, 2)}\n`, 'application/json'],
  ];
  for (const [key, body, contentType] of files) {
    await withAwsRetry('S3.PutObject', () => deps.s3.send(new PutObjectCommand({ Bucket: deps.config.bucket, Key: key, Body: body, ContentType: contentType })), deps.retry);
  }
  return output;
}
