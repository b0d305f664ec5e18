/**
 * The deployed execution's two ways into SageMaker's own tuning job:
 * - {@link importNativeResult}: after the state machine's `createHyperParameterTuningJob.sync` task ends, import the
 *   tuning job's training jobs into the study and end it as the tuning job ended;
 * - {@link handOver}: when sagetune's engine fails beyond its retries, hand the study to a tuning job with the
 *   remaining budget (the native engine's `handOverToNative`); the loop then follows that job.
 */
import { handOverToNative, type NativeTuningEngine } from '../backends/native/engine';
import { classifyAwsError } from '../aws/errors';
import { StudyConflictError, StudyError, StudyNotFoundError } from '../study/errors';
import { closeSession, isTerminal, iso } from '../study/study';
import type { Clock, Study, StudyStore } from '../study/types';
import { engineOf, type EngineName } from './engine';

/** An error as a Step Functions Catch records it (`ResultPath`): its name and its cause. */
export interface CaughtError {
  readonly Error?: string;
  readonly Cause?: string;
}

/** The message of a caught error: a Lambda's `errorMessage` when the cause is its JSON error, else the cause. */
export function caughtMessage(error: CaughtError | undefined): string {
  const cause = error?.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === 'string') return `${error?.Error ?? 'Error'}: ${parsed.errorMessage}`;
  } catch {
    // Not JSON: the cause is the message.
  }
  return `${error?.Error ?? 'Error'}${cause ? `: ${cause}` : ''}`;
}

/** What the native steps need. */
export interface NativeDeps {
  readonly store: StudyStore;
  readonly engine: NativeTuningEngine;
  readonly clock: Clock;
}

/** Where the execution goes after a native step. */
export interface NativeStepOutput {
  readonly study: string;
  readonly engine: EngineName;
  readonly iteration: number;
  /** `finalize` when the study has ended, `tick` when the loop must follow the tuning job, `superseded` when another execution drives it. */
  readonly next: 'finalize' | 'tick' | 'superseded';
  readonly status: Study['status'];
}

/**
 * Imports the training jobs of the study's tuning job after the optimized integration's task ended (or failed: then
 * `error` is what the Catch recorded). A tuning job that SageMaker never created (it rejected the request) fails the
 * study with SageMaker's message; one still running (the task failed for another reason) is left for the loop.
 */
export async function importNativeResult(input: { study: string; iteration?: number; error?: CaughtError }, deps: NativeDeps): Promise<NativeStepOutput> {
  for (let attempt = 0; ; attempt++) {
    const read = await deps.store.read(input.study);
    if (!read) throw new StudyNotFoundError(input.study);
    let study = read.value;
    const out = (s: Study): NativeStepOutput => ({ study: s.name, engine: engineOf(s), iteration: input.iteration ?? 0, next: isTerminal(s.status) ? 'finalize' : 'tick', status: s.status });
    if (isTerminal(study.status)) return out(study);
    if (!study.native) throw new StudyError(`Study ${input.study} has no SageMaker tuning job to import`);
    let changed = false;
    try {
      const step = await deps.engine.refresh(study);
      study = step.study;
      changed = step.changed;
    } catch (error) {
      if (classifyAwsError(error) !== 'notFound') throw error;
      study = structuredClone(study);
      const now = deps.clock.now();
      study.status = 'Failed';
      study.statusReason = `SageMaker did not start the tuning job ${study.native!.tuningJobName}: ${input.error ? caughtMessage(input.error) : 'it does not exist'}`;
      study.endedAt = iso(now);
      delete study.ending;
      closeSession(study, now);
      changed = true;
    }
    if (!changed) return out(study);
    study.lastTickAt = iso(deps.clock.now());
    try {
      await deps.store.write(study, read.version);
      return out(study);
    } catch (error) {
      if (!(error instanceof StudyConflictError) || attempt >= 5) throw error;
    }
  }
}

/**
 * Hands the study over to SageMaker's tuning job with its remaining budget, recording why. Only the execution that
 * drives the study may; another gets the study back unchanged.
 */
export async function handOver(input: { study: string; executionArn: string; iteration: number; error?: CaughtError }, deps: NativeDeps): Promise<NativeStepOutput> {
  const read = await deps.store.read(input.study);
  if (!read) throw new StudyNotFoundError(input.study);
  const driver = read.value.driver?.executionArn;
  if (driver && driver !== input.executionArn) {
    return { study: input.study, engine: engineOf(read.value), iteration: input.iteration, next: 'superseded', status: read.value.status };
  }
  const reason = `the sagetune engine failed beyond its retries (${caughtMessage(input.error)})`;
  const result = await handOverToNative(input.study, { ...deps, reason });
  return { study: input.study, engine: engineOf(result.study), iteration: input.iteration, next: result.done ? 'finalize' : 'tick', status: result.study.status };
}
