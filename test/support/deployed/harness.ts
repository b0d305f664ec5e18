/**
 * Runs the synthesized state machine of the tuning service here, end to end, over simulated time:
 *
 * - the definition is executed by aws-local-stepfunctions; every Lambda task is the real handler, called in-process
 *   with the environment the template gives its function; the function a state calls is read from the definition;
 * - SageMaker and CloudWatch are a stateful fake (jobs move through their states over simulated time, every request
 *   is validated against AWS's service model), S3 a stateful fake honouring If-Match / If-None-Match, Step Functions'
 *   own API (SendTaskSuccess, DescribeExecution) is answered by the harness;
 * - SageMaker's job state-change events and Step Functions' execution status-change events are delivered to the
 *   functions the template's EventBridge rules target, when the rules' patterns match;
 * - `.waitForTaskToken` waits end when SendTaskSuccess names their token, or with `States.Timeout` at their timer;
 *   the `createHyperParameterTuningJob.sync` task creates the tuning job on the fake and waits for it to end.
 *
 * Time is a discrete-event simulation: `Date.now()` is the simulated clock while a harness runs. When every running
 * execution is waiting, the clock jumps to the next thing that happens (a job's end, a timer, a scheduled action).
 * AWS API calls, event deliveries and state transitions cost modelled latencies; a handler's own computation costs
 * its measured wall time. Counters record state transitions, Lambda invocations and billed milliseconds per function.
 */
import { performance } from 'node:perf_hooks';
import { CreateHyperParameterTuningJobCommand, DescribeHyperParameterTuningJobCommand, SageMakerClient, SageMakerServiceException } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, ListTagsForResourceCommand, SendTaskSuccessCommand, SFNClient, SFNServiceException, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { FakeTuner } from '../../backends/native/fake-tuner';
import { FakeSageMaker, type FakeTrainer } from '../../backends/sagemaker/fake-aws';
import { FakeS3 } from '../fake-s3';
import { ACCOUNT, matchesPattern, REGION, type SynthesizedService } from './template';

/** Which handler module serves each step of the service (the keys of `TuningService.functions`). */
export const HANDLER_MODULES: Record<string, string> = {
  prepare: 'prepare',
  tick: 'tick',
  arm: 'arm',
  wake: 'wake',
  handOver: 'hand-over',
  importNative: 'import-native',
  finalize: 'finalize',
  cleanup: 'cleanup',
};

/** Modelled latencies, milliseconds. */
export interface Latency {
  /** One AWS API call (S3, SageMaker, CloudWatch, Step Functions). @default 40 */
  readonly apiMs: number;
  /** From a job's state change to the event reaching its rule's target. @default 1000 */
  readonly eventMs: number;
  /** One state transition. @default 50 */
  readonly transitionMs: number;
}

export interface HarnessOptions {
  readonly service: SynthesizedService;
  readonly trainer: FakeTrainer;
  /** Simulated start time. @default 2026-01-05T08:00:00Z */
  readonly startMs?: number;
  readonly latency?: Partial<Latency>;
  /** The objective metric the fake training jobs emit. @default 'validation:auc' */
  readonly objectiveMetric?: string;
  /**
   * How a function's measured computation translates into its time on Lambda, given its memory: Lambda gives a
   * function `memory / 1769 MB` of a vCPU, so a handler computing 100 ms here takes about `100 * 1769 / memory` ms
   * there. @default 1 (simulated time advances by the measured time)
   */
  readonly computeScale?: (memoryMb: number) => number;
  /** Initialization added to every invocation (a cold start), by step, ms. @default none */
  readonly coldStartMs?: (step: string) => number;
}

