/**
 * Finalize (last state): writes the study's summary, results (CSV, JSON) and HTML report to S3 and returns the
 * summary, with the best training job, as the execution's output.
 */
import { finalizeStudy, type StudySummaryOutput } from '../deployed/finalize';
import { clock, config, logger, s3, store } from './runtime';

export async function handler(event: { readonly study: string }): Promise<StudySummaryOutput> {
  const output = await finalizeStudy(event.study, { config: config(), store: store(), s3: s3(), clock });
  logger.info('Study finalized', { study: output.StudyName, status: output.Status, best: output.BestTrainingJob?.TrainingJobName });
  return output;
}
