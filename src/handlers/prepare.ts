/**
 * Prepare (first state): checks the request, creates or resumes its study, and chooses the route (see
 * `deployed/prepare.ts`). A request the stack cannot run comes back as `{ outcome: 'refused', error, cause }`, which
 * the state machine turns into a Fail state: the cause is a message for the user, not a stack trace.
 */
import { prepare, type PrepareResult } from '../deployed/prepare';
import { clock, config, logger, store } from './runtime';
import { executionStatus } from './sfn-runtime';

/** What the state machine sends: the execution input and the execution's ARN (`$$.Execution.Id`). */
export interface PrepareEvent {
  readonly input: unknown;
  readonly executionArn: string;
}

export async function handler(event: PrepareEvent): Promise<PrepareResult> {
  const result = await prepare(event.input, event.executionArn, { config: config(), store: store(), clock, executionStatus });
  if (result.outcome === 'refused') logger.warn('Study refused', { error: result.error, cause: result.cause });
  else logger.info('Study prepared', { study: result.study, outcome: result.outcome, engine: result.engine });
  return result;
}
