/**
 * The deployed tuning service end to end: the synthesized state machine executed by aws-local-stepfunctions, every
 * Lambda task run by the real handler in-process with the template's environment, SageMaker, CloudWatch and S3
 * faked statefully over simulated time, EventBridge events delivered to the targets of the template's rules (see
 * test/support/deployed/harness.ts). The stack is synthesized once, with a low `maxTicksPerExecution`, so that long
 * studies continue in new executions in every case.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeTrainer } from '../backends/sagemaker/fake-aws';
import { DeployedHarness, type ExecutionOutcome } from '../support/deployed/harness';
import { synthesizeService, type SynthesizedService } from '../support/deployed/template';
import type { Study } from '../../src/study/types';
import type { StudySummaryOutput } from '../../src/deployed/finalize';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const MAX_TICKS = 4;
let service: SynthesizedService;
let h: DeployedHarness | undefined;

beforeAll(() => {
  service = synthesizeService({ maxTicksPerExecution: MAX_TICKS });
});

afterEach(() => {
  h?.dispose();
  h = undefined;
});

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/deployed/xgboost.json'), 'utf8')) as Record<string, unknown>;

/** The deployed example with another name, budget and options. */
function request(name: string, options: { trials?: number; parallel?: number; earlyStopping?: boolean; engine?: 'native' } = {}): Record<string, unknown> {
  const r = structuredClone(example) as Record<string, Record<string, unknown>>;
  r.HyperParameterTuningJobName = name as never;
  const config = r.HyperParameterTuningJobConfig;
  config.ResourceLimits = { MaxNumberOfTrainingJobs: options.trials ?? 8, MaxParallelTrainingJobs: options.parallel ?? 2 };
  config.TrainingJobEarlyStoppingType = options.earlyStopping ? 'Auto' : 'Off';
  delete config.TuningJobCompletionCriteria;
  if (options.engine) r.Sagetune = { Engine: options.engine };
  return r;
}

/** AUC as a smooth function of the hyperparameters; a per-minute learning curve; jobs named in `failing` fail. */
function trainer(options: { minutes?: number; failing?: RegExp } = {}): FakeTrainer {
  const minutes = options.minutes ?? 10;
  return (hp, jobName) => {
    const eta = Number(hp.eta);
    const depth = Number(hp.max_depth);
    const auc = 0.97 - 0.03 * Math.abs(Math.log10(eta) - Math.log10(0.1)) - 0.006 * Math.abs(depth - 6) - 0.01 * Math.abs(Number(hp.subsample) - 0.8);
    const curve = Array.from({ length: minutes }, (_, i) => Number((auc - 0.2 * Math.exp(-i / 2)).toFixed(5)));
    return {
      startupSeconds: 60,
      trainingSeconds: minutes * 60,
      curve,
      otherMetrics: { 'train:auc': 0.99 },
      ...(options.failing?.test(jobName) ? { failureReason: 'AlgorithmError: XGBoost diverged (a planted failure)' } : {}),
    };
  };
}

function harness(t: FakeTrainer): DeployedHarness {
  h = new DeployedHarness({ service, trainer: t });
  return h;
}

function studyOf(name: string): Study {
  const study = h!.s3.json<Study>(service.bucketName, `studies/${name}/study.json`);
  if (!study) throw new Error(`no study ${name} in S3`);
  return study;
}

/** The outcome of the last execution that drove the study (continuations included). */
async function finalOutcome(): Promise<ExecutionOutcome> {
  const outcomes = await Promise.all([...h!.executions.values()].map((e) => e.outcome));
  return outcomes[outcomes.length - 1];
}

/** Delays from each job's end to the next CreateTrainingJob of the study, seconds. */
function refillDelays(): number[] {
  const creations = [...h!.sagemaker.jobs.values()].map((j) => j.createdMs).sort((a, b) => a - b);
  const ends = [...h!.sagemaker.jobs.keys()].map((n) => h!.sagemaker.endOf(n)!.at).sort((a, b) => a - b);
  const delays: number[] = [];
  for (const end of ends) {
    const next = creations.find((c) => c >= end);
    if (next !== undefined) delays.push((next - end) / 1000);
  }
  return delays;
}

