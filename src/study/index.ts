/**
 * The study layer: the tuning request, the study model, the tick, the runner loop and the stores.
 * Outer layers (backends, CLI, SDK, Lambda handlers) import from here.
 */
export * from './types';
export * from './errors';
export type { StudyEvent, StudyEventType } from './events';
export {
  parseTuningRequest,
  loadTuningRequest,
  requestRanges,
  requestObjective,
  suggestKey,
  EARLY_STOPPING_DEFAULTS,
  CONVERGENCE_DEFAULTS,
} from './request';
export type { TuningRequest, SagetuneOptions, TrainingJobDefinition, TuningJobConfig } from './request';
export {
  TERMINAL_STATUSES,
  isTerminal,
  trialJobName,
  objectiveType,
  better,
  completedTrials,
  bestCompletedTrial,
  activeRuntimeSeconds,
  maxParallel,
  requestDifferences,
  RUNTIME_KNOBS,
  newStudy,
  openStudy,
  requestStop,
  pauseStudy,
  INTERRUPTED_REASON,
} from './study';
export type { OpenedStudy } from './study';
export { checkCompletion, failFastCount, trialsNotImproving, hasConverged } from './criteria';
export type { Ending } from './criteria';
export { medianStoppingReason, earlyStoppingDecisions } from './early-stopping';
export { resolveWarmStart } from './warm-start';
export type { WarmStartTrial } from './warm-start';
export { tick, optimizerHistory } from './tick';
export type { TickDeps, TickResult } from './tick';
export { runStudy, realSleep } from './runner';
export type { RunStudyOptions, RunStudyResult, Sleep } from './runner';
export { FileStudyStore, DEFAULT_STUDY_ROOT } from './store/file-store';
export type { FileStudyStoreOptions } from './store/file-store';
export { MemoryStudyStore } from './store/memory-store';
