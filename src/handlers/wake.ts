/**
 * Wake (target of the EventBridge rules on the stack's SageMaker jobs): a training or tuning job ended, so the
 * execution waiting for its study is resumed at once instead of at its timer.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { parseJobEvent } from '../deployed/events';
import { logger } from './runtime';
import { waits } from './sfn-runtime';

export async function handler(event: EventBridgeEvent<string, unknown>): Promise<{ readonly outcome: string }> {
  const parsed = parseJobEvent(event);
  if (!parsed) {
    logger.warn('Event ignored: not a SageMaker job state change', { detailType: event?.['detail-type'] });
    return { outcome: 'ignored' };
  }
  const outcomes: string[] = [];
  for (const study of parsed.studies) {
    const outcome = await waits().wake(study, parsed.event);
    outcomes.push(outcome);
    logger.info('Job event', { study, job: parsed.event.name, status: parsed.event.status, outcome });
    if (outcome !== 'ignored') break;
  }
  return { outcome: outcomes.includes('woken') ? 'woken' : outcomes.includes('recorded') ? 'recorded' : 'ignored' };
}
