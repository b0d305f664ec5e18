/**
 * One iteration of the deployed loop: run the study's tick (sagetune's engine) or native step (following SageMaker's
 * tuning job), then tell the state machine what comes next: wait for a job event (with a timer), tick again at once,
 * finalize, or continue in a new execution before the execution's history grows too long.
 *
 * Two guards keep a deployed tick from leaving a paid job behind when something else writes the study while it
 * runs (a stop from the console's cleanup, the CLI or the SDK):
 * - a trial is launched only if the stored study, read just before, still wants it launched;
 * - jobs this invocation launched that the study, as finally stored, does not run are stopped before returning.
 */
import type { NativeTuningEngine } from '../backends/native/engine';
import { nativeTick } from '../backends/native/engine';
import { classifyAwsError } from '../aws/errors';
import { StudyConflictError, StudyNotFoundError, TrialLaunchDeferredError } from '../study/errors';
import { nextWake, type WakeReason } from '../study/schedule';
import { isTerminal, iso } from '../study/study';
import { tick, type TickResult } from '../study/tick';
import type { Clock, LaunchResult, Study, StudyStatus, StudyStore, Trial, TrialBackend, TrialSpec, TrialUpdate } from '../study/types';
import type { ServiceConfig } from './config';
import { engineOf, type EngineName } from './engine';

/** What the state machine passes to a tick. */
export interface TickInput {
  readonly study: string;
  readonly executionArn: string;
  /** Ticks this execution has run before this one. */
  readonly iteration: number;
}

/** What comes after a tick. */
export type TickNext = 'wait' | 'tick' | 'finalize' | 'continue' | 'superseded';

/** What a tick returns to the state machine (its state data until the next tick). */
export interface TickOutput {
  readonly study: string;
  readonly engine: EngineName;
  readonly iteration: number;
  readonly next: TickNext;
  /** The wait's timer, seconds (at least 1). */
  readonly waitSeconds: number;
  readonly waitReason?: WakeReason;
  /** Job events handled before this tick began (see `waiting.ts`): one handled after it ends the next wait at once. */
  readonly eventsSeen: number;
  /** The study at the end of the tick, for a reader of the console. */
  readonly status: StudyStatus;
  readonly trials: { readonly InProgress: number; readonly Completed: number; readonly Failed: number; readonly Stopped: number };
}

/** What a deployed tick needs. */
export interface DeployedTickDeps {
  readonly config: ServiceConfig;
  readonly store: StudyStore;
  /** The training-job backend, with `stopJob` for jobs no trial owns. */
  readonly backend: TrialBackend & { stopJob(name: string): Promise<void> };
  readonly engine: NativeTuningEngine;
  readonly clock: Clock;
  /** Milliseconds since the epoch after which the tick starts no further launch or stop (the Lambda's timeout nears). */
  readonly deadline?: number;
  /** The study's count of handled job events (the wait record's). @default none: 0 */
  readonly eventCount?: (study: string) => Promise<number>;
  readonly warn?: (message: string, detail?: Record<string, unknown>) => void;
}

const MAX_CONFLICTS = 4;

/**
 * A backend that launches only what the stored study still wants, and remembers what it launched.
 * @internal
 */
class GuardedBackend implements TrialBackend {
  readonly launched = new Set<string>();

  constructor(
    private readonly inner: TrialBackend,
    private readonly store: StudyStore,
  ) {}

  async launch(spec: TrialSpec): Promise<LaunchResult> {
    const stored = (await this.store.read(spec.study))?.value;
    const wanted = stored?.status === 'InProgress' && stored.trials.some((t) => t.number === spec.trial.number && t.jobName === spec.trial.jobName && t.status === 'InProgress' && !t.stopRequestedAt);
    if (!wanted) throw new TrialLaunchDeferredError(`Study ${spec.study} changed while this tick ran; ${spec.trial.jobName} is left to the next tick`);
    const result = await this.inner.launch(spec);
    this.launched.add(spec.trial.jobName);
    return result;
  }

  poll(study: Study, trials: readonly Trial[]): Promise<TrialUpdate[]> {
    return this.inner.poll(study, trials);
  }

  stop(study: Study, trial: Trial, reason: string): Promise<void> {
    return this.inner.stop(study, trial, reason);
  }
}

