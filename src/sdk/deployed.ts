/**
 * Studies on a deployed stack (`npx cdk deploy`): started as executions of its state machine, read from its bucket,
 * stopped by stopping their execution (the stack then stops their training jobs). The stack is found by its
 * CloudFormation stack name (its outputs) or by its state machine's ARN (the state machine's tags).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListTagsForResourceCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { withAwsRetry } from '../aws/retry';
import { NO_KEY_PREFIX, STATE_MACHINE_TAGS } from '../deployed/config';
import type { RequestIssue } from '../study/errors';
import { isTerminal, realSleep } from '../study';
import { S3StudyStore } from '../study/store/s3-store';
import { requestStop } from '../study/study';
import type { Study } from '../study/types';
import { AccessDeniedError, ConflictError, NotFoundError, RequestInvalidError, fromAwsError } from './errors';
import { StoredStudyHandle } from './handle';
import type { StartOptions, Studies, StudySummary } from './types';

/** Where a deployed stack is, and how to reach it. Give `stack` or `stateMachineArn`. */
export interface DeployedStudiesOptions {
  /** The CloudFormation stack's name (`Sagetune` by default with `npx cdk deploy`). */
  readonly stack?: string;
  /** The state machine's ARN (instead of the stack). */
  readonly stateMachineArn?: string;
  /** AWS region. @default - the region of `stateMachineArn`, else the AWS SDK's resolution */
  readonly region?: string;
  /** Clients to use (tests; a program's own configuration). */
  readonly clients?: { readonly sfn?: SFNClient; readonly s3?: S3Client; readonly cloudformation?: CloudFormationClient };
  /** Seconds between two looks at a study while waiting. @default 10 */
  readonly pollSeconds?: number;
  /** Seconds `start` waits for the stack to accept or refuse the request. @default 120 */
  readonly startTimeoutSeconds?: number;
}

/** What the SDK knows of a deployed stack. */
export interface DeployedStack {
  readonly stateMachineArn: string;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly jobNamePrefix: string;
}

/** Why the stack refused to run a study (the error names of the state machine's Fail state). */
const CONFLICTS = new Set(['StudyAlreadyRunning', 'StudyEnded', 'StudyRequestMismatch', 'StudyNotResumable', 'StudyCorrupt']);

/** Issues back from a formatted RequestValidationError message (`  - path: message (received value)`). */
export function issuesFromCause(cause: string): RequestIssue[] {
  const out: RequestIssue[] = [];
  for (const line of cause.split('\n')) {
    const m = /^ {2}- ([^:]+): (.*)$/.exec(line);
    if (m) out.push({ path: m[1], message: m[2] });
  }
  return out;
}

