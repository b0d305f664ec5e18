/**
 * Every AWS call site of a study under every kind of AWS failure: throttling, a 5xx, a timeout, an instance quota,
 * access denied and expired credentials, each brief (one failure, within the call's own retries) and lasting (eight
 * failures in a row: longer than one call's retries, over several ticks). The study runs through the real tick with
 * the SageMaker backend against the SageMaker/CloudWatch fake (every request checked against the AWS model) and the
 * S3 study store against the S3 fake, as `sagetune run --backend sagemaker` with an S3 store, and as the deployed
 * tick does.
 *
 * What each cell must do is written down in docs/aws-errors.md and asserted here: what the tick does while the
 * failure lasts (a typed error for the caller, or the call deferred to a later tick with the state kept), and that
 * once it clears the study completes with every trial, no job created twice and no trial failed because of it.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSageMakerBackend } from '../../src/backends/sagemaker/backend';
import { FakeClock, fakeSleep } from '../../src/backends/simulated';
import { eventLine, PLAIN } from '../../src/cli/progress';
import type { StudyEvent } from '../../src/study/events';
import { runStudy, TRANSIENT_TICK_RETRIES } from '../../src/study/runner';
import { parseTuningRequest } from '../../src/study/request';
import { S3StudyStore } from '../../src/study/store/s3-store';
import { openStudy } from '../../src/study/study';
import { tick } from '../../src/study/tick';
import { FakeSageMaker, type FakeTrainer } from '../backends/sagemaker/fake-aws';
import { FakeS3 } from '../support/fake-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

type Fault = 'throttling' | '5xx' | 'timeout' | 'quota' | 'access denied' | 'expired credentials';
const FAULTS: Record<Fault, { name: string; status: number }> = {
  throttling: { name: 'ThrottlingException', status: 400 },
  '5xx': { name: 'InternalFailure', status: 500 },
  timeout: { name: 'TimeoutError', status: 408 },
  quota: { name: 'ResourceLimitExceeded', status: 400 },
  'access denied': { name: 'AccessDeniedException', status: 403 },
  'expired credentials': { name: 'ExpiredTokenException', status: 403 },
};
const S3_FAULTS: Record<Fault, { name: string; status: number } | undefined> = {
  throttling: { name: 'SlowDown', status: 503 },
  '5xx': { name: 'InternalError', status: 500 },
  timeout: { name: 'RequestTimeout', status: 400 },
  quota: undefined,
  'access denied': { name: 'AccessDenied', status: 403 },
  'expired credentials': { name: 'ExpiredToken', status: 400 },
};

type Site = 'CreateTrainingJob' | 'DescribeTrainingJob' | 'ListTrainingJobs' | 'StopTrainingJob' | 'GetMetricData' | 'S3 GetObject' | 'S3 PutObject';
const SITES: Site[] = ['CreateTrainingJob', 'DescribeTrainingJob', 'ListTrainingJobs', 'StopTrainingJob', 'GetMetricData', 'S3 GetObject', 'S3 PutObject'];

/** Jobs of trials 5 and 6 lag far behind (the median rule stops them: StopTrainingJob is called). */
const trainer: FakeTrainer = (hp, jobName) => {
  const lagging = /-00[56]$/.test(jobName);
  return { startupSeconds: 60, trainingSeconds: 600, curve: Array.from({ length: 10 }, (_, i) => 0.6 + 0.03 * i - (lagging ? 0.4 : 0) - 0.001 * Number(hp.max_depth)) };
};

const RAW = JSON.parse(readFileSync(join(__dirname, '../../examples/xgboost/request.json'), 'utf8')) as Record<string, Record<string, unknown>>;
function request() {
  const raw = structuredClone(RAW);
  raw.HyperParameterTuningJobName = 'matrix' as never;
  raw.HyperParameterTuningJobConfig.Strategy = 'Random';
  raw.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2 };
  raw.HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType = 'Auto';
  delete raw.HyperParameterTuningJobConfig.TuningJobCompletionCriteria;
  return parseTuningRequest(raw);
}