describe('a Bayesian study on the deployed stack', () => {
  test('8 trials, 2 in parallel: completes with the best job in the output, waking on job events, continuing in new executions', async () => {
    const hh = harness(trainer());
    hh.start(request('sagetune-e2e-basic'));
    await hh.drive();
    const outcome = await finalOutcome();
    expect(outcome.status).toBe('SUCCEEDED');
    const output = outcome.output as StudySummaryOutput;
    const study = studyOf('sagetune-e2e-basic');
    expect(study.status).toBe('Completed');
    expect(study.trials.map((t) => t.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(study.trials.every((t) => t.status === 'Completed')).toBe(true);
    // Every job once, never more than 2 at a time, every request valid for SageMaker's model.
    expect(hh.sagemaker.created).toHaveLength(8);
    expect(new Set(hh.sagemaker.created).size).toBe(8);
    expect(hh.sagemaker.maxConcurrent).toBeLessThanOrEqual(2);
    expect(hh.sagemaker.invalidRequests).toEqual([]);
    // The best job is the one with the highest final AUC on SageMaker's side.
    const best = study.trials.reduce((a, b) => (b.objective! > a.objective! ? b : a));
    expect(output.BestTrainingJob?.TrainingJobName).toBe(best.jobName);
    expect(output.BestTrainingJob?.FinalHyperParameterTuningJobObjectiveMetric).toEqual({ MetricName: 'validation:auc', Value: best.objective, Type: 'Maximize' });
    expect(output.TrainingJobStatusCounters).toEqual({ Completed: 8, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 });
    expect(output.Engine).toBe('sagetune');
    // Result files next to the study.
    for (const key of ['summary.json', 'results.csv', 'results.json', 'report.html']) expect(hh.s3.text(service.bucketName, `studies/sagetune-e2e-basic/results/${key}`)).toBeTruthy();
    expect(hh.s3.json(service.bucketName, 'studies/sagetune-e2e-basic/results/summary.json')).toEqual(output);
    expect(hh.s3.text(service.bucketName, 'studies/sagetune-e2e-basic/results/results.csv')!.trim().split('\r\n')).toHaveLength(9);
    // Job events woke the waiting execution: each freed slot was refilled within seconds, not at a timer.
    const woken = hh.deliveries.filter((d) => d.outcome === 'woken');
    expect(woken.length).toBeGreaterThanOrEqual(4);
    const delays = refillDelays();
    expect(delays.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...delays)).toBeLessThan(30);
    // More ticks than one execution may run: the study continued in new executions, each taking over from the last.
    const executions = [...hh.executions.values()];
    expect(executions.length).toBeGreaterThan(1);
    for (const e of executions.slice(1)) expect(e.input).toEqual({ SagetuneContinuation: { StudyName: 'sagetune-e2e-basic', PreviousExecutionArn: executions[executions.indexOf(e) - 1].arn } });
    expect(executions.slice(0, -1).every((e) => e.states.includes('Continued in a new execution'))).toBe(true);
    expect(study.driver?.executionArn).toBe(executions[executions.length - 1].arn);
  });

  test('a failing trial is recorded with its reason and the study goes on', async () => {
    const hh = harness(trainer({ failing: /-003$/ }));
    hh.start(request('sagetune-e2e-fail', { trials: 6 }));
    await hh.drive();
    const outcome = await finalOutcome();
    expect(outcome.status).toBe('SUCCEEDED');
    const study = studyOf('sagetune-e2e-fail');
    expect(study.status).toBe('Completed');
    const failed = study.trials.filter((t) => t.status === 'Failed');
    expect(failed.map((t) => t.number)).toEqual([3]);
    expect(failed[0].failureReason).toBe('AlgorithmError: XGBoost diverged (a planted failure)');
    expect((outcome.output as StudySummaryOutput).TrainingJobStatusCounters).toMatchObject({ Completed: 5, NonRetryableError: 1 });
  });

  test('early stopping stops laggards on SageMaker, checked on the timer the tick sets', async () => {
    // Long jobs (30 minutes), so that laggards are caught mid-run by the median rule.
    const hh = harness(trainer({ minutes: 30 }));
    hh.start(request('sagetune-e2e-es', { trials: 10, parallel: 2, earlyStopping: true }));
    await hh.drive();
    expect((await finalOutcome()).status).toBe('SUCCEEDED');
    const study = studyOf('sagetune-e2e-es');
    // Once three trials had completed, ticks asked to be woken for early-stopping checks (30-minute trials: every 150 s).
    const timers = hh.invocations.filter((i) => i.step === 'tick').map((i) => i.output as { waitReason?: string; waitSeconds: number });
    expect(timers).toContainEqual(expect.objectContaining({ waitReason: 'early-stopping', waitSeconds: 150 }));
    const stopped = study.trials.filter((t) => t.status === 'Stopped');
    expect(stopped.length).toBeGreaterThanOrEqual(1);
    for (const t of stopped) {
      expect(t.stopReason).toMatch(/^Early stopping: best objective .* is worse than the median/);
      expect(hh.sagemaker.calls('StopTrainingJob')).toContainEqual({ TrainingJobName: t.jobName });
      expect(hh.sagemaker.statusOf(t.jobName)).toBe('Stopped');
      // Stopped well before its natural end (30 minutes of training after 1 minute of startup).
      const job = hh.sagemaker.jobs.get(t.jobName)!;
      expect(job.stoppedMs! - job.createdMs).toBeLessThan(31 * 60_000);
    }
  });
});

describe('a Hyperband study on the deployed stack', () => {
  test("sagetune's Hyperband on SageMaker jobs: rung stops and MaxResource stops, woken once per epoch", async () => {
    // 20-minute jobs, one AUC value per minute; MaxResource 9 epochs.
    const hh = harness(trainer({ minutes: 20 }));
    const r = request('sagetune-e2e-hb', { trials: 12, parallel: 3 }) as Record<string, Record<string, unknown>>;
    r.HyperParameterTuningJobConfig.Strategy = 'Hyperband';
    r.HyperParameterTuningJobConfig.StrategyConfig = { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 9 } };
    hh.start(r);
    await hh.drive();
    expect((await finalOutcome()).status).toBe('SUCCEEDED');
    const study = studyOf('sagetune-e2e-hb');
    expect(study.status).toBe('Completed');
    expect(study.trials).toHaveLength(12);
    const timers = hh.invocations.filter((i) => i.step === 'tick').map((i) => i.output as { waitReason?: string; waitSeconds: number });
    expect(timers).toContainEqual(expect.objectContaining({ waitReason: 'early-stopping', waitSeconds: 60 }));
    const rung = study.trials.filter((t) => t.status === 'Stopped');
    const atMax = study.trials.filter((t) => t.hyperband?.reachedMax);
    expect(rung.length).toBeGreaterThan(0);
    expect(atMax.length).toBeGreaterThan(0);
    for (const t of [...rung, ...atMax]) {
      expect(hh.sagemaker.calls('StopTrainingJob')).toContainEqual({ TrainingJobName: t.jobName });
      // Stopped within about a minute and a half of reaching its rung (a metric per minute, a look per minute).
      expect(t.objectiveSeries!.length).toBeLessThanOrEqual((t.hyperband!.passed ?? 0) + 2);
    }
    for (const t of atMax) expect(t.status).toBe('Completed');
  });
});