/** Finds a deployed stack: from its CloudFormation outputs, or from its state machine's tags. */
export async function findStack(options: DeployedStudiesOptions, clients: { sfn: SFNClient; cloudformation: CloudFormationClient }): Promise<DeployedStack> {
  if (options.stack) {
    const out = await withAwsRetry('CloudFormation.DescribeStacks', () => clients.cloudformation.send(new DescribeStacksCommand({ StackName: options.stack }))).catch((e: unknown) => {
      throw fromAwsError(e, 'CloudFormation.DescribeStacks', `No stack named ${options.stack}`);
    });
    const outputs = Object.fromEntries((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    if (!outputs.StateMachineArn || !outputs.BucketName) throw new NotFoundError(`Stack ${options.stack} is not a sagetune stack: it has no StateMachineArn and BucketName outputs`);
    return {
      stateMachineArn: outputs.StateMachineArn,
      bucket: outputs.BucketName,
      keyPrefix: outputs.KeyPrefix && outputs.KeyPrefix !== NO_KEY_PREFIX ? outputs.KeyPrefix : '',
      jobNamePrefix: outputs.JobNamePrefix ?? '',
    };
  }
  const arn = options.stateMachineArn!;
  const out = await withAwsRetry('StepFunctions.ListTagsForResource', () => clients.sfn.send(new ListTagsForResourceCommand({ resourceArn: arn }))).catch((e: unknown) => {
    throw fromAwsError(e, 'StepFunctions.ListTagsForResource', `No state machine ${arn}`);
  });
  const tags = Object.fromEntries((out.tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));
  if (!tags[STATE_MACHINE_TAGS.bucket]) throw new NotFoundError(`State machine ${arn} is not a sagetune state machine: it has no ${STATE_MACHINE_TAGS.bucket} tag`);
  return { stateMachineArn: arn, bucket: tags[STATE_MACHINE_TAGS.bucket], keyPrefix: tags[STATE_MACHINE_TAGS.keyPrefix] && tags[STATE_MACHINE_TAGS.keyPrefix] !== NO_KEY_PREFIX ? tags[STATE_MACHINE_TAGS.keyPrefix] : '', jobNamePrefix: tags[STATE_MACHINE_TAGS.jobNamePrefix] ?? '' };
}

/** A study on a deployed stack. */
export class DeployedStudyHandle extends StoredStudyHandle {
  protected readonly defaultPollSeconds: number;

  constructor(
    name: string,
    private readonly studies: DeployedStudies,
    pollSeconds = 10,
  ) {
    super(name);
    this.defaultPollSeconds = pollSeconds;
  }

  async study(): Promise<Study> {
    const found = await this.studies.store.read(this.name).catch((e: unknown) => {
      throw fromAwsError(e, 'S3.GetObject');
    });
    if (!found) throw new NotFoundError(`No study named ${this.name} in ${this.studies.store.location}`);
    return found.value;
  }

  protected async where(study: Study): Promise<{ runner: 'deployed'; location: string; execution?: { arn: string; status?: string } }> {
    const location = `${this.studies.store.location}${this.name}/`;
    const arn = study.driver?.executionArn;
    if (!arn) return { runner: 'deployed', location };
    const status = await this.studies.executionStatus(arn);
    return { runner: 'deployed', location, execution: { arn, ...(status ? { status } : {}) } };
  }

  /**
   * Stops the study: stops the execution that drives it, and the stack stops its training jobs and marks it
   * Stopped (within a minute). A study no execution drives is marked Stopping in the bucket.
   */
  async stop(reason = 'Stopped by request'): Promise<void> {
    const study = await this.study();
    if (isTerminal(study.status)) return;
    const arn = study.driver?.executionArn;
    if (arn && (await this.studies.executionStatus(arn)) === 'RUNNING') {
      await withAwsRetry('StepFunctions.StopExecution', () => this.studies.sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'StoppedByRequest', cause: reason }))).catch((e: unknown) => {
        throw fromAwsError(e, 'StepFunctions.StopExecution');
      });
      return;
    }
    await requestStop(this.studies.store, this.name, reason).catch((e: unknown) => {
      throw fromAwsError(e, 'S3.PutObject');
    });
  }
}

/** The studies of a deployed stack. */
export class DeployedStudies implements Studies {
  readonly store: S3StudyStore;

  constructor(
    readonly stack: DeployedStack,
    readonly sfn: SFNClient,
    private readonly s3: S3Client,
    private readonly options: DeployedStudiesOptions = {},
  ) {
    this.store = new S3StudyStore({ bucket: stack.bucket, prefix: stack.keyPrefix, client: s3 });
  }

  /** An execution's status, undefined when it does not exist. */
  async executionStatus(arn: string): Promise<string | undefined> {
    try {
      return (await withAwsRetry('StepFunctions.DescribeExecution', () => this.sfn.send(new DescribeExecutionCommand({ executionArn: arn })))).status;
    } catch (error) {
      const mapped = fromAwsError(error, 'StepFunctions.DescribeExecution');
      if (mapped instanceof NotFoundError) return undefined;
      throw mapped;
    }
  }

