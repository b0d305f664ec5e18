/**
 * A stateful fake of the S3 object API behind aws-sdk-client-mock (class-level: every S3Client in the process is
 * served by it), with S3's semantics of conditional writes: ETag = quoted MD5 of the body; `If-None-Match: *` fails
 * with 412 PreconditionFailed when the key exists; `If-Match` fails with 412 when the ETag differs and 404 when the
 * key is gone; GetObject/HeadObject of a missing key answer 404 (NoSuchKey / NotFound), as S3 does for a caller that
 * may list the bucket. Every call yields to the event loop first, so concurrent writers interleave as over a network.
 */
import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type ListObjectsV2CommandInput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';

export function s3Error(name: string, status: number, fault: 'client' | 'server' = 'client'): S3ServiceException {
  return new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: `${name} (${status})` });
}

/** One stored object. */
export interface FakeObject {
  body: string;
  etag: string;
  contentType?: string;
}

export class FakeS3 {
  readonly objects = new Map<string, FakeObject>();
  /** `<operation> <status> <key>` of every call, in order. */
  readonly log: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly mock: AwsStub<any, any, any>;
  /** Called once per request (e.g. to advance a simulated clock by a network latency). */
  onRequest: (operation: string) => void = () => {};
  private readonly injected: { operation: string; name: string; status: number; times: number; match?: (key: string) => boolean }[] = [];

  constructor() {
    this.mock = mockClient(S3Client);
    this.mock.on(GetObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      await this.enter('GetObject', input.Key);
      const o = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (!o) return this.fail('GetObject', input.Key, 'NoSuchKey', 404);
      this.log.push(`GetObject 200 ${input.Key}`);
      return { ETag: o.etag, ContentType: o.contentType, Body: { transformToString: async () => o.body } };
    });
    this.mock.on(HeadObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
      await this.enter('HeadObject', input.Key);
      const o = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (!o) return this.fail('HeadObject', input.Key, 'NotFound', 404);
      this.log.push(`HeadObject 200 ${input.Key}`);
      return { ETag: o.etag, ContentLength: Buffer.byteLength(o.body) };
    });
    this.mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      await this.enter('PutObject', input.Key!);
      const key = `${input.Bucket}/${input.Key}`;
      const existing = this.objects.get(key);
      if (input.IfNoneMatch === '*' && existing) return this.fail('PutObject', input.Key!, 'PreconditionFailed', 412);
      if (input.IfMatch !== undefined) {
        if (!existing) return this.fail('PutObject', input.Key!, 'NoSuchKey', 404);
        if (existing.etag !== input.IfMatch) return this.fail('PutObject', input.Key!, 'PreconditionFailed', 412);
      }
      const body = typeof input.Body === 'string' ? input.Body : Buffer.from(input.Body as Uint8Array).toString('utf8');
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      this.objects.set(key, { body, etag, ...(input.ContentType ? { contentType: input.ContentType } : {}) });
      this.log.push(`PutObject 200 ${input.Key}`);
      return { ETag: etag };
    });
    this.mock.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2CommandInput) => {
      await this.enter('ListObjectsV2', input.Prefix ?? '');
      const prefix = input.Prefix ?? '';
      const keys = [...this.objects.keys()].filter((k) => k.startsWith(`${input.Bucket}/${prefix}`)).map((k) => k.slice(input.Bucket!.length + 1));
      const prefixes = input.Delimiter
        ? [...new Set(keys.map((k) => k.slice(prefix.length)).filter((rest) => rest.includes(input.Delimiter!)).map((rest) => `${prefix}${rest.split(input.Delimiter!)[0]}${input.Delimiter}`))].sort()
        : [];
      this.log.push(`ListObjectsV2 200 ${prefix}`);
      return { CommonPrefixes: prefixes.map((p) => ({ Prefix: p })), Contents: input.Delimiter ? [] : keys.map((Key) => ({ Key })), IsTruncated: false };
    });
  }

  /** The next `times` calls of `operation` (on keys `match` accepts) fail with `name` and HTTP `status`. */
  failNext(operation: string, name: string, status: number, times = 1, match?: (key: string) => boolean): void {
    this.injected.push({ operation, name, status, times, match });
  }

  /** Injected failures not yet served (0 once every failure asked for has hit a call). */
  pendingFailures(): number {
    return this.injected.reduce((n, x) => n + x.times, 0);
  }

  /** The text of an object, or undefined. */
  text(bucket: string, key: string): string | undefined {
    return this.objects.get(`${bucket}/${key}`)?.body;
  }

  /** The object parsed as JSON, or undefined. */
  json<T = unknown>(bucket: string, key: string): T | undefined {
    const t = this.text(bucket, key);
    return t === undefined ? undefined : (JSON.parse(t) as T);
  }

  /** Number of successful writes of a key. */
  writes(key: string): number {
    return this.log.filter((l) => l === `PutObject 200 ${key}`).length;
  }

  restore(): void {
    this.mock.restore();
  }

  private async enter(operation: string, key: string): Promise<void> {
    await new Promise((r) => setImmediate(r));
    this.onRequest(operation);
    const i = this.injected.findIndex((x) => x.operation === operation && (!x.match || x.match(key)));
    if (i < 0) return;
    const entry = this.injected[i];
    if (--entry.times <= 0) this.injected.splice(i, 1);
    this.fail(operation, key, entry.name, entry.status);
  }

  private fail(operation: string, key: string, name: string, status: number): never {
    this.log.push(`${operation} ${status} ${key}`);
    throw s3Error(name, status, status >= 500 ? 'server' : 'client');
  }
}
