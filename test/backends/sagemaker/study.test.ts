/**
 * The SageMaker backend driven by the study layer's real tick and runner, against the stateful fake of SageMaker
 * and CloudWatch (jobs move over simulated time, metrics are served per minute, every request is checked against
 * the AWS model).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSageMakerBackend } from '../../../src/backends/sagemaker/backend';
import { FakeClock, fakeSleep } from '../../../src/backends/simulated';
import type { StudyEvent } from '../../../src/study/events';
import { parseTuningRequest, type TuningRequest } from '../../../src/study/request';
import { runStudy } from '../../../src/study/runner';
import { MemoryStudyStore } from '../../../src/study/store/memory-store';
import { openStudy } from '../../../src/study/study';
import { tick } from '../../../src/study/tick';
import type { Study, StudyStore, Versioned } from '../../../src/study/types';
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3StudyStore } from '../../../src/study/store/s3-store';
import { FakeSageMaker, type FakeTrainer } from './fake-aws';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const RAW = JSON.parse(readFileSync(join(__dirname, '../../../examples/xgboost/request.json'), 'utf8'));

function request(changes: (raw: typeof RAW) => void = () => {}): TuningRequest {
  const raw = structuredClone(RAW);
  changes(raw);
  return parseTuningRequest(raw);
}

/**
 * A smooth AUC landscape over the XGBoost example's space: best near eta 0.1, max_depth 6, subsample 0.9. Training
 * takes 4 to 12 minutes; the curve rises to the final AUC. Runs with max_depth 2 or 3 fail after 90 s with an algorithm error.
 */
const xgboostLike: FakeTrainer = (hp) => {
  const eta = Number(hp.eta);
  const depth = Number(hp.max_depth);
  const sub = Number(hp.subsample);
  const auc = 0.97 - 0.05 * Math.log10(eta / 0.1) ** 2 - 0.004 * (depth - 6) ** 2 - 0.1 * (sub - 0.9) ** 2;
  const minutes = 4 + ((depth * 7 + Math.round(eta * 1000)) % 9);
  const curve = Array.from({ length: minutes }, (_, i) => Number((auc - 0.15 * (1 - (i + 1) / minutes) ** 2).toFixed(6)));
  if (depth <= 3) return { trainingSeconds: 90, curve: [], failureReason: `AlgorithmError: max_depth ${depth} is not allowed by this fake` };
  return { trainingSeconds: minutes * 60, curve };
};

function setup(trainer: FakeTrainer = xgboostLike) {
  const clock = new FakeClock(Date.UTC(2025, 0, 1, 12, 0, 0));
  const fake = new FakeSageMaker(clock, trainer);
  const warnings: string[] = [];
  const backend = createSageMakerBackend({
    clients: { sagemaker: fake.sagemaker, cloudwatch: fake.cloudwatch },
    clock,
    retry: { sleep: async () => {}, maxAttempts: 3 },
    warn: (m) => warnings.push(m),
  });
  return { clock, fake, backend, warnings, store: new MemoryStudyStore() };
}

/** A store that dies (throws) on its Nth write, like a process killed at that line. */
class CrashingStore implements StudyStore {
  writes = 0;
  constructor(
    private readonly inner: StudyStore,
    private readonly crashAtWrite: number,
  ) {}
  read(name: string): Promise<Versioned<Study> | undefined> {
    return this.inner.read(name);
  }
  async write(study: Study, expectedVersion?: string): Promise<string> {
    this.writes += 1;
    if (this.writes === this.crashAtWrite) throw new Error('killed');
    return this.inner.write(study, expectedVersion);
  }
  list(): Promise<string[]> {
    return this.inner.list();
  }
}

