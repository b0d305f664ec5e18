/**
 * The deployed service's settings: what the CDK construct knows at deploy time (the bucket, the execution role, the
 * job-name prefix, where the role may read and write) and passes to every Lambda function in its environment. One
 * reader, {@link serviceConfigFromEnv}, so that the construct and the handlers agree on the variables' names.
 */
import { StudyError } from '../study/errors';

/** Where and what the deployed service may do. */
export interface ServiceConfig {
  /** The bucket that holds studies (and, with the stack's defaults, training data and outputs). */
  readonly bucket: string;
  /** Key prefix of everything the service keeps in the bucket (`''` or ending in `/`). */
  readonly keyPrefix: string;
  /**
   * Prefix every study name (hence every training and tuning job name) must start with: the stack's IAM policies
   * allow SageMaker actions only on jobs whose names start with it.
   */
  readonly jobNamePrefix: string;
  /** The SageMaker execution role the stack passes to training jobs: filled in when a request has no RoleArn. */
  readonly executionRoleArn: string;
  /** `S3OutputPath` filled in when a request has none (`s3://<bucket>/<prefix>training`). */
  readonly defaultOutputPath: string;
  /**
   * Where the execution role may read and write (`s3://bucket/prefix/` URIs), when the stack created it and so knows;
   * undefined for a role the stack was given, whose permissions it cannot see.
   */
  readonly roleAccess?: { readonly read: readonly string[]; readonly write: readonly string[]; readonly vpc: boolean };
  /** `VpcConfig` filled in when a request has none (the stack's VPC pass-through). */
  readonly defaultVpcConfig?: { readonly SecurityGroupIds: string[]; readonly Subnets: string[] };
  /** Longest wait without an event, seconds. */
  readonly maxWaitSeconds: number;
  /** Ticks one execution runs before it continues the study in a new execution (the 25,000-event history limit). */
  readonly maxTicksPerExecution: number;
}

/** The names of the environment variables, shared with the construct that sets them. */
export const ENV = {
  bucket: 'SAGETUNE_BUCKET',
  keyPrefix: 'SAGETUNE_KEY_PREFIX',
  jobNamePrefix: 'SAGETUNE_JOB_NAME_PREFIX',
  executionRoleArn: 'SAGETUNE_EXECUTION_ROLE_ARN',
  defaultOutputPath: 'SAGETUNE_DEFAULT_OUTPUT_PATH',
  roleAccess: 'SAGETUNE_ROLE_ACCESS',
  defaultVpcConfig: 'SAGETUNE_DEFAULT_VPC_CONFIG',
  maxWaitSeconds: 'SAGETUNE_MAX_WAIT_SECONDS',
  maxTicksPerExecution: 'SAGETUNE_MAX_TICKS_PER_EXECUTION',
} as const;

/** Tags of the state machine, so that a program given only its ARN finds the stack's bucket and prefixes. */
export const STATE_MACHINE_TAGS = { bucket: 'sagetune:bucket', keyPrefix: 'sagetune:key-prefix', jobNamePrefix: 'sagetune:job-name-prefix' } as const;

/** How an empty key prefix is written in the stack's output and tag (CloudFormation refuses empty tag values). */
export const NO_KEY_PREFIX = '(none)';

/** Defaults of the numeric settings. */
export const SERVICE_DEFAULTS = { maxWaitSeconds: 900, maxTicksPerExecution: 1000 } as const;

/** The function's environment lacks or garbles a setting: a deployment problem, not a request's. */
export class ServiceConfigError extends StudyError {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ServiceConfigError(`Environment variable ${name} is not set: the function was not deployed by the sagetune construct`);
  return value;
}

function json<T>(env: Env, name: string, check: (v: unknown) => v is T): T | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ServiceConfigError(`Environment variable ${name} is not JSON: ${text.slice(0, 200)}`);
  }
  if (!check(value)) throw new ServiceConfigError(`Environment variable ${name} does not have the expected shape: ${text.slice(0, 200)}`);
  return value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ServiceConfigError(`Environment variable ${name} must be a whole number of at least 1, got ${text}`);
  return n;
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function isRoleAccess(v: unknown): v is NonNullable<ServiceConfig['roleAccess']> {
  const r = v as Record<string, unknown>;
  return typeof v === 'object' && v !== null && isStringList(r.read) && isStringList(r.write) && typeof r.vpc === 'boolean';
}

function isVpcConfig(v: unknown): v is NonNullable<ServiceConfig['defaultVpcConfig']> {
  const r = v as Record<string, unknown>;
  return typeof v === 'object' && v !== null && isStringList(r.SecurityGroupIds) && isStringList(r.Subnets);
}

/** Reads the service's settings from a function's environment. @throws ServiceConfigError naming the variable. */
export function serviceConfigFromEnv(env: Env = process.env): ServiceConfig {
  const keyPrefix = env[ENV.keyPrefix] ?? '';
  if (keyPrefix !== '' && !keyPrefix.endsWith('/')) throw new ServiceConfigError(`Environment variable ${ENV.keyPrefix} must be empty or end with /, got ${keyPrefix}`);
  const roleAccess = json(env, ENV.roleAccess, isRoleAccess);
  const defaultVpcConfig = json(env, ENV.defaultVpcConfig, isVpcConfig);
  return {
    bucket: required(env, ENV.bucket),
    keyPrefix,
    jobNamePrefix: env[ENV.jobNamePrefix] ?? '',
    executionRoleArn: required(env, ENV.executionRoleArn),
    defaultOutputPath: required(env, ENV.defaultOutputPath),
    ...(roleAccess ? { roleAccess } : {}),
    ...(defaultVpcConfig ? { defaultVpcConfig } : {}),
    maxWaitSeconds: positiveInt(env, ENV.maxWaitSeconds, SERVICE_DEFAULTS.maxWaitSeconds),
    maxTicksPerExecution: positiveInt(env, ENV.maxTicksPerExecution, SERVICE_DEFAULTS.maxTicksPerExecution),
  };
}

/** The S3 key under which the service keeps a study's files: `<keyPrefix>studies/<name>/`. */
export function studyKeyPrefix(config: Pick<ServiceConfig, 'keyPrefix'>, study: string): string {
  return `${config.keyPrefix}studies/${study}/`;
}
