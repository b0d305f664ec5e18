/**
 * Hand over (the Catch of the tick): sagetune's engine failed beyond its retries, so the study is handed to
 * SageMaker's own tuning job with the budget it has left, and the loop follows that job.
 */
import { handOver, type CaughtError, type NativeStepOutput } from '../deployed/native';
import { clock, logger, store } from './runtime';
import { engine } from './sagemaker-runtime';

/** What the state machine sends: the study, the execution, and the error its Catch recorded. */
export interface HandOverEvent {
  readonly study: string;
  readonly executionArn: string;
  readonly iteration: number;
  readonly error?: CaughtError;
}

export async function handler(event: HandOverEvent): Promise<NativeStepOutput> {
  logger.warn('Handing the study over to SageMaker tuning', { study: event.study, error: event.error?.Error });
  return handOver(event, { store: store(), engine: engine(), clock });
}
