/**
 * SageMaker's script-mode contract, reproduced for a local process so that one training script runs unchanged
 * here and in a SageMaker training container (as the sagemaker-training toolkit sets it up):
 *
 * - hyperparameters (static ones from `StaticHyperParameters`, then the tuned ones) as command-line arguments
 *   `--name value` sorted by name (`-n value` for a one-letter name), as `SM_HPS` (JSON, each value decoded as
 *   JSON where it parses, like the toolkit does) and as `SM_HP_<NAME>`; `sagemaker_*` hyperparameters are
 *   framework parameters and are left out of both, as the toolkit does;
 * - folders: `SM_MODEL_DIR` (`model/`), `SM_OUTPUT_DIR` (`output/`), `SM_OUTPUT_DATA_DIR` (`output/data/`),
 *   `SM_OUTPUT_INTERMEDIATE_DIR`, `SM_INPUT_DIR`, `SM_INPUT_CONFIG_DIR`, all inside the trial folder, and the
 *   config files SageMaker writes (`input/config/hyperparameters.json`, `inputdataconfig.json`, `resourceconfig.json`);
 * - data: `SM_CHANNEL_<NAME>` for each channel whose location is local, and `SM_CHANNELS` (JSON list of names);
 * - `SM_TRAINING_ENV` (the toolkit's JSON summary of all of the above), `SM_CURRENT_HOST`, `SM_HOSTS`,
 *   `SM_NUM_CPUS`, `SM_NUM_GPUS`, `TRAINING_JOB_NAME`; and `PYTHONUNBUFFERED=1` (as SageMaker's containers set it,
 *   so that metric lines arrive when they are printed) unless the environment already sets it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HyperParameters } from '../../core/types';
import type { ChannelView, LocalRequestView } from './request-view';

/** The folders of one trial. */
export interface TrialLayout {
  readonly trialDir: string;
  readonly modelDir: string;
  readonly outputDir: string;
  readonly outputDataDir: string;
  readonly outputIntermediateDir: string;
  readonly inputDir: string;
  readonly inputConfigDir: string;
  readonly inputDataDir: string;
}

export function trialLayout(trialDir: string): TrialLayout {
  return {
    trialDir,
    modelDir: path.join(trialDir, 'model'),
    outputDir: path.join(trialDir, 'output'),
    outputDataDir: path.join(trialDir, 'output', 'data'),
    outputIntermediateDir: path.join(trialDir, 'output', 'intermediate'),
    inputDir: path.join(trialDir, 'input'),
    inputConfigDir: path.join(trialDir, 'input', 'config'),
    inputDataDir: path.join(trialDir, 'input', 'data'),
  };
}

/** Where a channel's data is, for a local run. */
export type ChannelLocation = { readonly local: string } | { readonly remote: string };

/**
 * Resolves a channel location: `file:///abs/path`, `file://relative/path`, `file:relative`, or a plain path
 * (relative paths resolve against `baseDir`) are local; any other `scheme://` (such as `s3://`) is remote.
 */
