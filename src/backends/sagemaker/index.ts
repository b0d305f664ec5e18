/** The SageMaker training-job backend: trials as SageMaker training jobs (see `backend.ts`). */
export { SageMakerTrainingBackend, createSageMakerBackend, isInfrastructureFailure, trialUpdateOf } from './backend';
export type { CreateSageMakerBackendOptions, SageMakerBackendOptions, SageMakerTrialData } from './backend';
export { buildCreateTrainingJobRequest, formatHyperParameterValue, mergeHyperParameters } from './training-job-request';
export { STUDY_TAG, TRIAL_TAG } from '../../study/constants';
export type { TrialJobInput } from './training-job-request';
export { buildGetMetricDataInput, finalMetricsOf, hostDimension, seriesFromResults, TRAINING_JOB_METRICS_NAMESPACE, METRIC_PERIOD_SECONDS } from './metrics';
export type { MetricSeriesQuery } from './metrics';
export { isBuiltInAlgorithm, requireTrainingJobDefinition, BUILT_IN_ALGORITHM_REPOSITORIES } from './definition';
export { nameStem, nativeTuningJobName, parseTrialJobName, studyJobPrefix, isValidTrainingJobName } from './names';
