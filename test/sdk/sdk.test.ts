/**
 * The SDK's one handle: the same function runs a study in-process (local training processes) and on a deployed stack
 * whose execution is run by aws-local-stepfunctions (the synthesized state machine, real handlers, fake AWS); then the
 * in-process specifics: progress, stop, typed errors, delete and starting afresh.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, deployedStudies, localStudies, NotFoundError, RequestInvalidError, type StudyDescription, type Studies } from '../../src/sdk';
import { isRunning, waitUntil } from '../backends/local/helpers';
import type { FakeTrainer } from '../backends/sagemaker/fake-aws';
import { DeployedHarness } from '../support/deployed/harness';
import { synthesizeService } from '../support/deployed/template';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const FIXTURES = join(__dirname, '../cli/fixtures');
const localRequest = (name: string, patch: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...(JSON.parse(readFileSync(join(FIXTURES, 'request.json'), 'utf8')) as Record<string, unknown>),
  HyperParameterTuningJobName: name,
  ...patch,
});

/** The code a user writes once: start, wait with progress, read the results and the report. */
async function tune(studies: Studies, request: unknown, drive: () => Promise<void> = async () => undefined): Promise<{ final: StudyDescription; progress: StudyDescription[]; rows: number; html: string }> {
  const study = await studies.start(request);
  const progress: StudyDescription[] = [];
  await drive();
  const final = await study.wait({ onProgress: (d) => progress.push(d), pollSeconds: 0.01 });
  const rows = (await study.results()).length;
  const html = await study.report();
  return { final, progress, rows, html };
}

describe('the same code, in-process and on a deployed stack', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sagetune-sdk-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('in-process: local training processes', async () => {
    const { final, progress, rows, html } = await tune(localStudies({ storeDir: dir, baseDir: FIXTURES }), localRequest('sdk-local'));
    expect(final).toMatchObject({ name: 'sdk-local', status: 'Completed', runner: 'in-process', backend: 'local', engine: 'sagetune', trials: 6, location: join(dir, 'sdk-local') });
    expect(final.bestTrial?.objective).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress[progress.length - 1].status).toBe('Completed');
    expect(rows).toBe(6);
    expect(html).toContain('<title>sagetune: sdk-local</title>');
  });

  test('deployed: the synthesized state machine, run by aws-local-stepfunctions', async () => {
    const service = synthesizeService();
    const trainer: FakeTrainer = (hp) => ({ trainingSeconds: 300, curve: [0.8, 0.85, 0.88, 0.9, 0.9 - 0.01 * Math.abs(Number(hp.max_depth) - 6)] });
    const harness = new DeployedHarness({ service, trainer });
    const cfn = mockClient(CloudFormationClient);
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Sagetune', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: Object.entries(service.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] });
    try {
      const request = JSON.parse(readFileSync(join(__dirname, '../../examples/deployed/xgboost.json'), 'utf8')) as Record<string, Record<string, unknown>>;
      request.HyperParameterTuningJobName = 'sagetune-sdk' as never;
      request.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2 };
      const studies = await deployedStudies({ stack: 'Sagetune', pollSeconds: 0.01 });
      const { final, progress, rows, html } = await tune(studies, request, () => harness.drive());
      expect(final).toMatchObject({ name: 'sagetune-sdk', status: 'Completed', runner: 'deployed', backend: 'sagemaker', engine: 'sagetune', trials: 6, location: `s3://${service.bucketName}/studies/sagetune-sdk/` });
      expect(final.execution?.status).toBe('SUCCEEDED');
      expect(final.bestTrial?.trainingJobName).toMatch(/^sagetune-sdk-00\d$/);
      expect(progress[progress.length - 1].status).toBe('Completed');
      expect(rows).toBe(6);
      expect(html).toContain('<title>sagetune: sagetune-sdk</title>');
      // The same handle found by the state machine's ARN (its tags) instead of the stack.
      const byArn = await deployedStudies({ stateMachineArn: service.stateMachineArn });
      expect((await byArn.attach('sagetune-sdk')).name).toBe('sagetune-sdk');
      expect((await byArn.list()).map((s) => s.name)).toEqual(['sagetune-sdk']);
    } finally {
      cfn.restore();
      harness.dispose();
    }
  });
});

