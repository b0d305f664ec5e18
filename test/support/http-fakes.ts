/**
 * AWS over real HTTP on 127.0.0.1, for code that runs in another process (a bundled Lambda handler) and reaches AWS
 * through the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables:
 * - S3 (REST, path-style): GetObject, HeadObject, PutObject with If-Match / If-None-Match (412 PreconditionFailed),
 *   404 NoSuchKey as XML;
 * - SageMaker (JSON 1.1, `X-Amz-Target: SageMaker.<Operation>`): CreateTrainingJob and DescribeTrainingJob, every
 *   request validated against AWS's service model (a ValidationException names the issues);
 * - Step Functions (JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Operation>`): DescribeExecution, SendTaskSuccess.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsServiceModel, formatIssues } from './aws-model';

/** One request received. */
export interface ReceivedRequest {
  readonly service: 's3' | 'sagemaker' | 'sfn';
  readonly operation: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

const sagemakerModel = AwsServiceModel.load('sagemaker');

export class HttpAwsFakes {
  readonly objects = new Map<string, { body: string; etag: string }>();
  readonly requests: ReceivedRequest[] = [];
  readonly trainingJobs = new Map<string, Record<string, unknown>>();
  private server?: Server;

  /** Starts the server; returns the endpoint URL (http://127.0.0.1:port). */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith('SageMaker.')) return this.sagemaker(req, target.slice('SageMaker.'.length), body, res);
    if (target.startsWith('AWSStepFunctions.')) return this.sfn(req, target.slice('AWSStepFunctions.'.length), body, res);
    return this.s3(req, body, res);
  }

  private s3(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const key = decodeURIComponent(url.pathname.slice(1));
    const operation = req.method === 'PUT' ? 'PutObject' : req.method === 'HEAD' ? 'HeadObject' : 'GetObject';
    this.requests.push({ service: 's3', operation, path: key, headers: req.headers, body });
    const existing = this.objects.get(key);
    const error = (status: number, code: string): void => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(req.method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message><Key>${key}</Key></Error>`);
    };
    if (req.method === 'PUT') {
      if (req.headers['if-none-match'] === '*' && existing) return error(412, 'PreconditionFailed');
      if (req.headers['if-match'] !== undefined && (!existing || existing.etag !== req.headers['if-match'])) return error(existing ? 412 : 404, existing ? 'PreconditionFailed' : 'NoSuchKey');
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      this.objects.set(key, { body, etag });
      res.writeHead(200, { etag });
      return void res.end();
    }
    if (!existing) return error(404, req.method === 'HEAD' ? 'NotFound' : 'NoSuchKey');
    res.writeHead(200, { etag: existing.etag, 'content-type': 'application/json', 'content-length': Buffer.byteLength(existing.body) });
    res.end(req.method === 'HEAD' ? undefined : existing.body);
  }

  private json(res: ServerResponse, status: number, value: unknown, type: string): void {
    res.writeHead(status, { 'content-type': type });
    res.end(JSON.stringify(value));
  }

  private sagemaker(req: IncomingMessage, operation: string, body: string, res: ServerResponse): void {
    const input = JSON.parse(body || '{}') as Record<string, unknown>;
    this.requests.push({ service: 'sagemaker', operation, path: '/', headers: req.headers, body });
    const type = 'application/x-amz-json-1.1';
    const issues = sagemakerModel.validateInput(operation, input);
    if (issues.length > 0) return this.json(res, 400, { __type: 'ValidationException', message: formatIssues(issues) }, type);
    if (operation === 'CreateTrainingJob') {
      const name = String(input.TrainingJobName);
      if (this.trainingJobs.has(name)) return this.json(res, 400, { __type: 'ResourceInUse', message: `Training job ${name} already exists` }, type);
      this.trainingJobs.set(name, input);
      return this.json(res, 200, { TrainingJobArn: `arn:aws:sagemaker:us-east-1:111122223333:training-job/${name.toLowerCase()}` }, type);
    }
    if (operation === 'DescribeTrainingJob') {
      const job = this.trainingJobs.get(String(input.TrainingJobName));
      if (!job) return this.json(res, 400, { __type: 'ValidationException', message: 'Requested resource not found.' }, type);
      return this.json(res, 200, { ...job, TrainingJobStatus: 'InProgress', SecondaryStatus: 'Starting', CreationTime: 1767600000 }, type);
    }
    return this.json(res, 400, { __type: 'UnknownOperationException', message: `${operation} is not faked` }, type);
  }

  private sfn(req: IncomingMessage, operation: string, body: string, res: ServerResponse): void {
    this.requests.push({ service: 'sfn', operation, path: '/', headers: req.headers, body });
    const type = 'application/x-amz-json-1.0';
    if (operation === 'DescribeExecution') return this.json(res, 400, { __type: 'ExecutionDoesNotExist', message: 'Execution Does Not Exist' }, type);
    if (operation === 'SendTaskSuccess') return this.json(res, 400, { __type: 'TaskTimedOut', message: 'Task Timed Out' }, type);
    return this.json(res, 400, { __type: 'UnknownOperationException', message: `${operation} is not faked` }, type);
  }
}