/** How an execution ended. */
export interface ExecutionOutcome {
  readonly arn: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

interface Execution {
  readonly arn: string;
  readonly name: string;
  readonly input: unknown;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  /** The Fail state's error and cause, once failed. */
  error?: string;
  cause?: string;
  abort(): void;
  outcome: Promise<ExecutionOutcome>;
  /** States entered, in order. */
  readonly states: string[];
}

interface TokenWait {
  readonly execution: Execution;
  readonly deadline: number;
  settled: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface SyncWait {
  readonly execution: Execution;
  nextAt: number;
  check(): Promise<boolean>;
}

/** Per-function counters. */
export interface FunctionStats {
  invocations: number;
  billedMs: number;
  memoryMb: number;
  /** Compute (measured wall time) of the invocations, ms. */
  computeMs: number;
  errors: number;
}

/** An error thrown the way Step Functions reports a failed task: `name` is the error, `message` the cause. */
export class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** Whether a harness runs (it replaces `Date.now` and the AWS clients of the whole process). */
let harnessActive = false;
let loadedEnvironment: string | undefined;
const realDateNow = Date.now.bind(Date);

function sfnError(name: string, message: string): SFNServiceException {
  return new SFNServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

export class DeployedHarness {
  readonly s3 = new FakeS3();
  readonly sagemaker: FakeSageMaker;
  readonly tuner: FakeTuner;
  readonly latency: Latency;
  readonly executions = new Map<string, Execution>();
  readonly stats = { transitions: 0, retries: 0, byFunction: new Map<string, FunctionStats>(), eventsDelivered: 0 };
  /** Job events delivered: `<job> <status>` and when. */
  readonly deliveries: { job: string; status: string; at: number; outcome: string }[] = [];
  /** Every invocation of a function: its step, when, and what it returned (or the error's name). */
  readonly invocations: { step: string; at: number; output?: unknown; error?: string }[] = [];
  /** Log of notable things (for debugging a failing test). */
  readonly journal: string[] = [];
  private now: number;
  private inFlight = 0;
  private readonly tokens = new Map<string, { wait?: TokenWait; early?: unknown; done: boolean }>();
  private readonly tokenWaits: TokenWait[] = [];
  private readonly syncWaits: SyncWait[] = [];
  private readonly actions: { at: number; run: () => void | Promise<void> }[] = [];
  private readonly delivered = new Set<string>();
  private readonly sfnMock = mockClient(SFNClient);
  private readonly machine: StateMachine;
  private executionCount = 0;
  private tokenCount = 0;

  constructor(private readonly options: HarnessOptions) {
    if (harnessActive) throw new Error('Only one DeployedHarness at a time (dispose the previous one)');
    harnessActive = true;
    this.latency = { apiMs: 40, eventMs: 1000, transitionMs: 50, ...options.latency };
    this.now = options.startMs ?? Date.UTC(2026, 0, 5, 8, 0, 0);
    Date.now = () => this.now;
    const clock = { now: () => this.now };
    this.sagemaker = new FakeSageMaker(clock, options.trainer, { mockClasses: true });
    this.sagemaker.objectiveMetric = options.objectiveMetric ?? 'validation:auc';
    this.tuner = new FakeTuner(this.sagemaker, clock, options.trainer);
    const api = (): void => this.advance(this.latency.apiMs);
    this.sagemaker.onRequest = api;
    this.s3.onRequest = api;
    this.sfnMock.on(SendTaskSuccessCommand).callsFake(async (input: { taskToken: string; output: string }) => {
      api();
      return this.sendTaskSuccess(input.taskToken, input.output);
    });
    this.sfnMock.on(DescribeExecutionCommand).callsFake(async (input: { executionArn: string }) => {
      api();
      const e = this.executions.get(input.executionArn);
      if (!e) throw sfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${input.executionArn}'`);
      return {
        executionArn: e.arn,
        stateMachineArn: options.service.stateMachineArn,
        name: e.name,
        status: e.status,
        input: JSON.stringify(e.input),
        startDate: new Date(this.now),
        ...(e.error ? { error: e.error } : {}),
        ...(e.cause ? { cause: e.cause } : {}),
      };
    });
    // A program (the SDK, the CLI) starting and stopping executions, as the Step Functions API would.
    this.sfnMock.on(StartExecutionCommand).callsFake(async (input: { stateMachineArn: string; input?: string; name?: string }) => {
      api();
      if (input.stateMachineArn !== options.service.stateMachineArn) throw sfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${input.stateMachineArn}'`);
      const started = this.start(JSON.parse(input.input ?? '{}'), input.name);
      return { executionArn: started.arn, startDate: new Date(this.now) };
    });
    this.sfnMock.on(StopExecutionCommand).callsFake(async (input: { executionArn: string }) => {
      api();
      const e = this.executions.get(input.executionArn);
      if (!e) throw sfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${input.executionArn}'`);
      if (e.status === 'RUNNING') this.stop(input.executionArn);
      return { stopDate: new Date(this.now) };
    });
    this.sfnMock.on(ListTagsForResourceCommand).callsFake(async () => {
      api();
      return { tags: options.service.stateMachineTags.map(([key, value]) => ({ key, value })) };
    });
    this.installEnvironment();
    this.machine = new StateMachine(options.service.definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: true, checkPaths: true } });
  }

