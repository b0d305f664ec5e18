/**
 * A request as the deployed stack receives it (pasted into the Step Functions console, or sent by the CLI or SDK):
 * completed with what the stack provides, then checked against the request schema and against what the stack's
 * IAM policies allow, so that a request the stack cannot run is refused before anything is written or launched,
 * with a message that names the field, the value and what the stack allows.
 */
import type { RequestIssue } from '../study/errors';
import { RequestValidationError } from '../study/errors';
import { parseTuningRequest, type TuningRequest } from '../study/request';
import type { ServiceConfig } from './config';

type Json = Record<string, unknown>;

function rec(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The training job definitions of a raw request with their paths. */
function definitions(root: Json): [Json, string][] {
  const out: [Json, string][] = [];
  const single = rec(root.TrainingJobDefinition);
  if (single) out.push([single, 'TrainingJobDefinition']);
  if (Array.isArray(root.TrainingJobDefinitions)) {
    root.TrainingJobDefinitions.forEach((d, i) => {
      const def = rec(d);
      if (def) out.push([def, `TrainingJobDefinitions[${i}]`]);
    });
  }
  return out;
}

/**
 * Fills in what a request pasted into the console may leave out: the stack's execution role (`RoleArn`), its output
 * location (`OutputDataConfig.S3OutputPath`) and its VPC (`VpcConfig`, when the stack has one), in every training
 * job definition, and the stack's bucket for `s3://{bucket}/` in S3 URIs; and `Sagetune.Backend: sagemaker` (a
 * deployed stack runs trials as SageMaker training jobs).
 * `Sagetune.Resume` is taken out (it is an instruction to this execution, not part of the study). Returns a copy.
 */
export function completeRequest(raw: Json, config: ServiceConfig): Json {
  const root = structuredClone(raw);
  const sagetune = { ...(rec(root.Sagetune) ?? {}) };
  delete sagetune.Resume;
  if (sagetune.Backend === undefined && sagetune.Local === undefined) sagetune.Backend = 'sagemaker';
  root.Sagetune = sagetune;
  for (const [def] of definitions(root)) {
    fillBucket(def, config.bucket);
    if (def.RoleArn === undefined) def.RoleArn = config.executionRoleArn;
    const output = rec(def.OutputDataConfig);
    if (def.OutputDataConfig === undefined) def.OutputDataConfig = { S3OutputPath: config.defaultOutputPath };
    else if (output && output.S3OutputPath === undefined) output.S3OutputPath = config.defaultOutputPath;
    if (def.VpcConfig === undefined && config.defaultVpcConfig) def.VpcConfig = structuredClone(config.defaultVpcConfig);
  }
  return root;
}

/** The placeholder of the stack's bucket in S3 URIs (`s3://{bucket}/data/...`), so that examples run as they are. */
export const BUCKET_PLACEHOLDER = 's3://{bucket}/';

/** Replaces {@link BUCKET_PLACEHOLDER} at the start of every string of a training job definition, in place. */
function fillBucket(value: Json | unknown[], bucket: string): void {
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string' && v.startsWith(BUCKET_PLACEHOLDER)) (value as Record<string, unknown>)[key] = `s3://${bucket}/${v.slice(BUCKET_PLACEHOLDER.length)}`;
    else if (v !== null && typeof v === 'object') fillBucket(v as Json, bucket);
  }
}

function withSlash(uri: string): string {
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/** True when `uri` lies under one of `prefixes` (each `s3://bucket/` or `s3://bucket/key/prefix/`). */
export function s3UnderAny(uri: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => withSlash(uri).startsWith(withSlash(p)) || uri.startsWith(withSlash(p)));
}

function list(prefixes: readonly string[]): string {
  return prefixes.length === 0 ? 'nothing' : prefixes.join(', ');
}

