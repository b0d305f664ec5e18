/**
 * A {@link StudyStore} in S3: each study is one JSON object, `<prefix>studies/<name>/study.json`, in a bucket (the
 * deployed stack's, or any the caller may read and write). Writes are conditional, so that two writers (two ticks,
 * a tick and a stop request) never lose an update:
 * - creating a study uses `If-None-Match: *` (fails when the study exists);
 * - updating it uses `If-Match: <ETag read>` (fails when someone wrote in between).
 * A lost race surfaces as {@link StudyConflictError}; {@link S3StudyStore.update} is the read-modify-write loop that
 * retries it from a fresh read. Throttling and 5xx are retried with backoff, then surface as `AwsTransientError`.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { classifyAwsError } from '../../aws/errors';
import { timerSleep, withAwsRetry, type RetryOptions } from '../../aws/retry';
import { CorruptStudyError, StudyConflictError, StudyError } from '../errors';
import { studyShapeProblem } from '../shape';
import type { Study, StudyStore, Versioned } from '../types';

/** Options of {@link S3StudyStore}. */
export interface S3StudyStoreOptions {
  /** The bucket's name. */
  readonly bucket: string;
  /**
   * Key prefix before `studies/` (e.g. `sagetune/`); a missing trailing slash is added.
   * @default '' (studies at the top of the bucket)
   */
  readonly prefix?: string;
  /** The S3 client. @default a client for `region` */
  readonly client?: S3Client;
  /** Region of the client created when none is given. @default - the SDK's resolution */
  readonly region?: string;
  /** Backoff of the retries of throttling and 5xx (see `withAwsRetry`). */
  readonly retry?: RetryOptions;
}

/** Options of {@link S3StudyStore.update}. */
export interface UpdateOptions {
  /** Read-modify-write attempts before giving up with the last {@link StudyConflictError}. @default 8 */
  readonly maxAttempts?: number;
  /** Largest backoff between attempts, in milliseconds (full jitter, doubling from 50 ms). @default 2000 */
  readonly maxDelayMs?: number;
  /** Waits the given milliseconds. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Names that are safe as one S3 key segment (study names are tuning-job names: letters, digits, hyphens). */
const STUDY_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

function checkName(name: string): void {
  if (!STUDY_NAME.test(name)) {
    throw new StudyError(`Study name ${JSON.stringify(name)} is not allowed in the S3 store: use 1 to 63 letters, digits and hyphens`);
  }
}

/** The study store backed by S3 conditional writes. */
/** How to recover a corrupt study object (the stack's bucket is versioned; a bucket of one's own may be). */
const S3_RECOVERY =
  'restore its previous version: aws s3api list-object-versions --bucket <bucket> --prefix <key>, then copy that version over it; or delete the object to start the study afresh';

export class S3StudyStore implements StudyStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly retry: RetryOptions;

