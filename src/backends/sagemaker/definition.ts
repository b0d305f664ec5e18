/**
 * Reading the AWS parts of a tuning request: the `TrainingJobDefinition` (the AWS `HyperParameterTrainingJobDefinition`
 * shape), the objective, tags and warm start. The request's schema belongs to the study layer; this module is the
 * one place where the SageMaker backends view it through the AWS SDK's types, and it checks what SageMaker itself
 * needs to launch a job, so that a request that would fail on SageMaker fails here first, naming the field.
 */
import type {
  Autotune,
  HyperParameterAlgorithmSpecification,
  HyperParameterTrainingJobDefinition,
  HyperParameterTuningJobConfig,
  HyperParameterTuningJobWarmStartConfig,
  Tag,
} from '@aws-sdk/client-sagemaker';
import { RequestValidationError, type RequestIssue } from '../../study/errors';
import type { TuningRequest } from '../../study/request';

/** The AWS view of the request's fields the SageMaker backends read. */
export interface AwsTuningRequestView {
  readonly HyperParameterTuningJobName: string;
  readonly HyperParameterTuningJobConfig: HyperParameterTuningJobConfig;
  readonly TrainingJobDefinition?: HyperParameterTrainingJobDefinition;
  readonly TrainingJobDefinitions?: HyperParameterTrainingJobDefinition[];
  readonly Autotune?: Autotune;
  readonly WarmStartConfig?: HyperParameterTuningJobWarmStartConfig;
  readonly Tags?: Tag[];
}

/** The request seen through the AWS SDK's types (the request is that shape by design, plus the `Sagetune` key). */
export function awsView(request: TuningRequest): AwsTuningRequestView {
  return request as unknown as AwsTuningRequestView;
}

const DEF = 'TrainingJobDefinition';

/**
 * Returns the request's `TrainingJobDefinition` after checking what CreateTrainingJob needs: a role, an output
 * path, an algorithm (image or name, not both), an input mode, instances and a runtime limit.
 * @throws RequestValidationError listing every missing or conflicting field.
 */
export function requireTrainingJobDefinition(request: TuningRequest): HyperParameterTrainingJobDefinition {
  const def = awsView(request).TrainingJobDefinition;
  const issues: RequestIssue[] = [];
  if (def === undefined || def === null || typeof def !== 'object') {
    throw new RequestValidationError([{ path: DEF, message: 'is required to run trials as SageMaker training jobs' }]);
  }
  if (!def.RoleArn) issues.push({ path: `${DEF}.RoleArn`, message: 'is required: the IAM role SageMaker assumes to run the training jobs' });
  if (!def.OutputDataConfig?.S3OutputPath) {
    issues.push({ path: `${DEF}.OutputDataConfig.S3OutputPath`, message: 'is required: the s3:// prefix for model artifacts' });
  }
  const algo = def.AlgorithmSpecification;
  if (!algo) {
    issues.push({ path: `${DEF}.AlgorithmSpecification`, message: 'is required (TrainingImage or AlgorithmName, and TrainingInputMode)' });
  } else {
    if (!algo.TrainingImage && !algo.AlgorithmName) {
      issues.push({ path: `${DEF}.AlgorithmSpecification`, message: 'needs TrainingImage (an ECR image URI) or AlgorithmName' });
    }
    if (algo.TrainingImage && algo.AlgorithmName) {
      issues.push({ path: `${DEF}.AlgorithmSpecification.AlgorithmName`, message: 'cannot be given together with TrainingImage', received: algo.AlgorithmName });
    }
    if (!algo.TrainingInputMode) {
      issues.push({ path: `${DEF}.AlgorithmSpecification.TrainingInputMode`, message: 'is required: File, Pipe or FastFile' });
    }
  }
  if (!def.ResourceConfig && !def.HyperParameterTuningResourceConfig) {
    issues.push({ path: `${DEF}.ResourceConfig`, message: 'is required: InstanceType, InstanceCount and VolumeSizeInGB of each training job' });
  }
  if (!def.StoppingCondition?.MaxRuntimeInSeconds) {
    issues.push({ path: `${DEF}.StoppingCondition.MaxRuntimeInSeconds`, message: 'is required: the longest a training job may run, in seconds' });
  }
  if (def.EnableManagedSpotTraining && !def.StoppingCondition?.MaxWaitTimeInSeconds) {
    issues.push({
      path: `${DEF}.StoppingCondition.MaxWaitTimeInSeconds`,
      message: 'is required with EnableManagedSpotTraining (at least MaxRuntimeInSeconds)',
    });
  }
  if (issues.length > 0) throw new RequestValidationError(issues);
  return def;
}

