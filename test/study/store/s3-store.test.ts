import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AwsTransientError } from '../../../src/aws/errors';
import { CorruptStudyError, StudyConflictError, StudyError } from '../../../src/study/errors';
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
    request: { HyperParameterTuningJobName: name, HyperParameterTuningJobConfig: {} } as unknown as Study['request'],
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

  it('refuses a stored object that is JSON but not a study, naming the object and the problem', async () => {
    const { objects } = fakeS3();
    const store = new S3StudyStore({ bucket: 'b', prefix: 'p', client: new S3Client({ region: 'us-east-1' }) });
    await store.write(study('s1'));
    const [key] = [...objects.keys()];
    objects.set(key, { ...objects.get(key)!, body: JSON.stringify({ schemaVersion: 1, name: 's1' }) });
    await expect(store.read('s1')).rejects.toThrow(CorruptStudyError);
    await expect(store.read('s1')).rejects.toThrow(/^s3:\/\/b\/p\/studies\/s1\/study\.json is not a sagetune study file: request\.HyperParameterTuningJobConfig is missing \(restore it/);
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
    await expect(store.read('s1')).rejects.toMatchObject({ name: 'AwsAccessError', message: expect.stringMatching(/^S3.GetObject was refused: AccessDenied: /) });
    expect(mock).toHaveReceivedCommandTimes(GetObjectCommand, 1);
  });

  it('rejects study names that are not one safe key segment, and corrupt objects', async () => {
    const mock = mockClient(S3Client);
    const store = new S3StudyStore({ bucket: 'b', client: new S3Client({ region: 'us-east-1' }) });
    expect(() => store.keyOf('../other')).toThrow(StudyError);
    mock.on(GetObjectCommand).resolves({ ETag: '"e"', Body: { transformToString: async () => '{not json' } } as never);
    await expect(store.read('s1')).rejects.toThrow(/s3:\/\/b\/studies\/s1\/study.json is not a sagetune study file: not valid JSON/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Over the wire: the real S3 client against a local server with S3's conditional-write semantics, so that the
// If-Match / If-None-Match headers and S3's XML error responses go through the SDK's serializer and deserializer.

function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>1</RequestId></Error>`;
}

async function startS3(): Promise<{ server: Server; url: string; objects: Map<string, { body: string; etag: string }>; headers: Record<string, string | undefined>[] }> {
  const objects = new Map<string, { body: string; etag: string }>();
  const headers: Record<string, string | undefined>[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const key = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
      const ifMatch = req.headers['if-match'] as string | undefined;
      const ifNoneMatch = req.headers['if-none-match'] as string | undefined;
      const existing = objects.get(key);
      const fail = (status: number, code: string): void => {
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(s3ErrorXml(code, code));
      };
      if (req.method === 'PUT') {
        headers.push({ method: 'PUT', key, ifMatch, ifNoneMatch });
        if (ifNoneMatch === '*' && existing) return fail(412, 'PreconditionFailed');
        if (ifMatch !== undefined && !existing) return fail(404, 'NoSuchKey');
        if (ifMatch !== undefined && existing!.etag !== ifMatch) return fail(412, 'PreconditionFailed');
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        objects.set(key, { body, etag });
        res.writeHead(200, { etag });
        return res.end();
      }
      if (req.method === 'GET') {
        if (!existing) return fail(404, 'NoSuchKey');
        res.writeHead(200, { etag: existing.etag, 'content-type': 'application/json', 'content-length': Buffer.byteLength(existing.body) });
        return res.end(existing.body);
      }
      fail(405, 'MethodNotAllowed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, objects, headers };
}

function wireStudy(): Study {
  return { schemaVersion: 1, name: 'wire', request: { HyperParameterTuningJobName: 'wire', HyperParameterTuningJobConfig: {} } as unknown as Study['request'], status: 'InProgress', createdAt: '2025-01-01T00:00:00.000Z', trials: [] };
}

describe('S3StudyStore over the wire', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let client: S3Client;
  beforeEach(async () => {
    mockClient(S3Client).restore(); // the tests above stub S3Client's send; these use the real one
    s3 = await startS3();
    client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
  });
  afterEach(async () => {
    client.destroy();
    await new Promise((resolve) => s3.server.close(resolve));
  });

  it('sends If-None-Match on create and If-Match on update, and maps 412 to StudyConflictError', async () => {
    const store = new S3StudyStore({ bucket: 'bkt', prefix: 'p', client });
    const v1 = await store.write(wireStudy());
    await expect(store.write(wireStudy())).rejects.toBeInstanceOf(StudyConflictError);
    const v2 = await store.write({ ...wireStudy(), status: 'Stopping' }, v1);
    await expect(store.write({ ...wireStudy(), status: 'Completed' }, v1)).rejects.toBeInstanceOf(StudyConflictError);
    expect(s3.headers).toEqual([
      { method: 'PUT', key: '/bkt/p/studies/wire/study.json', ifMatch: undefined, ifNoneMatch: '*' },
      { method: 'PUT', key: '/bkt/p/studies/wire/study.json', ifMatch: undefined, ifNoneMatch: '*' },
      { method: 'PUT', key: '/bkt/p/studies/wire/study.json', ifMatch: v1, ifNoneMatch: undefined },
      { method: 'PUT', key: '/bkt/p/studies/wire/study.json', ifMatch: v1, ifNoneMatch: undefined },
    ]);
    expect(await store.read('wire')).toEqual({ value: { ...wireStudy(), status: 'Stopping' }, version: v2 });
    expect(await store.read('other')).toBeUndefined();
  });

  it('loses no update with two stores updating one study concurrently', async () => {
    const a = new S3StudyStore({ bucket: 'bkt', client });
    const b = new S3StudyStore({ bucket: 'bkt', client });
    await a.write(wireStudy());
    const bump = (store: S3StudyStore, label: string) =>
      store.update('wire', (s) => void s.trials.push({ number: s.trials.length + 1, suggestionId: label, hyperParameters: {}, status: 'Completed', jobName: label, createdAt: 'x' }), {
        sleep: async () => {},
        maxAttempts: 30,
      });
    await Promise.all([...[1, 2, 3, 4].map((i) => bump(a, `a${i}`)), ...[1, 2, 3, 4].map((i) => bump(b, `b${i}`))]);
    const final = (await a.read('wire'))!.value;
    expect(final.trials.map((t) => t.suggestionId).sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'b3', 'b4']);
    expect(final.trials.map((t) => t.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s3.headers.filter((h) => h.ifMatch).length).toBeGreaterThan(8); // some writes lost their race and were retried
  });
});
