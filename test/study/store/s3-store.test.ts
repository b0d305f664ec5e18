import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AwsTransientError } from '../../../src/aws/errors';
import { StudyConflictError, StudyError } from '../../../src/study/errors';
import { S3StudyStore } from '../../../src/study/store/s3-store';
import type { Study, Trial } from '../../../src/study/types';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

function s3Error(name: string, status: number, fault: 'client' | 'server' = 'client'): S3ServiceException {
  return new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: `${name} (${status})` });
}

/**
 * A stateful fake of S3's object API with the semantics of conditional writes: ETag = MD5 of the body,
 * If-None-Match '*' fails with 412 when the key exists, If-Match fails with 412 when the ETag differs (404 when the
 * key is gone). Every PutObject yields to the event loop first, so concurrent writers interleave as over a network.
 */
function fakeS3() {
  const objects = new Map<string, { body: string; etag: string }>();
  const mock = mockClient(S3Client);
  const log: string[] = [];
  mock.on(GetObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    await new Promise((r) => setImmediate(r));
    const o = objects.get(`${input.Bucket}/${input.Key}`);
    if (!o) throw s3Error('NoSuchKey', 404);
    return { ETag: o.etag, Body: { transformToString: async () => o.body } };
  });
  mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    await new Promise((r) => setImmediate(r));
    const key = `${input.Bucket}/${input.Key}`;
    const existing = objects.get(key);
    if (input.IfNoneMatch === '*' && existing) {
      log.push(`412 ${input.Key}`);
      throw s3Error('PreconditionFailed', 412);
    }
    if (input.IfMatch !== undefined) {
      if (!existing) throw s3Error('NoSuchKey', 404);
      if (existing.etag !== input.IfMatch) {
        log.push(`412 ${input.Key}`);
        throw s3Error('PreconditionFailed', 412);
      }
    }
    const body = String(input.Body);
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    objects.set(key, { body, etag });
    log.push(`200 ${input.Key}`);
    return { ETag: etag };
  });
  mock.on(ListObjectsV2Command).callsFake(async (input: { Bucket: string; Prefix: string; Delimiter: string; ContinuationToken?: string }) => {
    const prefixes = [...objects.keys()]
      .filter((k) => k.startsWith(`${input.Bucket}/${input.Prefix}`))
      .map((k) => k.slice(input.Bucket.length + 1 + input.Prefix.length).split('/')[0])
      .filter((v, i, a) => a.indexOf(v) === i)
      .sort();
    // Two pages of at most 2 prefixes, to exercise the continuation.
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = prefixes.slice(start, start + 2);
    const more = start + 2 < prefixes.length;
    return {
      CommonPrefixes: page.map((p) => ({ Prefix: `${input.Prefix}${p}/` })),
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + 2) } : {}),
    };
  });
  return { mock, objects, log };
}

function study(name: string): Study {
  return {
    schemaVersion: 1,
    name,
    request: { HyperParameterTuningJobName: name } as unknown as Study['request'],
    status: 'InProgress',
    createdAt: '2026-01-01T00:00:00.000Z',
    trials: [],
  };
}