export function resolveChannelLocation(location: string, baseDir: string): ChannelLocation {
  if (/^file:\/\/\//i.test(location)) return { local: fileURLToPath(location) };
  if (/^file:/i.test(location)) return { local: path.resolve(baseDir, decodeURIComponent(location.replace(/^file:(\/\/)?/i, ''))) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return { remote: location };
  return { local: path.resolve(baseDir, location) };
}

const HOST = 'algo-1';

/** A hyperparameter value as the toolkit decodes it from the string SageMaker passes. */
type Decoded = string | number | boolean | null | Decoded[] | { [k: string]: Decoded };

function decode(text: string): Decoded {
  try {
    return JSON.parse(text) as Decoded;
  } catch {
    return text;
  }
}

/** `str(value)` in Python, for the toolkit's command-line arguments. */
function pythonStr(value: Decoded, original: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return original.trim();
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null) return '';
  if (Array.isArray(value)) return JSON.stringify(value);
  return Object.keys(value)
    .sort()
    .map((k) => `${k}=${typeof value[k] === 'string' ? value[k] : JSON.stringify(value[k])}`)
    .join(',');
}

/** The string SageMaker would pass for a tuned value. */
function apiString(value: number | string): string {
  return typeof value === 'number' ? String(value) : value;
}

export interface ScriptModeContract {
  /** Hyperparameter arguments to append to the command. */
  readonly args: string[];
  /** Variables to add to the inherited environment. */
  readonly env: Record<string, string>;
  /** Files to write, by absolute path, as JSON. */
  readonly files: Record<string, unknown>;
  /** Channel folders to create as a symbolic link to a single data file: `{ link, target }`. */
  readonly links: { link: string; target: string }[];
}

export interface ContractInput {
  readonly view: LocalRequestView;
  readonly hyperParameters: HyperParameters;
  readonly jobName: string;
  readonly layout: TrialLayout;
  /** Local paths of the channels, by channel name (channels that are not local are left out). */
  readonly channelPaths: Readonly<Record<string, string>>;
  readonly numCpus: number;
  /** The user's script, for `SM_TRAINING_ENV.user_entry_point`. */
  readonly entryPoint?: string;
}

/** Builds the arguments, environment and files of SageMaker's script-mode contract for one trial. */
export function buildScriptModeContract(input: ContractInput): ScriptModeContract {
  const { view, layout } = input;
  const asStrings: Record<string, string> = { ...view.staticHyperParameters };
  for (const [k, v] of Object.entries(input.hyperParameters)) asStrings[k] = apiString(v);

  const hps: Record<string, Decoded> = {};
  const frameworkParams: Record<string, Decoded> = {};
  for (const [k, v] of Object.entries(asStrings)) {
    if (k.startsWith('sagemaker_')) frameworkParams[k] = decode(v);
    else hps[k] = decode(v);
  }
  const args: string[] = [];
  for (const k of Object.keys(hps).sort()) {
    args.push(k.length > 1 ? `--${k}` : `-${k}`, pythonStr(hps[k], asStrings[k]));
  }

  const channelNames = Object.keys(input.channelPaths).sort();
  const links: { link: string; target: string }[] = [];
  const channelDirs: Record<string, string> = {};
  for (const name of channelNames) {
    const p = input.channelPaths[name];
    let isFile = false;
    try {
      isFile = fs.statSync(p).isFile();
    } catch {
      // A missing path is reported by validation; the script sees the path it was given.
    }
    if (isFile) {
      // SageMaker always hands a channel over as a folder; a single file is linked into one.
      const dir = path.join(layout.inputDataDir, name);
      links.push({ link: path.join(dir, path.basename(p)), target: p });
      channelDirs[name] = dir;
    } else {
      channelDirs[name] = p;
    }
  }

  const inputDataConfig: Record<string, Record<string, unknown>> = {};
  for (const c of view.channels) {
    if (!(c.name in channelDirs)) continue;
    inputDataConfig[c.name] = channelConfig(c);
  }
  const resourceConfig = { current_host: HOST, current_group_name: 'homogeneousCluster', hosts: [HOST], network_interface_name: 'eth0' };

  const trainingEnv = {
    additional_framework_parameters: frameworkParams,
    channel_input_dirs: channelDirs,
    current_host: HOST,
    current_instance_group: 'homogeneousCluster',
    current_instance_type: 'local',
    distribution_hosts: [],
    distribution_instance_groups: [],
    framework_module: null,
    hosts: [HOST],
    hyperparameters: hps,
    input_config_dir: layout.inputConfigDir,
    input_data_config: inputDataConfig,
    input_dir: layout.inputDir,
    instance_groups: ['homogeneousCluster'],
    is_hetero: false,
    is_master: true,
    is_modelparallel_enabled: null,
    job_name: input.jobName,
    log_level: 20,
    master_hostname: HOST,
    model_dir: layout.modelDir,
    module_dir: input.entryPoint ? path.dirname(input.entryPoint) : null,
    module_name: input.entryPoint ? path.basename(input.entryPoint).replace(/\.py$/, '') : null,
    network_interface_name: 'eth0',
    num_cpus: input.numCpus,
    num_gpus: 0,
    num_neurons: 0,
    output_data_dir: layout.outputDataDir,
    output_dir: layout.outputDir,
    output_intermediate_dir: layout.outputIntermediateDir,
    resource_config: resourceConfig,
    user_entry_point: input.entryPoint ?? null,
  };

  const env: Record<string, string> = {
    ...view.environment,
    TRAINING_JOB_NAME: input.jobName,
    SM_TRAINING_ENV: JSON.stringify(trainingEnv),
    SM_HPS: JSON.stringify(hps),
    SM_USER_ARGS: JSON.stringify(args),
    SM_MODEL_DIR: layout.modelDir,
    SM_OUTPUT_DIR: layout.outputDir,
    SM_OUTPUT_DATA_DIR: layout.outputDataDir,
    SM_OUTPUT_INTERMEDIATE_DIR: layout.outputIntermediateDir,
    SM_INPUT_DIR: layout.inputDir,
    SM_INPUT_CONFIG_DIR: layout.inputConfigDir,
    SM_CHANNELS: JSON.stringify(channelNames),
    SM_CURRENT_HOST: HOST,
    SM_CURRENT_INSTANCE_TYPE: 'local',
    SM_HOSTS: JSON.stringify([HOST]),
    SM_NETWORK_INTERFACE_NAME: 'eth0',
    SM_NUM_CPUS: String(input.numCpus),
    SM_NUM_GPUS: '0',
    SM_LOG_LEVEL: '20',
    SM_IS_MASTER: 'true',
    SM_FRAMEWORK_PARAMS: JSON.stringify(frameworkParams),
    SM_RESOURCE_CONFIG: JSON.stringify(resourceConfig),
    SM_INPUT_DATA_CONFIG: JSON.stringify(inputDataConfig),
  };
  if (input.entryPoint) env.SM_USER_ENTRY_POINT = input.entryPoint;
  for (const [k, v] of Object.entries(hps)) env[`SM_HP_${k.toUpperCase()}`] = typeof v === 'string' ? v : JSON.stringify(v);
  for (const name of channelNames) env[`SM_CHANNEL_${name.toUpperCase()}`] = channelDirs[name];

  const files: Record<string, unknown> = {
    [path.join(layout.inputConfigDir, 'hyperparameters.json')]: asStrings,
    [path.join(layout.inputConfigDir, 'inputdataconfig.json')]: inputDataConfig,
    [path.join(layout.inputConfigDir, 'resourceconfig.json')]: resourceConfig,
  };
  return { args, env, files, links };
}

function channelConfig(c: ChannelView): Record<string, unknown> {
  const cfg: Record<string, unknown> = {
    TrainingInputMode: c.inputMode ?? 'File',
    S3DistributionType: 'FullyReplicated',
    RecordWrapperType: typeof c.raw.RecordWrapperType === 'string' ? c.raw.RecordWrapperType : 'None',
  };
  if (c.contentType) cfg.ContentType = c.contentType;
  return cfg;
}
