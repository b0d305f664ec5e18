/**
 * The tuning request: SageMaker's `CreateHyperParameterTuningJob` request as the AWS API defines it (names,
 * casing, enums, lengths, patterns and bounds from the service model sagemaker-2017-07-24), plus one key of
 * sagetune's own, `Sagetune`. A request a user already sends to SageMaker can be pasted as is.
 *
 * {@link parseTuningRequest} checks a request and reports every problem at once; {@link loadTuningRequest} reads
 * one from a JSON file. Differences from the raw AWS shape, all documented on the fields:
 * - `MinValue`/`MaxValue` of ranges and `StaticHyperParameters` values may be given as numbers (or booleans for
 *   static ones); they come out as strings, as the API sends them.
 * - For local runs, `RoleArn`, `OutputDataConfig`, `StoppingCondition`, `ResourceConfig` and
 *   `AlgorithmSpecification.TrainingInputMode` may be absent, and S3 URIs may be `file://` URIs (local data, as in
 *   the SageMaker Python SDK's local mode). For `Backend: 'sagemaker'` the AWS requirements apply.
 * - The sagetune engine runs one `TrainingJobDefinition` with the objective and ranges in
 *   `HyperParameterTuningJobConfig`; `TrainingJobDefinitions`, `Autotune`, `AutoParameters` and the `Hyperband`
 *   strategy are SageMaker features that only the native engine (`Sagetune.Engine: 'native'`) runs.
 */
import { z } from 'zod';
import { validateParameterRanges } from '../core/space';
import type { ParameterRanges, StrategyName } from '../core/types';
import { TRAINING_INSTANCE_TYPES } from './aws-instance-types';
import { compilePythonRegex } from './python-regex';
import { RequestValidationError, type RequestIssue } from './errors';
import { readJsonInput } from './json';
import { CONVERGENCE_DEFAULTS, EARLY_STOPPING_DEFAULTS, MAX_RESOURCE_KEYS, MAX_RESOURCE_LIMIT, MAX_TRIALS, SAGEMAKER_LIMITS, STUDY_TAG, TRIAL_TAG, inferMaxResource } from './constants';

export { CONVERGENCE_DEFAULTS, EARLY_STOPPING_DEFAULTS, SAGEMAKER_LIMITS, STUDY_TAG, TRIAL_TAG };

// ---------------------------------------------------------------------------------------------------------------
// AWS shapes

/** Compiles a service-model pattern as SageMaker applies it: matched against the whole value. */
function awsPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

function awsString(options: { min?: number; max?: number; pattern?: string; describe?: string; describeCoversLength?: boolean }) {
  if (options.pattern !== undefined && options.describe !== undefined && options.describeCoversLength) {
    // One message for a value that breaks the length, the pattern or both, when the description names the lengths.
    const re = awsPattern(options.pattern);
    const { min = 0, max = Infinity } = options;
    return z.string().refine((v) => v.length >= min && v.length <= max && re.test(v), { message: options.describe });
  }
  let schema = z.string();
  if (options.min !== undefined && options.min > 0) schema = schema.min(options.min);
  if (options.max !== undefined) schema = schema.max(options.max);
  if (options.pattern !== undefined) {
    const what = options.describe ?? `must match the pattern ${options.pattern}`;
    schema = schema.regex(awsPattern(options.pattern), { message: what });
  }
  return schema;
}

const int = (min?: number, max?: number) => {
  let schema = z.int();
  if (min !== undefined) schema = schema.min(min);
  if (max !== undefined) schema = schema.max(max);
  return schema;
};

/** The problem of MetricDefinitions that lack the objective metric (shared with the local backend's own check). */
export function objectiveMetricMissing(metricName: string): string {
  return `must define the objective metric ${JSON.stringify(metricName)} (a { Name, Regex } entry) so that it can be read from the training output`;
}

const NAME_PATTERN = '[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}';
const TuningJobName = awsString({
  min: 1,
  max: 32,
  pattern: NAME_PATTERN,
  describe: 'must be 1 to 32 letters, digits and hyphens, starting and ending with a letter or digit',
  describeCoversLength: true,
});

/** `S3Uri` of the model, or a `file://` URI for local data (checked against the backend separately). */
const S3Uri = z
  .string()
  .max(1024)
  .refine((v) => awsPattern('(https|s3)://([^/]+)/?(.*)').test(v) || v.startsWith('file://'), {
    message: 'must be an s3:// or https:// URI (or, for local runs, a file:// URI)',
  });
const KmsKeyId = awsString({ max: 2048, pattern: '[a-zA-Z0-9:/_-]*' });
const MetricName = awsString({ min: 1, max: 255, pattern: '.+' });
const ParameterKey = awsString({ max: 256, pattern: '.*' });
const ParameterValueIn = z.union([awsString({ max: 256, pattern: '.*' }), z.number().refine(Number.isFinite, 'must be finite')]);
/** Range bounds are strings in the API; numbers are accepted and converted. */
const ParameterValue = ParameterValueIn.transform((v) => (typeof v === 'number' ? String(v) : v));
const ScalingType = z.enum(['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic']);
const InstanceType = z.enum(TRAINING_INSTANCE_TYPES);
const TrainingInputMode = z.enum(['Pipe', 'File', 'FastFile']);
const Bool = z.boolean();

const NumericRange = z.strictObject({
  Name: ParameterKey,
  MinValue: ParameterValue,
  MaxValue: ParameterValue,
  ScalingType: ScalingType.optional(),
});

