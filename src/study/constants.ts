/**
 * Constants of the study layer that the engine, the backends and the request check share. Kept apart from the
 * request schema so that code which only runs studies (the deployed tick) does not load the schema's validator.
 */

/** Defaults of the median stopping rule. */
export const EARLY_STOPPING_DEFAULTS = { MinimumTrials: 3, GracePeriodSteps: 1 } as const;
/** Most trials one study may have (`MaxNumberOfTrainingJobs`): every trial lives in one study document. */
export const MAX_TRIALS = 10000;

/** Defaults of sagetune's Hyperband. */
export const HYPERBAND_DEFAULTS = { ReductionFactor: 3 } as const;
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

/** Static hyperparameters SageMaker reads `MaxResource` from when the request leaves it out, in its order. */
export const MAX_RESOURCE_KEYS = ['epochs', 'numepochs', 'n-epochs', 'n_epochs', 'num_epochs'] as const;

/** SageMaker's largest `MaxResource`. */
export const MAX_RESOURCE_LIMIT = 20000;

/**
 * `MaxResource` as SageMaker infers it when the request leaves it out: the first of {@link MAX_RESOURCE_KEYS} among
 * the static hyperparameters whose value is a whole number of epochs from 1 to 20,000.
 */
export function inferMaxResource(statics: Record<string, unknown> | undefined): { key: string; value: number } | undefined {
  for (const key of MAX_RESOURCE_KEYS) {
    const raw = statics?.[key];
    if (raw === undefined) continue;
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (Number.isInteger(value) && value >= 1 && value <= MAX_RESOURCE_LIMIT) return { key, value };
  }
  return undefined;
}
