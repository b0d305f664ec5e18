/**
 * Tick (the loop's work): one step of the study's engine, and what the state machine does next (see
 * `deployed/tick.ts`). It stops launching 30 seconds before the Lambda's timeout and returns `next: 'tick'`.
 */
import type { Context } from 'aws-lambda';
import { deployedTick, type TickInput, type TickOutput } from '../deployed/tick';
import { clock, config, logger, store, waitRecords, warn } from './runtime';
import { backend, engine } from './sagemaker-runtime';

/** Time kept back from the Lambda's timeout to record what was done. */
const SAFETY_MS = 30_000;

export async function handler(event: TickInput, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<TickOutput> {
  const remaining = context?.getRemainingTimeInMillis?.();
  const output = await deployedTick(event, {
    config: config(),
    store: store(),
    backend: backend(),
    engine: engine(),
    clock,
    eventCount: (study) => waitRecords().eventCount(study),
    ...(remaining !== undefined ? { deadline: clock.now() + remaining - SAFETY_MS } : {}),
    warn: warn,
  });
  logger.info('Tick', { study: output.study, iteration: output.iteration, next: output.next, waitSeconds: output.waitSeconds, waitReason: output.waitReason, status: output.status, trials: output.trials });
  return output;
}