  /** The simulated time, ms since the epoch. */
  get time(): number {
    return this.now;
  }

  /** Moves the simulated clock forward. */
  advance(ms: number): void {
    this.now += Math.max(0, ms);
  }

  /** Restores what the harness replaced (mocks, `Date.now`). */
  dispose(): void {
    this.sfnMock.restore();
    this.sagemaker.sagemakerMock.restore();
    this.sagemaker.cloudwatchMock.restore();
    this.s3.restore();
    Date.now = realDateNow;
    harnessActive = false;
  }

  /** Starts an execution with `input`, as StartExecution would. */
  start(input: unknown, name = `exec-${++this.executionCount}`): { arn: string; outcome: Promise<ExecutionOutcome> } {
    const arn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${this.options.service.stateMachineName}:${name}`;
    if (this.executions.has(arn)) throw new Error(`ExecutionAlreadyExists: ${arn}`);
    const states: string[] = [];
    const run = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(arn), retryIntervalOverrides: this.retryIntervals() },
      context: {
        Execution: { Id: arn, Name: name, RoleArn: `arn:aws:iam::${ACCOUNT}:role/StateMachineRole` },
        StateMachine: { Id: this.options.service.stateMachineArn, Name: this.options.service.stateMachineName },
        Task: { Token: 'replaced-by-the-harness' },
      },
    });
    this.inFlight++;
    const execution: Execution = { arn, name, input, status: 'RUNNING', abort: () => run.abort(), states, outcome: Promise.resolve({ arn, status: 'SUCCEEDED' }) };
    execution.outcome = (async (): Promise<ExecutionOutcome> => {
        const counting = (async () => {
          for await (const event of run.eventLogs) {
            if (event.type === 'StateEntered') {
              this.stats.transitions++;
              states.push(event.state.name);
              this.advance(this.latency.transitionMs);
            } else if (event.type === 'StateRetried') {
              this.stats.transitions++;
              this.stats.retries++;
            }
          }
        })();
        let outcome: ExecutionOutcome;
        try {
          const output = await run.result;
          outcome = { arn, status: 'SUCCEEDED', output };
        } catch (error) {
          const e = error as { name?: string; message?: string; cause?: { name?: string; message?: string } };
          if (e.name === 'ExecutionAbortedError' || execution.status === 'ABORTED') outcome = { arn, status: 'ABORTED' };
          else outcome = { arn, status: 'FAILED', error: e.cause?.name ?? e.name, cause: e.cause?.message ?? e.message };
        }
        await counting.catch(() => undefined);
        if (execution.status !== 'ABORTED') execution.status = outcome.status;
        if (outcome.error) execution.error = outcome.error;
        if (outcome.cause) execution.cause = outcome.cause;
        this.inFlight--;
        this.journal.push(`${new Date(this.now).toISOString()} ${name} ended ${outcome.status}${outcome.error ? ` ${outcome.error}` : ''}`);
        if (outcome.status !== 'SUCCEEDED') this.executionEnded(execution, outcome.status === 'ABORTED' ? 'ABORTED' : 'FAILED');
        return outcome;
      })();
    this.executions.set(arn, execution);
    return { arn, outcome: execution.outcome };
  }

  /** Stops an execution as the console's Stop button does; the execution status-change event follows. */
  stop(arn: string): void {
    const e = this.executions.get(arn);
    if (!e || e.status !== 'RUNNING') throw new Error(`Execution ${arn} is not running`);
    e.status = 'ABORTED';
    for (const w of this.tokenWaits.filter((w) => w.execution === e && !w.settled)) {
      w.settled = true;
      this.inFlight++;
      w.reject(new TaskError('ExecutionAborted', 'aborted'));
    }
    e.abort();
  }

  /** Runs `action` when the simulated clock reaches `at`. */
  at(at: number, action: () => void | Promise<void>): void {
    this.actions.push({ at, run: action });
  }

  /** Drives the simulation until every execution has ended (or `until` holds when all are waiting). */
  async drive(options: { until?: () => boolean; maxSimulatedMs?: number } = {}): Promise<void> {
    const limit = this.now + (options.maxSimulatedMs ?? 30 * 86_400_000);
    for (;;) {
      await this.quiescent();
      const running = [...this.executions.values()].some((e) => e.status === 'RUNNING');
      if (options.until?.()) return;
      if (!running && this.actions.length === 0) return;
      const next = Math.min(
        this.nextJobEventAt(),
        ...this.tokenWaits.filter((w) => !w.settled).map((w) => w.deadline),
        ...this.syncWaits.map((w) => w.nextAt),
        ...this.actions.map((a) => a.at),
      );
      if (!Number.isFinite(next)) {
        if (!running) return;
        throw new Error(`Deadlock: executions wait and nothing will happen.\n${this.journal.slice(-20).join('\n')}`);
      }
      if (next > limit) throw new Error(`The simulation passed its limit at ${new Date(this.now).toISOString()}\n${this.journal.slice(-20).join('\n')}`);
      if (next > this.now) this.now = next;
      await this.deliverJobEvents();
      for (const a of this.actions.filter((a) => a.at <= this.now)) {
        this.actions.splice(this.actions.indexOf(a), 1);
        await a.run();
      }
      for (const w of this.syncWaits.filter((w) => w.nextAt <= this.now)) {
        this.inFlight++;
        const done = await w.check();
        if (done) this.syncWaits.splice(this.syncWaits.indexOf(w), 1);
        else {
          w.nextAt = this.now + 60_000;
          this.inFlight--;
        }
      }
      for (const w of this.tokenWaits.filter((w) => !w.settled && w.deadline <= this.now)) {
        w.settled = true;
        this.tokens.get(this.tokenOf(w))!.done = true;
        this.inFlight++;
        w.reject(new TaskError('States.Timeout', 'The wait timed out'));
      }
      this.tokenWaits.splice(0, this.tokenWaits.length, ...this.tokenWaits.filter((w) => !w.settled));
    }
  }

  /** Counters of a function (by construct id). */
  functionStats(id: string): FunctionStats {
    let s = this.stats.byFunction.get(id);
    if (!s) {
      const fn = [...this.options.service.functions.values()].find((f) => f.id === id);
      s = { invocations: 0, billedMs: 0, memoryMb: fn?.memoryMb ?? 128, computeMs: 0, errors: 0 };
      this.stats.byFunction.set(id, s);
    }
    return s;
  }

  /** Invokes a function's real handler as Lambda would, counting its invocation and billed time. */
  async invoke(functionArn: string, event: unknown): Promise<unknown> {
    const fn = this.options.service.functions.get(functionArn);
    if (!fn) throw new Error(`No function ${functionArn} in the template`);
    const module = HANDLER_MODULES[fn.id];
    if (!module) throw new Error(`No handler module for function ${fn.id}`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const handler = (require(`../../../src/handlers/${module}`) as { handler: (event: unknown, context?: unknown) => Promise<unknown> }).handler;
    const stats = this.functionStats(fn.id);
    stats.invocations++;
    const t0 = this.now;
    this.advance(this.options.coldStartMs?.(fn.id) ?? 0);
    const w0 = performance.now();
    const context = { getRemainingTimeInMillis: () => Math.max(0, t0 + fn.timeoutSeconds * 1000 - this.now), awsRequestId: `req-${stats.invocations}` };
    const record: { step: string; at: number; output?: unknown; error?: string } = { step: fn.id, at: t0 };
    this.invocations.push(record);
    try {
      record.output = JSON.parse(JSON.stringify((await handler(JSON.parse(JSON.stringify(event)), context)) ?? null));
      return record.output;
    } catch (error) {
      stats.errors++;
      record.error = (error as Error).name;
      const e = error as Error;
      this.journal.push(`${new Date(this.now).toISOString()} ${fn.id} threw ${e.name}: ${e.message.split('\n')[0]}`);
      throw new TaskError(e.name || 'Error', JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: (e.stack ?? '').split('\n') }));
    } finally {
      const compute = (performance.now() - w0) * (this.options.computeScale?.(fn.memoryMb) ?? 1);
      this.advance(compute);
      stats.computeMs += compute;
      stats.billedMs += Math.ceil(this.now - t0);
    }
  }

  // -------------------------------------------------------------------------------------------------------------

  private installEnvironment(): void {
    const envs = [...this.options.service.functions.values()].map((f) => JSON.stringify(f.environment));
    if (new Set(envs).size !== 1) throw new Error('The functions have different environments; the harness runs them in one process');
    if (loadedEnvironment !== undefined && loadedEnvironment !== envs[0]) {
      throw new Error('The handlers were loaded with another environment in this process: synthesize the service once per test file');
    }
    loadedEnvironment = envs[0];
    Object.assign(process.env, JSON.parse(envs[0]) as Record<string, string>, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_LOG_LEVEL: process.env.SAGETUNE_TEST_LOGS ? 'DEBUG' : 'SILENT',
    });
  }

  private retryIntervals(): Record<string, number> {
    const states = (this.options.service.definition as { States: Record<string, { Retry?: unknown[] }> }).States;
    return Object.fromEntries(Object.entries(states).filter(([, s]) => s.Retry).map(([name]) => [name, 0]));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the library's JSONValue type rejects optional fields
  private taskHandlers(executionArn: string): Record<string, (input: any) => Promise<any>> {
    const states = (this.options.service.definition as { States: Record<string, { Type: string; Resource?: string }> }).States;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const out: Record<string, (input: any) => Promise<any>> = {};
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task') continue;
      const resource = state.Resource!;
      if (this.options.service.functions.has(resource)) out[name] = (input) => this.invoke(resource, input);
      else if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') out[name] = (input) => this.waitForToken(executionArn, input as { FunctionName: string; Payload: Record<string, unknown> });
      else if (resource === 'arn:aws:states:::states:startExecution') out[name] = (input) => this.startExecutionTask(input as { StateMachineArn: string; Input: unknown });
      else if (resource === 'arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync') out[name] = (input) => this.runTuningJob(executionArn, input as Record<string, unknown>);
      else throw new Error(`State ${name} calls ${resource}, which the harness does not run`);
    }
    return out;
  }

  private tokenOf(w: TokenWait): string {
    return [...this.tokens.entries()].find(([, t]) => t.wait === w)![0];
  }

  private async waitForToken(executionArn: string, input: { FunctionName: string; Payload: Record<string, unknown> }): Promise<unknown> {
    const execution = this.executions.get(executionArn)!;
    const token = `token-${++this.tokenCount}`;
    const entry: { wait?: TokenWait; early?: unknown; done: boolean } = { done: false };
    this.tokens.set(token, entry);
    const timeoutSeconds = Number(input.Payload.waitSeconds);
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) throw new TaskError('States.Runtime', `TimeoutSecondsPath gave ${input.Payload.waitSeconds}`);
    const deadline = this.now + timeoutSeconds * 1000;
    await this.invoke(input.FunctionName, { ...input.Payload, token });
    if (entry.early !== undefined) {
      entry.done = true;
      return entry.early;
    }
    if (execution.status !== 'RUNNING') throw new TaskError('ExecutionAborted', 'aborted');
    return new Promise((resolve, reject) => {
      const wait: TokenWait = { execution, deadline, settled: false, resolve, reject };
      entry.wait = wait;
      this.tokenWaits.push(wait);
      this.inFlight--;
    });
  }

  private sendTaskSuccess(token: string, output: string): Record<string, never> {
    const entry = this.tokens.get(token);
    if (!entry) throw sfnError('InvalidToken', 'Invalid Token');
    if (entry.done || entry.wait?.settled || entry.early !== undefined) throw sfnError('TaskTimedOut', 'Task Timed Out');
    const value = JSON.parse(output) as unknown;
    if (!entry.wait) {
      entry.early = value;
      return {};
    }
    entry.wait.settled = true;
    entry.done = true;
    this.inFlight++;
    entry.wait.resolve(value);
    return {};
  }

  private async startExecutionTask(input: { StateMachineArn: string; Input: unknown }): Promise<unknown> {
    if (input.StateMachineArn !== this.options.service.stateMachineArn) throw new TaskError('States.TaskFailed', `StartExecution of another state machine: ${input.StateMachineArn}`);
    const started = this.start(input.Input);
    return { ExecutionArn: started.arn, StartDate: new Date(this.now).toISOString() };
  }

  private async runTuningJob(executionArn: string, input: Record<string, unknown>): Promise<unknown> {
    const execution = this.executions.get(executionArn)!;
    const client = new SageMakerClient({ region: REGION });
    const name = String(input.HyperParameterTuningJobName);
    try {
      await client.send(new CreateHyperParameterTuningJobCommand(input as never));
    } catch (error) {
      const e = error as SageMakerServiceException;
      const mapped = e.name === 'ResourceInUse' ? 'SageMaker.ResourceInUseException' : e.name === 'ResourceLimitExceeded' ? 'SageMaker.ResourceLimitExceededException' : 'SageMaker.AmazonSageMakerException';
      throw new TaskError(mapped, e.message);
    }
    return new Promise((resolve, reject) => {
      const wait: SyncWait = {
        execution,
        nextAt: this.now + 60_000,
        check: async () => {
          if (execution.status !== 'RUNNING') {
            reject(new TaskError('ExecutionAborted', 'aborted'));
            return true;
          }
          const job = await client.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
          const status = job.HyperParameterTuningJobStatus;
          if (status === 'Completed') resolve(JSON.parse(JSON.stringify(job)));
          else if (status === 'Failed' || status === 'Stopped') reject(new TaskError('States.TaskFailed', JSON.stringify({ HyperParameterTuningJobStatus: status, FailureReason: job.FailureReason })));
          else return false;
          return true;
        },
      };
      this.syncWaits.push(wait);
      this.inFlight--;
    });
  }

  /** Waits until no execution is working (every running one waits), letting handlers run. */
  private async quiescent(): Promise<void> {
    for (let spins = 0; this.inFlight > 0; spins++) {
      if (spins > 5_000_000) throw new Error('The harness never became idle');
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Terminal transitions of the fake's jobs (and tuning job) not yet delivered. */
  private pendingJobEvents(): { key: string; at: number; event: Record<string, unknown> }[] {
    const out: { key: string; at: number; event: Record<string, unknown> }[] = [];
    for (const [name, job] of this.sagemaker.jobs) {
      const end = this.sagemaker.endOf(name);
      if (!end) continue;
      const key = `training ${name} ${end.status}`;
      if (this.delivered.has(key)) continue;
      const tags = Object.fromEntries((job.input.Tags ?? []).map((t) => [t.Key!, t.Value!]));
      out.push({
        key,
        at: end.at + this.latency.eventMs,
        event: {
          version: '0',
          id: `event-${this.delivered.size + 1}`,
          'detail-type': 'SageMaker Training Job State Change',
          source: 'aws.sagemaker',
          account: ACCOUNT,
          time: new Date(end.at).toISOString(),
          region: REGION,
          resources: [`arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/${name.toLowerCase()}`],
          detail: { TrainingJobName: name, TrainingJobStatus: end.status, SecondaryStatus: end.status, Tags: tags },
        },
      });
    }
    if (this.tuner.input) {
      const status = this.tuner.status();
      const key = `tuning ${this.tuner.name} ${status}`;
      if (status !== 'InProgress' && !this.delivered.has(key)) {
        const tags = Object.fromEntries((this.tuner.input.Tags ?? []).map((t) => [t.Key!, t.Value!]));
        out.push({
          key,
          at: this.now + this.latency.eventMs,
          event: {
            version: '0',
            'detail-type': 'SageMaker HyperParameter Tuning Job State Change',
            source: 'aws.sagemaker',
            account: ACCOUNT,
            region: REGION,
            detail: { HyperParameterTuningJobName: this.tuner.name, HyperParameterTuningJobStatus: status, Tags: tags },
          },
        });
      }
    }
    return out;
  }

  private nextJobEventAt(): number {
    return Math.min(Infinity, ...this.pendingJobEvents().map((e) => e.at));
  }

  private async deliverJobEvents(): Promise<void> {
    for (const e of this.pendingJobEvents().filter((e) => e.at <= this.now).sort((a, b) => a.at - b.at)) {
      this.delivered.add(e.key);
      const outcome = await this.deliver(e.event);
      const detail = e.event.detail as Record<string, string>;
      this.deliveries.push({ job: detail.TrainingJobName ?? detail.HyperParameterTuningJobName, status: detail.TrainingJobStatus ?? detail.HyperParameterTuningJobStatus, at: this.now, outcome });
    }
  }

  /** Delivers an event to the functions of the rules it matches; returns the last target's answer. */
  async deliver(event: Record<string, unknown>): Promise<string> {
    let outcome = 'no rule matched';
    for (const rule of this.options.service.rules) {
      if (!matchesPattern(event, rule.pattern)) continue;
      for (const target of rule.targets) {
        this.stats.eventsDelivered++;
        this.inFlight++;
        try {
          const result = (await this.invoke(target, event)) as { outcome?: string } | null;
          outcome = result?.outcome ?? 'done';
        } finally {
          this.inFlight--;
        }
      }
    }
    return outcome;
  }

  private executionEnded(e: Execution, status: 'ABORTED' | 'FAILED'): void {
    // Step Functions emits the status change at once; EventBridge delivers it to the cleanup rule.
    this.at(this.now + this.latency.eventMs, async () => {
      await this.deliver({
        version: '0',
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account: ACCOUNT,
        region: REGION,
        resources: [e.arn],
        detail: { executionArn: e.arn, stateMachineArn: this.options.service.stateMachineArn, name: e.name, status, input: JSON.stringify(e.input), inputDetails: { included: true } },
      });
    });
  }
}
