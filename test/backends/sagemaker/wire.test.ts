/**
 * The backend through the real AWS SDK clients, over HTTP: aws-sdk-client-mock stubs `send` and so skips the SDK's
 * serializer and deserializer; here the clients serialize each request to the wire (SageMaker: JSON 1.1 with
 * `X-Amz-Target: SageMaker.<Operation>`; CloudWatch: JSON 1.0 with `GraniteServiceVersion20100801.<Operation>`)
 * and a local HTTP server checks the body against the AWS model, answers from the stateful fake, and returns
 * errors as the services do (HTTP 400/500 with `{"__type", "message"}`), so the error classification is tested on
 * errors the SDK itself deserialized.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cw from '@aws-sdk/client-cloudwatch';
import * as sm from '@aws-sdk/client-sagemaker';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createSageMakerBackend } from '../../../src/backends/sagemaker/backend';
import { FakeClock, fakeSleep } from '../../../src/backends/simulated';
import { TrialLaunchDeferredError, TrialLaunchError } from '../../../src/study/errors';
import { parseTuningRequest } from '../../../src/study/request';
import { runStudy } from '../../../src/study/runner';
import { MemoryStudyStore } from '../../../src/study/store/memory-store';
import { trialJobName } from '../../../src/study/study';
import { AwsServiceModel, formatIssues } from '../../support/aws-model';
import { FakeSageMaker, type FakeTrainer } from './fake-aws';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const models = { SageMaker: AwsServiceModel.load('sagemaker'), GraniteServiceVersion20100801: AwsServiceModel.load('cloudwatch') };

/** Dates (what the fake answers) as epoch seconds (what the JSON protocols carry). */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '$metadata').map(([k, v]) => [k, toWire(v)]));
  return value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

interface WireCall {
  target: string;
  contentType: string;
  body: Record<string, unknown>;
}

/** An HTTP endpoint that speaks the two JSON protocols in front of the fake. */
async function startEndpoint(fake: FakeSageMaker): Promise<{ server: Server; url: string; calls: WireCall[]; invalid: string[] }> {
  const calls: WireCall[] = [];
  const invalid: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, operation] = target.split('.');
      const body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
      calls.push({ target, contentType: String(req.headers['content-type']), body });
      const reply = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': prefix === 'SageMaker' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(payload));
      };
      const model = models[prefix as keyof typeof models];
      const issues = model ? model.validateInput(operation, body) : [{ path: '(root)', message: `unknown target ${target}` }];
      if (issues.length > 0) {
        invalid.push(`${target}: ${formatIssues(issues)}`);
        return reply(400, { __type: 'ValidationException', message: formatIssues(issues) });
      }
      try {
        let out: unknown;
        if (prefix === 'SageMaker') {
          const Command = (sm as unknown as Record<string, new (input: unknown) => sm.CreateTrainingJobCommand>)[`${operation}Command`];
          out = await fake.sagemaker.send(new Command(body));
        } else {
          const input = { ...body, StartTime: new Date(Number(body.StartTime) * 1000), EndTime: new Date(Number(body.EndTime) * 1000) };
          const Command = (cw as unknown as Record<string, new (input: unknown) => cw.GetMetricDataCommand>)[`${operation}Command`];
          out = await fake.cloudwatch.send(new Command(input));
        }
        reply(200, toWire(out));
      } catch (error) {
        const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
        reply(e.$metadata?.httpStatusCode ?? 400, { __type: e.name, message: e.message });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, invalid };
}

const trainer: FakeTrainer = (hp) => ({ trainingSeconds: 240, curve: [0.8, 0.85, 0.88, Number((0.9 - Number(hp.eta) / 10).toFixed(4))] });
const REQUEST_RAW = JSON.parse(readFileSync(join(__dirname, '../../../examples/xgboost/request.json'), 'utf8'));

