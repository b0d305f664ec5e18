/**
 * The wait record of a study, `<keyPrefix>studies/<name>/wait.json`: the task token of the execution waiting for the
 * study's next job event, and a count of the job events seen. Written only conditionally (S3 If-Match /
 * If-None-Match), so that the functions that write it (the wait and the wake, see `waiting.ts`) serialize.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { classifyAwsError } from '../aws/errors';
import { withAwsRetry, type RetryOptions } from '../aws/retry';
import { StudyError } from '../study/errors';
import { studyKeyPrefix, type ServiceConfig } from './config';

/** What `wait.json` holds. */
export interface WaitRecord {
  /** Task token of the execution waiting now (absent when none waits, or its token was used). */
  token?: string;
  /** The execution that recorded the token. */
  executionArn?: string;
  /** ISO-8601 time the token was recorded. */
  armedAt?: string;
  /** Job events handled so far: a tick notes the count when it starts, so that a wait knows whether one came since. */
  events?: number;
  /** ISO-8601 time the last job event was handled. */
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

/** A conditional write of a wait record lost its race: read it again. */
export class WaitRecordConflict extends Error {
  constructor() {
    super('The wait record changed while it was being written');
    this.name = 'WaitRecordConflict';
  }
}

/** Reads and writes the wait records of a deployed service's studies. */
export class WaitRecordStore {
  constructor(
    private readonly s3: S3Client,
    private readonly config: Pick<ServiceConfig, 'bucket' | 'keyPrefix'>,
    private readonly retry: RetryOptions = {},
  ) {}

  /** The object key of a study's wait record. */
  keyOf(study: string): string {
    return `${studyKeyPrefix(this.config, study)}wait.json`;
  }

  /** The number of job events handled for a study so far (0 when none). */
  async eventCount(study: string): Promise<number> {
    return (await this.read(study))?.record.events ?? 0;
  }

  /** The record and its ETag, or undefined when there is none. A damaged record reads as empty. */
  async read(study: string): Promise<{ record: WaitRecord; etag: string } | undefined> {
    const key = this.keyOf(study);
    try {
      const out = await withAwsRetry('S3.GetObject', () => this.s3.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key })), this.retry);
      const text = (await out.Body?.transformToString('utf-8')) ?? '';
      if (!out.ETag) throw new StudyError(`s3://${this.config.bucket}/${key} came back without an ETag`);
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

  /** Writes the record if it is still at `etag` (absent: if there is none). @throws WaitRecordConflict */
  async write(study: string, record: WaitRecord, etag: string | undefined): Promise<void> {
    try {
      await withAwsRetry(
        'S3.PutObject',
        () =>
          this.s3.send(
            new PutObjectCommand({
              Bucket: this.config.bucket,
              Key: this.keyOf(study),
              Body: JSON.stringify(record),
              ContentType: 'application/json',
              ...(etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: etag }),
            }),
          ),
        this.retry,
      );
    } catch (error) {
      const kind = classifyAwsError(error);
      if (kind === 'conflict' || (etag !== undefined && kind === 'notFound')) throw new WaitRecordConflict();
      throw error;
    }
  }

  /** Whether the study exists (its study.json). */
  async studyExists(study: string): Promise<boolean> {
    try {
      await withAwsRetry('S3.HeadObject', () => this.s3.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: `${studyKeyPrefix(this.config, study)}study.json` })), this.retry);
      return true;
    } catch (error) {
      if (classifyAwsError(error) === 'notFound') return false;
      throw error;
    }
  }
}
