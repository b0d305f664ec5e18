/**
 * Request secrets stay out of every output. A marker value is planted in `TrainingJobDefinition.Environment` (where
 * users put tokens and passwords), the marker is shown to reach the training code, and then every output is
 * searched for it: what the CLI prints (run, status, results, report, list, validate), the files it writes beside
 * the study (report, results), the SDK's views of the study, the deployed handlers' logs (Powertools JSON on stdout)
 * and the execution's output and result files, and the messages of refused requests.
 *
 * The study document holds the request (a resumed study needs it), and on this machine each trial's launch spec
 * holds its environment: state, not output, written readable by their owner only. The test checks that the marker
 * is there, so that its absence everywhere else means something.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseRequest, cli, tempDir, writeRequest } from '../cli/helpers';
import { localStudies } from '../../src/sdk/local';
import type { FakeTrainer } from '../backends/sagemaker/fake-aws';
import { DeployedHarness } from '../support/deployed/harness';
import { synthesizeService } from '../support/deployed/template';
import { prepare } from '../../src/deployed/prepare';
import { MemoryStudyStore } from '../../src/study/store/memory-store';
import { FakeClock } from '../../src/backends/simulated';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const MARKER = 'sk-live-7f3c9e1d2b4a-PLANTED-SECRET';

/** Every file under `dir`, with its path relative to it. */
function filesUnder(dir: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push([p.slice(dir.length + 1), readFileSync(p, 'utf8')]);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** A training script that says whether it got the secret (without printing it) and fails for x > 0.1. */
const SCRIPT = `
const hp = JSON.parse(process.env.SM_HPS);
console.log('token received: ' + (process.env.API_TOKEN === ${JSON.stringify(MARKER)}));
if (Number(hp.x) > 0.1) { console.error('RuntimeError: loss is NaN'); process.exit(3); }
for (let e = 1; e <= 3; e++) console.log('epoch ' + e + ' val_loss: ' + (Number(hp.x) + 1 / e).toFixed(4));
`;

describe('a secret in Environment, on this machine (CLI and SDK)', () => {
  test('reaches the trials, and appears in no printed output, report, result file or SDK view', async () => {
    const tmp = tempDir('sagetune-secret-');
    try {
      writeFileSync(join(tmp.dir, 'train.js'), SCRIPT);
      const req = baseRequest();
      req.HyperParameterTuningJobName = 'secret-study';
      req.HyperParameterTuningJobConfig.Strategy = 'Random';
      req.TrainingJobDefinition.Environment = { API_TOKEN: MARKER };
      const file = writeRequest(tmp.dir, req);
      const store = join(tmp.dir, 'studies');
      const printed: string[] = [];
      const run = async (argv: string[]): Promise<number> => {
        const out = await cli(argv);
        printed.push(`$ sagetune ${argv.join(' ')}\n${out.stdout}\n${out.stderr}`);
        return out.code;
      };
      expect(await run(['validate', file])).toBe(0);
      await run(['run', file, '--store-dir', store, '--progress', 'off']);
      expect(await run(['status', 'secret-study', '--store-dir', store])).toBe(0);
      expect(await run(['status', 'secret-study', '--store-dir', store, '--json'])).toBe(0);
      for (const format of ['table', 'csv', 'json']) expect(await run(['results', 'secret-study', '--store-dir', store, '--format', format])).toBe(0);
      expect(await run(['report', 'secret-study', '--store-dir', store, '--out', join(tmp.dir, 'report.html')])).toBe(0);
      expect(await run(['list', '--store-dir', store])).toBe(0);

      const studies = localStudies({ storeDir: store });
      const handle = await studies.attach('secret-study');
      const views = JSON.stringify([await handle.describe(), await handle.trials(), await handle.results(), await studies.list()]);
      const report = await handle.report();

      const files = filesUnder(tmp.dir).filter(([name]) => name !== 'request.json' && name !== 'train.js');
      const study = files.find(([name]) => name.endsWith('study.json'));
      // Planted: the trials received it (the script says so), a trial failed (its message is shown), and the study
      // document keeps the request with it.
      const all = printed.join('\n');
      expect(files.some(([, text]) => text.includes('token received: true')) || all.includes('token received: true')).toBe(true);
      expect(all).toMatch(/RuntimeError: loss is NaN/);
      expect(study?.[1]).toContain(MARKER);
      // Nowhere else.
      expect(all).not.toContain(MARKER);
      expect(views).not.toContain(MARKER);
      expect(report).not.toContain(MARKER);
      // State, not output: the study document and each trial's launch spec (the wrapper that starts the command
      // reads the environment from it) hold it, readable by their owner only.
      const state = /^studies\/secret-study\/(study\.json|trials\/secret-study-00\d\/spec\.json)$/;
      const leaking = files.filter(([name, text]) => !state.test(name) && text.includes(MARKER)).map(([name]) => name);
      expect(leaking).toEqual([]);
      const holding = files.filter(([name, text]) => state.test(name) && text.includes(MARKER)).map(([name]) => name);
      expect(holding).toHaveLength(7);
      for (const name of holding) expect({ name, mode: statSync(join(tmp.dir, name)).mode & 0o777 }).toEqual({ name, mode: 0o600 });
      expect(files.map(([name]) => name)).toEqual(expect.arrayContaining([expect.stringMatching(/report\.html$/)]));
    } finally {
      tmp.cleanup();
    }
  });

  test('a refused request does not echo an Environment value, whichever rule it broke', async () => {
    const tmp = tempDir('sagetune-secret-');
    try {
      const req = baseRequest();
      req.TrainingJobDefinition.Environment = { API_TOKEN: MARKER + 'x'.repeat(600), OTHER: 42, ['bad name!']: MARKER };
      const file = writeRequest(tmp.dir, req);
      const out = await cli(['validate', file]);
      expect(out.code).toBe(2);
      // Three problems named (too long, not a string, a bad name), none showing a value.
      expect(out.stderr).toMatch(/Environment\.API_TOKEN: must be at most 512 characters long \(value not shown/);
      expect(out.stderr).toMatch(/Environment\.OTHER: must be a string/);
      expect(out.stderr).toMatch(/Environment\.bad name!: the name/);
      expect(out.stderr).not.toContain(MARKER);
      const sdk = await localStudies({ storeDir: join(tmp.dir, 'studies') }).start(req).catch((e: Error) => e);
      expect(JSON.stringify({ message: (sdk as Error).message, issues: (sdk as { issues?: unknown }).issues })).not.toContain(MARKER);
      const refused = await prepare({ ...req, Sagetune: undefined }, 'arn:aws:states:us-east-1:111122223333:execution:sm:e1', {
        config: { bucket: 'b', keyPrefix: '', jobNamePrefix: '', executionRoleArn: 'arn:aws:iam::111122223333:role/Exec', defaultOutputPath: 's3://b/out', roleAccess: { read: ['s3://b/'], write: ['s3://b/'], vpc: false }, maxWaitSeconds: 900, maxTicksPerExecution: 100 },
        store: new MemoryStudyStore(),
        clock: new FakeClock(),
        executionStatus: async () => undefined,
      });
      expect(refused.outcome).toBe('refused');
      expect(JSON.stringify(refused)).toMatch(/Environment\.OTHER/);
      expect(JSON.stringify(refused)).not.toContain(MARKER);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('a secret in Environment, on the deployed stack', () => {
  test("reaches CreateTrainingJob, and appears in no handler log, execution output or result file", async () => {
    const service = synthesizeService({ maxTicksPerExecution: 4 });
    const trainer: FakeTrainer = (hp, jobName) => ({
      trainingSeconds: 300,
      curve: [0.8, 0.85, 0.9, 0.9 - 0.01 * Number(hp.max_depth)],
      ...(jobName.endsWith('-002') ? { failureReason: 'AlgorithmError: planted failure' } : {}),
    });
    const logged: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const errWrite = process.stderr.write.bind(process.stderr);
    const capture = (chunk: unknown): boolean => {
      logged.push(String(chunk));
      return true;
    };
    const spies = [jest.spyOn(console, 'log'), jest.spyOn(console, 'info'), jest.spyOn(console, 'warn'), jest.spyOn(console, 'error'), jest.spyOn(console, 'debug')];
    for (const spy of spies) spy.mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    // The harness keeps the handlers' logs silent unless asked: here they log everything (DEBUG), to be searched.
    const logs = process.env.SAGETUNE_TEST_LOGS;
    process.env.SAGETUNE_TEST_LOGS = '1';
    const h = new DeployedHarness({ service, trainer });
    try {
      const request = JSON.parse(readFileSync(join(__dirname, '../../examples/deployed/xgboost.json'), 'utf8')) as Record<string, Record<string, unknown>>;
      request.HyperParameterTuningJobName = 'sagetune-secret' as never;
      request.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 };
      delete request.HyperParameterTuningJobConfig.TuningJobCompletionCriteria;
      request.TrainingJobDefinition.Environment = { API_TOKEN: MARKER };
      h.start(request);
      await h.drive();
      const outcomes = await Promise.all([...h.executions.values()].map((e) => e.outcome));
      expect(outcomes[outcomes.length - 1].status).toBe('SUCCEEDED');
      // Planted: every job got it, one failed, and the handlers logged (the search covers real log lines).
      const created = h.sagemaker.calls('CreateTrainingJob') as { Environment?: Record<string, string> }[];
      expect(created.length).toBe(4);
      expect(created.every((c) => c.Environment?.API_TOKEN === MARKER)).toBe(true);
      expect(logged.join('\n')).toMatch(/"level":"(INFO|WARN)"/);
      const report = h.s3.text(service.bucketName, 'studies/sagetune-secret/results/report.html') ?? '';
      expect(report).toMatch(/planted failure/);
      // Nowhere else: logs, every step's output, the execution outputs and every object but the study document.
      expect(logged.join('\n')).not.toContain(MARKER);
      expect(JSON.stringify(h.invocations)).not.toContain(MARKER);
      expect(JSON.stringify(outcomes)).not.toContain(MARKER);
      const objects = [...h.s3.objects.keys()];
      const holding = objects.filter((key) => h.s3.text(key.split('/')[0], key.split('/').slice(1).join('/'))?.includes(MARKER));
      expect(objects).toContain(`${service.bucketName}/studies/sagetune-secret/results/report.html`);
      expect(holding).toEqual([`${service.bucketName}/studies/sagetune-secret/study.json`]);
    } finally {
      h.dispose();
      if (logs === undefined) delete process.env.SAGETUNE_TEST_LOGS;
      else process.env.SAGETUNE_TEST_LOGS = logs;
      process.stdout.write = write;
      process.stderr.write = errWrite;
      for (const spy of spies) spy.mockRestore();
    }
  });
});