describe('stopping', () => {
  test("stopping the execution in the console stops the study's running jobs within a minute", async () => {
    const hh = harness(trainer({ minutes: 60 }));
    hh.start(request('sagetune-e2e-stop', { trials: 8, parallel: 3 }));
    await hh.drive({ until: () => hh.sagemaker.created.length === 3 && hh.time > Date.UTC(2026, 0, 5, 8, 10) });
    const driver = studyOf('sagetune-e2e-stop').driver!.executionArn;
    const stoppedAt = hh.time;
    hh.stop(driver);
    hh.at(stoppedAt + 120_000, () => undefined); // two minutes more, for SageMaker to finish stopping
    await hh.drive();
    const outcome = await hh.executions.get(driver)!.outcome;
    expect(outcome.status).toBe('ABORTED');
    for (const name of hh.sagemaker.created) {
      const job = hh.sagemaker.jobs.get(name)!;
      expect(job.stoppedMs).toBeDefined();
      expect(job.stoppedMs! - stoppedAt).toBeLessThan(60_000);
      expect(hh.sagemaker.statusOf(name)).toBe('Stopped');
    }
    const study = studyOf('sagetune-e2e-stop');
    expect(study.status).toBe('Stopped');
    expect(study.statusReason).toMatch(/the execution .* that drove the study was stopped/);
    expect(study.trials.every((t) => t.status === 'Stopped')).toBe(true);
    // Nothing launched after the stop.
    expect(hh.sagemaker.created).toHaveLength(3);
  });

  test('a second execution for a running study ends at once with a cause that says so, and the first runs undisturbed', async () => {
    const hh = harness(trainer({ minutes: 20 }));
    hh.start(request('sagetune-e2e-twice', { trials: 4, parallel: 2 }));
    await hh.drive({ until: () => hh.sagemaker.created.length === 2 });
    const second = hh.start(request('sagetune-e2e-twice', { trials: 4, parallel: 2 }), 'second-execution');
    await hh.drive();
    const refused = await second.outcome;
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toBe('StudyAlreadyRunning');
    expect(refused.cause).toMatch(/^Study sagetune-e2e-twice is already run by execution arn:aws:states:.*:exec-1 .*this execution leaves it alone/);
    const study = studyOf('sagetune-e2e-twice');
    expect(study.status).toBe('Completed');
    expect(study.trials.filter((t) => t.status === 'Completed')).toHaveLength(4);
    // The refused execution's end (FAILED) reached the cleanup function, which left the study alone.
    expect(hh.functionStats('cleanup').invocations).toBeGreaterThanOrEqual(1);
    expect(hh.sagemaker.calls('StopTrainingJob')).toEqual([]);
  });
});

