/**
 * The functions' bundles as `cdk deploy` uploads them: synthesized with bundling (esbuild, minified, the AWS SDK
 * inside), each copied alone to an empty folder (no node_modules anywhere above it) and run there by `node` in a child
 * process with exactly the environment the template gives the function, reaching AWS over HTTP through the SDK's
 * standard `AWS_ENDPOINT_URL_<SERVICE>` variables (test/support/http-fakes.ts).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SagetuneStack } from '../../lib';
import { HttpAwsFakes } from '../support/http-fakes';
import { resolveIntrinsics } from '../support/deployed/template';

const run = promisify(execFile);

const RUNNER = `
const started = process.hrtime.bigint();
const { handler } = require(process.argv[2]);
const initMs = Number(process.hrtime.bigint() - started) / 1e6;
handler(JSON.parse(process.argv[3]), { getRemainingTimeInMillis: () => 300000, awsRequestId: 'r' }).then(
  (result) => process.stdout.write(JSON.stringify({ initMs, result })),
  (error) => { process.stdout.write(JSON.stringify({ initMs, error: error.name, message: error.message })); process.exitCode = 1; },
);
`;

let outdir: string;
let isolated: string;
const bundles = new Map<string, { file: string; environment: Record<string, string> }>();
const fakes = new HttpAwsFakes();
let endpoint: string;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'sagetune-cdk-out-'));
  isolated = mkdtempSync(join(tmpdir(), 'sagetune-bundles-'));
  const app = new App({ outdir, context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  const stack = new SagetuneStack(app, 'Sagetune', { env: { account: '111122223333', region: 'us-east-1' } });
  app.synth();
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const steps = new Map(Object.entries(stack.service.functions).map(([step, fn]) => [stack.resolve(stack.getLogicalId(fn.node.defaultChild as never)) as string, step]));
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const step = steps.get(id)!;
    const hash = String((r.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    const assetDir = join(outdir, `asset.${hash}`);
    expect(readdirSync(assetDir)).toEqual(['index.js']);
    mkdirSync(join(isolated, step));
    copyFileSync(join(assetDir, 'index.js'), join(isolated, step, 'index.js'));
    const environment = resolveIntrinsics((r.Properties.Environment as { Variables: unknown }).Variables, resources as never) as Record<string, string>;
    bundles.set(step, { file: join(isolated, step, 'index.js'), environment });
  }
  writeFileSync(join(isolated, 'runner.js'), RUNNER);
  endpoint = await fakes.start();
}, 120_000);

afterAll(async () => {
  await fakes.stop();
  rmSync(outdir, { recursive: true, force: true });
  rmSync(isolated, { recursive: true, force: true });
});

async function invoke(step: string, event: unknown): Promise<{ initMs: number; result?: unknown; error?: string; message?: string }> {
  const bundle = bundles.get(step)!;
  const env = {
    ...bundle.environment,
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ENDPOINT_URL_SAGEMAKER: endpoint,
    AWS_ENDPOINT_URL_SFN: endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  try {
    const { stdout } = await run(process.execPath, [join(isolated, 'runner.js'), bundle.file, JSON.stringify(event)], { cwd: isolated, env });
    return JSON.parse(stdout);
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    if (e.stdout) return JSON.parse(e.stdout);
    throw new Error(`The ${step} bundle crashed: ${e.stderr}`);
  }
}

test('eight self-contained bundles; the tick bundle is under 2 MB', () => {
  expect([...bundles.keys()].sort()).toEqual(['arm', 'cleanup', 'finalize', 'handOver', 'importNative', 'prepare', 'tick', 'wake']);
  for (const [step, b] of bundles) expect({ step, size: statSync(b.file).size < 2 * 1024 * 1024 }).toEqual({ step, size: true });
});

test('the bundled Prepare and Tick run in an empty folder against AWS reached through AWS_ENDPOINT_URL_*: a study is created and its first jobs launched', async () => {
  const request = { ...(await import('../../examples/deployed/xgboost.json')).default, HyperParameterTuningJobName: 'sagetune-bundle-smoke' };
  const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:Sagetune-TuningService-C9983430:smoke';
  const prepared = await invoke('prepare', { input: request, executionArn });
  expect(prepared.error).toBeUndefined();
  expect(prepared.result).toEqual({ outcome: 'run', study: 'sagetune-bundle-smoke', engine: 'sagetune', iteration: 0 });
  const created = fakes.requests.find((r) => r.service === 's3' && r.operation === 'PutObject' && r.path.endsWith('studies/sagetune-bundle-smoke/study.json'));
  expect(created?.headers['if-none-match']).toBe('*');
  // The bucket in the path, not the host name: path-style addressing for a custom endpoint.
  expect(created?.path).toBe('sagetune-test-tuningservicebucketff8bfa73/studies/sagetune-bundle-smoke/study.json');

  const ticked = await invoke('tick', { study: 'sagetune-bundle-smoke', executionArn, iteration: 0 });
  expect(ticked.error).toBeUndefined();
  expect(ticked.result).toMatchObject({ study: 'sagetune-bundle-smoke', next: 'wait', status: 'InProgress', trials: { InProgress: 3 } });
  expect([...fakes.trainingJobs.keys()]).toEqual(['sagetune-bundle-smoke-001', 'sagetune-bundle-smoke-002', 'sagetune-bundle-smoke-003']);
  const job = fakes.trainingJobs.get('sagetune-bundle-smoke-001')!;
  expect(job.RoleArn).toBe('arn:aws:iam::111122223333:role/TuningServiceExecutionRoleB6DA9F2F');
  expect(job.OutputDataConfig).toEqual({ S3OutputPath: 's3://sagetune-test-tuningservicebucketff8bfa73/training/sagetune-bundle-smoke' });
  const updated = fakes.requests.filter((r) => r.service === 's3' && r.operation === 'PutObject' && r.path.endsWith('/study.json'));
  expect(updated.slice(1).every((r) => typeof r.headers['if-match'] === 'string')).toBe(true);
  // Every request the bundles sent to SageMaker fit its model (the fake answers ValidationException otherwise).
  expect(fakes.requests.filter((r) => r.service === 'sagemaker').map((r) => r.operation)).toEqual(['CreateTrainingJob', 'CreateTrainingJob', 'CreateTrainingJob']);
}, 60_000);

test('a bundle refuses to work without its settings, naming the variable', async () => {
  const bundle = bundles.get('finalize')!;
  const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT' };
  const out = await run(process.execPath, [join(isolated, 'runner.js'), bundle.file, JSON.stringify({ study: 'x' })], { cwd: isolated, env }).catch((e: { stdout: string }) => e);
  expect(JSON.parse(out.stdout)).toMatchObject({ error: 'ServiceConfigError', message: expect.stringContaining('SAGETUNE_BUCKET is not set') });
});
