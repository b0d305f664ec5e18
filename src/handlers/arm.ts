/**
 * Wait (the `.waitForTaskToken` task after a tick): records the task token where the wake function finds it, or ends
 * the wait at once when a job event came while the tick ran (see `deployed/waiting.ts`).
 */
import { logger } from './runtime';
import { waits } from './sfn-runtime';

/** What the state machine sends: the study, the task token and the job events the tick before had seen. */
export interface ArmEvent {
  readonly study: string;
  readonly token: string;
  readonly executionArn: string;
  readonly eventsSeen: number;
  /** The wait's timer, seconds (for the log). */
  readonly waitSeconds?: number;
}

export async function handler(event: ArmEvent): Promise<{ readonly armed: boolean }> {
  const outcome = await waits().arm(event);
  logger.info('Wait armed', { study: event.study, outcome, waitSeconds: event.waitSeconds });
  return { armed: outcome === 'armed' };
}