describe('in-process studies', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sagetune-sdk-'));
  });
  // A paused trial's wrapper may still be writing its exit record as the folder goes: retried.
  afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));

  test('an invalid request is a RequestInvalidError listing every problem; nothing is written', async () => {
    const studies = localStudies({ storeDir: dir, baseDir: FIXTURES });
    const error = (await studies.start(localRequest('sdk-bad', { HyperParameterTuningJobConfig: { Strategy: 'Bayesian' } })).catch((e: unknown) => e)) as RequestInvalidError;
    expect(error).toBeInstanceOf(RequestInvalidError);
    expect(error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['HyperParameterTuningJobConfig.ResourceLimits']));
    expect(await studies.list()).toEqual([]);
  });

  test('stop ends the study Stopped; an ended study is deleted, or run afresh under its name', async () => {
    const studies = localStudies({ storeDir: dir, baseDir: FIXTURES });
    const slow = localRequest('sdk-stop', { Sagetune: { Local: { Command: ['node', 'train.js', '--sleep-ms', '400'] }, PollIntervalSeconds: 0.1 } });
    const study = await studies.start(slow);
    await study.wait({ onProgress: () => undefined, signal: AbortSignal.timeout(100) }).catch(() => undefined);
    await study.stop('enough');
    const final = await study.wait();
    expect(final).toMatchObject({ status: 'Stopped', statusReason: 'enough' });
    expect(final.trainingJobStatusCounters.InProgress).toBe(0);
    // An ended study is resumed as it is (nothing to run), unless started afresh.
    expect(await (await studies.start(slow)).wait()).toMatchObject({ status: 'Stopped', trials: final.trials });
    const again = await studies.start(slow, { ifExists: 'afresh' });
    await again.stop();
    await again.wait();
    await studies.delete('sdk-stop');
    await expect(studies.attach('sdk-stop')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('another request under a running name, or a second runner, is a ConflictError', async () => {
    const studies = localStudies({ storeDir: dir, baseDir: FIXTURES });
    const slow = localRequest('sdk-busy', { Sagetune: { Local: { Command: ['node', 'train.js', '--sleep-ms', '400'] }, PollIntervalSeconds: 0.1 } });
    const first = await studies.start(slow);
    await expect(studies.start(slow)).rejects.toBeInstanceOf(ConflictError);
    await expect(studies.start({ ...slow, HyperParameterTuningJobConfig: { ...(slow.HyperParameterTuningJobConfig as object), RandomSeed: 8 } })).rejects.toThrow(/already exists with a different request/);
    await expect(studies.delete('sdk-busy')).rejects.toBeInstanceOf(ConflictError);
    await first.stop();
    await first.wait();
  });

  test('interrupt pauses a local study (resumable); attach reads a study this program does not run', async () => {
    const studies = localStudies({ storeDir: dir, baseDir: FIXTURES });
    const slow = localRequest('sdk-pause', { Sagetune: { Local: { Command: ['node', 'train.js', '--sleep-ms', '300'] }, PollIntervalSeconds: 0.1 } });
    const study = await studies.start(slow);
    await new Promise((r) => setTimeout(r, 500));
    study.interrupt();
    const result = await study.finished();
    expect(result?.interrupted).toBe(true);
    const attached = await studies.attach('sdk-pause');
    const d = await attached.describe();
    expect(d.status).toBe('InProgress');
    expect((await attached.study()).pausedAt).toEqual(expect.any(String));
    // The stopped trials' wrappers write their exit records as they go: let them finish before the folder is removed.
    const trials = join(dir, 'sdk-pause', 'trials');
    for (const job of existsSync(trials) ? readdirSync(trials) : []) {
      const started = join(trials, job, 'started.json');
      if (!existsSync(started)) continue;
      const { pid } = JSON.parse(readFileSync(started, 'utf8')) as { pid: number };
      await waitUntil(() => (isRunning(pid) ? undefined : true), 15_000, `the wrapper of ${job} to exit`);
    }
  });
});
