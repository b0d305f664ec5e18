/**
 * The first step of a deployed execution: check the request, create or resume its study, make this execution its
 * driver, and choose the engine. What it decides is the state machine's route:
 *
 * - `refused`: the request is invalid, or the study cannot be run by this execution (another execution drives it,
 *   it has ended and the input does not ask to resume it, ...). The execution ends in a Fail state whose error and
 *   cause are this result's; nothing was written.
 * - `run`: the tick loop (sagetune's engine, or following a SageMaker tuning job the Lambda started).
 * - `native`: SageMaker's tuning job through the optimized integration (`createHyperParameterTuningJob.sync`), with
 *   the request this result carries; the study records the tuning job's name first, so a later execution follows it.
 * - `finalize`: the study has completed and the input asks to resume it: its result files are written again.
 *
 * The execution input is either a request or `{ "SagetuneContinuation": { StudyName, PreviousExecutionArn } }`,
 * which the state machine sends itself when a long study continues in a new execution.
 */
import type { CreateHyperParameterTuningJobRequest } from '@aws-sdk/client-sagemaker';
import { buildCreateHyperParameterTuningJobRequest } from '../backends/native/tuning-job-request';
import { nativeTuningJobName } from '../backends/sagemaker/names';
import { CorruptStudyError, RequestValidationError, StudyConflictError, StudyError, StudyRequestMismatchError, WarmStartError } from '../study/errors';
import type { TuningRequest } from '../study/request';
import { isTerminal, iso, newStudy, reopenStudy, requestDifferences, startSession } from '../study/study';
import type { Study, StudyStore, Clock } from '../study/types';
import type { ServiceConfig } from './config';
import { engineOf, type EngineName } from './engine';
import { asksToResume, parseDeployedRequest } from './request';

/** Why Prepare refused to run a study: the error name of the execution's Fail state. */
export type PrepareRefusal =
  | 'RequestInvalid'
  | 'StudyRequestMismatch'
  | 'StudyAlreadyRunning'
  | 'StudyEnded'
  | 'StudyNotResumable'
  | 'StudyNotFound'
  | 'StudyCorrupt'
  | 'WarmStartInvalid';


/** What Prepare decided (the state data of the rest of the execution). */
export type PrepareResult =
  | { readonly outcome: 'refused'; readonly error: PrepareRefusal; readonly cause: string }
  | { readonly outcome: 'run'; readonly study: string; readonly engine: EngineName; readonly iteration: 0 }
  | { readonly outcome: 'native'; readonly study: string; readonly engine: 'native'; readonly tuningJob: CreateHyperParameterTuningJobRequest; readonly iteration: 0 }
  | { readonly outcome: 'finalize'; readonly study: string; readonly engine: EngineName };

/** The input the state machine sends itself to continue a long study in a new execution. */
export interface ContinuationInput {
  readonly SagetuneContinuation: { readonly StudyName: string; readonly PreviousExecutionArn: string };
}

/** What Prepare needs besides its input. */
export interface PrepareDeps {
  readonly config: ServiceConfig;
  readonly store: StudyStore;
  readonly clock: Clock;
  /** The status of a Step Functions execution (`RUNNING`, `SUCCEEDED`, ...), or undefined when it does not exist. */
  readonly executionStatus: (executionArn: string) => Promise<string | undefined>;
}

function refuse(error: PrepareRefusal, cause: string): PrepareResult {
  return { outcome: 'refused', error, cause };
}

function continuationOf(input: unknown): ContinuationInput['SagetuneContinuation'] | undefined {
  const c = (input as Partial<ContinuationInput> | null)?.SagetuneContinuation;
  return c && typeof c === 'object' && typeof c.StudyName === 'string' && typeof c.PreviousExecutionArn === 'string' ? c : undefined;
}

/** Runs the Prepare step for an execution input. Never throws for a user's mistake: those are `refused` results. */
export async function prepare(input: unknown, executionArn: string, deps: PrepareDeps): Promise<PrepareResult> {
  const continuation = continuationOf(input);
  if (continuation) return prepareContinuation(continuation, executionArn, deps);
  let request: TuningRequest;
  try {
    request = parseDeployedRequest(input, deps.config);
  } catch (error) {
    if (error instanceof RequestValidationError) return refuse('RequestInvalid', error.message);
    throw error;
  }
  const resume = asksToResume(input);
  for (let attempt = 0; ; attempt++) {
    try {
      return await prepareStudy(request, resume, executionArn, deps);
    } catch (error) {
      if (error instanceof StudyConflictError && attempt < 5) continue; // another writer won: decide again from a fresh read
      if (error instanceof CorruptStudyError) return refuse('StudyCorrupt', error.message);
      if (error instanceof WarmStartError) return refuse('WarmStartInvalid', error.message);
      throw error;
    }
  }
}

