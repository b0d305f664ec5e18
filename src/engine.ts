/**
 * `sagetune/engine`: the engine's parts, for programs that assemble their own runner (the package's main entry is
 * the SDK).
 *
 * - The study engine (`runStudy`, `tick`, `parseTuningRequest`, stores): one tuning request, run to completion.
 * - Backends: local processes, SageMaker training jobs, SageMaker's native tuning jobs.
 * - Reports: the trial table (like the SageMaker SDK's analytics dataframe) and the HTML report.
 */
export * from './study';
export { LocalBackend, checkLocalRequest } from './backends/local';
export type { LocalBackendOptions } from './backends/local';
export { createSageMakerBackend, SageMakerTrainingBackend } from './backends/sagemaker';
export type { CreateSageMakerBackendOptions } from './backends/sagemaker';
export { runNativeStudy, chooseEngine } from './backends/native';
export { S3StudyStore } from './study/store/s3-store';
export * as report from './report';