/** SageMaker, CloudWatch and S3 fakes on one simulated clock; the SageMaker backend and the S3 study store over them. */
function world() {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 8));
  const fake = new FakeSageMaker(clock, trainer);
  const s3 = new FakeS3();
  const warnings: string[] = [];
  const retry = { sleep: async () => {}, maxAttempts: 3 };
  const backend = createSageMakerBackend({ clients: { sagemaker: fake.sagemaker, cloudwatch: fake.cloudwatch }, clock, retry, warn: (m) => warnings.push(m) });
  const store = new S3StudyStore({ bucket: 'b', client: new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), retry });
  return { clock, fake, s3, backend, store, warnings };
}

interface Cell {
  /** Error names the ticks threw while the failure lasted (the caller's retry), in order, without repeats. */
  thrown: string[];
  /** Warnings the backend gave (deferred calls), matched against the expectation. */
  warnings: string[];
  completed: boolean;
  trials: number;
  failed: number;
  created: number;
  uniqueCreated: number;
  running: number;
  /** Injected failures that never hit a call (must be 0: the cell tested what it says). */
  unserved: number;
  stopped: number;
}

/** Runs the study with `times` failures of `fault` injected at `site`, from the first tick on. */
async function run(site: Site, fault: Fault, times: number): Promise<Cell> {
  const { clock, fake, s3, backend, store, warnings } = world();
  try {
    await openStudy(request(), store, clock);
    const thrown: string[] = [];
    let done = false;
    for (let i = 0; i < 400 && !done; i++) {
      if (i === 0) {
        if (site.startsWith('S3 ')) {
          const f = S3_FAULTS[fault]!;
          s3.failNext(site.slice(3), f.name, f.status, times);
        } else {
          const f = FAULTS[fault];
          fake.failNext(site, f.name, times);
        }
      }
      try {
        done = (await tick('matrix', { store, backend, clock })).done;
      } catch (error) {
        const name = (error as Error).name;
        if (!thrown.includes(name)) thrown.push(name);
      }
      clock.advance(30_000);
    }
    const study = (await store.read('matrix'))!.value;
    return {
      thrown,
      warnings,
      completed: study.status === 'Completed',
      trials: study.trials.length,
      failed: study.trials.filter((t) => t.status === 'Failed').length,
      created: fake.created.length,
      uniqueCreated: new Set(fake.created).size,
      running: fake.created.filter((n) => fake.statusOf(n) === 'InProgress').length,
      unserved: fake.pendingFailures() + s3.pendingFailures(),
      stopped: study.trials.filter((t) => t.status === 'Stopped').length,
    };
  } finally {
    s3.restore();
  }
}

/**
 * What the tick does while a lasting failure lasts, per site and kind (docs/aws-errors.md): the error its caller
 * sees (the runner stops and reports it; the state machine retries it or hands over), or none when the backend
 * defers the call to a later tick and says so.
 */
function expectedWhileLasting(site: Site, fault: Fault): { thrown: string[]; warning?: RegExp } {
  const denied = fault === 'access denied' || fault === 'expired credentials';
  if (site.startsWith('S3 ')) return { thrown: [denied ? 'AwsAccessError' : 'AwsTransientError'] };
  if (denied) {
    return site === 'GetMetricData'
      ? { thrown: [], warning: new RegExp(`values are unavailable, so early stopping cannot act: CloudWatch\\.GetMetricData was refused: ${FAULTS[fault].name}`) }
      : { thrown: ['AwsAccessError'] };
  }
  const named = new RegExp(`failed 3 times \\((throttling|transient): ${FAULTS[fault].name}`);
  const deferred: Record<string, RegExp> = {
    CreateTrainingJob: /^Launch of matrix-001 deferred to the next tick: SageMaker\.CreateTrainingJob /,
    DescribeTrainingJob: /^Status of matrix-00\d unknown this tick: SageMaker\.DescribeTrainingJob /,
    ListTrainingJobs: /^Reconciliation of study matrix deferred: SageMaker\.ListTrainingJobs /,
    StopTrainingJob: /^Stop of matrix-00[56] deferred to the next tick: SageMaker\.StopTrainingJob /,
    GetMetricData: /^Intermediate validation:auc values unavailable this tick: AwsTransientError: CloudWatch\.GetMetricData /,
  };
  if (fault === 'quota') return { thrown: [], warning: /^SageMaker refused to start matrix-001 \(ResourceLimitExceeded: .*\)\. The launch is deferred/ };
  return { thrown: [], warning: new RegExp(`${deferred[site].source}${named.source}`) };
}