describe('engines', () => {
  test("stopping a native study's execution stops its tuning job, imports what ran and ends the study Stopped", async () => {
    const hh = harness(trainer({ minutes: 30 }));
    const { arn } = hh.start(request('sagetune-e2e-nstop', { trials: 6, parallel: 2, engine: 'native' }));
    await hh.drive({ until: () => hh.time > Date.UTC(2026, 0, 5, 8, 45) });
    hh.stop(arn);
    hh.at(hh.time + 120_000, () => undefined);
    await hh.drive();
    expect(hh.sagemaker.calls('StopHyperParameterTuningJob')).toEqual([{ HyperParameterTuningJobName: 'sagetune-e2e-nstop' }]);
    const study = studyOf('sagetune-e2e-nstop');
    expect(study.status).toBe('Stopped');
    expect(study.trials.length).toBeGreaterThanOrEqual(2);
    expect(study.trials.every((t) => t.status !== 'InProgress')).toBe(true);
    for (const name of hh.sagemaker.created) expect(hh.sagemaker.statusOf(name)).not.toBe('InProgress');
  });

  test("a sagetune failure that no retry fixes hands the study to SageMaker's tuning job with the remaining budget", async () => {
    const hh = harness(trainer({ minutes: 10 }));
    // ListTrainingJobs refused (a missing permission): the tick cannot reconcile, so it cannot run the study.
    hh.sagemaker.failNext('ListTrainingJobs', 'AccessDeniedException', 1000);
    hh.start(request('sagetune-e2e-handover', { trials: 6, parallel: 2 }));
    await hh.drive();
    expect((await finalOutcome()).status).toBe('SUCCEEDED');
    const study = studyOf('sagetune-e2e-handover');
    expect(study.native?.tuningJobName).toBe('sagetune-e2e-handover-n2');
    const tuning = hh.sagemaker.calls('CreateHyperParameterTuningJob') as { HyperParameterTuningJobConfig: { ResourceLimits: unknown } }[];
    expect(tuning).toHaveLength(1);
    expect(tuning[0].HyperParameterTuningJobConfig.ResourceLimits).toEqual({ MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 });
    // The sagetune trials were stopped and say why; the tuning job's trials were imported after them.
    const before = study.trials.filter((t) => t.number <= 2);
    expect(before.every((t) => t.status === 'Stopped' && t.stopReason === 'Handed over to the native tuning job sagetune-e2e-handover-n2')).toBe(true);
    expect(study.trials.filter((t) => t.number > 2)).toHaveLength(4);
    expect(study.status).toBe('Completed');
    const summary = hh.s3.json<StudySummaryOutput>(service.bucketName, 'studies/sagetune-e2e-handover/results/summary.json')!;
    expect(summary.Engine).toBe('native');
    expect(summary.TuningJobName).toBe('sagetune-e2e-handover-n2');
    expect(hh.functionStats('handOver').invocations).toBe(1);
  });

  test("the native engine asked for: SageMaker's tuning job through the optimized integration, imported and finalized", async () => {
    const hh = harness(trainer({ minutes: 5 }));
    const outcome = hh.start(request('sagetune-e2e-native', { trials: 4, parallel: 2, engine: 'native' })).outcome;
    await hh.drive();
    const result = await outcome;
    expect(result.cause).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const [execution] = hh.executions.values();
    expect(execution.states).toContain('Run SageMaker tuning job');
    expect(execution.states).not.toContain('Run a tuning step');
    const output = result.output as StudySummaryOutput;
    expect(output).toMatchObject({ StudyName: 'sagetune-e2e-native', Status: 'Completed', Engine: 'native', TuningJobName: 'sagetune-e2e-native' });
    expect(output.TrainingJobStatusCounters.Completed).toBe(4);
    const study = studyOf('sagetune-e2e-native');
    expect(study.trials).toHaveLength(4);
    expect(output.BestTrainingJob?.TrainingJobName).toBe(study.trials.reduce((a, b) => (b.objective! > a.objective! ? b : a)).jobName);
    expect(hh.sagemaker.invalidRequests).toEqual([]);
  });
});