function trial(number: number): Trial {
  return {
    number,
    suggestionId: `s${number}`,
    hyperParameters: { x: number },
    status: 'InProgress',
    jobName: `s-${String(number).padStart(3, '0')}`,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

const noSleep = async (): Promise<void> => {};

describe('S3StudyStore', () => {
  it('creates, reads and conditionally updates a study under <prefix>studies/<name>/study.json', async () => {
    const { mock, objects } = fakeS3();
    const store = new S3StudyStore({ bucket: 'b', prefix: 'team/sagetune', client: new S3Client({ region: 'us-east-1' }) });
    expect(store.keyOf('s1')).toBe('team/sagetune/studies/s1/study.json');
    const v1 = await store.write(study('s1'));
    expect(mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'b',
      Key: 'team/sagetune/studies/s1/study.json',
      IfNoneMatch: '*',
      ContentType: 'application/json',
    });
    expect(objects.has('b/team/sagetune/studies/s1/study.json')).toBe(true);
    const read = await store.read('s1');
    expect(read).toEqual({ value: study('s1'), version: v1 });
    const changed = { ...read!.value, status: 'Completed' as const };
    const v2 = await store.write(changed, v1);
    expect(v2).not.toBe(v1);
    expect(mock).toHaveReceivedCommandWith(PutObjectCommand, { IfMatch: v1 });
    expect((await store.read('s1'))!.value.status).toBe('Completed');
    expect(await store.read('missing')).toBeUndefined();
  });

  it('surfaces lost races as StudyConflictError: create over an existing study, update from a stale version', async () => {
    fakeS3();
    const store = new S3StudyStore({ bucket: 'b', client: new S3Client({ region: 'us-east-1' }) });
    const v1 = await store.write(study('s1'));
    await expect(store.write(study('s1'))).rejects.toThrow(StudyConflictError);
    await store.write({ ...study('s1'), status: 'Stopping' }, v1);
    const stale = store.write({ ...study('s1'), status: 'Completed' }, v1);
    await expect(stale).rejects.toBeInstanceOf(StudyConflictError);
    await expect(stale).rejects.toMatchObject({ name: 'StudyConflictError', study: 's1', expectedVersion: v1 });
    expect((await store.read('s1'))!.value.status).toBe('Stopping');
  });

  it('treats 409 ConditionalRequestConflict as a conflict too', async () => {
    const mock = mockClient(S3Client);
    mock.on(PutObjectCommand).rejects(s3Error('ConditionalRequestConflict', 409));
    const store = new S3StudyStore({ bucket: 'b', client: new S3Client({ region: 'us-east-1' }) });
    await expect(store.write(study('s1'), '"etag"')).rejects.toBeInstanceOf(StudyConflictError);
  });

  it('loses no update when two writers update the same study concurrently', async () => {
    const { log } = fakeS3();
    const client = new S3Client({ region: 'us-east-1' });
    const a = new S3StudyStore({ bucket: 'b', client });
    const b = new S3StudyStore({ bucket: 'b', client });
    await a.write(study('s1'));
    // Each writer appends 5 trials, one update each, all 10 updates racing.
    const updates: Promise<unknown>[] = [];
    for (let i = 1; i <= 5; i++) {
      updates.push(a.update('s1', (s) => void s.trials.push(trial(i)), { sleep: noSleep, maxAttempts: 20 }));
      updates.push(b.update('s1', (s) => void s.trials.push(trial(100 + i)), { sleep: noSleep, maxAttempts: 20 }));
    }
    await Promise.all(updates);
    const final = (await a.read('s1'))!.value;
    expect(final.trials.map((t) => t.number).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 101, 102, 103, 104, 105]);
    // The race really happened: some writes were refused and retried.
    expect(log.filter((l) => l.startsWith('412')).length).toBeGreaterThan(0);
  });

  it('gives up after maxAttempts conflicts with the last StudyConflictError', async () => {
    fakeS3();
    const client = new S3Client({ region: 'us-east-1' });
    const store = new S3StudyStore({ bucket: 'b', client });
    await store.write(study('s1'));
    let calls = 0;
    // A rival writes between every read and write of ours.
    const rival = new S3StudyStore({ bucket: 'b', client });
    const attempt = store.update(
      's1',
      async (s) => {
        calls++;
        await rival.update('s1', (r) => void r.trials.push(trial(r.trials.length + 1)), { sleep: noSleep });
        s.status = 'Completed';
      },
      { maxAttempts: 3, sleep: noSleep },
    );
    await expect(attempt).rejects.toBeInstanceOf(StudyConflictError);
    expect(calls).toBe(3);
    const final = (await store.read('s1'))!.value;
    expect(final.status).toBe('InProgress');
    expect(final.trials.map((t) => t.number)).toEqual([1, 2, 3]);
  });

  it('fails update of a missing study with a message naming the bucket', async () => {
    fakeS3();
    const store = new S3StudyStore({ bucket: 'bkt', prefix: 'p/', client: new S3Client({ region: 'us-east-1' }) });
    await expect(store.update('nope', () => undefined)).rejects.toThrow('No study named nope in s3://bkt/p/studies/');
  });

  it('lists study names across pages', async () => {
    fakeS3();
    const store = new S3StudyStore({ bucket: 'b', prefix: 'x', client: new S3Client({ region: 'us-east-1' }) });
    for (const n of ['c', 'a', 'b-2', 'd']) await store.write(study(n));
    expect(await store.list()).toEqual(['a', 'b-2', 'c', 'd']);
  });

  it('retries throttling and 5xx, then reports a transient error; other errors pass through at once', async () => {
    const mock = mockClient(S3Client);
    const client = new S3Client({ region: 'us-east-1' });
    const store = new S3StudyStore({ bucket: 'b', client, retry: { sleep: noSleep, maxAttempts: 3 } });
    mock.on(GetObjectCommand).rejectsOnce(s3Error('SlowDown', 503, 'server')).resolves({
      ETag: '"e"',
      Body: { transformToString: async () => JSON.stringify(study('s1')) },
    } as never);
    expect((await store.read('s1'))!.version).toBe('"e"');
    expect(mock).toHaveReceivedCommandTimes(GetObjectCommand, 2);

    mock.reset();
    mock.on(PutObjectCommand).rejects(s3Error('InternalError', 500, 'server'));
    await expect(store.write(study('s1'), '"e"')).rejects.toBeInstanceOf(AwsTransientError);
    expect(mock).toHaveReceivedCommandTimes(PutObjectCommand, 3);

    mock.reset();
    mock.on(GetObjectCommand).rejects(s3Error('AccessDenied', 403));
    await expect(store.read('s1')).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(mock).toHaveReceivedCommandTimes(GetObjectCommand, 1);
  });

  it('rejects study names that are not one safe key segment, and corrupt objects', async () => {
    const mock = mockClient(S3Client);
    const store = new S3StudyStore({ bucket: 'b', client: new S3Client({ region: 'us-east-1' }) });
    expect(() => store.keyOf('../other')).toThrow(StudyError);
    mock.on(GetObjectCommand).resolves({ ETag: '"e"', Body: { transformToString: async () => '{not json' } } as never);
    await expect(store.read('s1')).rejects.toThrow(/s3:\/\/b\/studies\/s1\/study.json is not valid JSON/);
  });
});