const cells: [Site, Fault][] = SITES.flatMap((site) => (Object.keys(FAULTS) as Fault[]).filter((f) => (site === 'CreateTrainingJob' || f !== 'quota') && (!site.startsWith('S3 ') || S3_FAULTS[f])).map((f): [Site, Fault] => [site, f]));

describe.each(cells)('%s under %s', (site, fault) => {
  test('brief (one failure): retried within the call; the study completes as if nothing happened', async () => {
    const cell = await run(site, fault, 1);
    const denied = fault === 'access denied' || fault === 'expired credentials';
    const quota = fault === 'quota';
    // A denial is not retried: the tick that met it reports it once; a quota defers that one launch.
    expect(cell.thrown).toEqual(denied && site !== 'GetMetricData' ? ['AwsAccessError'] : []);
    if (quota) expect(cell.warnings.join('\n')).toMatch(/quota/);
    expect(cell).toMatchObject({ completed: true, trials: 6, failed: 0, created: 6, uniqueCreated: 6, running: 0, unserved: 0, stopped: 2 });
  });

  test('lasting (eight failures in a row): the documented behaviour meanwhile, and the study completes once it clears', async () => {
    const cell = await run(site, fault, 8);
    const expected = expectedWhileLasting(site, fault);
    expect(cell.thrown).toEqual(expected.thrown);
    if (expected.warning) expect(cell.warnings.some((w) => expected.warning!.test(w))).toBe(true);
    expect(cell).toMatchObject({ completed: true, trials: 6, failed: 0, created: 6, uniqueCreated: 6, running: 0, unserved: 0, stopped: 2 });
  });
});

describe('the runner (sagetune run, the SDK) over a lasting outage of the study store', () => {
  test('a tick that fails on a transient AWS error is run again after 2, 4, ... poll intervals, said on screen; the study completes', async () => {
    const { clock, fake, s3, backend, store } = world();
    try {
      const events: StudyEvent[] = [];
      // Nine failed writes: three ticks' worth of the store's own retries, after the study is created.
      s3.failNext('PutObject', 'SlowDown', 503, 9, (key) => key.endsWith('study.json') && s3.objects.has(`b/${key}`));
      const result = await runStudy({ request: request(), store, backend, clock, sleep: fakeSleep(clock), onEvent: (e) => events.push(e) });
      expect(result.study).toMatchObject({ status: 'Completed' });
      expect(result.study.trials).toHaveLength(6);
      expect(new Set(fake.created).size).toBe(6);
      const deferred = events.filter((e): e is Extract<StudyEvent, { type: 'tick-deferred' }> => e.type === 'tick-deferred');
      expect(deferred.map((e) => e.retryInSeconds)).toEqual([60, 120, 240]);
      expect(deferred[0].reason).toMatch(/^S3\.PutObject failed 3 times \(throttling: SlowDown/);
      expect(eventLine(deferred[0], undefined, PLAIN)).toMatch(/^AWS is not answering: S3\.PutObject failed 3 times .*; trying again in 1m/);
      expect(s3.pendingFailures()).toBe(0);
    } finally {
      s3.restore();
    }
  });

  test(`after ${TRANSIENT_TICK_RETRIES} ticks in a row fail so, it gives up with the error (the study as last written, resumable)`, async () => {
    const { clock, fake, s3, backend, store } = world();
    try {
      s3.failNext('GetObject', 'InternalError', 500, 1000, (key) => key.endsWith('study.json') && s3.objects.has(`b/${key}`));
      await expect(runStudy({ request: request(), store, backend, clock, sleep: fakeSleep(clock) })).rejects.toMatchObject({ name: 'AwsTransientError' });
      expect(fake.created).toEqual([]);
    } finally {
      s3.restore();
    }
  });
});
