/**
 * Import (after the `createHyperParameterTuningJob.sync` task): SageMaker's tuning job ended (or the task failed),
 * so its training jobs become the study's trials and the study ends as the tuning job did.
 */
import { importNativeResult, type CaughtError, type NativeStepOutput } from '../deployed/native';
import { clock, logger, store } from './runtime';
import { engine } from './sagemaker-runtime';

/** What the state machine sends: its state data, with the study (from Prepare) and the task's error when it failed. */
export interface ImportEvent {
  readonly state: { readonly Payload: { readonly study: string; readonly iteration?: number }; readonly error?: CaughtError };
}

export async function handler(event: ImportEvent): Promise<NativeStepOutput> {
  const { Payload, error } = event.state;
  const input = { study: Payload.study, iteration: Payload.iteration ?? 0, ...(error ? { error } : {}) };
  const output = await importNativeResult(input, { store: store(), engine: engine(), clock });
  logger.info('Native tuning job imported', { study: output.study, status: output.status, next: output.next });
  return output;
}