describe('requests the stack refuses', () => {
  test('an invalid request ends in the Fail state with a cause that names the field, the value and what is allowed; nothing is written', async () => {
    const hh = harness(trainer());
    const bad = request('sagetune-e2e-bad');
    (bad.HyperParameterTuningJobConfig as Record<string, Record<string, number>>).ResourceLimits.MaxParallelTrainingJobs = 0;
    const outcome = await hh.start(bad).outcome;
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('RequestInvalid');
    expect(outcome.cause).toContain('HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs');
    expect(outcome.cause).toContain('(received 0)');
    expect(outcome.cause).not.toMatch(/\bat .*\.ts:\d+/);
    expect([...hh.s3.objects.keys()]).toEqual([]);
    expect(hh.sagemaker.created).toEqual([]);
  });

  test('a name outside the stack\'s job-name prefix and a role it may not pass are refused in Prepare', async () => {
    const hh = harness(trainer());
    const bad = request('xgboost-demo');
    (bad.TrainingJobDefinition as Record<string, unknown>).RoleArn = 'arn:aws:iam::111122223333:role/Admin';
    const outcome = await hh.start(bad).outcome;
    expect(outcome.error).toBe('RequestInvalid');
    expect(outcome.cause).toContain('HyperParameterTuningJobName: must start with "sagetune-"');
    expect(outcome.cause).toContain('TrainingJobDefinition.RoleArn: is not a role this stack may pass to SageMaker');
    expect([...hh.s3.objects.keys()]).toEqual([]);
  });
});