  /**
   * Starts a study: an execution of the stack's state machine with the request as its input. Returns once the stack
   * has taken the study on.
   * @throws RequestInvalidError (with every problem the stack found), ConflictError (the study runs, has ended, or
   *   exists with another request), AccessDeniedError.
   */
  async start(request: unknown, options: StartOptions = {}): Promise<DeployedStudyHandle> {
    const name = (request as { HyperParameterTuningJobName?: unknown } | null)?.HyperParameterTuningJobName;
    if (typeof name !== 'string' || name === '') {
      throw new RequestInvalidError('The request has no HyperParameterTuningJobName (the study name)', { issues: [{ path: 'HyperParameterTuningJobName', message: 'is required' }] });
    }
    if (options.ifExists === 'afresh') await this.removeEnded(name, true);
    const executionName = `${name}-${Date.now()}`.slice(0, 80);
    const started = await withAwsRetry('StepFunctions.StartExecution', () =>
      this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stack.stateMachineArn, name: executionName, input: JSON.stringify(request) })),
    ).catch((e: unknown) => {
      throw fromAwsError(e, 'StepFunctions.StartExecution');
    });
    const arn = started.executionArn!;
    // Prepare decides at once: the study names this execution as its driver, or the execution fails with why.
    const deadline = Date.now() + (this.options.startTimeoutSeconds ?? 120) * 1000;
    for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
      const execution = await withAwsRetry('StepFunctions.DescribeExecution', () => this.sfn.send(new DescribeExecutionCommand({ executionArn: arn })));
      if (execution.status === 'FAILED' || execution.status === 'ABORTED' || execution.status === 'TIMED_OUT') throw refusal(execution.error, execution.cause, name);
      const study = await this.store.read(name).catch(() => undefined);
      if (study?.value.driver?.executionArn === arn || (study && execution.status === 'SUCCEEDED')) break;
      if (Date.now() > deadline) break; // accepted (running), if slowly
      await realSleep(delay);
    }
    return new DeployedStudyHandle(name, this, this.options.pollSeconds);
  }

  async attach(name: string): Promise<DeployedStudyHandle> {
    const found = await this.store.read(name).catch((e: unknown) => {
      throw fromAwsError(e, 'S3.GetObject');
    });
    if (!found) throw new NotFoundError(`No study named ${name} in ${this.store.location}`);
    return new DeployedStudyHandle(name, this, this.options.pollSeconds);
  }

  async list(): Promise<StudySummary[]> {
    const names = await this.store.list().catch((e: unknown) => {
      throw fromAwsError(e, 'S3.ListObjectsV2');
    });
    const out: StudySummary[] = [];
    for (const name of names) {
      const s = (await this.store.read(name).catch(() => undefined))?.value;
      if (s) out.push({ name, status: s.status, trials: s.trials.length, createdAt: s.createdAt });
    }
    return out;
  }

  async delete(name: string): Promise<void> {
    await this.removeEnded(name, false);
  }

  /** Deletes an ended study's objects (its state, wait record and results); training outputs stay. */
  private async removeEnded(name: string, missingOk: boolean): Promise<void> {
    const found = await this.store.read(name).catch((e: unknown) => {
      throw fromAwsError(e, 'S3.GetObject');
    });
    if (!found) {
      if (missingOk) return;
      throw new NotFoundError(`No study named ${name} in ${this.store.location}`);
    }
    if (!isTerminal(found.value.status)) throw new ConflictError(`Study ${name} is ${found.value.status}; stop it first (sagetune stop ${name})`);
    const prefix = `${this.stack.keyPrefix}studies/${name}/`;
    let token: string | undefined;
    do {
      const page = await withAwsRetry('S3.ListObjectsV2', () => this.s3.send(new ListObjectsV2Command({ Bucket: this.stack.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) })));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length > 0) await withAwsRetry('S3.DeleteObjects', () => this.s3.send(new DeleteObjectsCommand({ Bucket: this.stack.bucket, Delete: { Objects: keys, Quiet: true } })));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}

/** The SDK error for an execution the stack refused. */
function refusal(error: string | undefined, cause: string | undefined, study: string): Error {
  const text = cause ?? `the execution ended with ${error ?? 'an error'}`;
  if (error === 'RequestInvalid') return new RequestInvalidError(text, { issues: issuesFromCause(text) });
  if (error && CONFLICTS.has(error)) return new ConflictError(text);
  if (error === 'StudyNotFound') return new NotFoundError(text);
  if (error === 'States.Runtime' || error === 'StudyUnavailable') return new Error(`The stack could not start study ${study}: ${text}`);
  return new Error(`Study ${study} did not start: ${error ?? ''} ${text}`.trim());
}

function regionOf(arn: string | undefined): string | undefined {
  return arn?.split(':')[3] || undefined;
}

/** The studies of a deployed stack, found by its stack name or its state machine's ARN. @throws NotFoundError, AccessDeniedError */
export async function deployedStudies(options: DeployedStudiesOptions): Promise<DeployedStudies> {
  if (!options.stack && !options.stateMachineArn) throw new NotFoundError('Name the deployed stack (stack) or its state machine (stateMachineArn)');
  const region = options.region ?? regionOf(options.stateMachineArn);
  const config = region ? { region } : {};
  const sfn = options.clients?.sfn ?? new SFNClient(config);
  const s3 = options.clients?.s3 ?? new S3Client(config);
  const cloudformation = options.clients?.cloudformation ?? new CloudFormationClient(config);
  try {
    const stack = await findStack(options, { sfn, cloudformation });
    return new DeployedStudies(stack, sfn, s3, options);
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof AccessDeniedError) throw error;
    throw fromAwsError(error, 'finding the stack');
  }
}
