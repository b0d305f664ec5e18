/**
 * Names of the SageMaker resources a study creates. Training jobs are named by the study layer (`trialJobName`:
 * deterministic, so a repeated tick adopts the job it finds); this module recognises them when reconciling, and
 * names the native tuning job. SageMaker's rules: `TrainingJobName` is at most 63 characters of
 * `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`, `HyperParameterTuningJobName` at most 32 of the same alphabet. A name that
 * must be shortened or sanitised gets a hash of the original, so two studies never map to the same name.
 */
import { createHash } from 'node:crypto';
import { SAGEMAKER_LIMITS } from '../../study/constants';
import { trialJobName } from '../../study/study';

/** Longest training-job name SageMaker accepts. */
export const MAX_TRAINING_JOB_NAME = SAGEMAKER_LIMITS.trainingJobName;
/** Longest hyperparameter-tuning-job name SageMaker accepts. */
export const MAX_TUNING_JOB_NAME = 32;
const HASH_LENGTH = 8;

const VALID_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

/** Replaces every run of characters SageMaker does not allow by one hyphen and trims hyphens at the ends. */
function sanitize(text: string): string {
  return text.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * A stem of at most `maxLength` valid characters that identifies `name`: `name` itself when it is valid and short
 * enough, otherwise its sanitised, truncated form followed by `-` and 8 hex digits of its SHA-256.
 */
export function nameStem(name: string, maxLength: number): string {
  if (name.length <= maxLength && VALID_NAME.test(name)) return name;
  const hash = shortHash(name);
  const room = maxLength - HASH_LENGTH - 1;
  const head = sanitize(sanitize(name).slice(0, Math.max(0, room)));
  return head.length > 0 ? `${head}-${hash}` : hash;
}

/**
 * The part every training job of a study shares, `<study>-`: the tick names trial attempts with the study
 * layer's `trialJobName` (`<study>-<trial, 3+ digits>[-<attempt>]`). ListTrainingJobs with this as `NameContains`
 * finds every job of the study; {@link parseTrialJobName} keeps those that are really its own.
 */
export function studyJobPrefix(study: string): string {
  return `${study}-`;
}

/**
 * Parses a training-job name made by `trialJobName` for this study: the trial number and attempt, or undefined for
 * any other name (another study whose name merely contains this one, a job not made by sagetune).
 */
export function parseTrialJobName(study: string, jobName: string): { trialNumber: number; attempt: number } | undefined {
  const prefix = studyJobPrefix(study);
  if (!jobName.startsWith(prefix)) return undefined;
  const match = /^(\d{3,})(?:-(\d+))?$/.exec(jobName.slice(prefix.length));
  if (!match) return undefined;
  const trialNumber = Number(match[1]);
  const attempt = match[2] === undefined ? 0 : Number(match[2]);
  // Only the canonical spelling is ours (no extra leading zeros, no "-0").
  return trialNumber >= 1 && trialJobName(study, trialNumber, attempt) === jobName ? { trialNumber, attempt } : undefined;
}

/** True when `name` is a valid SageMaker training-job name. */
export function isValidTrainingJobName(name: string): boolean {
  return name.length <= MAX_TRAINING_JOB_NAME && VALID_NAME.test(name);
}

/**
 * The name of the native tuning job that runs (or takes over) a study: the study's own name when the native
 * engine runs it from the start and that name is valid, otherwise a stem of it with a suffix telling the
 * take-over apart (`-n<trials before>`), within 32 characters.
 */
export function nativeTuningJobName(study: string, trialsBefore: number): string {
  if (trialsBefore === 0) return nameStem(study, MAX_TUNING_JOB_NAME);
  const suffix = `-n${trialsBefore}`;
  return `${nameStem(study, MAX_TUNING_JOB_NAME - suffix.length)}${suffix}`;
}
