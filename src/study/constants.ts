/**
 * Constants of the study layer that the engine, the backends and the request check share. Kept apart from the
 * request schema so that code which only runs studies (the deployed tick) does not load the schema's validator.
 */

/** Defaults of the median stopping rule. */
export const EARLY_STOPPING_DEFAULTS = { MinimumTrials: 3, GracePeriodSteps: 1 } as const;
/** Defaults of the convergence rule. */
export const CONVERGENCE_DEFAULTS = { Window: 10, Tolerance: 1e-3 } as const;

/** Tag keys sagetune adds to every training job (and the first to a native tuning job). */
export const STUDY_TAG = 'sagetune:study';
export const TRIAL_TAG = 'sagetune:trial';

/**
 * SageMaker's limits (its service model) that what sagetune sends must respect: tags of a job, hyperparameters of a
 * training job, characters of an S3 URI and of a training job's name. The request check and the request builders of
 * the backends share them.
 */
export const SAGEMAKER_LIMITS = { tags: 50, hyperParameters: 100, s3Uri: 1024, trainingJobName: 63 } as const;
