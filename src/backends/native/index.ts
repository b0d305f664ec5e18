/** The native engine: a study run by SageMaker's own hyperparameter tuning job (see `engine.ts`). */
export { NativeTuningEngine, chooseEngine, handOverToNative, nativeOnlyFeatures, nativeTick, parseTunedHyperParameters, remainingBudget, runNativeStudy } from './engine';
export type { NativeEngineOptions, NativeStep, NativeTickDeps, RunNativeStudyOptions } from './engine';
export { buildCreateHyperParameterTuningJobRequest, MIN_TUNING_RUNTIME_SECONDS, MAX_TUNING_RUNTIME_SECONDS } from './tuning-job-request';
export type { NativeTuningJobPlan, RemainingBudget } from './tuning-job-request';
