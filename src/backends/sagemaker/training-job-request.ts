/**
 * The CreateTrainingJob request of one trial: a pure function of the tuning request, the study name, the trial's
 * number and hyperparameters and its job name. It carries over everything the request's TrainingJobDefinition
 * says the way SageMaker's own tuning job would, so that a trial run by sagetune is the training job SageMaker
 * would have run.
 */
import type { Channel, CreateTrainingJobRequest, ResourceConfig, Tag } from '@aws-sdk/client-sagemaker';
import type { HyperParameters, HyperParameterValue } from '../../core/types';
import { RequestValidationError } from '../../study/errors';
import { SAGEMAKER_LIMITS, STUDY_TAG, TRIAL_TAG } from '../../study/constants';
import type { TuningRequest } from '../../study/request';
import { algorithmSpecificationOf, awsView, joinS3, requireTrainingJobDefinition } from './definition';

const { hyperParameters: MAX_HYPERPARAMETERS, tags: MAX_TAGS } = SAGEMAKER_LIMITS;

/**
 * A hyperparameter value as the string SageMaker passes to the algorithm: integers without a decimal point,
 * other numbers in JavaScript's shortest round-trip form (`0.1`, `1e-7`, both parsed by Python's `float`),
 * categorical values unchanged.
 * @throws Error for a non-finite number (a bug upstream: ranges are finite).
 */
export function formatHyperParameterValue(value: HyperParameterValue): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) throw new Error(`hyperparameter value ${value} is not a finite number`);
  return String(value);
}

/**
 * The training job's hyperparameters: the static ones, then the trial's suggested ones as strings (a suggested
 * value wins over a static one of the same name).
 */
export function mergeHyperParameters(staticHps: Record<string, string> | undefined, suggested: HyperParameters): Record<string, string> {
  const merged: Record<string, string> = { ...(staticHps ?? {}) };
  for (const [name, value] of Object.entries(suggested)) merged[name] = formatHyperParameterValue(value);
  return merged;
}

/** What {@link buildCreateTrainingJobRequest} needs besides the request. */
export interface TrialJobInput {
  /** The study's name (prefix of output and checkpoint paths, value of the study tag). */
  readonly study: string;
  readonly trialNumber: number;
  readonly hyperParameters: HyperParameters;
  /** The training-job name (see `trainingJobName`). */
  readonly jobName: string;
}

/**
 * Builds the CreateTrainingJob request of one trial.
 *
 * - `AlgorithmSpecification`: TrainingImage or AlgorithmName, TrainingInputMode, and MetricDefinitions except for
 *   SageMaker's built-in algorithms (which define their own metrics and reject overrides).
 * - `HyperParameters`: `StaticHyperParameters` merged with the trial's values, as strings.
 * - `OutputDataConfig.S3OutputPath`: `<S3OutputPath>/<study>`; SageMaker appends the job name, so each trial's
 *   artifacts land under `<S3OutputPath>/<study>/<job name>/`.
 * - `CheckpointConfig`: per trial, `<CheckpointConfig.S3Uri>/<study>/<job name>`; with managed spot training and no
 *   CheckpointConfig, `<S3OutputPath>/<study>/<job name>/checkpoints` (so an interrupted spot job resumes).
 * - `ResourceConfig`: as given, or the instance of `HyperParameterTuningResourceConfig` (its first InstanceConfig
 *   when it lists several).
 * - `StoppingCondition`, `VpcConfig`, `InputDataConfig`, `Environment`, `RetryStrategy`, network isolation and
 *   inter-container encryption: as given.
 * - `Tags`: the request's Tags plus `sagetune:study` and `sagetune:trial`.
 * @throws RequestValidationError when the request lacks what SageMaker needs, or the result exceeds a SageMaker
 *   limit (more than 100 hyperparameters, more than 50 tags).
 */
