/**
 * Crash safety of the deployed steps: a crash injected at every call Prepare, the tick and Finalize make to the
 * study store or to the training-job backend (before the call takes effect, and after it took effect but before the
 * handler saw its result), followed by what Step Functions does when a Lambda task fails (its Retry calls the same
 * handler again with the same input), gives the same trials as an uninterrupted execution: none lost, no training
 * job created twice, none left running that no trial owns, the same result files.
 *
 * The execution is driven as the state machine drives it (Prepare, then Tick until it says finalize, waiting its
 * timer between ticks, then Finalize), against the SageMaker fake (every request checked against the AWS model) and
 * a study store in S3 (the S3 fake) or in memory.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../src/backends/simulated';
import { NativeTuningEngine } from '../../src/backends/native/engine';
import { SageMakerTrainingBackend } from '../../src/backends/sagemaker/backend';
import { finalizeStudy } from '../../src/deployed/finalize';
import { prepare } from '../../src/deployed/prepare';
import { deployedTick, type DeployedTickDeps, type TickOutput } from '../../src/deployed/tick';
import { MemoryStudyStore } from '../../src/study/store/memory-store';
import { S3StudyStore } from '../../src/study/store/s3-store';
import type { Study, StudyStore } from '../../src/study/types';
import { FakeSageMaker, type FakeTrainer } from '../backends/sagemaker/fake-aws';
import { FakeS3 } from '../support/fake-s3';
import { InjectedCrash, Injector, studyOutcome, type When } from '../support/crash-injector';
import { testServiceConfig } from '../support/deployed/config';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CONFIG = testServiceConfig();
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:sm:e1';
const STUDY = 'sagetune-crash';

/** The injector's backend, with the deployed tick's `stopJob` counted as a call too. */
function faultyBackend(injector: Injector, inner: SageMakerTrainingBackend): DeployedTickDeps['backend'] {
  return { ...injector.backend(inner), stopJob: (name) => injector.around('backend.stopJob', () => inner.stopJob(name)) };
}

/** Trial 3's job fails; trials 5 to 7 lag far behind (the median rule stops them), by number, whatever is drawn. */
const trainer: FakeTrainer = (hp, jobName) => {
  const depth = Number(hp.max_depth);
  const lagging = /-00[567]$/.test(jobName);
  const curve = Array.from({ length: 8 }, (_, i) => 0.5 + (0.4 * (i + 1)) / 8 - (lagging ? 0.4 : 0) - 0.01 * Math.abs(depth - 7));
  return jobName.endsWith('-003') ? { trainingSeconds: 240, curve: curve.slice(0, 4), failureReason: 'AlgorithmError: out of memory' } : { trainingSeconds: 480, curve };
};

