/**
 * Cleanup (target of the EventBridge rule on the state machine's executions): an execution was stopped, timed out or
 * failed, so the study it drove is stopped with its training jobs (see `deployed/cleanup.ts`).
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { cleanUpAfterExecution, type CleanupOutcome } from '../deployed/cleanup';
import { parseExecutionEnded } from '../deployed/events';
import { clock, logger, store } from './runtime';
import { backend, engine } from './sagemaker-runtime';
import { executionInput } from './sfn-runtime';

export async function handler(event: EventBridgeEvent<string, unknown>): Promise<CleanupOutcome> {
  const ended = parseExecutionEnded(event);
  if (!ended) return { outcome: 'ignored', why: 'not an execution that was stopped, timed out or failed' };
  const outcome = await cleanUpAfterExecution(ended, {
    store: store(),
    backend: backend(),
    engine: engine(),
    clock,
    executionInput,
    log: (message, detail) => logger.info(message, detail ?? {}),
  });
  if (outcome.outcome === 'ignored') logger.info('Execution end ignored', { execution: ended.executionArn, why: outcome.why });
  return outcome;
}