const ParameterRangesSchema = z.strictObject({
  IntegerParameterRanges: z.array(NumericRange).max(30).optional(),
  ContinuousParameterRanges: z.array(NumericRange).max(30).optional(),
  CategoricalParameterRanges: z
    .array(z.strictObject({ Name: ParameterKey, Values: z.array(awsString({ max: 256, pattern: '.*' })).min(1).max(30) }))
    .max(30)
    .optional(),
  AutoParameters: z
    .array(z.strictObject({ Name: ParameterKey, ValueHint: awsString({ max: 256, pattern: '.*' }) }))
    .max(100)
    .optional(),
});

const ObjectiveSchema = z.strictObject({
  Type: z.enum(['Maximize', 'Minimize']),
  MetricName,
});

/** Options of sagetune's median stopping rule (`TrainingJobEarlyStoppingType: 'Auto'`). */
const EarlyStoppingOptions = z.strictObject({
  MinimumTrials: int(1).optional(),
  GracePeriodSteps: int(1).optional(),
});

/** Options of sagetune's Hyperband (`Strategy: 'Hyperband'` with the sagetune engine). */
const HyperbandOptions = z.strictObject({
  ReductionFactor: int(2, 10).optional(),
  /**
   * Where new configurations come from: the Bayesian strategy modelled on one rung (default), or uniformly at
   * random (classic Hyperband / random search with successive halving, a baseline for benchmarks).
   */
  Proposals: z.enum(['Bayesian', 'Random']).optional(),
});

/** Options of sagetune's convergence rule (`ConvergenceDetected.CompleteOnConvergence: 'Enabled'`). */
const ConvergenceOptions = z.strictObject({
  Window: int(2).optional(),
  Tolerance: z.number().gt(0).lt(1).optional(),
});

const TuningJobConfigSchema = z.strictObject({
  Strategy: z.enum(['Bayesian', 'Random', 'Hyperband', 'Grid']),
  StrategyConfig: z
    .strictObject({
      HyperbandStrategyConfig: z.strictObject({ MinResource: int(1, 20000).optional(), MaxResource: int(1, 20000).optional() }).optional(),
    })
    .optional(),
  HyperParameterTuningJobObjective: ObjectiveSchema.optional(),
  ResourceLimits: z.strictObject({
    // SageMaker sets no maximum; sagetune keeps every trial in one study document, read and written at each tick.
    MaxNumberOfTrainingJobs: int(1, MAX_TRIALS).optional(),
    MaxParallelTrainingJobs: int(1),
    MaxRuntimeInSeconds: int(120, 15768000).optional(),
  }),
  ParameterRanges: ParameterRangesSchema.optional(),
  TrainingJobEarlyStoppingType: z.enum(['Off', 'Auto']).optional(),
  TuningJobCompletionCriteria: z
    .strictObject({
      TargetObjectiveMetricValue: z.number().refine(Number.isFinite, 'must be finite').optional(),
      BestObjectiveNotImproving: z.strictObject({ MaxNumberOfTrainingJobsNotImproving: int(3).optional() }).optional(),
      ConvergenceDetected: z.strictObject({ CompleteOnConvergence: z.enum(['Disabled', 'Enabled']).optional() }).optional(),
    })
    .optional(),
  RandomSeed: int(0).optional(),
});

const ChannelSchema = z.strictObject({
  // The channel is a folder (/opt/ml/input/data/<channel>): '.' and '..' would name the data folder or its parent.
  ChannelName: awsString({ min: 1, max: 64, pattern: '[A-Za-z0-9\\.\\-_]+' }).refine((v) => v !== '.' && v !== '..', {
    message: "must not be '.' or '..': a channel is the folder /opt/ml/input/data/<channel>",
  }),
  DataSource: z.strictObject({
    S3DataSource: z
      .strictObject({
        S3DataType: z.enum(['ManifestFile', 'S3Prefix', 'AugmentedManifestFile', 'Converse']),
        S3Uri,
        S3DataDistributionType: z.enum(['FullyReplicated', 'ShardedByS3Key']).optional(),
        AttributeNames: z.array(awsString({ min: 1, max: 256, pattern: '.+' })).max(16).optional(),
        InstanceGroupNames: z.array(awsString({ min: 1, max: 64, pattern: '.+' })).max(5).optional(),
        ModelAccessConfig: z.strictObject({ AcceptEula: Bool }).optional(),
        HubAccessConfig: z.strictObject({ HubContentArn: awsString({ max: 255, pattern: '.*' }) }).optional(),
      })
      .optional(),
    FileSystemDataSource: z
      .strictObject({
        FileSystemId: awsString({ min: 11, max: 21, pattern: '(fs-[0-9a-f]{8,})' }),
        FileSystemAccessMode: z.enum(['rw', 'ro']),
        FileSystemType: z.enum(['EFS', 'FSxLustre']),
        DirectoryPath: awsString({ max: 4096, pattern: '.*' }),
      })
      .optional(),
    DatasetSource: z.strictObject({ DatasetArn: awsString({ max: 2048 }) }).optional(),
  }),
  ContentType: awsString({ max: 256, pattern: '.*' }).optional(),
  CompressionType: z.enum(['None', 'Gzip']).optional(),
  RecordWrapperType: z.enum(['None', 'RecordIO']).optional(),
  InputMode: TrainingInputMode.optional(),
  ShuffleConfig: z.strictObject({ Seed: z.int() }).optional(),
});

const StaticValue = z
  .union([awsString({ max: 2500, pattern: '.*' }), z.number().refine(Number.isFinite, 'must be finite'), z.boolean()])
  .transform((v) => String(v));