describe('the SageMaker backend under the tick', () => {
  it('a crash between the launch and the study write is followed by a tick that adopts the job, not a second one', async () => {
    const { clock, fake, backend, store } = setup();
    const req = request();
    await openStudy(req, store, clock);
    // The tick writes its decisions (write 1), launches 3 jobs, and dies writing the confirmations (write 2).
    const crashing = new CrashingStore(store, 2);
    await expect(tick(req.HyperParameterTuningJobName, { store: crashing, backend, clock })).rejects.toThrow('killed');
    expect(fake.created).toEqual(['xgboost-breast-cancer-001', 'xgboost-breast-cancer-002', 'xgboost-breast-cancer-003']);
    const recorded = (await store.read(req.HyperParameterTuningJobName))!.value;
    expect(recorded.trials.map((t) => [t.jobName, t.launchedAt])).toEqual([
      ['xgboost-breast-cancer-001', undefined],
      ['xgboost-breast-cancer-002', undefined],
      ['xgboost-breast-cancer-003', undefined],
    ]);

    clock.advance(30_000);
    const result = await tick(req.HyperParameterTuningJobName, { store, backend, clock });
    const launches = result.events.filter((e): e is Extract<StudyEvent, { type: 'trial-launched' }> => e.type === 'trial-launched');
    expect(launches.map((e) => [e.jobName, e.adopted])).toEqual([
      ['xgboost-breast-cancer-001', true],
      ['xgboost-breast-cancer-002', true],
      ['xgboost-breast-cancer-003', true],
    ]);
    expect(fake.created).toHaveLength(3);
    expect(fake.calls('CreateTrainingJob')).toHaveLength(6); // 3 launches + 3 ResourceInUse
    expect(result.study.trials.every((t) => t.launchedAt && t.backendData?.trainingJobArn)).toBe(true);
  });

  it('defers launches over the instance quota without failing a trial, and launches them when capacity frees', async () => {
    const { clock, fake, backend, store, warnings } = setup(() => ({ trainingSeconds: 300, curve: [0.7, 0.75, 0.8, 0.82, 0.85] }));
    fake.instanceQuota = 2;
    const req = request((raw) => {
      raw.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 4;
      delete raw.HyperParameterTuningJobConfig.TuningJobCompletionCriteria;
    });
    const events: StudyEvent[] = [];
    const result = await runStudy({ request: req, store, backend, clock, sleep: fakeSleep(clock), onEvent: (e) => events.push(e) });
    expect(result.study.status).toBe('Completed');
    expect(result.study.trials.map((t) => t.status)).toEqual(['Completed', 'Completed', 'Completed', 'Completed']);
    expect(events.some((e) => e.type === 'launch-deferred')).toBe(true);
    expect(events.filter((e) => e.type === 'trial-failed')).toEqual([]);
    expect(fake.maxConcurrent).toBe(2);
    expect(warnings.some((w) => /ResourceLimitExceeded/.test(w))).toBe(true);
    expect(fake.invalidRequests).toEqual([]);
  });

  it('fails the study at once when SageMaker rejects its first training job, with AWS message', async () => {
    const { clock, fake, backend, store } = setup();
    const req = request();
    fake.failNext('CreateTrainingJob', 'ValidationException', 1);
    const result = await runStudy({ request: req, store, backend, clock, sleep: fakeSleep(clock) });
    expect(result.study.status).toBe('Failed');
    expect(result.study.statusReason).toBe('SageMaker rejected training job xgboost-breast-cancer-001: ValidationException injected into CreateTrainingJob');
    // Trials 2 and 3 were never launched: the study stopped before.
    expect(fake.created).toEqual([]);
    expect(result.study.trials.map((t) => t.status)).toEqual(['Failed', 'Stopped', 'Stopped']);
  });

  it('sends only model-valid requests for the spot/VPC example, with a per-trial checkpoint on every job', async () => {
    const { clock, fake, backend, store } = setup();
    const raw = JSON.parse(readFileSync(join(__dirname, '../../../examples/xgboost/request-spot-vpc.json'), 'utf8'));
    raw.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 4;
    const result = await runStudy({ request: parseTuningRequest(raw), store, backend, clock, sleep: fakeSleep(clock) });
    expect(result.study.status).toBe('Completed');
    expect(fake.invalidRequests).toEqual([]);
    const checkpoints = [...fake.jobs.values()].map((j) => j.input.CheckpointConfig?.S3Uri);
    expect(checkpoints).toEqual(result.study.trials.map((t) => `s3://amzn-s3-demo-bucket/sagetune/xgboost/checkpoints/xgboost-spot-vpc/${t.jobName}`));
  });

  it('runs a study of 12 trials, 3 in parallel, to completion over simulated time with early stopping', async () => {
    const { clock, fake, backend, store } = setup();
    const req = request((raw) => {
      raw.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 12;
      delete raw.HyperParameterTuningJobConfig.TuningJobCompletionCriteria;
      raw.HyperParameterTuningJobConfig.Strategy = 'Random';
    });
    // Throttling now and then, as on a busy account: retried or deferred, never a failure.
    fake.failNext('DescribeTrainingJob', 'ThrottlingException', 2);
    fake.failNext('GetMetricData', 'Throttling', 1);
    const events: StudyEvent[] = [];
    const started = clock.now();
    const result = await runStudy({ request: req, store, backend, clock, sleep: fakeSleep(clock), onEvent: (e) => events.push(e) });
    const s = result.study;
    expect(s.status).toBe('Completed');
    expect(s.statusReason).toBe('MaxNumberOfTrainingJobs (12) reached');
    expect(s.trials).toHaveLength(12);
    expect(fake.created).toHaveLength(12);
    expect(new Set(fake.created).size).toBe(12);
    expect(fake.maxConcurrent).toBeLessThanOrEqual(3);
    expect(fake.maxConcurrent).toBe(3);
    expect(fake.invalidRequests).toEqual([]);
    for (const t of s.trials) {
      expect(['Completed', 'Failed', 'Stopped']).toContain(t.status);
      expect(fake.statusOf(t.jobName)).toBe(t.status);
      if (t.status === 'Completed') {
        expect(t.objective).toBe(t.finalMetrics!['validation:auc']);
        expect(t.objectiveSeries!.length).toBeGreaterThan(0);
        expect(t.objectiveSeries![t.objectiveSeries!.length - 1].value).toBe(t.objective);
      }
      if (t.status === 'Failed') expect(t.failureReason).toMatch(/^AlgorithmError/);
    }
    // Early stopping (TrainingJobEarlyStoppingType Auto) stopped laggards through StopTrainingJob.
    const stopped = s.trials.filter((t) => t.status === 'Stopped');
    expect(fake.calls('StopTrainingJob')).toHaveLength(stopped.length);
    const completed = s.trials.filter((t) => t.status === 'Completed');
    const failed = s.trials.filter((t) => t.status === 'Failed');
    expect(completed.length).toBeGreaterThanOrEqual(4);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.every((t) => Number(t.hyperParameters.max_depth) <= 3)).toBe(true);
    // Simulated time: 12 jobs of 4 to 13 minutes, 3 at a time.
    const hours = (clock.now() - started) / 3_600_000;
    expect(hours).toBeGreaterThan(0.3);
    expect(hours).toBeLessThan(2);
    const counts = (await store.read(s.name))!.value.trials.length;
    expect(counts).toBe(12);
    // Every request sent fits the AWS model: CreateTrainingJob, DescribeTrainingJob, StopTrainingJob,
    // ListTrainingJobs, GetMetricData.
    expect(new Set(fake.requests.map((r) => r.operation))).toEqual(
      new Set(['CreateTrainingJob', 'DescribeTrainingJob', 'ListTrainingJobs', 'GetMetricData', ...(stopped.length > 0 ? ['StopTrainingJob'] : [])]),
    );
  });

  it('Hyperband on SageMaker jobs: stops them at their rungs and at MaxResource through StopTrainingJob', async () => {
    // 20 minutes of training, one AUC value per minute (an epoch); MaxResource 8 stops every survivor at its 8th.
    const epochs: FakeTrainer = (hp) => {
      const auc = 0.97 - 0.05 * Math.log10(Number(hp.eta) / 0.1) ** 2 - 0.004 * (Number(hp.max_depth) - 6) ** 2;
      return { trainingSeconds: 20 * 60, curve: Array.from({ length: 20 }, (_, i) => Number((auc - 0.2 / (i + 1)).toFixed(6))) };
    };
    const { clock, fake, backend, store } = setup(epochs);
    const req = request((raw) => {
      raw.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 12;
      delete raw.HyperParameterTuningJobConfig.TuningJobCompletionCriteria;
      delete raw.HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType;
      raw.HyperParameterTuningJobConfig.Strategy = 'Hyperband';
      raw.HyperParameterTuningJobConfig.StrategyConfig = { HyperbandStrategyConfig: { MinResource: 2, MaxResource: 8 } };
    });
    const result = await runStudy({ request: req, store, backend, clock, sleep: fakeSleep(clock) });
    const s = result.study;
    expect(s.status).toBe('Completed');
    expect(fake.invalidRequests).toEqual([]);
    const stopCalls = fake.calls('StopTrainingJob') as { TrainingJobName: string }[];
    const atMax = s.trials.filter((t) => t.hyperband?.reachedMax);
    const atRung = s.trials.filter((t) => t.status === 'Stopped');
    expect(atMax.length).toBeGreaterThan(0);
    expect(atRung.length).toBeGreaterThan(0);
    // Every job Hyperband stopped, and only those, got one StopTrainingJob; SageMaker has them Stopped.
    expect(stopCalls.map((c) => c.TrainingJobName).sort()).toEqual([...atMax, ...atRung].map((t) => t.jobName).sort());
    for (const t of atMax) {
      expect(fake.statusOf(t.jobName)).toBe('Stopped');
      // Counted complete with the value it had when it stopped; stopped within a poll (30 s) and the stop's minute.
      expect(t.status).toBe('Completed');
      expect(t.objectiveSeries!.length).toBeGreaterThanOrEqual(8);
      expect(t.objectiveSeries!.length).toBeLessThanOrEqual(10);
    }
    for (const t of atRung) expect(t.stopReason).toMatch(/^Hyperband: at rung [12] \((2|6) epochs\)/);
    // No job ran its 20 minutes.
    expect(s.trials.every((t) => (t.objectiveSeries ?? []).length <= 10)).toBe(true);
  });

  it('runs like the deployed loop: every tick a fresh backend (a cold Lambda) and the study in S3 with conditional writes', async () => {
    const { clock, fake } = setup();
    // S3 with ETags and If-Match / If-None-Match, on one client instance.
    const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const objects = new Map<string, { body: string; etag: string }>();
    const s3mock = mockClient(s3);
    const fail = (name: string, status: number) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
    s3mock.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
      const o = objects.get(input.Key);
      if (!o) throw fail('NoSuchKey', 404);
      return { ETag: o.etag, Body: { transformToString: async () => o.body } };
    });
    s3mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      const o = objects.get(input.Key!);
      if ((input.IfNoneMatch === '*' && o) || (input.IfMatch !== undefined && o?.etag !== input.IfMatch)) throw fail('PreconditionFailed', 412);
      const etag = `"${createHash('md5').update(String(input.Body)).digest('hex')}"`;
      objects.set(input.Key!, { body: String(input.Body), etag });
      return { ETag: etag };
    });
    const req = request((raw) => {
      raw.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 6;
      delete raw.HyperParameterTuningJobConfig.TuningJobCompletionCriteria;
    });
    const store = () => new S3StudyStore({ bucket: 'stack-bucket', prefix: 'sagetune', client: s3 });
    await openStudy(req, store(), clock);
    let done = false;
    let ticks = 0;
    while (!done && ticks < 500) {
      const backend = createSageMakerBackend({ clients: { sagemaker: fake.sagemaker, cloudwatch: fake.cloudwatch }, clock, retry: { sleep: async () => {} }, warn: () => {} });
      const result = await tick(req.HyperParameterTuningJobName, { store: store(), backend, clock });
      done = result.done;
      ticks++;
      clock.advance(result.nextTickSeconds * 1000);
    }
    const final = (await store().read(req.HyperParameterTuningJobName))!.value;
    expect(final.status).toBe('Completed');
    expect(final.trials).toHaveLength(6);
    expect(fake.created).toHaveLength(6);
    expect([...objects.keys()]).toEqual(['sagetune/studies/xgboost-breast-cancer/study.json']);
    // A cold backend reconciles on its first poll: every tick but the first (nothing launched yet) listed the jobs.
    expect(fake.calls('ListTrainingJobs')).toHaveLength(ticks - 1);
    expect(fake.invalidRequests).toEqual([]);
  });
});