/** What the stack allows that a completed request breaks: the name prefix, the role, S3 locations, a VPC. */
export function stackIssues(root: Json, config: ServiceConfig): RequestIssue[] {
  const issues: RequestIssue[] = [];
  const name = root.HyperParameterTuningJobName;
  if (typeof name === 'string' && config.jobNamePrefix && !name.startsWith(config.jobNamePrefix)) {
    issues.push({
      path: 'HyperParameterTuningJobName',
      message: `must start with ${JSON.stringify(config.jobNamePrefix)}, this stack's job-name prefix: its IAM policy lets it create SageMaker jobs only under that prefix${
        `${config.jobNamePrefix}${name}`.length <= 32 ? ` (e.g. ${JSON.stringify(`${config.jobNamePrefix}${name}`)})` : ''
      }`,
      received: name,
    });
  }
  const sagetune = rec(root.Sagetune);
  if (sagetune?.Backend === 'local' || sagetune?.Local !== undefined) {
    issues.push({
      path: sagetune?.Local !== undefined ? 'Sagetune.Local' : 'Sagetune.Backend',
      message: "is for trials run on your machine: a deployed stack runs every trial as a SageMaker training job (leave out Sagetune.Backend and Sagetune.Local, and give a TrainingImage or AlgorithmName)",
      ...(sagetune?.Local === undefined ? { received: sagetune?.Backend } : {}),
    });
  }
  const access = config.roleAccess;
  for (const [def, path] of definitions(root)) {
    if (typeof def.RoleArn === 'string' && def.RoleArn !== config.executionRoleArn) {
      issues.push({
        path: `${path}.RoleArn`,
        message: `is not a role this stack may pass to SageMaker: it may pass only its execution role ${config.executionRoleArn} (leave RoleArn out to use it)`,
        received: def.RoleArn,
      });
    }
    if (!access) continue;
    const output = rec(def.OutputDataConfig)?.S3OutputPath;
    if (typeof output === 'string' && output.startsWith('s3://') && !s3UnderAny(output, access.write)) {
      issues.push({ path: `${path}.OutputDataConfig.S3OutputPath`, message: `is not where the stack's execution role may write: ${list(access.write)} (leave it out to use ${config.defaultOutputPath})`, received: output });
    }
    const checkpoint = rec(def.CheckpointConfig)?.S3Uri;
    if (typeof checkpoint === 'string' && checkpoint.startsWith('s3://') && !s3UnderAny(checkpoint, access.write)) {
      issues.push({ path: `${path}.CheckpointConfig.S3Uri`, message: `is not where the stack's execution role may write: ${list(access.write)}`, received: checkpoint });
    }
    const channels = Array.isArray(def.InputDataConfig) ? def.InputDataConfig : [];
    channels.forEach((channel, i) => {
      const uri = rec(rec(rec(channel)?.DataSource)?.S3DataSource)?.S3Uri;
      if (typeof uri === 'string' && uri.startsWith('s3://') && !s3UnderAny(uri, [...access.read, ...access.write])) {
        issues.push({
          path: `${path}.InputDataConfig[${i}].DataSource.S3DataSource.S3Uri`,
          message: `is not where the stack's execution role may read: ${list([...access.read, ...access.write])} (upload the data there, or deploy the stack with the bucket in dataBuckets)`,
          received: uri,
        });
      }
    });
    if (def.VpcConfig !== undefined && !access.vpc) {
      issues.push({
        path: `${path}.VpcConfig`,
        message: "needs an execution role allowed to create network interfaces: deploy the stack with a VPC (its vpc property) to run training jobs in one",
      });
    }
  }
  return issues;
}

/**
 * Completes and checks a request for the deployed stack.
 * @throws RequestValidationError listing every problem: the request schema's and the stack's.
 */
export function parseDeployedRequest(input: unknown, config: ServiceConfig): TuningRequest {
  const raw = rec(input);
  if (!raw) {
    throw new RequestValidationError([
      { path: '(root)', message: 'the execution input must be a JSON object: a CreateHyperParameterTuningJob request', received: input },
    ]);
  }
  const completed = completeRequest(raw, config);
  const issues: RequestIssue[] = [];
  let request: TuningRequest | undefined;
  try {
    request = parseTuningRequest(completed);
  } catch (error) {
    if (!(error instanceof RequestValidationError)) throw error;
    issues.push(...error.issues);
  }
  const stack = stackIssues(completed, config);
  // A local-trials request is one mistake for the stack: the schema's complaints about its local options go.
  const local = stack.some((i) => i.path === 'Sagetune.Local' || i.path === 'Sagetune.Backend');
  const kept = local ? issues.filter((i) => !i.path.startsWith('Sagetune.Local') && !i.path.startsWith('Sagetune.Backend')) : issues;
  const seen = new Set(kept.map((i) => i.path));
  issues.splice(0, issues.length, ...kept);
  for (const issue of stack) if (!seen.has(issue.path)) issues.push(issue);
  if (issues.length > 0 || !request) throw new RequestValidationError(issues);
  return request;
}

/** True when the input asks to resume an ended study (`Sagetune.Resume: true`). */
export function asksToResume(input: unknown): boolean {
  return rec(rec(input)?.Sagetune)?.Resume === true;
}