const TrainingJobDefinitionSchema = z.strictObject({
  DefinitionName: awsString({ min: 1, max: 64, pattern: '[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}' }).optional(),
  TuningObjective: ObjectiveSchema.optional(),
  HyperParameterRanges: ParameterRangesSchema.optional(),
  /** Values may be given as numbers or booleans; they come out as strings. */
  StaticHyperParameters: z
    .record(awsString({ max: 256, pattern: '.*' }), StaticValue)
    .refine((m) => Object.keys(m).length <= 100, 'must have at most 100 entries')
    .optional(),
  AlgorithmSpecification: z.strictObject({
    TrainingImage: awsString({ max: 255, pattern: '.*' }).optional(),
    TrainingInputMode: TrainingInputMode.optional(),
    AlgorithmName: awsString({
      min: 1,
      max: 170,
      pattern: '(arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:[a-z\\-]*\\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)',
    }).optional(),
    MetricDefinitions: z
      .array(z.strictObject({ Name: MetricName, Regex: awsString({ min: 1, max: 500, pattern: '.+' }) }))
      .max(40)
      .optional(),
  }),
  RoleArn: awsString({
    min: 20,
    max: 2048,
    pattern: 'arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+',
    describe: 'must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)',
  }).optional(),
  InputDataConfig: z.array(ChannelSchema).min(1).max(20).optional(),
  VpcConfig: z
    .strictObject({
      SecurityGroupIds: z.array(awsString({ max: 32, pattern: '[-0-9a-zA-Z]+' })).min(1).max(5),
      Subnets: z.array(awsString({ max: 32, pattern: '[-0-9a-zA-Z]+' })).min(1).max(16),
    })
    .optional(),
  OutputDataConfig: z
    .strictObject({ KmsKeyId: KmsKeyId.optional(), S3OutputPath: S3Uri, CompressionType: z.enum(['GZIP', 'NONE']).optional() })
    .optional(),
  ResourceConfig: z
    .strictObject({
      InstanceType: InstanceType.optional(),
      InstanceCount: int(0).optional(),
      VolumeSizeInGB: int(0).optional(),
      VolumeKmsKeyId: KmsKeyId.optional(),
      KeepAlivePeriodInSeconds: int(0, 21600).optional(),
      InstanceGroups: z
        .array(z.strictObject({ InstanceType, InstanceCount: int(0), InstanceGroupName: awsString({ min: 1, max: 64, pattern: '.+' }) }))
        .max(5)
        .optional(),
      TrainingPlanArn: awsString({ min: 50, max: 2048, pattern: 'arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:training-plan/.*' }).optional(),
      InstancePlacementConfig: z
        .strictObject({
          EnableMultipleJobs: Bool.optional(),
          PlacementSpecifications: z
            .array(z.strictObject({ UltraServerId: z.string().max(256).optional(), InstanceCount: int(0) }))
            .max(10)
            .optional(),
        })
        .optional(),
    })
    .optional(),
  HyperParameterTuningResourceConfig: z
    .strictObject({
      InstanceType: InstanceType.optional(),
      InstanceCount: int(0).optional(),
      VolumeSizeInGB: int(0).optional(),
      VolumeKmsKeyId: KmsKeyId.optional(),
      AllocationStrategy: z.enum(['Prioritized']).optional(),
      InstanceConfigs: z
        .array(z.strictObject({ InstanceType, InstanceCount: int(0), VolumeSizeInGB: int(1) }))
        .min(1)
        .max(6)
        .optional(),
    })
    .optional(),
  StoppingCondition: z
    .strictObject({
      MaxRuntimeInSeconds: int(1).optional(),
      MaxWaitTimeInSeconds: int(1).optional(),
      MaxPendingTimeInSeconds: int(7200, 2419200).optional(),
    })
    .optional(),
  EnableNetworkIsolation: Bool.optional(),
  EnableInterContainerTrafficEncryption: Bool.optional(),
  EnableManagedSpotTraining: Bool.optional(),
  CheckpointConfig: z.strictObject({ S3Uri, LocalPath: awsString({ max: 4096, pattern: '.*' }).optional() }).optional(),
  RetryStrategy: z.strictObject({ MaximumRetryAttempts: int(1, 30) }).optional(),
  Environment: z
    .record(
      awsString({ max: 512, pattern: '[a-zA-Z_][a-zA-Z0-9_]*', describe: 'must be a variable name (letters, digits, _; not starting with a digit)' }),
      z.string().max(512),
    )
    .refine((m) => Object.keys(m).length <= 48, 'must have at most 48 entries')
    .optional(),
});

const TagPattern = '([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)';

const SagetuneOptionsSchema = z.strictObject({
  Engine: z.enum(['sagetune', 'native']).optional(),
  Backend: z.enum(['local', 'sagemaker']).optional(),
  Local: z
    .strictObject({
      Command: z.array(z.string().min(1)).min(1),
      WorkingDirectory: z.string().min(1).optional(),
      MaxParallel: int(1).optional(),
    })
    .optional(),
  PollIntervalSeconds: z.number().gt(0).max(3600).optional(),
  StudyDirectory: z.string().min(1).optional(),
  EarlyStopping: EarlyStoppingOptions.optional(),
  Hyperband: HyperbandOptions.optional(),
  Convergence: ConvergenceOptions.optional(),
  /**
   * Deployed stack only: start the execution even though the study of this name has ended. A Stopped or Failed study
   * runs the rest of its budget; a Completed one is finalized again (its result files rewritten). Not stored.
   */
  Resume: z.boolean().optional(),
});