async function prepareStudy(request: TuningRequest, resume: boolean, executionArn: string, deps: PrepareDeps): Promise<PrepareResult> {
  const { store, clock } = deps;
  const name = request.HyperParameterTuningJobName;
  const now = clock.now();
  const existing = await store.read(name);
  if (!existing) {
    const study = await newStudy(request, store, now);
    study.driver = { executionArn, since: iso(now) };
    return start(study, undefined, deps);
  }
  const stored = existing.value;
  const differences = requestDifferences(stored.request, request);
  if (differences.length > 0) return refuse('StudyRequestMismatch', new StudyRequestMismatchError(name, differences).message);

  if (isTerminal(stored.status)) {
    if (!resume) {
      const when = stored.endedAt ? ` at ${stored.endedAt}` : '';
      return refuse(
        'StudyEnded',
        `Study ${name} ended ${stored.status}${when}${stored.statusReason ? ` (${stored.statusReason})` : ''}; its results are under s3://${deps.config.bucket}/${deps.config.keyPrefix}studies/${name}/. ` +
          (stored.status === 'Completed'
            ? 'To write its result files again, start it with "Sagetune": {"Resume": true}; to tune further, start a new study whose WarmStartConfig names it.'
            : 'To run the rest of its budget, start it again with "Sagetune": {"Resume": true}.'),
      );
    }
    if (stored.status === 'Completed') return { outcome: 'finalize', study: name, engine: engineOf(stored) };
    let reopened: Study;
    try {
      reopened = reopenStudy(stored, now);
    } catch (error) {
      if (error instanceof StudyError) return refuse('StudyNotResumable', error.message);
      throw error;
    }
    reopened.driver = { executionArn, since: iso(now) };
    return start(reopened, existing.version, deps);
  }

  const driver = stored.driver?.executionArn;
  if (driver && driver !== executionArn) {
    const status = await deps.executionStatus(driver);
    if (status === 'RUNNING') {
      return refuse(
        'StudyAlreadyRunning',
        `Study ${name} is already run by execution ${driver} (since ${stored.driver?.since}); this execution leaves it alone. Stop that execution to stop the study.`,
      );
    }
  }
  const study = structuredClone(stored);
  if (driver !== executionArn) {
    // The previous driver is gone (stopped, failed, or a study the CLI started in this bucket): take over.
    startSession(study, now);
    study.driver = { executionArn, since: iso(now) };
  }
  return start(study, existing.version, deps);
}

/** Writes the study (conditionally) and routes it to its engine. */
async function start(study: Study, version: string | undefined, deps: PrepareDeps): Promise<PrepareResult> {
  const engine = engineOf(study);
  let tuningJob: CreateHyperParameterTuningJobRequest | undefined;
  if (engine === 'native' && !study.native && usesOptimizedIntegration(study.request)) {
    const tuningJobName = nativeTuningJobName(study.name, study.trials.length);
    tuningJob = buildCreateHyperParameterTuningJobRequest(study.request, { study: study.name, tuningJobName }).input;
    // Recorded before the tuning job exists: an execution that dies before the job is created leaves a study that
    // the next execution follows (and starts, if the job was never created).
    study.native = { tuningJobName, trialsBefore: study.trials.length };
  }
  study.lastTickAt = iso(deps.clock.now());
  await deps.store.write(study, version);
  return tuningJob
    ? { outcome: 'native', study: study.name, engine: 'native', tuningJob, iteration: 0 }
    : { outcome: 'run', study: study.name, engine, iteration: 0 };
}

/**
 * Whether the state machine's `createHyperParameterTuningJob.sync` task can express the request: its parameters
 * are fixed in the definition, so it takes one TrainingJobDefinition, with or without WarmStartConfig. Requests with
 * several definitions or Autotune are started and followed by the tick Lambda instead.
 */
export function usesOptimizedIntegration(request: TuningRequest): boolean {
  const raw = request as unknown as Record<string, unknown>;
  return raw.TrainingJobDefinition !== undefined && raw.TrainingJobDefinitions === undefined && raw.Autotune === undefined;
}

async function prepareContinuation(c: ContinuationInput['SagetuneContinuation'], executionArn: string, deps: PrepareDeps): Promise<PrepareResult> {
  for (let attempt = 0; ; attempt++) {
    const existing = await deps.store.read(c.StudyName);
    if (!existing) return refuse('StudyNotFound', `Study ${c.StudyName} to continue does not exist in s3://${deps.config.bucket}/${deps.config.keyPrefix}studies/`);
    const study = structuredClone(existing.value);
    if (isTerminal(study.status)) return { outcome: 'finalize', study: study.name, engine: engineOf(study) };
    const driver = study.driver?.executionArn;
    if (driver !== executionArn) {
      if (driver !== c.PreviousExecutionArn) {
        return refuse(
          'StudyAlreadyRunning',
          `Study ${c.StudyName} is now run by execution ${driver ?? 'none'}, not by ${c.PreviousExecutionArn} which asked to continue it; this execution leaves it alone.`,
        );
      }
      study.driver = { executionArn, since: iso(deps.clock.now()), continuedFrom: c.PreviousExecutionArn };
    }
    try {
      await deps.store.write(study, existing.version);
      return { outcome: 'run', study: study.name, engine: engineOf(study), iteration: 0 };
    } catch (error) {
      if (!(error instanceof StudyConflictError) || attempt >= 5) throw error;
    }
  }
}