function counts(study: Study): TickOutput['trials'] {
  const out = { InProgress: 0, Completed: 0, Failed: 0, Stopped: 0 };
  for (const t of study.trials) out[t.status]++;
  return out;
}

/** Runs one deployed tick. @throws StudyNotFoundError; errors of AWS and the store (the state machine retries). */
export async function deployedTick(input: TickInput, deps: DeployedTickDeps): Promise<TickOutput> {
  const { store, clock } = deps;
  // Noted before the study is read: an event handled from now on may be one this tick does not see.
  const eventsSeen = (await deps.eventCount?.(input.study)) ?? 0;
  const read = await store.read(input.study);
  if (!read) throw new StudyNotFoundError(input.study, `s3://${deps.config.bucket}/${deps.config.keyPrefix}studies/`);
  const output = (study: Study, next: TickNext, wait?: { seconds: number; reason?: WakeReason }): TickOutput => ({
    study: study.name,
    engine: engineOf(study),
    iteration: input.iteration + 1,
    next,
    waitSeconds: wait?.seconds ?? 1,
    ...(wait?.reason ? { waitReason: wait.reason } : {}),
    eventsSeen,
    status: study.status,
    trials: counts(study),
  });
  const driver = read.value.driver?.executionArn;
  if (driver && driver !== input.executionArn) {
    deps.warn?.(`Study ${input.study} is now driven by ${driver}; this execution stops driving it`);
    return output(read.value, 'superseded');
  }
  if (isTerminal(read.value.status)) return output(read.value, 'finalize');

  const guarded = new GuardedBackend(deps.backend, store);
  let result: TickResult | undefined;
  try {
    for (let conflicts = 0; ; conflicts++) {
      try {
        result = engineOf(read.value) === 'native' ? await nativeStep(input.study, deps) : await tick(input.study, { store, backend: guarded, clock, ...(deps.deadline !== undefined ? { deadline: deps.deadline } : {}) });
        break;
      } catch (error) {
        if (!(error instanceof StudyConflictError) || conflicts >= MAX_CONFLICTS) throw error;
      }
    }
  } finally {
    await stopUnowned(input.study, guarded.launched, deps);
  }

  const study = result.study;
  if (result.done) return output(study, 'finalize');
  if (result.partial) return output(study, 'tick');
  if (input.iteration + 1 >= deps.config.maxTicksPerExecution) return output(study, 'continue');
  const wake = engineOf(study) === 'native' ? { seconds: deps.config.maxWaitSeconds } : nextWake(study, clock.now(), { maxWaitSeconds: deps.config.maxWaitSeconds });
  return output(study, 'wait', wake);
}

/**
 * Follows (or starts) the study's SageMaker tuning job. A tuning job the study names but SageMaker does not know
 * (an execution died between recording its name and creating it) is started now.
 */
async function nativeStep(name: string, deps: DeployedTickDeps): Promise<TickResult> {
  const native = { store: deps.store, engine: deps.engine, clock: deps.clock };
  try {
    return await nativeTick(name, native);
  } catch (error) {
    if (classifyAwsError(error) !== 'notFound') throw error;
    const read = await deps.store.read(name);
    if (!read?.value.native) throw error;
    const study = structuredClone(read.value);
    deps.warn?.(`Tuning job ${study.native?.tuningJobName} of study ${name} was never created; starting it now`);
    delete study.native;
    study.lastTickAt = iso(deps.clock.now());
    await deps.store.write(study, read.version);
    return nativeTick(name, native);
  }
}

/** Stops jobs this invocation launched that the stored study does not run (it was stopped or changed meanwhile). */
async function stopUnowned(name: string, launched: ReadonlySet<string>, deps: DeployedTickDeps): Promise<void> {
  if (launched.size === 0) return;
  const study = (await deps.store.read(name))?.value;
  const running = new Set((study?.trials ?? []).filter((t) => t.status === 'InProgress' && !t.stopRequestedAt).map((t) => t.jobName));
  for (const job of launched) {
    if (running.has(job) && study?.status === 'InProgress') continue;
    deps.warn?.(`Stopping training job ${job}: study ${name} no longer runs it`, { job });
    await deps.backend.stopJob(job);
  }
}
