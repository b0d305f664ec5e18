/**
 * The native engine against a stateful fake of SageMaker's tuning job: the tuning job launches its training jobs
 * on the fake SageMaker over simulated time (a fixed schedule of configurations, `MaxParallelTrainingJobs` at a
 * time), and sagetune starts, follows, imports and stops it. Every request is checked against the AWS model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseEngine, handOverToNative, nativeOnlyFeatures, nativeTick, NativeTuningEngine, parseTunedHyperParameters, runNativeStudy } from '../../../src/backends/native/engine';
import { buildCreateHyperParameterTuningJobRequest } from '../../../src/backends/native/tuning-job-request';
import { FakeClock, fakeSleep } from '../../../src/backends/simulated';
import type { StudyEvent } from '../../../src/study/events';
import { parseTuningRequest, type TuningRequest } from '../../../src/study/request';
import { MemoryStudyStore } from '../../../src/study/store/memory-store';
import { openStudy, requestStop, trialJobName } from '../../../src/study/study';
import type { Study } from '../../../src/study/types';
import { arn, FakeSageMaker, type FakeTrainer } from '../sagemaker/fake-aws';
import { FakeTuner } from './fake-tuner';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const EXAMPLES = join(__dirname, '../../../examples/xgboost');
const raw = (file: string) => JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8'));

const trainer: FakeTrainer = (hp) => {
  const auc = Number((0.95 - 0.01 * Math.abs(Number(hp.max_depth) - 6)).toFixed(4));
  return { trainingSeconds: 300, curve: [auc - 0.1, auc - 0.05, auc - 0.02, auc - 0.01, auc], otherMetrics: { 'train:auc': 0.99 } };
};

function setup() {
  const clock = new FakeClock(Date.UTC(2025, 0, 1, 12, 0, 0));
  const fake = new FakeSageMaker(clock, trainer);
  const tuner = new FakeTuner(fake, clock, trainer);
  const warnings: string[] = [];
  const engine = new NativeTuningEngine({ clients: { sagemaker: fake.sagemaker }, clock, retry: { sleep: async () => {}, maxAttempts: 3 }, warn: (m) => warnings.push(m) });
  return { clock, fake, tuner, engine, warnings, store: new MemoryStudyStore() };
}

function hyperband(changes: (r: ReturnType<typeof raw>) => void = () => {}): TuningRequest {
  const r = raw('request-native-hyperband.json');
  r.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 6;
  r.HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs = 2;
  changes(r);
  return parseTuningRequest(r);
}

describe('engine choice', () => {
  it('is native when asked for or when the request needs a native-only feature', () => {
    expect(chooseEngine(parseTuningRequest(raw('request.json')))).toBe('sagetune');
    // The example asks for the native engine; Hyperband alone no longer needs it (sagetune's engine runs it).
    expect(chooseEngine(hyperband())).toBe('native');
    expect(chooseEngine(hyperband((r) => (r.Sagetune.Engine = 'sagetune')))).toBe('sagetune');
    expect(nativeOnlyFeatures(hyperband())).toEqual([]);
    const autotune = raw('request.json');
    autotune.Autotune = { Mode: 'Enabled' };
    autotune.Sagetune.Engine = 'native';
    expect(nativeOnlyFeatures(parseTuningRequest(autotune))).toEqual(['Autotune']);
    const asked = raw('request.json');
    asked.Sagetune.Engine = 'native';
    expect(chooseEngine(parseTuningRequest(asked))).toBe('native');
    expect(nativeOnlyFeatures(parseTuningRequest(asked))).toEqual([]);
  });
});

describe('a study run by the native engine', () => {
  it('starts the tuning job with the exact request, follows it, imports its 6 training jobs and completes', async () => {
    const { clock, fake, tuner, engine, store } = setup();
    const request = hyperband();
    const events: StudyEvent[] = [];
    const result = await runNativeStudy({ request, store, engine, clock, sleep: fakeSleep(clock), onEvent: (e) => events.push(e) });

    expect(fake.calls('CreateHyperParameterTuningJob')).toEqual([
      buildCreateHyperParameterTuningJobRequest(request, { study: 'xgboost-hyperband', tuningJobName: 'xgboost-hyperband' }).input,
    ]);
    const sent = tuner.input!;
    expect(sent.HyperParameterTuningJobName).toBe('xgboost-hyperband');
    expect(sent.HyperParameterTuningJobConfig).toEqual({
      Strategy: 'Hyperband',
      StrategyConfig: { HyperbandStrategyConfig: { MinResource: 10, MaxResource: 300 } },
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2, MaxRuntimeInSeconds: 7200 },
      ParameterRanges: raw('request-native-hyperband.json').HyperParameterTuningJobConfig.ParameterRanges,
      TrainingJobEarlyStoppingType: 'Off',
      TuningJobCompletionCriteria: { BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 8 } },
    });
    expect(sent.TrainingJobDefinition!.AlgorithmSpecification).toEqual({ TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', TrainingInputMode: 'File' });
    expect(sent.TrainingJobDefinition!.StaticHyperParameters).toEqual({ objective: 'binary:logistic', eval_metric: 'auc', num_round: '300', early_stopping_rounds: '20', verbosity: '1' });
    expect(sent.Tags).toEqual([
      { Key: 'project', Value: 'sagetune-example' },
      { Key: 'sagetune:study', Value: 'xgboost-hyperband' },
    ]);
    expect(Object.keys(sent).sort()).toEqual(['HyperParameterTuningJobConfig', 'HyperParameterTuningJobName', 'Tags', 'TrainingJobDefinition']);
    const s = result.study;
    expect(s.status).toBe('Completed');
    expect(s.statusReason).toBe('The native tuning job completed');
    expect(s.native).toEqual({ tuningJobName: 'xgboost-hyperband', tuningJobArn: expect.stringContaining('hyper-parameter-tuning-job/xgboost-hyperband'), trialsBefore: 0 });
    expect(s.trials.map((t) => t.number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s.trials.every((t) => t.status === 'Completed')).toBe(true);
    const t3 = s.trials[2];
    expect(t3).toMatchObject({
      jobName: 'xgboost-hyperband-003-abcdef01',
      suggestionId: 'native:xgboost-hyperband-003-abcdef01',
      hyperParameters: { eta: 0.07, max_depth: 5, min_child_weight: 1, subsample: 0.9, alpha: 0, lambda: 1 },
      objective: 0.94,
      finalMetrics: { 'validation:auc': 0.94, 'train:auc': 0.99 },
      backendData: { engine: 'native', tuningJobName: 'xgboost-hyperband', trainingJobArn: arn('xgboost-hyperband-003-abcdef01') },
    });
    expect(events.filter((e) => e.type === 'trial-completed')).toHaveLength(6);
    expect(events[events.length - 1]).toMatchObject({ type: 'study-ended', status: 'Completed' });
    // The listing took several pages; every training job's metrics were read once, when it ended.
    expect(fake.calls('DescribeTrainingJob')).toHaveLength(6);
    expect(fake.invalidRequests).toEqual([]);
    expect((await store.read(s.name))!.value).toEqual(s);
  });

  it('takes over a study with the remaining budget: stops its running trials and numbers imported trials after them', async () => {
    const { clock, fake, tuner, engine, store } = setup();
    const r = raw('request.json');
    r.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 7;
    const request = parseTuningRequest(r);
    const opened = await openStudy(request, store, clock);
    // Three sagetune trials: two completed, one still running on SageMaker.
    const study: Study = opened.value;
    for (const n of [1, 2, 3]) {
      study.trials.push({ number: n, suggestionId: `s${n}`, hyperParameters: { eta: 0.1 }, status: n < 3 ? 'Completed' : 'InProgress', jobName: trialJobName(study.name, n), createdAt: new Date(clock.now()).toISOString(), ...(n < 3 ? { objective: 0.9 } : { launchedAt: new Date(clock.now()).toISOString() }) });
    }
    fake.jobs.set(trialJobName(study.name, 3), { input: { TrainingJobName: trialJobName(study.name, 3), RoleArn: r.TrainingJobDefinition.RoleArn, OutputDataConfig: r.TrainingJobDefinition.OutputDataConfig }, createdMs: clock.now(), plan: { trainingSeconds: 3600, curve: [0.5] } });
    clock.advance(30 * 60_000);
    const version = await store.write(study, opened.version);

    const first = await nativeTick(study.name, { store, engine, clock });
    expect(first.version).not.toBe(version);
    expect(tuner.input!.HyperParameterTuningJobName).toBe('xgboost-breast-cancer-n3');
    expect(tuner.input!.HyperParameterTuningJobConfig!.ResourceLimits).toEqual({ MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 3, MaxRuntimeInSeconds: 5400 });
    expect(first.study.trials[2]).toMatchObject({ status: 'Stopped', stopReason: 'Handed over to the native tuning job xgboost-breast-cancer-n3' });
    expect(fake.statusOf(trialJobName(study.name, 3))).toBe('Stopping');
    expect(first.study.native).toMatchObject({ tuningJobName: 'xgboost-breast-cancer-n3', trialsBefore: 3 });

    let result = first;
    for (let i = 0; i < 100 && !result.done; i++) {
      clock.advance(result.nextTickSeconds * 1000);
      result = await nativeTick(study.name, { store, engine, clock });
    }
    expect(result.study.status).toBe('Completed');
    expect(result.study.trials.map((t) => [t.number, t.status])).toEqual([
      [1, 'Completed'],
      [2, 'Completed'],
      [3, 'Stopped'],
      [4, 'Completed'],
      [5, 'Completed'],
      [6, 'Completed'],
      [7, 'Completed'],
    ]);
    expect(result.study.trials[3].jobName).toBe('xgboost-breast-cancer-n3-001-abcdef01');
    expect(fake.invalidRequests).toEqual([]);
  });

  it('stops the tuning job when the study is asked to stop, and ends Stopped', async () => {
    const { clock, fake, engine, store } = setup();
    const request = hyperband();
    await openStudy(request, store, clock);
    await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    clock.advance(8 * 60_000);
    await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    await requestStop(store, request.HyperParameterTuningJobName);
    let result = await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    expect(fake.calls('StopHyperParameterTuningJob')).toEqual([{ HyperParameterTuningJobName: 'xgboost-hyperband' }]);
    for (let i = 0; i < 10 && !result.done; i++) {
      clock.advance(60_000);
      result = await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    }
    expect(result.study.status).toBe('Stopped');
    expect(result.study.statusReason).toBe('The native tuning job was stopped');
    expect(result.study.trials.map((t) => t.status)).toEqual(['Completed', 'Completed', 'Stopped', 'Stopped']);
    // Stopping again, after the end, is not an error.
    await expect(engine.stop(result.study)).resolves.toBeUndefined();
    expect(fake.calls('StopHyperParameterTuningJob')).toHaveLength(3);
  });

  it('adopts its own tuning job after a crash between the create and the study write', async () => {
    const { clock, fake, engine, store } = setup();
    const request = hyperband();
    const opened = await openStudy(request, store, clock);
    await engine.start(opened.value); // created on SageMaker, result lost with the process
    const result = await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    expect(result.study.native?.tuningJobName).toBe('xgboost-hyperband');
    expect(result.study.status).toBe('InProgress');
    expect(fake.calls('CreateHyperParameterTuningJob')).toHaveLength(2);
    expect(fake.calls('DescribeHyperParameterTuningJob')).toHaveLength(1);
  });

  it('refuses to adopt a tuning job of the same name that is not this study', async () => {
    const { clock, engine, store, tuner } = setup();
    const request = hyperband();
    const opened = await openStudy(request, store, clock);
    await engine.start({ ...opened.value, request: hyperband((r) => (r.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName = 'validation:rmse')) });
    expect(tuner.input).toBeDefined();
    const result = await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    expect(result.study.status).toBe('Failed');
    expect(result.study.statusReason).toMatch(/already exists and is not this study's \(its objective is validation:rmse\)/);
  });

  it('fails the study with AWS message on a ValidationException', async () => {
    const { clock, fake, engine, store } = setup();
    const request = hyperband();
    await openStudy(request, store, clock);
    fake.failNext('CreateHyperParameterTuningJob', 'ValidationException', 1);
    const result = await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    expect(result.done).toBe(true);
    expect(result.study).toMatchObject({ status: 'Failed', statusReason: 'SageMaker rejected the tuning job xgboost-hyperband: ValidationException injected into CreateHyperParameterTuningJob' });
  });

  it('leaves the study unstarted on a quota or persistent throttling, and starts it at the next step', async () => {
    const { clock, fake, engine, store, warnings } = setup();
    const request = hyperband();
    await openStudy(request, store, clock);
    fake.failNext('CreateHyperParameterTuningJob', 'ResourceLimitExceeded', 1);
    const r1 = await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    expect(r1.study.native).toBeUndefined();
    expect(r1.done).toBe(false);
    fake.failNext('CreateHyperParameterTuningJob', 'ThrottlingException', 3);
    const r2 = await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    expect(r2.study.native).toBeUndefined();
    const r3 = await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    expect(r3.study.native?.tuningJobName).toBe('xgboost-hyperband');
    expect(warnings).toHaveLength(2);
  });

  it('imports a finished training job at a later step when its metrics cannot be read now', async () => {
    const { clock, fake, engine, store } = setup();
    const request = hyperband();
    await openStudy(request, store, clock);
    await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    clock.advance(7 * 60_000 + 1000);
    fake.failNext('DescribeTrainingJob', 'ThrottlingException', 3);
    const r1 = await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    expect(r1.study.trials.map((t) => t.status)).toEqual(['InProgress', 'Completed', 'InProgress', 'InProgress']);
    const r2 = await nativeTick(request.HyperParameterTuningJobName, { store, engine, clock });
    expect(r2.study.trials.map((t) => t.status)).toEqual(['Completed', 'Completed', 'InProgress', 'InProgress']);
    expect(r2.study.trials.map((t) => t.number)).toEqual([1, 2, 3, 4]);
  });
});

describe('handOverToNative (the fallback of a failed sagetune study)', () => {
  it('reopens a failed study, stops its running trials and gives the tuning job the remaining budget', async () => {
    const { clock, fake, tuner, engine, store } = setup();
    const r = raw('request.json');
    r.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 5;
    const opened = await openStudy(parseTuningRequest(r), store, clock);
    const study = opened.value;
    study.trials.push({ number: 1, suggestionId: 's1', hyperParameters: { eta: 0.1 }, status: 'InProgress', jobName: trialJobName(study.name, 1), createdAt: 'x', launchedAt: 'x' });
    fake.jobs.set(trialJobName(study.name, 1), { input: { TrainingJobName: trialJobName(study.name, 1), RoleArn: r.TrainingJobDefinition.RoleArn, OutputDataConfig: r.TrainingJobDefinition.OutputDataConfig }, createdMs: clock.now(), plan: { trainingSeconds: 3600, curve: [0.5] } });
    study.status = 'Failed';
    study.statusReason = 'optimizer crashed';
    await store.write(study, opened.version);

    const result = await handOverToNative(study.name, { store, engine, clock, reason: 'the sagetune engine failed: optimizer crashed' });
    expect(result.study).toMatchObject({ status: 'InProgress', statusReason: "Handed over to SageMaker's tuning job: the sagetune engine failed: optimizer crashed" });
    expect(result.study.trials[0]).toMatchObject({ status: 'Stopped' });
    expect(tuner.input!.HyperParameterTuningJobName).toBe('xgboost-breast-cancer-n1');
    expect(tuner.input!.HyperParameterTuningJobConfig!.ResourceLimits!.MaxNumberOfTrainingJobs).toBe(4);
    // Again: nothing new (already handed over).
    const again = await handOverToNative(study.name, { store, engine, clock, reason: 'again' });
    expect(again.version).toBe(result.version);
    expect(fake.calls('CreateHyperParameterTuningJob')).toHaveLength(1);
    let step = again;
    for (let i = 0; i < 50 && !step.done; i++) {
      clock.advance(60_000);
      step = await nativeTick(study.name, { store, engine, clock });
    }
    expect(step.study.status).toBe('Completed');
    expect(step.study.trials.map((t) => t.number)).toEqual([1, 2, 3, 4, 5]);
    expect(fake.invalidRequests).toEqual([]);
  });
});

describe('throttling and 5xx at every call site of the native engine', () => {
  it('DescribeHyperParameterTuningJob, ListTrainingJobsForHyperParameterTuningJob and StopHyperParameterTuningJob: retried, then deferred', async () => {
    const { clock, fake, engine, store, warnings } = setup();
    const request = hyperband();
    const name = request.HyperParameterTuningJobName;
    await openStudy(request, store, clock);
    await nativeTick(name, { store, engine, clock });
    clock.advance(8 * 60_000);

    fake.failNext('DescribeHyperParameterTuningJob', 'InternalFailure', 2); // retried within the step
    const r1 = await nativeTick(name, { store, engine, clock });
    expect(r1.study.trials).toHaveLength(4);

    fake.failNext('DescribeHyperParameterTuningJob', 'ThrottlingException', 3); // outlasts the retries: no change
    const before = (await store.read(name))!;
    const r2 = await nativeTick(name, { store, engine, clock });
    expect(r2.version).toBe(before.version);
    fake.failNext('ListTrainingJobsForHyperParameterTuningJob', 'ThrottlingException', 3);
    const r3 = await nativeTick(name, { store, engine, clock });
    expect(r3.version).toBe(before.version);
    expect(warnings.filter((w) => /unknown this step/.test(w))).toHaveLength(2);

    await requestStop(store, name);
    fake.failNext('StopHyperParameterTuningJob', 'ThrottlingException', 3);
    const r4 = await nativeTick(name, { store, engine, clock });
    expect(r4.study.status).toBe('Stopping');
    const r5 = await nativeTick(name, { store, engine, clock });
    expect(r5.study.status).toBe('Stopping');
    expect(fake.calls('StopHyperParameterTuningJob')).toHaveLength(4); // 3 throttled attempts, then the stop
    clock.advance(60_000);
    let result = r5;
    for (let i = 0; i < 10 && !result.done; i++) {
      clock.advance(60_000);
      result = await nativeTick(name, { store, engine, clock });
    }
    expect(result.study.status).toBe('Stopped');
  });
});

describe('parseTunedHyperParameters', () => {
  it('types values by their ranges and unquotes categorical values', () => {
    const r = raw('request.json');
    r.HyperParameterTuningJobConfig.ParameterRanges.CategoricalParameterRanges = [{ Name: 'booster', Values: ['gbtree', 'dart'] }];
    const request = parseTuningRequest(r);
    expect(parseTunedHyperParameters(request, { eta: '0.25', max_depth: '7', booster: '"dart"', other: '12' })).toEqual({ eta: 0.25, max_depth: 7, booster: 'dart', other: '12' });
  });
});
