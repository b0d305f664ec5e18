/**
 * Stopping is real: when the execution that drives a study is stopped in the console, times out or fails, no paid
 * job may keep running that nothing drives. An EventBridge rule on the state machine's execution status changes
 * calls {@link cleanUpAfterExecution}, which:
 *
 * 1. records the stop (status `Stopping`, every running trial marked to stop), so that a tick still in flight sees it
 *    and launches nothing more;
 * 2. stops every running training job of the study (or its SageMaker tuning job, which stops its own jobs), throwing
 *    when SageMaker will not take a stop, so that the invocation is retried;
 * 3. stops any job of the study still running that the study no longer runs (a launch that raced the stop);
 * 4. ends the study `Stopped`: the trials that were running are recorded Stopped (their jobs are stopping; their
 *    final metrics are not collected).
 *
 * Every step is idempotent, so the function can run again after a failure at any line. An execution that does not
 * drive the study (a second execution refused at Prepare) changes nothing.
 */
import type { NativeTuningEngine } from '../backends/native/engine';
import type { SageMakerTrainingBackend } from '../backends/sagemaker/backend';
import { StudyConflictError } from '../study/errors';
import { closeSession, isTerminal, iso } from '../study/study';
import type { Clock, Study, StudyStore } from '../study/types';
import { studyOfExecutionInput, type ExecutionEnded } from './events';

/** What the cleanup needs. */
export interface CleanupDeps {
  readonly store: StudyStore;
  readonly backend: Pick<SageMakerTrainingBackend, 'stopJob' | 'reconcile'>;
  readonly engine: Pick<NativeTuningEngine, 'stop' | 'refresh'>;
  readonly clock: Clock;
  /** The execution's input when the event did not carry it (DescribeExecution). */
  readonly executionInput: (executionArn: string) => Promise<string | undefined>;
  readonly log?: (message: string, detail?: Record<string, unknown>) => void;
}

/** What the cleanup did. */
export type CleanupOutcome = { readonly outcome: 'ignored'; readonly why: string } | { readonly outcome: 'stopped'; readonly study: string; readonly jobs: string[] };

const WHY: Record<ExecutionEnded['status'], string> = { ABORTED: 'was stopped', TIMED_OUT: 'timed out', FAILED: 'failed' };

async function update(store: StudyStore, name: string, change: (study: Study) => boolean): Promise<Study | undefined> {
  for (let attempt = 0; ; attempt++) {
    const read = await store.read(name);
    if (!read) return undefined;
    const study = structuredClone(read.value);
    if (!change(study)) return study;
    try {
      await store.write(study, read.version);
      return study;
    } catch (error) {
      if (!(error instanceof StudyConflictError) || attempt >= 10) throw error;
    }
  }
}

/**
 * Imports the training jobs the study's tuning job ran so far (the optimized integration imports them only when the
 * job ends, which the stopped execution will not see). Best effort: the study ends Stopped either way.
 */
async function importWhatRan(name: string, deps: CleanupDeps): Promise<void> {
  try {
    const read = await deps.store.read(name);
    if (!read?.value.native) return;
    const step = await deps.engine.refresh(read.value);
    if (!step.changed) return;
    // The tuning job is stopping: keep the study Stopping (step 4 ends it), with the trials imported.
    const study = step.study;
    if (study.status !== 'Stopping' && !isTerminal(read.value.status)) {
      study.status = 'Stopping';
      delete study.endedAt;
    }
    await deps.store.write(study, read.version);
  } catch (error) {
    deps.log?.(`Trials of study ${name}'s tuning job not imported: ${(error as Error).message}`);
  }
}

/** Stops the study of an execution that ended without finishing it. */
export async function cleanUpAfterExecution(ended: ExecutionEnded, deps: CleanupDeps): Promise<CleanupOutcome> {
  const name = studyOfExecutionInput(ended.input ?? (await deps.executionInput(ended.executionArn)));
  if (!name) return { outcome: 'ignored', why: 'the execution input names no study' };
  const reason = `Stopped: the execution ${ended.executionArn.split(':').pop()} that drove the study ${WHY[ended.status]}`;
  const owned = (study: Study): boolean => study.driver?.executionArn === ended.executionArn && !isTerminal(study.status);

  // 1. Record the stop.
  let study = await update(deps.store, name, (s) => {
    if (!owned(s)) return false;
    const now = iso(deps.clock.now());
    s.status = 'Stopping';
    s.ending = { status: 'Stopped', reason };
    for (const t of s.trials) {
      if (t.status !== 'InProgress' || t.stopRequestedAt) continue;
      t.stopRequestedAt = now;
      t.stopReason = reason;
    }
    return true;
  });
  if (!study || !owned(study)) return { outcome: 'ignored', why: study ? 'the execution does not drive the study, or it has ended' : `no study named ${name}` };

  // 2-3. Stop the jobs.
  const jobs: string[] = [];
  if (study.native) {
    await deps.engine.stop(study);
    jobs.push(study.native.tuningJobName);
    await importWhatRan(name, deps);
  } else {
    for (const trial of study.trials.filter((t) => t.status === 'InProgress')) {
      await deps.backend.stopJob(trial.jobName);
      jobs.push(trial.jobName);
    }
  }

  // 4. End the study, then stop whatever still runs under its name that it does not run.
  study = await update(deps.store, name, (s) => {
    if (!owned(s)) return false;
    const now = deps.clock.now();
    for (const t of s.trials) {
      if (t.status !== 'InProgress') continue;
      t.status = 'Stopped';
      t.endedAt = iso(now);
      t.stopReason = t.stopReason ?? reason;
    }
    s.status = 'Stopped';
    s.statusReason = s.ending?.reason ?? reason;
    s.endedAt = iso(now);
    delete s.ending;
    closeSession(s, now);
    return true;
  });
  if (study && !study.native) jobs.push(...(await deps.backend.reconcile(study)));
  deps.log?.(`Study ${name} stopped after its execution ${WHY[ended.status]}`, { study: name, jobs });
  return { outcome: 'stopped', study: name, jobs };
}
