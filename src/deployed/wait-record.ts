/**
 * How a waiting execution is woken by a training job's state-change event, without losing an event that arrives
 * while the execution is not waiting.
 *
 * The state machine waits in a `.waitForTaskToken` task. Its token is kept, with the time of the last job event,
 * in one small S3 object per study, `<keyPrefix>studies/<name>/wait.json`, written only conditionally (S3 If-Match /
 * If-None-Match), so that the two writers serialize:
 *
 * - **arm** (the wait task starts, right after a tick): if an event came after the tick began looking at the jobs,
 *   the tick may have missed it, so the wait ends at once; otherwise the token is recorded.
 * - **wake** (a job's state changed): the recorded token, if any, is sent `SendTaskSuccess`, then the event's time
 *   is recorded (and the token cleared).
 *
 * Whichever writes second sees the other's write: an event is either delivered to a recorded token or seen by the
 * next arm. A token that is no longer waiting (the wait timed out, or another event woke it) is answered
 * `TaskTimedOut` by Step Functions and ignored. The wait's own timer covers anything else (a lost event).
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { awsErrorCode, classifyAwsError } from '../aws/errors';
import { withAwsRetry, type RetryOptions } from '../aws/retry';
import { StudyError } from '../study/errors';
import type { Clock } from '../study/types';
import { studyKeyPrefix, type ServiceConfig } from './config';

/** What `wait.json` holds. */
export interface WaitRecord {
  /** Task token of the execution waiting now (absent when none waits, or its token was used). */
  token?: string;
  /** The execution that recorded the token. */
  executionArn?: string;
  /** ISO-8601 time the token was recorded. */
  armedAt?: string;
  /** ISO-8601 time the last job event was handled (the wake function's clock). */
  lastEventAt?: string;
  /** The last job event. */
  lastEvent?: JobEvent;
}

/** A job's state change, as the wake function passes it on. */
export interface JobEvent {
  /** `training-job` or `tuning-job`. */
  readonly kind: 'training-job' | 'tuning-job';
  readonly name: string;
  readonly status: string;
}

/** What the waiting task receives when it is woken (its output). */
export interface WakeOutput {
  readonly wokenBy: 'job-event' | 'event-during-tick';
  readonly event?: JobEvent;
}

/**
 * Events handled up to this long before a tick began still end the next wait at once: the clocks of two Lambda
 * hosts agree to milliseconds, and a needless extra tick is cheap next to a missed event.
 */
export const CLOCK_SKEW_MS = 2000;

const STALE_TOKEN = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Options of {@link WaitRecords}. */
export interface WaitRecordsOptions {
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  readonly config: Pick<ServiceConfig, 'bucket' | 'keyPrefix'>;
  readonly clock: Clock;
  readonly retry?: RetryOptions;
}

class WaitConflict extends Error {}

/** The wait records of a deployed service's studies. */
export class WaitRecords {
  constructor(private readonly options: WaitRecordsOptions) {}

  /** The object key of a study's wait record. */
  keyOf(study: string): string {
    return `${studyKeyPrefix(this.options.config, study)}wait.json`;
  }

  /**
   * Records the token of a wait that starts now, or ends the wait at once when an event came after `tickStartedAt`.
   * @returns `armed` (the token is recorded) or `woken` (SendTaskSuccess was sent to it).
   */
  async arm(input: { study: string; token: string; executionArn: string; tickStartedAt: number }): Promise<'armed' | 'woken'> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.read(input.study);
      const last = current?.record.lastEventAt ? Date.parse(current.record.lastEventAt) : undefined;
      if (last !== undefined && last >= input.tickStartedAt - CLOCK_SKEW_MS) {
        const output: WakeOutput = { wokenBy: 'event-during-tick', ...(current?.record.lastEvent ? { event: current.record.lastEvent } : {}) };
        await this.sendSuccess(input.token, output);
        return 'woken';
      }
      const record: WaitRecord = { ...current?.record, token: input.token, executionArn: input.executionArn, armedAt: new Date(this.options.clock.now()).toISOString() };
      try {
        await this.write(input.study, record, current?.etag);
        return 'armed';
      } catch (error) {
        if (!(error instanceof WaitConflict) || attempt >= 10) throw error;
      }
    }
  }

  /**
   * Wakes the execution waiting for a study, if one is, and records the event for the next arm.
   * @returns `woken` when a waiting task was resumed, `recorded` when none was waiting, `ignored` when no such
   *   study exists.
   */
  async wake(study: string, event: JobEvent): Promise<'woken' | 'recorded' | 'ignored'> {
    let sentTo: string | undefined;
    let woken = false;
    for (let attempt = 0; ; attempt++) {
      const current = await this.read(study);
      if (!current && !(await this.studyExists(study))) return 'ignored';
      const token = current?.record.token;
      if (token && token !== sentTo && !woken) {
        woken = await this.sendSuccess(token, { wokenBy: 'job-event', event });
        sentTo = token;
      }
      const record: WaitRecord = { ...current?.record, lastEventAt: new Date(this.options.clock.now()).toISOString(), lastEvent: { ...event } };
      if (token && token === sentTo) delete record.token;
      try {
        await this.write(study, record, current?.etag);
        return woken ? 'woken' : 'recorded';
      } catch (error) {
        if (!(error instanceof WaitConflict) || attempt >= 10) throw error;
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

  private async read(study: string): Promise<{ record: WaitRecord; etag: string } | undefined> {
    const { s3, config } = this.options;
    const key = this.keyOf(study);
    try {
      const out = await withAwsRetry('S3.GetObject', () => s3.send(new GetObjectCommand({ Bucket: config.bucket, Key: key })), this.options.retry);
      const text = (await out.Body?.transformToString('utf-8')) ?? '';
      if (!out.ETag) throw new StudyError(`s3://${config.bucket}/${key} came back without an ETag`);
      let record: WaitRecord = {};
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) record = parsed as WaitRecord;
      } catch {
        // A damaged record holds nothing worth keeping: the next write replaces it (conditionally, on its ETag).
      }
      return { record, etag: out.ETag };
    } catch (error) {
      if (classifyAwsError(error) === 'notFound') return undefined;
      throw error;
    }
  }

  private async write(study: string, record: WaitRecord, etag: string | undefined): Promise<void> {
    const { s3, config } = this.options;
    try {
      await withAwsRetry(
        'S3.PutObject',
        () =>
          s3.send(
            new PutObjectCommand({
              Bucket: config.bucket,
              Key: this.keyOf(study),
              Body: JSON.stringify(record),
              ContentType: 'application/json',
              ...(etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: etag }),
            }),
          ),
        this.options.retry,
      );
    } catch (error) {
      const kind = classifyAwsError(error);
      if (kind === 'conflict' || (etag !== undefined && kind === 'notFound')) throw new WaitConflict();
      throw error;
    }
  }

  private async studyExists(study: string): Promise<boolean> {
    const { s3, config } = this.options;
    try {
      await withAwsRetry('S3.HeadObject', () => s3.send(new HeadObjectCommand({ Bucket: config.bucket, Key: `${studyKeyPrefix(config, study)}study.json` })), this.options.retry);
      return true;
    } catch (error) {
      if (classifyAwsError(error) === 'notFound') return false;
      throw error;
    }
  }
}
