/**
 * Loading a tuning request for `run` and `validate`: the JSON file, the command-line overrides, the schema
 * check and, for a local run, the checks of the command, its script, local channels and metric regexes, with
 * every problem reported at once.
 */
import * as path from 'node:path';
import { checkRequest } from '../sdk/request';
import type { TuningRequest } from '../study/request';
import { effectiveParallel } from '../study/study';
import { formatDuration } from '../report/format';
import { readJsonInput } from '../study/json';

/** Command-line options that override fields of the request file. */
export interface RequestOverrides {
  /** `HyperParameterTuningJobName` (the study name). */
  readonly name?: string;
  /** `Sagetune.Backend`. */
  readonly backend?: string;
  /** `Sagetune.Engine`. */
  readonly engine?: string;
  /** `Sagetune.Local.MaxParallel`: caps parallel local trials (a runtime setting: changing it does not block a resume). */
  readonly parallel?: number;
}

/** A request ready to run, with where its relative paths resolve. */
export interface LoadedRequest {
  readonly request: TuningRequest;
  /** The request file. */
  readonly file: string;
  /**
   * The folder that relative paths of `Sagetune.Local.Command` and local channels resolve against, and the
   * working directory of the training command: `Sagetune.Local.WorkingDirectory` resolved against the request
   * file's folder, or that folder itself.
   */
  readonly baseDir: string;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Applies the overrides to the raw JSON (before validation, so that an override is checked like the file). */
export function applyOverrides(raw: unknown, overrides: RequestOverrides): unknown {
  const root = record(raw);
  if (!root) return raw;
  const out: Record<string, unknown> = { ...root };
  if (overrides.name !== undefined) out.HyperParameterTuningJobName = overrides.name;
  if (overrides.backend !== undefined || overrides.engine !== undefined || overrides.parallel !== undefined) {
    const sagetune: Record<string, unknown> = { ...(record(root.Sagetune) ?? {}) };
    if (overrides.backend !== undefined) sagetune.Backend = overrides.backend;
    if (overrides.engine !== undefined) sagetune.Engine = overrides.engine;
    if (overrides.parallel !== undefined) sagetune.Local = { ...(record(sagetune.Local) ?? {}), MaxParallel: overrides.parallel };
    out.Sagetune = sagetune;
  }
  return out;
}

/** The base folder of a request (see {@link LoadedRequest.baseDir}). */
export function requestBaseDir(raw: unknown, file: string): string {
  const fileDir = file === '-' ? process.cwd() : path.dirname(path.resolve(file));
  const workDir = record(record(record(raw)?.Sagetune)?.Local)?.WorkingDirectory;
  return typeof workDir === 'string' && workDir !== '' ? path.resolve(fileDir, workDir) : fileDir;
}

/**
 * Reads, overrides and checks a request. Throws `RequestFileError` (unreadable file, bad JSON with line and
 * column) or `RequestValidationError` listing every problem: schema, cross-field rules, and for the local
 * backend the command, script, channels and metric definitions.
 */
export async function loadRequest(file: string, overrides: RequestOverrides = {}, stdin?: NodeJS.ReadableStream): Promise<LoadedRequest> {
  const raw = applyOverrides(await readJsonInput(file, stdin), overrides);
  const source = file === '-' ? '<stdin>' : file;
  const baseDir = requestBaseDir(raw, file);
  const request = checkRequest(raw, { source, baseDir, renamed: overrides.name !== undefined ? '--name' : undefined });
  return { request, file, baseDir };
}

/** One-line description of a request's search space and budget, for `validate`. */
export function requestSummary(request: TuningRequest): string {
  const config = request.HyperParameterTuningJobConfig;
  const ranges = config.ParameterRanges ?? {};
  const parts: string[] = [];
  for (const r of ranges.IntegerParameterRanges ?? []) parts.push(`${r.Name} integer ${r.MinValue}..${r.MaxValue}${r.ScalingType && r.ScalingType !== 'Auto' ? ` ${r.ScalingType.toLowerCase()}` : ''}`);
  for (const r of ranges.ContinuousParameterRanges ?? []) parts.push(`${r.Name} ${r.MinValue}..${r.MaxValue}${r.ScalingType && r.ScalingType !== 'Auto' ? ` ${r.ScalingType.toLowerCase()}` : ''}`);
  for (const r of ranges.CategoricalParameterRanges ?? []) parts.push(`${r.Name} {${r.Values.join(', ')}}`);
  const objective = config.HyperParameterTuningJobObjective;
  const limits = config.ResourceLimits;
  const runtime = limits.MaxRuntimeInSeconds ? `, at most ${formatDuration(limits.MaxRuntimeInSeconds)}` : '';
  return (
    `study ${request.HyperParameterTuningJobName}: ${config.Strategy} search over ${parts.length} hyperparameter${parts.length === 1 ? '' : 's'} ` +
    `(${parts.join('; ')}) to ${objective?.Type === 'Maximize' ? 'maximize' : 'minimize'} ${objective?.MetricName ?? 'the objective'}; ` +
    `${limits.MaxNumberOfTrainingJobs ?? 'unlimited'} trials, ${effectiveParallel(request)} in parallel${runtime}; ${request.Sagetune.Backend} backend`
  );
}

/**
 * Warnings about a request that is valid but likely to surprise: one-letter hyperparameter names reach a local
 * training script as `-x value` (as SageMaker's training toolkit passes them), which a script expecting `--x` misses.
 */
export function requestWarnings(request: TuningRequest): string[] {
  if (request.Sagetune.Backend !== 'local' || request.Sagetune.Engine === 'native') return [];
  const ranges = request.HyperParameterTuningJobConfig.ParameterRanges ?? {};
  const names = [
    ...[...(ranges.IntegerParameterRanges ?? []), ...(ranges.ContinuousParameterRanges ?? []), ...(ranges.CategoricalParameterRanges ?? [])].map((r) => r.Name),
    ...Object.keys(request.TrainingJobDefinition?.StaticHyperParameters ?? {}),
  ];
  return names
    .filter((n) => [...n].length === 1)
    .map((n) => `hyperparameter ${JSON.stringify(n)} has a one-letter name: the training command gets it as "-${n} <value>" (as SageMaker's training toolkit passes it), not "--${n}"; a script that parses --${n} will not see it (it is also in SM_HPS)`);
}
