/**
 * The bad-request corpus (test/fixtures/bad-requests/): every request there is refused with the same words by the
 * CLI (`validate` and `run`, exit code 2), by the SDK (`start` throws RequestInvalidError) and by the state
 * machine's Prepare step (a RequestInvalid refusal), with no stack trace and nothing written.
 *
 * The expected problems of each file are in bad-requests.messages.json, one line per problem as the user reads it
 * ("path: message (received value)"), or, for a file that is not JSON, where and why the parser stopped. Three
 * requests break a rule of the deployed stack itself (its input must be an object; it runs trials only on
 * SageMaker), which Prepare states in the stack's words; the file lists them apart. A request
 * an SDK caller or the Step Functions console passes is already a value, so malformed JSON is the CLI's alone.
 */
import { existsSync, readdirSync, readdirSync as list, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from '../cli/helpers';
import { localStudies } from '../../src/sdk/local';
import { RequestInvalidError } from '../../src/sdk/errors';
import { formatRequestIssue } from '../../src/study/errors';
import { prepare } from '../../src/deployed/prepare';
import type { ServiceConfig } from '../../src/deployed/config';
import { MemoryStudyStore } from '../../src/study/store/memory-store';
import { FakeClock } from '../../src/backends/simulated';

const DIR = join(__dirname, '../fixtures/bad-requests');
const MESSAGES = JSON.parse(readFileSync(join(__dirname, '../fixtures/bad-requests.messages.json'), 'utf8')) as {
  everywhere: Record<string, string[]>;
  deployedStack: Record<string, string[]>;
};
const EXPECTED = MESSAGES.everywhere;
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const MALFORMED = new Set(FILES.filter((f) => EXPECTED[f]?.[0]?.includes('not valid JSON')));

/** A stack that may run the corpus's base request as it is: its role, its bucket prefix for data and output. */
const CONFIG: ServiceConfig = {
  bucket: 'amzn-s3-demo-bucket',
  keyPrefix: 'sagetune/',
  jobNamePrefix: '',
  executionRoleArn: 'arn:aws:iam::111122223333:role/SageMakerExecutionRole',
  defaultOutputPath: 's3://amzn-s3-demo-bucket/sagetune/xgboost/output',
  roleAccess: { read: ['s3://amzn-s3-demo-bucket/sagetune/'], write: ['s3://amzn-s3-demo-bucket/sagetune/'], vpc: false },
  maxWaitSeconds: 900,
  maxTicksPerExecution: 1000,
};

const STACK_TRACE = /^\s+at .+[:(]/m;
const read = (file: string): string => readFileSync(join(DIR, file), 'utf8');

test('the corpus has at least 60 requests, each with its expected message, and covers every kind the issue names', () => {
  expect(FILES.length).toBeGreaterThanOrEqual(60);
  expect(Object.keys(EXPECTED).sort()).toEqual(FILES);
  for (const file of Object.keys(MESSAGES.deployedStack)) expect(FILES).toContain(file);
  for (const file of FILES) expect(EXPECTED[file]!.length).toBeGreaterThan(0);
  const kinds = new Set(FILES.map((f) => f.replace(/^\d+-/, '').split('-')[0]));
  for (const kind of ['malformed', 'type', 'missing', 'unknown', 'range', 'limit', 'name', 'escape', 'option', 'budget', 'huge']) {
    expect(kinds).toContain(kind);
  }
});

describe.each(FILES)('%s', (file) => {
  const expected = EXPECTED[file]!;

  test('the CLI: validate and run exit 2 with the expected problems, no stack trace, no study written', async () => {
    const tmp = tempDir('sagetune-bad-');
    try {
      const path = join(DIR, file);
      for (const argv of [['validate', path], ['run', path, '--store-dir', join(tmp.dir, 'studies'), '--progress', 'off']]) {
        const out = await cli(argv);
        expect(out.code).toBe(2);
        expect(out.stderr).not.toMatch(STACK_TRACE);
        expect(out.stdout).toBe('');
        if (MALFORMED.has(file)) {
          expect(out.stderr.trim()).toBe(`sagetune: ${path}:${expected[0]}`);
        } else {
          const lines = out.stderr.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));
          expect(lines).toEqual(expected);
          expect(out.stderr).toContain(`Invalid tuning request in ${path}`);
        }
      }
      expect(existsSync(join(tmp.dir, 'studies')) ? list(join(tmp.dir, 'studies')) : []).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  if (MALFORMED.has(file)) return;

  test('the SDK: start throws RequestInvalidError with the same problems, and writes nothing', async () => {
    const tmp = tempDir('sagetune-bad-');
    try {
      const studies = localStudies({ storeDir: join(tmp.dir, 'studies'), warn: () => undefined });
      const error = await studies.start(JSON.parse(read(file))).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RequestInvalidError);
      const invalid = error as RequestInvalidError;
      expect(invalid.issues.map(formatRequestIssue)).toEqual(expected);
      for (const line of expected) expect(invalid.message).toContain(line);
      expect(existsSync(join(tmp.dir, 'studies')) ? list(join(tmp.dir, 'studies')) : []).toEqual([]);
      expect(await studies.list()).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  test("the state machine's Prepare: refused as RequestInvalid with the same problems, and nothing written", async () => {
    const lines = MESSAGES.deployedStack[file] ?? expected;
    const store = new MemoryStudyStore();
    const result = await prepare(JSON.parse(read(file)), 'arn:aws:states:us-east-1:111122223333:execution:Sagetune:e1', {
      config: CONFIG,
      store,
      clock: new FakeClock(0),
      executionStatus: () => Promise.resolve(undefined),
    });
    expect(result).toMatchObject({ outcome: 'refused', error: 'RequestInvalid' });
    const cause = (result as { cause: string }).cause;
    expect(cause.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4))).toEqual(lines);
    expect(cause).not.toMatch(STACK_TRACE);
    expect(await store.list()).toEqual([]);
  });
});