function request(): Record<string, unknown> {
  const r = JSON.parse(readFileSync(join(__dirname, '../../examples/deployed/xgboost.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  r.HyperParameterTuningJobName = STUDY as never;
  r.HyperParameterTuningJobConfig.Strategy = 'Random';
  r.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: 7, MaxParallelTrainingJobs: 2 };
  r.HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType = 'Auto';
  return r;
}

interface Outcome {
  study: Study;
  created: string[];
  running: string[];
  files: Record<string, string>;
  calls: number;
  crashed: boolean;
  retries: number;
}

/**
 * One execution from Prepare to Finalize. A handler that throws is called again with the same input (the state
 * machine's Retry), healthy: the injector crashes once.
 */
async function execution(at: number, when: When, storeKind: 'memory' | 's3'): Promise<Outcome> {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 8));
  const fake = new FakeSageMaker(clock, trainer);
  const s3 = new FakeS3();
  try {
    const s3Client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const store: StudyStore = storeKind === 's3' ? new S3StudyStore({ bucket: CONFIG.bucket, client: s3Client, retry: { sleep: async () => {} } }) : new MemoryStudyStore();
    const warn = (): void => undefined;
    const backend = new SageMakerTrainingBackend({ clients: { sagemaker: fake.sagemaker, cloudwatch: fake.cloudwatch }, clock, retry: { sleep: async () => {}, maxAttempts: 2 }, warn });
    const engine = new NativeTuningEngine({ clients: { sagemaker: fake.sagemaker }, clock, retry: { sleep: async () => {} }, warn });
    const injector = new Injector(at, when);
    const faulty = { store: injector.store(store), backend: faultyBackend(injector, backend) };
    let retries = 0;
    const task = async <T>(run: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await run();
        } catch (error) {
          if (!(error instanceof InjectedCrash)) throw error;
          retries++;
        }
      }
    };

    const prepared = await task(() => prepare(request(), EXECUTION, { config: CONFIG, store: faulty.store, clock, executionStatus: async () => 'RUNNING' }));
    expect(prepared.outcome).toBe('run');
    let iteration = 0;
    for (let guard = 0; ; guard++) {
      if (guard > 500) throw new Error('the execution did not end');
      const out: TickOutput = await task(() =>
        deployedTick({ study: STUDY, executionArn: EXECUTION, iteration }, { config: CONFIG, store: faulty.store, backend: faulty.backend, engine, clock, warn }),
      );
      iteration = out.iteration;
      if (out.next === 'finalize') break;
      expect(out.next === 'wait' || out.next === 'tick').toBe(true);
      if (out.next === 'wait') clock.advance(Math.min(out.waitSeconds, 120) * 1000);
    }
    await task(() => finalizeStudy(STUDY, { config: CONFIG, store: faulty.store, s3: s3Client, clock, retry: { sleep: async () => {} } }));

    const study = (await store.read(STUDY))!.value;
    const files: Record<string, string> = {};
    for (const key of ['summary.json', 'results.csv', 'results.json']) files[key] = s3.text('b', `studies/${STUDY}/results/${key}`) ?? '(missing)';
    const running = fake.created.filter((name) => fake.statusOf(name) === 'InProgress');
    return { study, created: fake.created, running, files, calls: injector.calls, crashed: injector.crashed, retries };
  } finally {
    s3.restore();
  }
}

async function everyCrashPoint(storeKind: 'memory' | 's3', stride: number): Promise<number> {
  const reference = await execution(0, 'before', storeKind);
  expect(reference.crashed).toBe(false);
  expect(reference.study.status).toBe('Completed');
  // The scenario has completed, failed and early-stopped trials.
  const statuses = reference.study.trials.map((t) => t.status);
  expect(statuses).toContain('Completed');
  expect(statuses).toContain('Failed');
  expect(statuses).toContain('Stopped');
  expect(reference.study.trials).toHaveLength(7);
  expect(new Set(reference.created).size).toBe(7);
  expect(reference.running).toEqual([]);
  const expected = studyOutcome(reference.study);
  let points = 0;
  for (let at = 1; at <= reference.calls; at += stride) {
    for (const when of ['before', 'after'] as const) {
      const outcome = await execution(at, when, storeKind);
      const where = { at, when };
      expect({ ...where, crashed: outcome.crashed, retries: outcome.retries }).toEqual({ ...where, crashed: true, retries: 1 });
      // Each trial's job was created once, the same jobs as without the crash, and none is left running.
      expect({ ...where, created: [...outcome.created].sort() }).toEqual({ ...where, created: [...reference.created].sort() });
      expect({ ...where, running: outcome.running }).toEqual({ ...where, running: [] });
      expect({ ...where, study: studyOutcome(outcome.study) }).toEqual({ ...where, study: expected });
      expect({ ...where, files: outcome.files }).toEqual({ ...where, files: reference.files });
      points++;
    }
  }
  return points;
}

describe('a deployed execution crashed at any call of its handlers, then retried', () => {
  test('study in memory: every call of Prepare, every tick and Finalize', async () => {
    const points = await everyCrashPoint('memory', 1);
    expect(points).toBeGreaterThan(100);
  });

  test('study in S3 (conditional writes through the S3 fake), result files compared: every fourth call', async () => {
    const points = await everyCrashPoint('s3', 4);
    expect(points).toBeGreaterThan(25);
  });
});