const RequestSchema = z.strictObject({
  HyperParameterTuningJobName: TuningJobName,
  HyperParameterTuningJobConfig: TuningJobConfigSchema,
  TrainingJobDefinition: TrainingJobDefinitionSchema.optional(),
  TrainingJobDefinitions: z.array(TrainingJobDefinitionSchema).min(1).max(10).optional(),
  WarmStartConfig: z
    .strictObject({
      ParentHyperParameterTuningJobs: z.array(z.strictObject({ HyperParameterTuningJobName: TuningJobName.optional() })).min(1).max(5),
      WarmStartType: z.enum(['IdenticalDataAndAlgorithm', 'TransferLearning']),
    })
    .optional(),
  Tags: z
    .array(z.strictObject({ Key: awsString({ min: 1, max: 128, pattern: TagPattern }), Value: awsString({ max: 256, pattern: TagPattern }) }))
    .max(50)
    .optional(),
  Autotune: z.strictObject({ Mode: z.enum(['Enabled']) }).optional(),
  Sagetune: SagetuneOptionsSchema.optional(),
});

// ---------------------------------------------------------------------------------------------------------------
// Types

type ParsedRequest = z.output<typeof RequestSchema>;
type ParsedSagetune = z.output<typeof SagetuneOptionsSchema>;

/** Where the study's trials run and how. Defaults filled in by {@link parseTuningRequest}. */
export interface SagetuneOptions extends Omit<ParsedSagetune, 'Engine' | 'Backend' | 'PollIntervalSeconds'> {
  /** `sagetune`: sagetune's own optimizer drives the study; `native`: SageMaker's tuning job does. @default 'sagetune' */
  Engine: 'sagetune' | 'native';
  /** `local`: trials are child processes on this machine; `sagemaker`: SageMaker training jobs. @default 'local' ('sagemaker' for the native engine) */
  Backend: 'local' | 'sagemaker';
  /**
   * Seconds between two ticks of the tuning loop. With local trials the longest wait: a trial's end wakes the loop at
   * once, and so does its output when the study stops trials by it (early stopping, Hyperband). @default 1 for local
   * trials, 30 for SageMaker
   */
  PollIntervalSeconds: number;
}

/**
 * A checked tuning request: the `CreateHyperParameterTuningJob` request (range bounds and static
 * hyperparameters as strings, as the API sends them) and sagetune's options with their defaults.
 */
export type TuningRequest = Omit<ParsedRequest, 'Sagetune'> & { Sagetune: SagetuneOptions };

export type TrainingJobDefinition = NonNullable<ParsedRequest['TrainingJobDefinition']>;
export type TuningJobConfig = ParsedRequest['HyperParameterTuningJobConfig'];


// ---------------------------------------------------------------------------------------------------------------
// Issues

type PathSegment = PropertyKey;

