/**
 * The deployed steps one at a time, against the SageMaker fake and a memory store: the tick's decisions (wait, tick
 * again, continue, finalize, superseded) and its two guards against leaving a job behind, the cleanup after a stopped
 * execution, Finalize's files and output, and the event-driven wake schedule.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { FakeClock } from '../../src/backends/simulated';
import { NativeTuningEngine } from '../../src/backends/native/engine';
import { SageMakerTrainingBackend } from '../../src/backends/sagemaker/backend';
import { cleanUpAfterExecution } from '../../src/deployed/cleanup';
import { finalizeStudy, type StudySummaryOutput } from '../../src/deployed/finalize';
import { prepare } from '../../src/deployed/prepare';
import { deployedTick, type DeployedTickDeps } from '../../src/deployed/tick';
import { StudyConflictError } from '../../src/study/errors';
import { earlyStoppingInterval, hyperbandInterval, nextWake } from '../../src/study/schedule';
import { MemoryStudyStore } from '../../src/study/store/memory-store';
import { reopenStudy } from '../../src/study/study';
import type { Study, StudyStore } from '../../src/study/types';
import { FakeSageMaker, type FakeTrainer } from '../backends/sagemaker/fake-aws';
import { FakeS3 } from '../support/fake-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testServiceConfig } from '../support/deployed/config';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CONFIG = testServiceConfig({ maxTicksPerExecution: 3 });
const E1 = 'arn:aws:states:us-east-1:111122223333:execution:sm:e1';
const trainer: FakeTrainer = (hp) => ({ trainingSeconds: 600, curve: Array.from({ length: 10 }, (_, i) => 0.9 - 0.2 * Math.exp(-i) - 0.01 * Math.abs(Number(hp.max_depth) - 6)) });

function example(name: string, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const r = JSON.parse(readFileSync(join(__dirname, '../../examples/deployed/xgboost.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  r.HyperParameterTuningJobName = name as never;
  r.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2 };
  return { ...r, ...patch };
}

function setup() {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 8));
  const fake = new FakeSageMaker(clock, trainer);
  const store = new MemoryStudyStore();
  const warnings: string[] = [];
  const backend = new SageMakerTrainingBackend({ clients: { sagemaker: fake.sagemaker, cloudwatch: fake.cloudwatch }, clock, retry: { sleep: async () => {}, maxAttempts: 2 }, warn: (m) => warnings.push(m) });
  const engine = new NativeTuningEngine({ clients: { sagemaker: fake.sagemaker }, clock, retry: { sleep: async () => {} }, warn: (m) => warnings.push(m) });
  const deps = (extra: Partial<DeployedTickDeps> = {}): DeployedTickDeps => ({ config: CONFIG, store, backend, engine, clock, warn: (m) => warnings.push(m), ...extra });
  const start = async (name: string, patch: Record<string, unknown> = {}): Promise<void> => {
    const r = await prepare(example(name, patch), E1, { config: CONFIG, store, clock, executionStatus: async () => 'RUNNING' });
    expect(r.outcome).toBe('run');
  };
  const study = async (name: string): Promise<Study> => (await store.read(name))!.value;
  return { clock, fake, store, backend, engine, deps, start, study, warnings };
}

describe('the deployed tick', () => {
  test('launches into free slots, then waits with the schedule timer; continues in a new execution at the tick limit', async () => {
    const t = setup();
    await t.start('sagetune-t1');
    const first = await deployedTick({ study: 'sagetune-t1', executionArn: E1, iteration: 0 }, t.deps({ eventCount: async () => 4 }));
    expect(first).toMatchObject({ next: 'wait', waitSeconds: 900, waitReason: 'lost-event-bound', iteration: 1, eventsSeen: 4, status: 'InProgress', trials: { InProgress: 2 } });
    expect(t.fake.created).toEqual(['sagetune-t1-001', 'sagetune-t1-002']);
    expect((await deployedTick({ study: 'sagetune-t1', executionArn: E1, iteration: 2 }, t.deps())).next).toBe('continue');
  });

  test('a tick past its deadline records what it did and asks for the next tick at once', async () => {
    const t = setup();
    await t.start('sagetune-t2');
    // Each launch takes 40 s (a slow SageMaker): the deadline, 30 s away, passes after the first.
    const slow = Object.assign(Object.create(t.backend) as SageMakerTrainingBackend, {
      launch: async (spec: Parameters<SageMakerTrainingBackend['launch']>[0]) => {
        const result = await t.backend.launch(spec);
        t.clock.advance(40_000);
        return result;
      },
    });
    const out = await deployedTick({ study: 'sagetune-t2', executionArn: E1, iteration: 0 }, t.deps({ backend: slow, deadline: t.clock.now() + 30_000 }));
    expect(out.next).toBe('tick');
    const s = await t.study('sagetune-t2');
    // Both trials are recorded; the launch that the deadline cut is left to the next tick, unconfirmed.
    expect(s.trials.map((x) => [x.number, x.launchedAt !== undefined])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(t.fake.created).toEqual(['sagetune-t2-001']);
    const next = await deployedTick({ study: 'sagetune-t2', executionArn: E1, iteration: 1 }, t.deps());
    expect(next.next).toBe('wait');
    expect(t.fake.created).toEqual(['sagetune-t2-001', 'sagetune-t2-002']);
  });

  test('an execution that no longer drives the study stops at once, touching nothing', async () => {
    const t = setup();
    await t.start('sagetune-t3');
    const out = await deployedTick({ study: 'sagetune-t3', executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:other', iteration: 0 }, t.deps());
    expect(out.next).toBe('superseded');
    expect(t.fake.created).toEqual([]);
  });

  test('a trial the stored study no longer wants is not launched (a stop came in while the tick ran)', async () => {
    const t = setup();
    await t.start('sagetune-t4');
    // Between the tick's decision (its write) and its launches, a stop is written.
    const store: StudyStore = {
      read: (n) => t.store.read(n),
      list: () => t.store.list(),
      write: async (study, version) => {
        const v = await t.store.write(study, version);
        if (study.trials.length > 0 && study.status === 'InProgress' && !study.trials.some((x) => x.launchedAt)) {
          const current = (await t.store.read(study.name))!;
          await t.store.write({ ...structuredClone(current.value), status: 'Stopping', ending: { status: 'Stopped', reason: 'Stopped by request' } }, current.version);
        }
        return v;
      },
    };
    const out = await deployedTick({ study: 'sagetune-t4', executionArn: E1, iteration: 0 }, t.deps({ store }));
    expect(t.fake.created).toEqual([]);
    expect(t.fake.calls('CreateTrainingJob')).toEqual([]);
    // The next tick sees the stop and ends the study without launching.
    expect(out.next).toBe('wait');
    const next = await deployedTick({ study: 'sagetune-t4', executionArn: E1, iteration: 1 }, t.deps());
    expect(next).toMatchObject({ next: 'finalize', status: 'Stopped' });
    expect(t.fake.created).toEqual([]);
  });

  test("jobs it launched that the stored study does not run, after a lost race, are stopped before it returns", async () => {
    const t = setup();
    await t.start('sagetune-t5');
    let raced = false;
    const store: StudyStore = {
      read: (n) => t.store.read(n),
      list: () => t.store.list(),
      write: async (study, version) => {
        // After the launches, someone (the cleanup of a stopped execution) ends the study first.
        if (!raced && study.trials.some((x) => x.launchedAt)) {
          raced = true;
          const current = (await t.store.read(study.name))!;
          const stopped = structuredClone(current.value);
          stopped.status = 'Stopped';
          for (const trial of stopped.trials) trial.status = 'Stopped';
          await t.store.write(stopped, current.version);
          throw new StudyConflictError(study.name, version, undefined);
        }
        return t.store.write(study, version);
      },
    };
    await deployedTick({ study: 'sagetune-t5', executionArn: E1, iteration: 0 }, t.deps({ store })).catch(() => undefined);
    expect(t.fake.created).toEqual(['sagetune-t5-001', 'sagetune-t5-002']);
    expect(t.fake.calls('StopTrainingJob')).toEqual([{ TrainingJobName: 'sagetune-t5-001' }, { TrainingJobName: 'sagetune-t5-002' }]);
    expect(t.warnings.some((w) => /Stopping training job sagetune-t5-001: study sagetune-t5 no longer runs it/.test(w))).toBe(true);
  });

  test('an ended study goes to Finalize', async () => {
    const t = setup();
    await t.start('sagetune-t6');
    const s = await t.study('sagetune-t6');
    s.status = 'Completed';
    await t.store.write(s, (await t.store.read('sagetune-t6'))!.version);
    expect((await deployedTick({ study: 'sagetune-t6', executionArn: E1, iteration: 0 }, t.deps())).next).toBe('finalize');
  });
});

describe('cleanup after an execution stopped, timed out or failed', () => {
  test('stops every running job of the study the execution drove, and ends it Stopped', async () => {
    const t = setup();
    await t.start('sagetune-c1');
    await deployedTick({ study: 'sagetune-c1', executionArn: E1, iteration: 0 }, t.deps());
    t.clock.advance(120_000);
    const outcome = await cleanUpAfterExecution(
      { executionArn: E1, status: 'ABORTED', input: JSON.stringify(example('sagetune-c1')) },
      { store: t.store, backend: t.backend, engine: t.engine, clock: t.clock, executionInput: async () => undefined },
    );
    expect(outcome).toEqual({ outcome: 'stopped', study: 'sagetune-c1', jobs: ['sagetune-c1-001', 'sagetune-c1-002'] });
    expect(t.fake.calls('StopTrainingJob')).toEqual([{ TrainingJobName: 'sagetune-c1-001' }, { TrainingJobName: 'sagetune-c1-002' }]);
    const s = await t.study('sagetune-c1');
    expect(s.status).toBe('Stopped');
    expect(s.statusReason).toBe('Stopped: the execution e1 that drove the study was stopped');
    expect(s.trials.map((x) => x.status)).toEqual(['Stopped', 'Stopped']);
    // Run again (EventBridge retries): nothing more to do.
    expect((await cleanUpAfterExecution({ executionArn: E1, status: 'ABORTED' }, { store: t.store, backend: t.backend, engine: t.engine, clock: t.clock, executionInput: async () => JSON.stringify(example('sagetune-c1')) })).outcome).toBe('ignored');
  });

  test('an execution that did not drive the study (a refused second one) changes nothing', async () => {
    const t = setup();
    await t.start('sagetune-c2');
    await deployedTick({ study: 'sagetune-c2', executionArn: E1, iteration: 0 }, t.deps());
    const before = (await t.store.read('sagetune-c2'))!.version;
    const out = await cleanUpAfterExecution({ executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:e2', status: 'FAILED', input: JSON.stringify(example('sagetune-c2')) }, { store: t.store, backend: t.backend, engine: t.engine, clock: t.clock, executionInput: async () => undefined });
    expect(out).toEqual({ outcome: 'ignored', why: 'the execution does not drive the study, or it has ended' });
    expect((await t.store.read('sagetune-c2'))!.version).toBe(before);
    expect(t.fake.calls('StopTrainingJob')).toEqual([]);
  });

  test('SageMaker refusing the stops (throttled throughout) throws, so the cleanup is retried; the stop stays recorded', async () => {
    const t = setup();
    await t.start('sagetune-c3');
    await deployedTick({ study: 'sagetune-c3', executionArn: E1, iteration: 0 }, t.deps());
    t.fake.failNext('StopTrainingJob', 'ThrottlingException', 10);
    await expect(cleanUpAfterExecution({ executionArn: E1, status: 'TIMED_OUT', input: JSON.stringify(example('sagetune-c3')) }, { store: t.store, backend: t.backend, engine: t.engine, clock: t.clock, executionInput: async () => undefined })).rejects.toThrow(/StopTrainingJob failed/);
    const s = await t.study('sagetune-c3');
    expect(s.status).toBe('Stopping');
    expect(s.trials.every((x) => x.stopRequestedAt)).toBe(true);
  });
});

describe('Finalize', () => {
  test('writes the summary, CSV, JSON and report, and returns the summary with the best job', async () => {
    const t = setup();
    const s3 = new FakeS3();
    try {
      await t.start('sagetune-f1');
      await deployedTick({ study: 'sagetune-f1', executionArn: E1, iteration: 0 }, t.deps());
      t.clock.advance(700_000);
      await deployedTick({ study: 'sagetune-f1', executionArn: E1, iteration: 1 }, t.deps());
      const output = await finalizeStudy('sagetune-f1', { config: CONFIG, store: t.store, s3: new S3Client({ region: 'us-east-1' }), clock: t.clock });
      const s = await t.study('sagetune-f1');
      const best = s.trials.filter((x) => x.status === 'Completed').reduce((a, b) => (b.objective! > a.objective! ? b : a));
      expect(output).toMatchObject<Partial<StudySummaryOutput>>({
        StudyName: 'sagetune-f1',
        Status: 'InProgress',
        StatusReason: '',
        Engine: 'sagetune',
        BestTrainingJob: {
          TrainingJobName: best.jobName,
          TrialNumber: best.number,
          TunedHyperParameters: expect.objectContaining({ max_depth: String(best.hyperParameters.max_depth) }),
          FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'validation:auc', Value: best.objective!, Type: 'Maximize' },
          TrainingJobArn: `arn:aws:sagemaker:us-east-1:111122223333:training-job/${best.jobName}`,
        },
        Results: { Summary: 's3://b/studies/sagetune-f1/results/summary.json', Csv: 's3://b/studies/sagetune-f1/results/results.csv', Json: 's3://b/studies/sagetune-f1/results/results.json', Report: 's3://b/studies/sagetune-f1/results/report.html' },
      });
      expect(s3.log.filter((l) => l.startsWith('PutObject 200')).map((l) => l.split(' ')[2])).toEqual([
        'studies/sagetune-f1/results/results.csv',
        'studies/sagetune-f1/results/results.json',
        'studies/sagetune-f1/results/report.html',
        'studies/sagetune-f1/results/summary.json',
      ]);
      expect(s3.objects.get('b/studies/sagetune-f1/results/report.html')?.contentType).toBe('text/html; charset=utf-8');
      expect(s3.text('b', 'studies/sagetune-f1/results/report.html')).toContain('<title>sagetune: sagetune-f1</title>');
    } finally {
      s3.restore();
    }
  });
});

describe('the wake schedule', () => {
  async function studyWith(patch: Record<string, unknown>, trials: Partial<Study['trials'][number]>[]): Promise<Study> {
    const t = setup();
    await t.start('sagetune-s', patch);
    const s = await t.study('sagetune-s');
    s.trials = trials.map((x, i) => ({ number: i + 1, suggestionId: `s${i}`, hyperParameters: {}, status: 'InProgress', jobName: `sagetune-s-00${i + 1}`, createdAt: '2026-01-05T08:00:00.000Z', ...x }) as Study['trials'][number]);
    return s;
  }
  const done = (minutes: number) => ({ status: 'Completed' as const, startedAt: '2026-01-05T08:00:00.000Z', endedAt: new Date(Date.UTC(2026, 0, 5, 8) + minutes * 60_000).toISOString(), objective: 0.9 });
  const running = { status: 'InProgress' as const, launchedAt: '2026-01-05T08:00:00.000Z' };

  test('no early stopping: the lost-event bound', async () => {
    const s = await studyWith({}, [running, done(60)]);
    s.request.HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType = 'Off';
    expect(nextWake(s, Date.UTC(2026, 0, 5, 9), { maxWaitSeconds: 900 })).toEqual({ seconds: 900, reason: 'lost-event-bound' });
  });

  test('early stopping looks about 12 times per typical trial once it can act, never more than once a minute', async () => {
    const s = await studyWith({}, [running, done(60), done(60), done(120)]);
    expect(earlyStoppingInterval(s)).toBe(300);
    expect(nextWake(s, Date.UTC(2026, 0, 5, 9))).toEqual({ seconds: 300, reason: 'early-stopping' });
    const short = await studyWith({}, [running, done(2), done(2), done(2)]);
    expect(earlyStoppingInterval(short)).toBe(60);
    // Too few completed trials for the median rule: no early-stopping timer.
    expect(earlyStoppingInterval(await studyWith({}, [running, done(60), done(60)]))).toBeUndefined();
  });

  test('Hyperband looks once per epoch (at least a minute apart): the median time per epoch of the trials', async () => {
    const s = await studyWith({}, [
      { ...running, objectiveSeries: [1, 2, 3].map((k) => ({ t: k * 300, value: 0.5 })) },
      { ...done(60), objectiveSeries: [1, 2, 3, 4].map((k) => ({ t: k * 240, value: 0.4 })) },
      { ...done(60), objectiveSeries: [1, 2].map((k) => ({ t: k * 200, value: 0.6 })) },
    ]);
    s.request.HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType = 'Off';
    s.request.HyperParameterTuningJobConfig.Strategy = 'Hyperband';
    expect(hyperbandInterval(s)).toBe(240);
    expect(nextWake(s, Date.UTC(2026, 0, 5, 9))).toEqual({ seconds: 240, reason: 'early-stopping' });
    // Before any epoch is known, once a minute; quick epochs, once a minute too.
    s.trials.forEach((t) => delete t.objectiveSeries);
    expect(hyperbandInterval(s)).toBe(60);
    s.trials[0].objectiveSeries = [{ t: 5, value: 1 }];
    expect(hyperbandInterval(s)).toBe(60);
    // Nothing running, or the native engine (SageMaker runs Hyperband): no timer.
    s.request.Sagetune.Engine = 'native';
    expect(hyperbandInterval(s)).toBeUndefined();
  });

  test('a deferred launch is retried after a minute; a sent stop is checked after two; the runtime limit ends on time', async () => {
    expect(nextWake(await studyWith({}, [{ status: 'InProgress' }]), Date.UTC(2026, 0, 5, 9))).toEqual({ seconds: 60, reason: 'deferred-launch' });
    expect(nextWake(await studyWith({}, [{ ...running, stopRequestedAt: '2026-01-05T08:30:00.000Z' }]), Date.UTC(2026, 0, 5, 9))).toEqual({ seconds: 120, reason: 'stop-check' });
    const s = await studyWith({}, [running]);
    s.request.HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType = 'Off';
    s.request.HyperParameterTuningJobConfig.ResourceLimits.MaxRuntimeInSeconds = 3600;
    s.activeSeconds = 0;
    s.activeSince = '2026-01-05T08:00:00.000Z';
    expect(nextWake(s, Date.UTC(2026, 0, 5, 8, 55))).toEqual({ seconds: 301, reason: 'runtime-limit' });
  });
});

describe('reopening an ended study', () => {
  test('Stopped and Failed reopen with their trials; Completed, native-run and running studies do not', async () => {
    const t = setup();
    await t.start('sagetune-r');
    const s = await t.study('sagetune-r');
    s.activeSeconds = 100;
    delete s.activeSince;
    const stopped = { ...s, status: 'Stopped' as const, statusReason: 'x', endedAt: '2026-01-05T09:00:00.000Z' };
    const reopened = reopenStudy(stopped, Date.UTC(2026, 0, 6));
    expect(reopened).toMatchObject({ status: 'InProgress', activeSeconds: 100, activeSince: '2026-01-06T00:00:00.000Z' });
    expect(reopened.statusReason).toBeUndefined();
    expect(stopped.status).toBe('Stopped');
    expect(() => reopenStudy({ ...s, status: 'Completed' }, 0)).toThrow(/completed: to tune further, start a new study whose WarmStartConfig names it/);
    expect(() => reopenStudy({ ...s, status: 'Failed', native: { tuningJobName: 'tj', trialsBefore: 0 } }, 0)).toThrow(/tuning job tj, which cannot be restarted/);
    expect(() => reopenStudy(s, 0)).toThrow(/has not ended/);
  });
});