export function buildCreateTrainingJobRequest(request: TuningRequest, input: TrialJobInput): CreateTrainingJobRequest {
  const def = requireTrainingJobDefinition(request);
  const hyperParameters = mergeHyperParameters(def.StaticHyperParameters, input.hyperParameters);
  if (Object.keys(hyperParameters).length > MAX_HYPERPARAMETERS) {
    throw new RequestValidationError([
      {
        path: 'TrainingJobDefinition.StaticHyperParameters',
        message: `together with the tuned hyperparameters makes ${Object.keys(hyperParameters).length}; SageMaker allows at most ${MAX_HYPERPARAMETERS}`,
      },
    ]);
  }
  const tags: Tag[] = [
    ...(awsView(request).Tags ?? []).filter((t) => t.Key !== STUDY_TAG && t.Key !== TRIAL_TAG),
    { Key: STUDY_TAG, Value: input.study },
    { Key: TRIAL_TAG, Value: String(input.trialNumber) },
  ];
  if (tags.length > MAX_TAGS) {
    throw new RequestValidationError([
      { path: 'Tags', message: `has ${tags.length - 2} tags; sagetune adds 2 (${STUDY_TAG}, ${TRIAL_TAG}) and SageMaker allows at most ${MAX_TAGS}` },
    ]);
  }
  const outputBase = def.OutputDataConfig!.S3OutputPath!;
  const checkpoint = def.CheckpointConfig
    ? { ...def.CheckpointConfig, S3Uri: joinS3(def.CheckpointConfig.S3Uri!, input.study, input.jobName) }
    : def.EnableManagedSpotTraining
      ? { S3Uri: joinS3(outputBase, input.study, input.jobName, 'checkpoints') }
      : undefined;

  const out: CreateTrainingJobRequest = {
    TrainingJobName: input.jobName,
    HyperParameters: hyperParameters,
    AlgorithmSpecification: algorithmSpecificationOf(def),
    RoleArn: def.RoleArn,
    ...(def.InputDataConfig ? { InputDataConfig: def.InputDataConfig.map(copyChannel) } : {}),
    OutputDataConfig: { ...def.OutputDataConfig, S3OutputPath: joinS3(outputBase, input.study) },
    ResourceConfig: resourceConfigOf(def),
    StoppingCondition: { ...def.StoppingCondition },
    ...(def.VpcConfig ? { VpcConfig: { SecurityGroupIds: [...(def.VpcConfig.SecurityGroupIds ?? [])], Subnets: [...(def.VpcConfig.Subnets ?? [])] } } : {}),
    ...(def.EnableNetworkIsolation !== undefined ? { EnableNetworkIsolation: def.EnableNetworkIsolation } : {}),
    ...(def.EnableInterContainerTrafficEncryption !== undefined
      ? { EnableInterContainerTrafficEncryption: def.EnableInterContainerTrafficEncryption }
      : {}),
    ...(def.EnableManagedSpotTraining !== undefined ? { EnableManagedSpotTraining: def.EnableManagedSpotTraining } : {}),
    ...(checkpoint ? { CheckpointConfig: checkpoint } : {}),
    ...(def.Environment && Object.keys(def.Environment).length > 0 ? { Environment: { ...def.Environment } } : {}),
    ...(def.RetryStrategy ? { RetryStrategy: { MaximumRetryAttempts: def.RetryStrategy.MaximumRetryAttempts } } : {}),
    Tags: tags,
  };
  return out;
}

function copyChannel(channel: Channel): Channel {
  return JSON.parse(JSON.stringify(channel)) as Channel;
}

/** ResourceConfig of a training job from either of the two ways a tuning job definition gives instances. */
function resourceConfigOf(def: ReturnType<typeof requireTrainingJobDefinition>): ResourceConfig {
  if (def.ResourceConfig) return { ...def.ResourceConfig };
  const tuning = def.HyperParameterTuningResourceConfig!;
  const first = tuning.InstanceConfigs?.[0];
  return {
    InstanceType: tuning.InstanceType ?? first?.InstanceType,
    InstanceCount: tuning.InstanceCount ?? first?.InstanceCount,
    VolumeSizeInGB: tuning.VolumeSizeInGB ?? first?.VolumeSizeInGB,
    ...(tuning.VolumeKmsKeyId ? { VolumeKmsKeyId: tuning.VolumeKmsKeyId } : {}),
  };
}