  constructor(options: S3StudyStoreOptions) {
    if (!options.bucket) throw new StudyError('S3StudyStore needs a bucket name');
    this.bucket = options.bucket;
    this.prefix = options.prefix ? options.prefix.replace(/^\/+/, '').replace(/\/*$/, '/') : '';
    this.client = options.client ?? new S3Client(options.region ? { region: options.region } : {});
    this.retry = options.retry ?? {};
  }

  /** The object key of a study. */
  keyOf(name: string): string {
    checkName(name);
    return `${this.prefix}studies/${name}/study.json`;
  }

  /** Where this store keeps studies, for messages (`s3://bucket/prefix/studies/`). */
  get location(): string {
    return `s3://${this.bucket}/${this.prefix}studies/`;
  }

  async read(name: string): Promise<Versioned<Study> | undefined> {
    const key = this.keyOf(name);
    try {
      const out = await withAwsRetry('S3.GetObject', () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })), this.retry);
      if (!out.Body || !out.ETag) throw new StudyError(`s3://${this.bucket}/${key} came back without a body or an ETag`);
      const text = await out.Body.transformToString('utf-8');
      let value: Study;
      try {
        value = JSON.parse(text) as Study;
      } catch (error) {
        throw new CorruptStudyError(`s3://${this.bucket}/${key}`, `not valid JSON: ${(error as Error).message}`, { cause: error, recovery: S3_RECOVERY });
      }
      const problem = studyShapeProblem(value);
      if (problem) throw new CorruptStudyError(`s3://${this.bucket}/${key}`, problem, { recovery: S3_RECOVERY });
      return { value, version: out.ETag };
    } catch (error) {
      if (classifyAwsError(error) === 'notFound') return undefined;
      throw error;
    }
  }

  /**
   * Writes a study: with `expectedVersion` only if the stored ETag is still that one, without it only if no study of
   * that name exists. Returns the new ETag.
   * @throws StudyConflictError when the condition does not hold (S3 412 PreconditionFailed, or 409
   *   ConditionalRequestConflict from a concurrent conditional write).
   */
  async write(study: Study, expectedVersion?: string): Promise<string> {
    const key = this.keyOf(study.name);
    const body = `${JSON.stringify(study, null, 1)}\n`;
    try {
      const out = await withAwsRetry(
        'S3.PutObject',
        () =>
          this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: key,
              Body: body,
              ContentType: 'application/json',
              ...(expectedVersion === undefined ? { IfNoneMatch: '*' } : { IfMatch: expectedVersion }),
            }),
          ),
        this.retry,
      );
      if (!out.ETag) throw new StudyError(`S3 PutObject of s3://${this.bucket}/${key} returned no ETag`);
      return out.ETag;
    } catch (error) {
      if (classifyAwsError(error) === 'conflict') {
        throw new StudyConflictError(study.name, expectedVersion, undefined, { cause: error });
      }
      if (expectedVersion !== undefined && classifyAwsError(error) === 'notFound') {
        // If-Match on a key that no longer exists: S3 answers 404.
        throw new StudyConflictError(study.name, expectedVersion, undefined, { cause: error });
      }
      throw error;
    }
  }

  /** Names of the studies in the store, sorted. */
  async list(): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await withAwsRetry(
        'S3.ListObjectsV2',
        () =>
          this.client.send(
            new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}studies/`, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }),
          ),
        this.retry,
      );
      for (const p of page.CommonPrefixes ?? []) {
        const name = p.Prefix?.slice(`${this.prefix}studies/`.length).replace(/\/$/, '');
        if (name && STUDY_NAME.test(name)) names.push(name);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return names.sort();
  }

  /**
   * Read-modify-write with retry: reads the study, applies `fn` to it (`fn` may change it in place or return a new
   * study; it may run several times, so it must not have other side effects), and writes it conditionally.
   * On a conflict it starts again from a fresh read, up to `maxAttempts` times.
   * @returns the study as written and its new version.
   * @throws StudyError when the study does not exist; the last StudyConflictError when every attempt lost its race.
   */
  async update(name: string, fn: (study: Study) => Study | void | Promise<Study | void>, options: UpdateOptions = {}): Promise<Versioned<Study>> {
    const maxAttempts = options.maxAttempts ?? 8;
    const maxDelay = options.maxDelayMs ?? 2000;
    const sleep = options.sleep ?? timerSleep;
    let lastConflict: StudyConflictError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await this.read(name);
      if (!current) throw new StudyError(`No study named ${name} in ${this.location}`);
      const draft = structuredClone(current.value);
      const next = (await fn(draft)) ?? draft;
      try {
        const version = await this.write(next, current.version);
        return { value: next, version };
      } catch (error) {
        if (!(error instanceof StudyConflictError)) throw error;
        lastConflict = error;
        if (attempt < maxAttempts) await sleep(Math.floor(Math.random() * Math.min(maxDelay, 50 * 2 ** (attempt - 1))));
      }
    }
    throw lastConflict ?? new StudyError(`update of ${name} made no attempt`);
  }
}
