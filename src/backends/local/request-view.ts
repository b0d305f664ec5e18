/**
 * The parts of a tuning request that the local backend uses, read defensively from the request object (the
 * study layer validates the request's overall shape; this reads only what running a trial locally needs and says
 * precisely what is wrong with it).
 */
import type { RequestIssue } from '../../study/errors';
import type { TuningRequest } from '../../study/request';
import type { MetricDefinition } from './metrics';

/** SageMaker's default `StoppingCondition.MaxRuntimeInSeconds` (one day). */
export const DEFAULT_MAX_RUNTIME_SECONDS = 86_400;

/** One `InputDataConfig` channel. */
export interface ChannelView {
  readonly name: string;
  /** Where the data is: an S3 URI, a `file://` URI, a plain path, or a file-system directory. */
  readonly location?: string;
  /** Dotted path of the location field, for messages. */
  readonly field: string;
  readonly inputMode?: string;
  readonly contentType?: string;
  readonly raw: Record<string, unknown>;
}

export interface LocalRequestView {
  /** `Sagetune.Local.Command`, when it is a non-empty array of strings. */
  readonly command?: readonly string[];
  /** Dotted path of the training job definition used (`TrainingJobDefinition` or `TrainingJobDefinitions[0]`). */
  readonly definitionField: string;
  readonly metricDefinitions: readonly MetricDefinition[];
  /** `HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName`. */
  readonly objectiveMetricName?: string;
  /** `StoppingCondition.MaxRuntimeInSeconds`, default {@link DEFAULT_MAX_RUNTIME_SECONDS}. */
  readonly maxRuntimeSeconds: number;
  /** `StaticHyperParameters` (strings, as the API has them). */
  readonly staticHyperParameters: Readonly<Record<string, string>>;
  /** `Environment` of the training job definition. */
  readonly environment: Readonly<Record<string, string>>;
  readonly channels: readonly ChannelView[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, field: string, issues: RequestIssue[]): Record<string, string> {
  if (v === undefined) return {};
  if (!isRecord(v)) {
    issues.push({ path: field, message: 'must be an object of string values', received: v });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    else issues.push({ path: `${field}.${k}`, message: 'must be a string (the SageMaker API passes every value as a string)', received: val });
  }
  return out;
}

/** Reads the local-run view of a request; `issues` lists what is malformed in the fields it reads. */
export function readLocalRequest(request: TuningRequest | Record<string, unknown>): { view: LocalRequestView; issues: RequestIssue[] } {
  const issues: RequestIssue[] = [];
  const req = request as Record<string, unknown>;

  let command: string[] | undefined;
  const sagetune = req.Sagetune;
  const local = isRecord(sagetune) ? sagetune.Local : undefined;
  const rawCommand = isRecord(local) ? local.Command : undefined;
  if (rawCommand === undefined) {
    issues.push({
      path: 'Sagetune.Local.Command',
      message: 'is required to run trials locally: the training command as an array of arguments, e.g. ["python3", "train.py"]',
    });
  } else if (!Array.isArray(rawCommand) || rawCommand.length === 0 || rawCommand.some((a) => typeof a !== 'string')) {
    issues.push({
      path: 'Sagetune.Local.Command',
      message:
        'must be a non-empty array of strings, one per argument (it is run directly, never through a shell), e.g. ["python3", "train.py"]',
      received: rawCommand,
    });
  } else if ((rawCommand as string[])[0].trim() === '') {
    issues.push({ path: 'Sagetune.Local.Command[0]', message: 'must name a program, not be empty', received: rawCommand[0] });
  } else {
    command = rawCommand as string[];
  }

  let definition: Record<string, unknown> | undefined;
  let definitionField = 'TrainingJobDefinition';
  if (isRecord(req.TrainingJobDefinition)) {
    definition = req.TrainingJobDefinition;
  } else if (Array.isArray(req.TrainingJobDefinitions) && req.TrainingJobDefinitions.length > 0) {
    definitionField = 'TrainingJobDefinitions[0]';
    if (req.TrainingJobDefinitions.length > 1) {
      issues.push({
        path: 'TrainingJobDefinitions',
        message: 'local runs support a single training job definition; use TrainingJobDefinition or one entry',
        received: `${req.TrainingJobDefinitions.length} definitions`,
      });
    }
    if (isRecord(req.TrainingJobDefinitions[0])) definition = req.TrainingJobDefinitions[0];
  }
  if (!definition) {
    issues.push({ path: 'TrainingJobDefinition', message: 'is required: it holds the MetricDefinitions that give the objective its values' });
    definition = {};
  }

  const metricDefinitions: MetricDefinition[] = [];
  const algo = definition.AlgorithmSpecification;
  const rawDefs = isRecord(algo) ? algo.MetricDefinitions : undefined;
  const defsField = `${definitionField}.AlgorithmSpecification.MetricDefinitions`;
  if (rawDefs === undefined) {
    issues.push({ path: defsField, message: 'is required: a local run reads every metric, the objective included, from these regexes' });
  } else if (!Array.isArray(rawDefs)) {
    issues.push({ path: defsField, message: 'must be an array of { "Name": ..., "Regex": ... }', received: rawDefs });
  } else {
    rawDefs.forEach((d, i) => {
      if (!isRecord(d) || typeof d.Name !== 'string' || d.Name === '' || typeof d.Regex !== 'string' || d.Regex === '') {
        issues.push({ path: `${defsField}[${i}]`, message: 'must be { "Name": <non-empty string>, "Regex": <non-empty string> }', received: d });
      } else {
        metricDefinitions.push({ Name: d.Name, Regex: d.Regex });
      }
    });
  }

  const config = req.HyperParameterTuningJobConfig;
  const objective = isRecord(config) ? config.HyperParameterTuningJobObjective : undefined;
  const objectiveMetricName = isRecord(objective) && typeof objective.MetricName === 'string' ? objective.MetricName : undefined;

  let maxRuntimeSeconds = DEFAULT_MAX_RUNTIME_SECONDS;
  const stopping = definition.StoppingCondition;
  const rawMax = isRecord(stopping) ? stopping.MaxRuntimeInSeconds : undefined;
  if (rawMax !== undefined) {
    if (typeof rawMax !== 'number' || !Number.isInteger(rawMax) || rawMax < 1) {
      issues.push({
        path: `${definitionField}.StoppingCondition.MaxRuntimeInSeconds`,
        message: 'must be a whole number of seconds >= 1',
        received: rawMax,
      });
    } else {
      maxRuntimeSeconds = rawMax;
    }
  }

  const staticHyperParameters = stringMap(definition.StaticHyperParameters, `${definitionField}.StaticHyperParameters`, issues);
  const environment = stringMap(definition.Environment, `${definitionField}.Environment`, issues);

  const channels: ChannelView[] = [];
  const rawChannels = definition.InputDataConfig;
  if (rawChannels !== undefined && !Array.isArray(rawChannels)) {
    issues.push({ path: `${definitionField}.InputDataConfig`, message: 'must be an array of channels', received: rawChannels });
  } else if (Array.isArray(rawChannels)) {
    rawChannels.forEach((c, i) => {
      const field = `${definitionField}.InputDataConfig[${i}]`;
      if (!isRecord(c) || typeof c.ChannelName !== 'string' || !/^[A-Za-z0-9.\-_]+$/.test(c.ChannelName)) {
        issues.push({ path: `${field}.ChannelName`, message: 'must be a channel name of letters, digits, ".", "-" or "_"', received: isRecord(c) ? c.ChannelName : c });
        return;
      }
      const ds = isRecord(c.DataSource) ? c.DataSource : {};
      let location: string | undefined;
      let locField = `${field}.DataSource.S3DataSource.S3Uri`;
      if (isRecord(ds.S3DataSource) && typeof ds.S3DataSource.S3Uri === 'string') {
        location = ds.S3DataSource.S3Uri;
      } else if (isRecord(ds.FileSystemDataSource) && typeof ds.FileSystemDataSource.DirectoryPath === 'string') {
        location = ds.FileSystemDataSource.DirectoryPath;
        locField = `${field}.DataSource.FileSystemDataSource.DirectoryPath`;
      }
      channels.push({
        name: c.ChannelName,
        location,
        field: locField,
        inputMode: typeof c.InputMode === 'string' ? c.InputMode : undefined,
        contentType: typeof c.ContentType === 'string' ? c.ContentType : undefined,
        raw: c,
      });
    });
  }

  return {
    view: {
      command,
      definitionField,
      metricDefinitions,
      objectiveMetricName,
      maxRuntimeSeconds,
      staticHyperParameters,
      environment,
      channels,
    },
    issues,
  };
}