describe('over the wire, through the real SDK clients', () => {
  let endpoint: Awaited<ReturnType<typeof startEndpoint>>;
  let fake: FakeSageMaker;
  let clock: FakeClock;
  let clients: { sagemaker: SageMakerClient; cloudwatch: CloudWatchClient };

  beforeEach(async () => {
    clock = new FakeClock(Date.UTC(2025, 0, 1, 12, 0, 0));
    fake = new FakeSageMaker(clock, trainer);
    endpoint = await startEndpoint(fake);
    const config = { region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 };
    clients = { sagemaker: new SageMakerClient(config), cloudwatch: new CloudWatchClient(config) };
  });

  afterEach(async () => {
    clients.sagemaker.destroy();
    clients.cloudwatch.destroy();
    await new Promise((resolve) => endpoint.server.close(resolve));
  });

  it('runs a 4-trial study: every request on the wire fits the AWS model and uses the right protocol', async () => {
    const raw = structuredClone(REQUEST_RAW);
    raw.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 4;
    raw.HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs = 2;
    const backend = createSageMakerBackend({ clients, clock, retry: { sleep: async () => {} }, warn: () => {} });
    const result = await runStudy({ request: parseTuningRequest(raw), store: new MemoryStudyStore(), backend, clock, sleep: fakeSleep(clock) });

    expect(endpoint.invalid).toEqual([]);
    expect(result.study.status).toBe('Completed');
    expect(result.study.trials.map((t) => t.status)).toEqual(['Completed', 'Completed', 'Completed', 'Completed']);
    for (const t of result.study.trials) expect(t.objective).toBe(Number((0.9 - Number(t.hyperParameters.eta) / 10).toFixed(4)));
    const targets = new Set(endpoint.calls.map((c) => c.target));
    expect(targets).toEqual(
      new Set(['SageMaker.CreateTrainingJob', 'SageMaker.DescribeTrainingJob', 'SageMaker.ListTrainingJobs', 'GraniteServiceVersion20100801.GetMetricData']),
    );
    for (const c of endpoint.calls) {
      expect(c.contentType).toBe(c.target.startsWith('SageMaker.') ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0');
    }
    // Timestamps travel as epoch seconds; the series came back through the SDK's deserializer.
    const metricCall = endpoint.calls.find((c) => c.target.endsWith('GetMetricData'))!;
    expect(typeof metricCall.body.StartTime).toBe('number');
    expect(result.study.trials[0].objectiveSeries!.map((p) => p.t)).toEqual([60, 120, 180, 240]);
  });

  it('classifies the errors the SDK deserialized: ResourceInUse adopts, ResourceLimitExceeded defers, ValidationException fails', async () => {
    const request = parseTuningRequest(REQUEST_RAW);
    const backend = createSageMakerBackend({ clients, clock, retry: { sleep: async () => {}, maxAttempts: 2 }, warn: () => {} });
    const trial = (n: number) => ({ number: n, suggestionId: `s${n}`, hyperParameters: { eta: 0.1, max_depth: 4 }, status: 'InProgress' as const, jobName: trialJobName(request.HyperParameterTuningJobName, n), createdAt: '2025-01-01T12:00:00.000Z' });
    const spec = (n: number) => ({ study: request.HyperParameterTuningJobName, request, trial: trial(n) });

    await expect(backend.launch(spec(1))).resolves.toMatchObject({ adopted: false });
    await expect(backend.launch(spec(1))).resolves.toMatchObject({ adopted: true });

    fake.failNext('CreateTrainingJob', 'ResourceLimitExceeded', 1);
    await expect(backend.launch(spec(2))).rejects.toBeInstanceOf(TrialLaunchDeferredError);

    fake.failNext('CreateTrainingJob', 'ThrottlingException', 2);
    await expect(backend.launch(spec(2))).rejects.toBeInstanceOf(TrialLaunchDeferredError);
    fake.failNext('CreateTrainingJob', 'InternalFailure', 1);
    await expect(backend.launch(spec(2))).resolves.toMatchObject({ adopted: false });

    fake.failNext('CreateTrainingJob', 'ValidationException', 1);
    const rejected = await backend.launch(spec(3)).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(TrialLaunchError);
    expect((rejected as Error).message).toBe('SageMaker rejected training job xgboost-breast-cancer-003: ValidationException injected into CreateTrainingJob');

    clock.advance(30 * 60_000);
    await expect(backend.stop({} as never, { ...trial(1), launchedAt: 'x' }, 'done')).resolves.toBeUndefined(); // Completed: ValidationException, then Describe
    await expect(backend.stop({} as never, trial(9), 'never launched')).resolves.toBeUndefined(); // ValidationException: Requested resource not found.
    expect(endpoint.invalid).toEqual([]);
  });
});
