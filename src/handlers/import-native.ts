/**
 * Import (after the `createHyperParameterTuningJob.sync` task): SageMaker's tuning job ended (or the task failed),
 * so its training jobs become the study's trials and the study ends as the tuning job did.
 */
import { importNativeResult, type CaughtError, type NativeStepOutput } from '../deployed/native';
import { clock, logger, store } from './runtime';
import { engine } from './sagemaker-runtime';

/** What the state machine sends: the study, and the task's error when it failed. */
export interface ImportEvent {
  readonly study: string;
  readonly iteration?: number;
  readonly error?: CaughtError;
}

export async function handler(event: ImportEvent): Promise<NativeStepOutput> {
  const output = await importNativeResult(event, { store: store(), engine: engine(), clock: clock });
  logger.info('Native tuning job imported', { study: output.study, status: output.status, next: output.next });
  return output;
}