/** The objective metric name and direction of a request. */
export function objectiveOf(request: TuningRequest): { MetricName: string; Type: 'Minimize' | 'Maximize' } {
  const objective = awsView(request).HyperParameterTuningJobConfig.HyperParameterTuningJobObjective;
  if (!objective?.MetricName || (objective.Type !== 'Minimize' && objective.Type !== 'Maximize')) {
    throw new RequestValidationError([
      {
        path: 'HyperParameterTuningJobConfig.HyperParameterTuningJobObjective',
        message: 'is required with MetricName and Type (Minimize or Maximize)',
        received: objective,
      },
    ]);
  }
  return { MetricName: objective.MetricName, Type: objective.Type };
}

/**
 * ECR repositories of SageMaker's built-in algorithms (algorithm mode). SageMaker defines their metrics itself and
 * rejects a request that overrides them ("You can't override the metric definitions for Amazon SageMaker
 * algorithms"), so the backends leave `MetricDefinitions` out for these images; the algorithm still publishes
 * its metrics (FinalMetricDataList, CloudWatch), which is all the backends read.
 */
export const BUILT_IN_ALGORITHM_REPOSITORIES: ReadonlySet<string> = new Set([
  'sagemaker-xgboost',
  'xgboost',
  'linear-learner',
  'kmeans',
  'pca',
  'factorization-machines',
  'ntm',
  'lda',
  'randomcutforest',
  'blazingtext',
  'object2vec',
  'forecasting-deepar',
  'image-classification',
  'object-detection',
  'semantic-segmentation',
  'seq2seq',
  'ipinsights',
  'knn',
]);

/**
 * True when `image` is a SageMaker built-in algorithm image run in algorithm mode: an ECR image of one of
 * {@link BUILT_IN_ALGORITHM_REPOSITORIES} and no `sagemaker_program` static hyperparameter (the XGBoost image also
 * runs user scripts in framework mode, where the user's MetricDefinitions apply).
 */
export function isBuiltInAlgorithm(image: string | undefined, staticHyperParameters: Record<string, string> | undefined): boolean {
  if (!image) return false;
  const match = /^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
  if (!match) return false;
  return BUILT_IN_ALGORITHM_REPOSITORIES.has(match[1]) && !(staticHyperParameters && 'sagemaker_program' in staticHyperParameters);
}

/**
 * The algorithm part of a training job, as both CreateTrainingJob and CreateHyperParameterTuningJob take it: the
 * image or algorithm name, the input mode, and the metric definitions unless the image is a built-in algorithm
 * (which publishes its own metrics).
 */
export function algorithmSpecificationOf(def: HyperParameterTrainingJobDefinition): HyperParameterAlgorithmSpecification {
  const algo = def.AlgorithmSpecification!;
  const builtIn = isBuiltInAlgorithm(algo.TrainingImage, def.StaticHyperParameters);
  return {
    ...(algo.TrainingImage ? { TrainingImage: algo.TrainingImage } : { AlgorithmName: algo.AlgorithmName }),
    TrainingInputMode: algo.TrainingInputMode,
    ...(!builtIn && algo.MetricDefinitions && algo.MetricDefinitions.length > 0
      ? { MetricDefinitions: algo.MetricDefinitions.map((m) => ({ Name: m.Name, Regex: m.Regex })) }
      : {}),
  };
}

/** Joins an S3 URI and path segments with exactly one `/` between them. */
export function joinS3(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ''), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ''))].filter((p) => p.length > 0).join('/');
}
