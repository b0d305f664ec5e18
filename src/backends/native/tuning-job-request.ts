/**
 * The CreateHyperParameterTuningJob request that hands a study to SageMaker's own tuning engine: the tuning
 * request as the user wrote it (it is that API's shape), without sagetune's `Sagetune` key, and with the budget
 * that is left when the native engine takes over a study that sagetune started.
 */
import type {
  CreateHyperParameterTuningJobRequest,
  HyperParameterTrainingJobDefinition,
  HyperParameterTuningJobConfig,
  ResourceLimits,
  Tag,
} from '@aws-sdk/client-sagemaker';
import { RequestValidationError } from '../../study/errors';
import { STUDY_TAG } from '../../study/constants';
import type { TuningRequest } from '../../study/request';
import { algorithmSpecificationOf, awsView, requireTrainingJobDefinition } from '../sagemaker/definition';

/** SageMaker's bounds of `ResourceLimits.MaxRuntimeInSeconds` of a tuning job. */
export const MIN_TUNING_RUNTIME_SECONDS = 120;
export const MAX_TUNING_RUNTIME_SECONDS = 15_768_000;

/** Strategies SageMaker's tuning job implements. */
const NATIVE_STRATEGIES = new Set(['Bayesian', 'Random', 'Hyperband', 'Grid']);

/** What is left of a study's budget when the native engine takes it over. */
export interface RemainingBudget {
  /** Training jobs still allowed (`MaxNumberOfTrainingJobs` less the trials already run). */
  readonly maxNumberOfTrainingJobs?: number;
  /** Seconds of `ResourceLimits.MaxRuntimeInSeconds` still left. */
  readonly maxRuntimeInSeconds?: number;
}

/** What {@link buildCreateHyperParameterTuningJobRequest} returns: the request and what it had to change. */
export interface NativeTuningJobPlan {
  readonly input: CreateHyperParameterTuningJobRequest;
  /** Adjustments made to the user's request (strategy mapped, warm start dropped, ...), one sentence each. */
  readonly notes: string[];
}

/**
 * Builds the CreateHyperParameterTuningJob request of a study.
 *
 * - `HyperParameterTuningJobName`: `tuningJobName` (see `nativeTuningJobName`).
 * - `HyperParameterTuningJobConfig`: the request's, with `ResourceLimits` reduced to `remaining`
 *   (MaxParallelTrainingJobs at most the remaining jobs; MaxRuntimeInSeconds at least SageMaker's minimum of 120).
 *   A strategy SageMaker does not have (sagetune's `Sobol`) becomes `Random`. Grid search takes no
 *   MaxNumberOfTrainingJobs (SageMaker derives it from the grid), so a take-over cannot shrink a grid.
 * - `TrainingJobDefinition`: the request's, members of the AWS shape only; MetricDefinitions left out for
 *   SageMaker's built-in algorithms (they define their own and reject overrides).
 * - `WarmStartConfig`: kept when the native engine runs the study from the start (its parents must then be
 *   SageMaker tuning jobs); dropped on a take-over, where the parents are sagetune studies SageMaker cannot read.
 * - `Tags`: the request's plus `sagetune:study`.
 * @throws RequestValidationError when no training jobs are left or the request lacks what SageMaker needs.
 */