function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(input: unknown, path: readonly PathSegment[]): { found: boolean; value?: unknown } {
  let current: unknown = input;
  for (const seg of path) {
    if (current === null || typeof current !== 'object') return { found: false };
    const record = current as Record<PropertyKey, unknown>;
    if (!Object.prototype.hasOwnProperty.call(record, seg)) return { found: false };
    current = record[seg];
  }
  return { found: true, value: current };
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** The closest known key to an unknown one, if any is close enough to be a likely typo. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  if (lower.length >= 4) {
    const prefix = known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
    if (prefix) return prefix;
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = levenshtein(lower, k.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(unknown.length / 3)) ? best : undefined;
}

interface ZodDefLike {
  type: string;
  innerType?: ZodLike;
  in?: ZodLike;
  shape?: Record<string, ZodLike>;
  element?: ZodLike;
  valueType?: ZodLike;
  options?: ZodLike[];
}
interface ZodLike {
  _zod: { def: ZodDefLike };
}

function unwrap(schema: ZodLike): ZodLike {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    if (def.innerType && ['optional', 'default', 'nullable', 'prefault', 'readonly', 'nonoptional'].includes(def.type)) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

/** The keys an object schema allows at `path` (for "did you mean"). */
function knownKeysAt(path: readonly PathSegment[]): string[] {
  let s: ZodLike | undefined = RequestSchema as unknown as ZodLike;
  for (const seg of path) {
    if (!s) return [];
    const def: ZodDefLike = unwrap(s)._zod.def;
    if (def.type === 'object' && def.shape) s = def.shape[String(seg)];
    else if (def.type === 'array') s = def.element;
    else if (def.type === 'record') s = def.valueType;
    else return [];
  }
  if (!s) return [];
  const def = unwrap(s)._zod.def;
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a number with a fraction';
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  record: 'an object',
};

function listValues(values: readonly unknown[]): string {
  if (values.length > 12) return `one of ${values.slice(0, 12).map((v) => JSON.stringify(v)).join(', ')}, ... (${values.length} values)`;
  return `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
}

/** What a value too small or too large must be: a length for a string, a count for a list, a bound for a number. */
function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const bound = small ? issue.minimum : issue.maximum;
  const inclusive = issue.inclusive !== false;
  const cmp = small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  if (issue.origin === 'string') return `must be ${cmp} ${String(bound)} character${bound === 1 ? '' : 's'} long`;
  if (issue.origin === 'array') return `must have ${cmp} ${String(bound)} item${bound === 1 ? '' : 's'}`;
  return `must be ${cmp} ${String(bound)}`;
}

/** Turns zod's issues into request issues with the value received and what is allowed. */
function toRequestIssues(error: z.ZodError, input: unknown): RequestIssue[] {
  const out: RequestIssue[] = [];
  const bounds = new Map<string, { bound: number; index: number }>();
  for (const issue of error.issues) {
    const path = issue.path as PathSegment[];
    const at = valueAt(input, path);
    const received = at.found ? { received: at.value } : {};
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(path);
        for (const key of issue.keys) {
          const suggestion = suggestKey(key, known);
          out.push({
            path: formatPath([...path, key]),
            message: `unknown field${suggestion ? ` (did you mean ${suggestion}?)` : ''}; allowed here: ${known.join(', ')}`,
          });
        }
        break;
      }
      case 'invalid_type': {
        if (!at.found || at.value === undefined) {
          out.push({ path: formatPath(path), message: `is required (${EXPECTED[issue.expected] ?? issue.expected})` });
        } else {
          out.push({ path: formatPath(path), message: `must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${describeType(at.value)}`, ...received });
        }
        break;
      }
      case 'invalid_value':
        out.push({ path: formatPath(path), message: `must be ${listValues(issue.values)}`, ...received });
        break;
      case 'too_small':
      case 'too_big': {
        // An integer field with its own maximum also carries zod's safe-integer bound: say only the tighter one.
        const key = `${issue.code} ${formatPath(path)}`;
        const bound = Number(issue.code === 'too_big' ? issue.maximum : issue.minimum);
        const earlier = bounds.get(key);
        const tighter = earlier === undefined || (issue.code === 'too_big' ? bound < earlier.bound : bound > earlier.bound);
        if (!tighter) break;
        const entry: RequestIssue = { path: formatPath(path), message: sizeMessage(issue), ...received };
        if (earlier) out[earlier.index] = entry;
        else out.push(entry);
        bounds.set(key, { bound, index: earlier?.index ?? out.length - 1 });
        break;
      }
      case 'invalid_union': {
        // Our unions are "string or number" (or boolean): report the value's type.
        out.push({ path: formatPath(path), message: `must be a string or a number, not ${describeType(at.value)}`, ...received });
        break;
      }
      case 'invalid_key': {
        // A record's key (an Environment variable, a static hyperparameter's name) broke its rule: say which rule,
        // and show the key rather than its value.
        const key = String(path[path.length - 1] ?? '');
        const rules = (issue.issues ?? []).map((sub) => (sub.code === 'too_big' || sub.code === 'too_small' ? sizeMessage(sub) : sub.message));
        out.push({ path: formatPath(path), message: `the name ${rules.join('; ') || 'is not allowed here'}`, received: key });
        break;
      }
      default:
        out.push({ path: formatPath(path), message: issue.message, ...received });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules across fields (run on the raw input, whatever its structural problems, so every issue shows at once)

function rec(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function enumOr<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

const CORE_STRATEGIES: readonly StrategyName[] = ['Bayesian', 'Random', 'Grid'];

function hyperbandIssues(config: Record<string, unknown> | undefined, statics: Record<string, unknown> | undefined): RequestIssue[] {
  const issues: RequestIssue[] = [];
  if (!config) return issues;
  const path = 'HyperParameterTuningJobConfig';
  const strategyConfig = rec(config.StrategyConfig);
  if (config.Strategy !== 'Hyperband') {
    if (config.StrategyConfig !== undefined) {
      issues.push({ path: `${path}.StrategyConfig`, message: `is only for the Hyperband strategy (Strategy is ${JSON.stringify(config.Strategy)})` });
    }
    return issues;
  }
  if (config.TrainingJobEarlyStoppingType === 'Auto') {
    issues.push({
      path: `${path}.TrainingJobEarlyStoppingType`,
      message: "must be 'Off' with the Hyperband strategy: Hyperband stops jobs early itself",
      received: 'Auto',
    });
  }
  const hb = rec(strategyConfig?.HyperbandStrategyConfig);
  const min = typeof hb?.MinResource === 'number' ? hb.MinResource : 1;
  const given = typeof hb?.MaxResource === 'number' ? hb.MaxResource : undefined;
  const inferred = given === undefined ? inferMaxResource(statics) : undefined;
  if (hb?.MaxResource === undefined && !inferred) {
    const present = MAX_RESOURCE_KEYS.filter((k) => statics?.[k] !== undefined);
    issues.push({
      path: `${path}.StrategyConfig.HyperbandStrategyConfig.MaxResource`,
      message:
        present.length > 0
          ? `is required: TrainingJobDefinition.StaticHyperParameters.${present[0]} (${JSON.stringify(statics?.[present[0]])}) is not a whole number of epochs from 1 to ${MAX_RESOURCE_LIMIT}`
          : `is required with the Hyperband strategy unless TrainingJobDefinition.StaticHyperParameters sets the number of epochs as one of ${MAX_RESOURCE_KEYS.join(', ')}`,
    });
  }
  const max = given ?? inferred?.value;
  if (max !== undefined && Number.isInteger(min) && min > max) {
    issues.push({
      path: `${path}.StrategyConfig.HyperbandStrategyConfig.MinResource`,
      message: `must be at most MaxResource (${max}${inferred ? `, from StaticHyperParameters.${inferred.key}` : ''})`,
      received: min,
    });
  }
  return issues;
}

function crossFieldIssues(input: unknown): RequestIssue[] {
  const issues: RequestIssue[] = [];
  const add = (path: string, message: string, received?: unknown): void => {
    issues.push(received === undefined ? { path, message } : { path, message, received });
  };
  const root = rec(input);
  if (!root) return issues;
  const options = rec(root.Sagetune);
  const engine = enumOr(options?.Engine, ['sagetune', 'native'] as const, 'sagetune');
  const backend = enumOr(options?.Backend, ['local', 'sagemaker'] as const, engine === 'native' ? 'sagemaker' : 'local');
  const config = rec(root.HyperParameterTuningJobConfig);
  const limits = rec(config?.ResourceLimits);
  const definition = rec(root.TrainingJobDefinition);
  const algorithm = rec(definition?.AlgorithmSpecification);
  const objective = rec(config?.HyperParameterTuningJobObjective);

  if (engine === 'native' && options?.Backend === 'local') {
    add('Sagetune.Backend', "must be 'sagemaker' with Sagetune.Engine 'native' (SageMaker's tuning job runs on SageMaker)", 'local');
  }
  if (root.TrainingJobDefinition !== undefined && root.TrainingJobDefinitions !== undefined) {
    add('TrainingJobDefinitions', 'give either TrainingJobDefinition or TrainingJobDefinitions, not both');
  }
  if (root.TrainingJobDefinition === undefined && root.TrainingJobDefinitions === undefined) {
    add('TrainingJobDefinition', 'is required (the training job each trial runs)');
  }

  if (engine === 'sagetune') {
    const nativeOnly = "is run only by SageMaker's own tuner: set Sagetune.Engine to 'native' to use it";
    if (root.TrainingJobDefinitions !== undefined) add('TrainingJobDefinitions', `(several training job definitions) ${nativeOnly}; or use one TrainingJobDefinition`);
    if (root.Autotune !== undefined) add('Autotune', nativeOnly);
    if (rec(config?.ParameterRanges)?.AutoParameters !== undefined) add('HyperParameterTuningJobConfig.ParameterRanges.AutoParameters', nativeOnly);
    for (const key of ['TuningObjective', 'HyperParameterRanges', 'DefinitionName'] as const) {
      if (definition?.[key] !== undefined) {
        const instead = key === 'TuningObjective' ? 'HyperParameterTuningJobConfig.HyperParameterTuningJobObjective' : key === 'HyperParameterRanges' ? 'HyperParameterTuningJobConfig.ParameterRanges' : undefined;
        add(`TrainingJobDefinition.${key}`, instead ? `belongs to multi-definition tuning; give it as ${instead}` : 'belongs to multi-definition tuning (TrainingJobDefinitions), which only the native engine runs');
      }
    }
    if (config && config.HyperParameterTuningJobObjective === undefined) {
      add('HyperParameterTuningJobConfig.HyperParameterTuningJobObjective', 'is required ({ Type: Minimize|Maximize, MetricName })');
    }
    if (config && config.ParameterRanges === undefined) {
      add('HyperParameterTuningJobConfig.ParameterRanges', 'is required (at least one integer, continuous or categorical range)');
    }
    if (limits && config?.Strategy !== 'Grid' && limits.MaxNumberOfTrainingJobs === undefined && limits.MaxRuntimeInSeconds === undefined) {
      add('HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs', `is required with the ${String(config?.Strategy)} strategy (or set MaxRuntimeInSeconds)`);
    }
    if (backend === 'local' && rec(options?.Local)?.Command === undefined) {
      add('Sagetune.Local.Command', 'is required to run trials locally: the training command as an argv array, e.g. ["python3", "train.py"]');
    }
    // Parameter ranges: the optimizer core's own checks (bounds, scaling, duplicates, grid rules).
    if (config?.Strategy !== 'Hyperband' && options?.Hyperband !== undefined) {
      add('Sagetune.Hyperband', `is only for the Hyperband strategy (Strategy is ${JSON.stringify(config?.Strategy)})`);
    }
    const ranges = config?.ParameterRanges;
    if (ranges !== undefined) {
      const strategy = CORE_STRATEGIES.includes(config?.Strategy as StrategyName) ? (config?.Strategy as StrategyName) : undefined;
      for (const issue of validateParameterRanges(ranges, strategy)) {
        const path = issue.path.startsWith('ParameterRanges') ? `HyperParameterTuningJobConfig.${issue.path}` : `HyperParameterTuningJobConfig.ParameterRanges.${issue.path}`;
        add(path, issue.message);
      }
    }
  }

  // Hyperband, with the rules SageMaker's API sets (for both engines: SageMaker's tuner would refuse them too).
  issues.push(...hyperbandIssues(config, rec(definition?.StaticHyperParameters)));

  // Metric definitions: regexes that JavaScript can compile; the objective among them for local trials.
  const metricDefinitions = Array.isArray(algorithm?.MetricDefinitions) ? (algorithm.MetricDefinitions as unknown[]) : undefined;
  metricDefinitions?.forEach((item, i) => {
    const regex = rec(item)?.Regex;
    if (typeof regex !== 'string') return;
    try {
      // SageMaker applies metric regexes (Python syntax) to each log line and reads the first capture group.
      if (compilePythonRegex(regex).groups < 1) {
        add(`TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[${i}].Regex`, 'needs a capture group around the value, e.g. "loss=([0-9.e+-]+)"', regex);
      }
    } catch (error) {
      add(`TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[${i}].Regex`, `is not a valid regular expression: ${(error as Error).message}`, regex);
    }
  });
  if (engine === 'sagetune' && backend === 'local' && typeof objective?.MetricName === 'string' && algorithm) {
    const names = (metricDefinitions ?? []).map((m) => rec(m)?.Name);
    if (!names.includes(objective.MetricName)) {
      add(
        'TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions',
        objectiveMetricMissing(objective.MetricName),
      );
    }
  }

  // A hyperparameter is either tuned or static, as SageMaker requires.
  const statics = rec(definition?.StaticHyperParameters);
  const rangeLists = rec(config?.ParameterRanges);
  if (statics && rangeLists) {
    for (const kind of ['IntegerParameterRanges', 'ContinuousParameterRanges', 'CategoricalParameterRanges'] as const) {
      const list = rangeLists[kind];
      if (!Array.isArray(list)) continue;
      list.forEach((range, i) => {
        const name = rec(range)?.Name;
        if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(statics, name)) {
          add(`TrainingJobDefinition.StaticHyperParameters.${name}`, `is also tuned (HyperParameterTuningJobConfig.ParameterRanges.${kind}[${i}]); a hyperparameter is either static or tuned`);
        }
      });
    }
  }

  // Hyperparameters reach a script-mode training script as `--name value` arguments (the local backend always, and
  // SageMaker's framework containers when `sagemaker_program` names the script): a name starting with '-', or a
  // value starting with '-' that is not a number, would be read by the script's argument parser as an option.
  if (backend === 'local' || (statics && Object.prototype.hasOwnProperty.call(statics, 'sagemaker_program'))) {
    const optionLike = (v: unknown): boolean => typeof v === 'string' && v.startsWith('-') && !Number.isFinite(Number(v));
    const why = 'would be read as a command-line option by the training script (hyperparameters are passed as --name value)';
    for (const [name, value] of Object.entries(statics ?? {})) {
      if (name.startsWith('-')) add(`TrainingJobDefinition.StaticHyperParameters.${name}`, `a name starting with '-' ${why}`);
      else if (optionLike(value)) add(`TrainingJobDefinition.StaticHyperParameters.${name}`, `a value starting with '-' that is not a number ${why}`, value);
    }
    const categorical = rangeLists?.CategoricalParameterRanges;
    if (Array.isArray(categorical)) {
      categorical.forEach((range, i) => {
        const values = rec(range)?.Values;
        if (Array.isArray(values)) {
          values.forEach((v, j) => {
            if (optionLike(v)) add(`HyperParameterTuningJobConfig.ParameterRanges.CategoricalParameterRanges[${i}].Values[${j}]`, `a value starting with '-' that is not a number ${why}`, v);
          });
        }
      });
    }
  }

  // Backend requirements.
  const fileUris: string[] = [];
  const collectUris = (def: Record<string, unknown> | undefined, prefix: string): void => {
    const channels = def?.InputDataConfig;
    if (Array.isArray(channels)) {
      channels.forEach((c, i) => {
        const uri = rec(rec(rec(c)?.DataSource)?.S3DataSource)?.S3Uri;
        if (typeof uri === 'string' && uri.startsWith('file://')) fileUris.push(`${prefix}.InputDataConfig[${i}].DataSource.S3DataSource.S3Uri`);
      });
    }
    const out = rec(def?.OutputDataConfig)?.S3OutputPath;
    if (typeof out === 'string' && out.startsWith('file://')) fileUris.push(`${prefix}.OutputDataConfig.S3OutputPath`);
    const ckpt = rec(def?.CheckpointConfig)?.S3Uri;
    if (typeof ckpt === 'string' && ckpt.startsWith('file://')) fileUris.push(`${prefix}.CheckpointConfig.S3Uri`);
  };
  if (backend === 'sagemaker') {
    const definitions: [Record<string, unknown>, string][] = [];
    if (definition) definitions.push([definition, 'TrainingJobDefinition']);
    if (Array.isArray(root.TrainingJobDefinitions)) {
      root.TrainingJobDefinitions.forEach((d, i) => {
        const r = rec(d);
        if (r) definitions.push([r, `TrainingJobDefinitions[${i}]`]);
      });
    }
    for (const [def, prefix] of definitions) {
      for (const key of ['RoleArn', 'OutputDataConfig', 'StoppingCondition'] as const) {
        if (def[key] === undefined) add(`${prefix}.${key}`, 'is required to run trials on SageMaker');
      }
      const spec = rec(def.AlgorithmSpecification);
      if (spec && spec.TrainingInputMode === undefined) add(`${prefix}.AlgorithmSpecification.TrainingInputMode`, 'is required to run trials on SageMaker (Pipe, File or FastFile)');
      if (spec && spec.TrainingImage === undefined && spec.AlgorithmName === undefined) {
        add(`${prefix}.AlgorithmSpecification`, 'needs a TrainingImage or an AlgorithmName to run trials on SageMaker');
      }
      if (def.ResourceConfig === undefined && def.HyperParameterTuningResourceConfig === undefined) {
        add(`${prefix}.ResourceConfig`, 'is required to run trials on SageMaker (or give HyperParameterTuningResourceConfig)');
      }
      // A training job needs its instances: a type and a count, unless instance groups (configs) describe them.
      for (const [key, groups] of [['ResourceConfig', 'InstanceGroups'], ['HyperParameterTuningResourceConfig', 'InstanceConfigs']] as const) {
        const rc = rec(def[key]);
        if (!rc || rc[groups] !== undefined) continue;
        for (const field of ['InstanceType', 'InstanceCount']) {
          if (rc[field] === undefined) add(`${prefix}.${key}.${field}`, `is required to run trials on SageMaker (unless ${groups} are given)`);
        }
      }
      if (engine === 'sagetune') sentLimitIssues(root, def, prefix, config, add);
      const stop = rec(def.StoppingCondition);
      if (def.EnableManagedSpotTraining === true && stop) {
        const wait = stop.MaxWaitTimeInSeconds;
        const runtime = stop.MaxRuntimeInSeconds;
        if (wait === undefined) add(`${prefix}.StoppingCondition.MaxWaitTimeInSeconds`, 'is required with EnableManagedSpotTraining (at least MaxRuntimeInSeconds)');
        else if (typeof wait === 'number' && typeof runtime === 'number' && wait < runtime) {
          add(`${prefix}.StoppingCondition.MaxWaitTimeInSeconds`, `must be at least MaxRuntimeInSeconds (${runtime}) with EnableManagedSpotTraining`, wait);
        }
      }
      collectUris(def, prefix);
    }
    if (Array.isArray(root.Tags)) {
      const keys = new Set<string>();
      root.Tags.forEach((t, i) => {
        const key = rec(t)?.Key;
        if (typeof key !== 'string') return;
        if (key.toLowerCase().startsWith('aws:')) add(`Tags[${i}].Key`, 'cannot start with aws: (the prefix is reserved for AWS)', key);
        else if (keys.has(key)) add(`Tags[${i}].Key`, 'appears twice; tag keys must be unique', key);
        keys.add(key);
      });
      // sagetune tags each training job with both of its tags, and a native tuning job with the first; a request's own
      // tag of the same key is replaced, not added.
      const added = engine === 'native' ? [STUDY_TAG] : [STUDY_TAG, TRIAL_TAG];
      const own = root.Tags.filter((t) => !added.includes(String(rec(t)?.Key))).length;
      if (own + added.length > MAX_TAGS) {
        add('Tags', `has ${own} tags; sagetune adds ${added.length} (${added.join(', ')}) and SageMaker allows at most ${MAX_TAGS}`);
      }
    }
    for (const path of fileUris) add(path, 'a file:// URI is local data: SageMaker needs an s3:// URI');
  }
  return issues;
}

const { tags: MAX_TAGS, hyperParameters: MAX_HYPERPARAMETERS, s3Uri: MAX_S3_URI, trainingJobName: MAX_JOB_NAME } = SAGEMAKER_LIMITS;

/**
 * What sagetune adds to a training job must still fit SageMaker's limits: the tuned hyperparameters beside the
 * static ones, `/<study>` after the output path, `/<study>/<job name>` after the checkpoint path. Checked with the
 * request, so that a study never starts and then fails at its first launch.
 */
function sentLimitIssues(
  root: Record<string, unknown>,
  def: Record<string, unknown>,
  prefix: string,
  config: Record<string, unknown> | undefined,
  add: (path: string, message: string, received?: unknown) => void,
): void {
  const ranges = rec(config?.ParameterRanges);
  const tuned = ['IntegerParameterRanges', 'ContinuousParameterRanges', 'CategoricalParameterRanges'].reduce(
    (n, key) => n + (Array.isArray(ranges?.[key]) ? (ranges?.[key] as unknown[]).length : 0),
    0,
  );
  const statics = Object.keys(rec(def.StaticHyperParameters) ?? {}).length;
  if (statics + tuned > MAX_HYPERPARAMETERS) {
    add(`${prefix}.StaticHyperParameters`, `has ${statics} entries; with the ${tuned} tuned hyperparameters a training job gets ${statics + tuned}, and SageMaker allows at most ${MAX_HYPERPARAMETERS}`);
  }
  // A study name that breaks its own rule is reported there: the room left for it is judged by its longest valid length.
  const named = root.HyperParameterTuningJobName;
  const study = typeof named === 'string' ? named.slice(0, 32) : '';
  const output = rec(def.OutputDataConfig)?.S3OutputPath;
  const room = (base: string, suffix: number): boolean => base.startsWith('file://') || base.length + suffix <= MAX_S3_URI;
  if (typeof output === 'string' && !room(output, 1 + study.length)) {
    add(`${prefix}.OutputDataConfig.S3OutputPath`, `is ${output.length} characters; sagetune appends /<study name> and SageMaker allows at most ${MAX_S3_URI}`);
  }
  const checkpoint = rec(def.CheckpointConfig)?.S3Uri;
  if (typeof checkpoint === 'string' && !room(checkpoint, 2 + study.length + MAX_JOB_NAME)) {
    add(
      `${prefix}.CheckpointConfig.S3Uri`,
      `is ${checkpoint.length} characters; sagetune appends /<study name>/<job name> (up to ${2 + study.length + MAX_JOB_NAME}) and SageMaker allows at most ${MAX_S3_URI}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

/**
 * Checks a tuning request and returns it with defaults filled in. Throws {@link RequestValidationError} listing
 * every problem (path, value received, what is allowed): unknown fields (with a "did you mean"), types, enums,
 * lengths, patterns and bounds of the AWS model, the optimizer's parameter-range rules, and the rules across fields
 * documented in this module's header.
 */
export function parseTuningRequest(input: unknown, options?: { source?: string }): TuningRequest {
  const result = RequestSchema.safeParse(input);
  const issues: RequestIssue[] = result.success ? [] : toRequestIssues(result.error, input);
  const seen = new Set(issues.map((i) => i.path));
  for (const issue of crossFieldIssues(input)) {
    // A field already reported by the schema check is not reported again by a rule on the same field.
    if (!seen.has(issue.path)) issues.push(issue);
    seen.add(issue.path);
  }
  if (issues.length > 0 || !result.success) throw new RequestValidationError(issues, { source: options?.source });
  const parsed = result.data;
  // Resume instructs the deployed stack's execution; it is not part of the study.
  if (parsed.Sagetune) delete parsed.Sagetune.Resume;
  const engine = parsed.Sagetune?.Engine ?? 'sagetune';
  const backend = parsed.Sagetune?.Backend ?? (engine === 'native' ? 'sagemaker' : 'local');
  return {
    ...parsed,
    Sagetune: {
      ...parsed.Sagetune,
      Engine: engine,
      Backend: backend,
      PollIntervalSeconds: parsed.Sagetune?.PollIntervalSeconds ?? (backend === 'local' ? 1 : 30),
    },
  };
}

/**
 * Reads a request from a JSON file and checks it. Throws `RequestFileError` when the file cannot be read or
 * is not JSON (with the line and column of the syntax error), {@link RequestValidationError} when it is not a valid
 * request.
 */
export async function loadTuningRequest(path: string): Promise<TuningRequest> {
  return parseTuningRequest(await readJsonInput(path), { source: path });
}

/** The search space of a request, for the optimizer. */
export function requestRanges(request: TuningRequest): ParameterRanges {
  return request.HyperParameterTuningJobConfig.ParameterRanges ?? {};
}

/** The request's objective (required for the sagetune engine). */
export function requestObjective(request: TuningRequest): { Type: 'Minimize' | 'Maximize'; MetricName: string } {
  const objective = request.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective;
  if (!objective) throw new RequestValidationError([{ path: 'HyperParameterTuningJobConfig.HyperParameterTuningJobObjective', message: 'is required' }]);
  return objective;
}
