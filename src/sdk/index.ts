/**
 * The programmatic SDK: one study handle whatever runs the study, on this machine or on a deployed stack.
 *
 * ```ts
 * const studies = await openStudies({ stack: 'Sagetune' });   // or openStudies() for this machine
 * const study = await studies.start(request);
 * const final = await study.wait({ onProgress: (d) => console.log(d.status, d.trials) });
 * console.log(final.bestTrial);
 * ```
 */
import { deployedStudies, type DeployedStudiesOptions } from './deployed';
import { localStudies, type LocalStudiesOptions } from './local';
import type { Studies } from './types';

export { localStudies, LocalStudies, InProcessStudyHandle } from './local';
export type { LocalStudiesOptions, LocalStartOptions, InProcessRunResult } from './local';
export { deployedStudies, DeployedStudies, DeployedStudyHandle } from './deployed';
export type { DeployedStudiesOptions, DeployedStack } from './deployed';
export { SagetuneError, NotFoundError, AccessDeniedError, RequestInvalidError, ConflictError } from './errors';
export { describeStudy } from './handle';
export type { StudyHandle, StudyDescription, WaitOptions, Studies, StudySummary, StartOptions } from './types';

/** Options of {@link openStudies}: a deployed stack's (`stack` or `stateMachineArn`), else this machine's. */
export type OpenStudiesOptions = LocalStudiesOptions & Partial<DeployedStudiesOptions>;

/** The studies of a deployed stack when `stack` or `stateMachineArn` is given, else those of this machine. */
export async function openStudies(options: OpenStudiesOptions = {}): Promise<Studies> {
  return options.stack || options.stateMachineArn ? deployedStudies(options) : localStudies(options);
}