export function buildCreateHyperParameterTuningJobRequest(
  request: TuningRequest,
  options: { readonly study: string; readonly tuningJobName: string; readonly remaining?: RemainingBudget; readonly takeOver?: boolean },
): NativeTuningJobPlan {
  const view = awsView(request);
  // Several definitions (multi-algorithm tuning) are SageMaker's feature: passed on as given, reduced to the shape.
  const several = view.TrainingJobDefinitions && view.TrainingJobDefinitions.length > 0 ? view.TrainingJobDefinitions : undefined;
  const def = several ? undefined : requireTrainingJobDefinition(request);
  const notes: string[] = [];
  const config = view.HyperParameterTuningJobConfig;
  let strategy: string = config.Strategy ?? 'Bayesian';
  if (!NATIVE_STRATEGIES.has(strategy)) {
    notes.push(`Strategy ${strategy} is not a SageMaker strategy; the native tuning job uses Random`);
    strategy = 'Random';
  }

  const limits = config.ResourceLimits ?? ({} as ResourceLimits);
  const remaining = options.remaining ?? {};
  const resourceLimits: ResourceLimits = { MaxParallelTrainingJobs: limits.MaxParallelTrainingJobs ?? 1 };
  if (strategy !== 'Grid') {
    const maxJobs = remaining.maxNumberOfTrainingJobs ?? limits.MaxNumberOfTrainingJobs;
    if (maxJobs !== undefined) {
      if (maxJobs < 1) {
        throw new RequestValidationError([
          { path: 'HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs', message: 'no training jobs are left for the native tuning job', received: maxJobs },
        ]);
      }
      resourceLimits.MaxNumberOfTrainingJobs = maxJobs;
      resourceLimits.MaxParallelTrainingJobs = Math.min(resourceLimits.MaxParallelTrainingJobs!, maxJobs);
    }
  } else if (options.takeOver) {
    notes.push('Grid search cannot be resumed with a smaller budget: the native tuning job runs the whole grid');
  }
  const runtime = remaining.maxRuntimeInSeconds ?? limits.MaxRuntimeInSeconds;
  if (runtime !== undefined) {
    const bounded = Math.min(MAX_TUNING_RUNTIME_SECONDS, Math.max(MIN_TUNING_RUNTIME_SECONDS, Math.floor(runtime)));
    if (bounded !== Math.floor(runtime)) notes.push(`MaxRuntimeInSeconds ${runtime} raised or lowered to SageMaker's bounds: ${bounded}`);
    resourceLimits.MaxRuntimeInSeconds = bounded;
  }

  const tuningConfig: HyperParameterTuningJobConfig = {
    Strategy: strategy as HyperParameterTuningJobConfig['Strategy'],
    ...(config.StrategyConfig ? { StrategyConfig: config.StrategyConfig } : {}),
    ...(config.HyperParameterTuningJobObjective
      ? { HyperParameterTuningJobObjective: { Type: config.HyperParameterTuningJobObjective.Type, MetricName: config.HyperParameterTuningJobObjective.MetricName } }
      : {}),
    ResourceLimits: resourceLimits,
    ...(config.ParameterRanges ? { ParameterRanges: config.ParameterRanges } : {}),
    ...(config.TrainingJobEarlyStoppingType ? { TrainingJobEarlyStoppingType: config.TrainingJobEarlyStoppingType } : {}),
    ...(config.TuningJobCompletionCriteria ? { TuningJobCompletionCriteria: config.TuningJobCompletionCriteria } : {}),
    ...(config.RandomSeed !== undefined ? { RandomSeed: config.RandomSeed } : {}),
  };

  const tags: Tag[] = [...(view.Tags ?? []).filter((t) => t.Key !== STUDY_TAG), { Key: STUDY_TAG, Value: options.study }];
  let warmStart = view.WarmStartConfig;
  if (warmStart && options.takeOver) {
    notes.push('WarmStartConfig names sagetune studies, which SageMaker cannot read: the native tuning job starts without it');
    warmStart = undefined;
  }

  return {
    input: {
      HyperParameterTuningJobName: options.tuningJobName,
      HyperParameterTuningJobConfig: tuningConfig,
      ...(def ? { TrainingJobDefinition: trainingJobDefinitionForNative(def) } : {}),
      ...(several ? { TrainingJobDefinitions: several.map(trainingJobDefinitionForNative) } : {}),
      ...(warmStart ? { WarmStartConfig: warmStart } : {}),
      ...(view.Autotune ? { Autotune: { Mode: view.Autotune.Mode } } : {}),
      Tags: tags,
    },
    notes,
  };
}

/** The request's TrainingJobDefinition reduced to the members of the AWS shape, in SageMaker's terms. */
function trainingJobDefinitionForNative(def: HyperParameterTrainingJobDefinition): HyperParameterTrainingJobDefinition {
  const pick = <K extends keyof HyperParameterTrainingJobDefinition>(key: K): Partial<HyperParameterTrainingJobDefinition> =>
    def[key] === undefined ? {} : { [key]: def[key] };
  return {
    ...pick('DefinitionName'),
    ...pick('TuningObjective'),
    ...pick('HyperParameterRanges'),
    ...(def.StaticHyperParameters && Object.keys(def.StaticHyperParameters).length > 0 ? { StaticHyperParameters: def.StaticHyperParameters } : {}),
    AlgorithmSpecification: algorithmSpecificationOf(def),
    RoleArn: def.RoleArn,
    ...pick('InputDataConfig'),
    ...pick('VpcConfig'),
    OutputDataConfig: def.OutputDataConfig,
    ...pick('ResourceConfig'),
    ...pick('HyperParameterTuningResourceConfig'),
    StoppingCondition: def.StoppingCondition,
    ...pick('EnableNetworkIsolation'),
    ...pick('EnableInterContainerTrafficEncryption'),
    ...pick('EnableManagedSpotTraining'),
    ...pick('CheckpointConfig'),
    ...pick('RetryStrategy'),
    ...(def.Environment && Object.keys(def.Environment).length > 0 ? { Environment: def.Environment } : {}),
  };
}
