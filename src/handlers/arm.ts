/**
 * Wait (the `.waitForTaskToken` task after a tick): records the task token where the wake function finds it, or ends
 * the wait at once when a job event came while the tick ran (see `deployed/wait-record.ts`).
 */
import { logger } from './runtime';
import { waits } from './sfn-runtime';

/** What the state machine sends: the study, the task token and when the tick before began. */
export interface ArmEvent {
  readonly study: string;
  readonly token: string;
  readonly executionArn: string;
  readonly tickStartedAt: number;
}

export async function handler(event: ArmEvent): Promise<{ readonly armed: boolean }> {
  const outcome = await waits().arm(event);
  logger.info('Wait armed', { study: event.study, outcome });
  return { armed: outcome === 'armed' };
}
