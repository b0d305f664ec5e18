/**
 * How a waiting execution is woken by a training job's state-change event, without losing an event that arrives
 * while the execution is not waiting.
 *
 * The state machine waits in a `.waitForTaskToken` task. Its token is kept in the study's wait record
 * (`wait-record.ts`) with a count of the job events handled so far. A tick notes that count when it starts:
 *
 * - **arm** (the wait task starts, right after the tick): if the count grew since the tick noted it, an event came
 *   while the tick ran and the tick may have missed it, so the wait ends at once; otherwise the token is recorded.
 * - **wake** (a job's state changed): the recorded token, if any, is sent `SendTaskSuccess`; then the count grows
 *   (and the token is cleared).
 *
 * Both write the record conditionally, so whichever writes second sees the other's write: an event is either
 * delivered to a recorded token or seen by the next arm. A token that no longer waits (the wait timed out, or
 * another event woke it) is answered `TaskTimedOut` by Step Functions and ignored. The wait's own timer covers
 * anything else (a lost event).
 */
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { awsErrorCode } from '../aws/errors';
import { withAwsRetry, type RetryOptions } from '../aws/retry';
import type { Clock } from '../study/types';
import { WaitRecordConflict, type JobEvent, type WaitRecord, type WaitRecordStore } from './wait-record';

/** What the waiting task receives when it is woken (its output). */
export interface WakeOutput {
  readonly wokenBy: 'job-event' | 'event-during-tick';
  readonly event?: JobEvent;
}

const STALE_TOKEN = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);
const MAX_CONFLICTS = 10;

/** Options of {@link Waiting}. */
export interface WaitingOptions {
  readonly records: WaitRecordStore;
  readonly sfn: SFNClient;
  readonly clock: Clock;
  readonly retry?: RetryOptions;
}

/** Arms waits and wakes waiting executions. */
export class Waiting {
  constructor(private readonly options: WaitingOptions) {}

  /**
   * Records the token of a wait that starts now, or ends the wait at once when a job event was handled after the
   * tick before it noted `eventsSeen`.
   * @returns `armed` (the token is recorded) or `woken` (SendTaskSuccess was sent to it).
   */
  async arm(input: { study: string; token: string; executionArn: string; eventsSeen: number }): Promise<'armed' | 'woken'> {
    const { records } = this.options;
    for (let attempt = 0; ; attempt++) {
      const current = await records.read(input.study);
      if ((current?.record.events ?? 0) > input.eventsSeen) {
        const output: WakeOutput = { wokenBy: 'event-during-tick', ...(current?.record.lastEvent ? { event: current.record.lastEvent } : {}) };
        await this.sendSuccess(input.token, output);
        return 'woken';
      }
      const record: WaitRecord = { ...current?.record, token: input.token, executionArn: input.executionArn, armedAt: new Date(this.options.clock.now()).toISOString() };
      try {
        await records.write(input.study, record, current?.etag);
        return 'armed';
      } catch (error) {
        if (!(error instanceof WaitRecordConflict) || attempt >= MAX_CONFLICTS) throw error;
      }
    }
  }

  /**
   * Wakes the execution waiting for a study, if one is, and counts the event for the next arm.
   * @returns `woken` when a waiting task was resumed, `recorded` when none was waiting, `ignored` when no such
   *   study exists.
   */
  async wake(study: string, event: JobEvent): Promise<'woken' | 'recorded' | 'ignored'> {
    const { records } = this.options;
    let sentTo: string | undefined;
    let woken = false;
    for (let attempt = 0; ; attempt++) {
      const current = await records.read(study);
      if (!current && !(await records.studyExists(study))) return 'ignored';
      const token = current?.record.token;
      if (token && token !== sentTo && !woken) {
        woken = await this.sendSuccess(token, { wokenBy: 'job-event', event });
        sentTo = token;
      }
      const record: WaitRecord = {
        ...current?.record,
        events: (current?.record.events ?? 0) + 1,
        lastEventAt: new Date(this.options.clock.now()).toISOString(),
        lastEvent: { ...event },
      };
      if (token && token === sentTo) delete record.token;
      try {
        await records.write(study, record, current?.etag);
        return woken ? 'woken' : 'recorded';
      } catch (error) {
        if (!(error instanceof WaitRecordConflict) || attempt >= MAX_CONFLICTS) throw error;
      }
    }
  }

  /** Sends SendTaskSuccess; false when the token no longer waits. */
  private async sendSuccess(token: string, output: WakeOutput): Promise<boolean> {
    try {
      await withAwsRetry('StepFunctions.SendTaskSuccess', () => this.options.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })), this.options.retry);
      return true;
    } catch (error) {
      if (STALE_TOKEN.has(awsErrorCode(error))) return false;
      throw error;
    }
  }
}
