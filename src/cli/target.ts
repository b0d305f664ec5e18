/**
 * Where a CLI command finds its studies: a folder on this machine (`--store-dir`, default `.sagetune/studies`), or a
 * deployed stack (`--stack <name>` or `--state-machine <arn>`). Every command reaches a study through the SDK's
 * handle, so a command works alike on both.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { StudyHandle, Studies } from '../sdk/types';
import type { Study } from '../study/types';
import { UsageError } from './errors';

/** The options that name where the studies are. */
export interface TargetOptions {
  readonly storeDir?: string;
  readonly stack?: string;
  readonly stateMachine?: string;
  readonly region?: string;
}

/** Adds `--store-dir`, `--stack`, `--state-machine` and `--region` to a command. */
export function withTarget(command: Command): Command {
  return command
    .option('--store-dir <dir>', 'folder of the studies on this machine (default .sagetune/studies)')
    .addOption(new Option('--stack <name>', 'a deployed stack, by its CloudFormation stack name (npx cdk deploy: Sagetune)').conflicts(['storeDir', 'stateMachine']))
    .addOption(new Option('--state-machine <arn>', "a deployed stack, by its state machine's ARN").conflicts(['storeDir']))
    .option('--region <region>', 'AWS region of the deployed stack (default: AWS_REGION, or the ARN\'s)');
}

/** Whether the options name a deployed stack. */
export function isDeployed(options: TargetOptions): boolean {
  return Boolean(options.stack || options.stateMachine);
}

/** The studies the options name. */
export async function openTarget(options: TargetOptions): Promise<Studies> {
  if (isDeployed(options)) {
    const { deployedStudies } = await import('../sdk/deployed');
    return deployedStudies({ stack: options.stack, stateMachineArn: options.stateMachine, region: options.region });
  }
  const { localStudies } = await import('../sdk/local');
  return localStudies({ storeDir: options.storeDir });
}

/** A study found by what the user typed: a name (or, on this machine, a study folder). */
export interface Opened {
  readonly handle: StudyHandle;
  readonly study: Study;
  /** A folder, or an s3:// URI. */
  readonly location: string;
  /** How to name the same target again on a command line (`--stack X`, `--store-dir d`, or nothing). */
  readonly targetArgs: string;
}

/** Opens a study by name (or folder, locally) at the options' target. */
export async function openStudy(ref: string, options: TargetOptions): Promise<Opened> {
  if (isDeployed(options)) {
    if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/.test(ref)) throw new UsageError(`${JSON.stringify(ref)} is not a study name (1 to 32 letters, digits and hyphens, as HyperParameterTuningJobName)`);
    const studies = await openTarget(options);
    const handle = await studies.attach(ref);
    const study = await handle.study();
    const described = await handle.describe();
    return { handle, study, location: described.location, targetArgs: options.stack ? ` --stack ${options.stack}` : ` --state-machine ${options.stateMachine}` };
  }
  const { openStudyRef } = await import('./io');
  const { localStudies } = await import('../sdk/local');
  const ref2 = await openStudyRef(ref, options.storeDir);
  const handle = await localStudies({ storeDir: ref2.store.root }).attach(ref2.name);
  return { handle, study: ref2.study, location: ref2.dir, targetArgs: options.storeDir ? ` --store-dir ${options.storeDir}` : '' };
}
