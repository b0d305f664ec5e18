/**
 * The EventBridge events the deployed service reacts to, read defensively (an event of another shape is ignored,
 * never thrown on):
 * - SageMaker's "SageMaker Training Job State Change" and "SageMaker HyperParameter Tuning Job State Change": a job of
 *   the stack's ended, so the execution waiting for its study is woken;
 * - Step Functions' "Step Functions Execution Status Change": an execution was stopped, timed out or failed, so its
 *   study's jobs are stopped.
 */
import { STUDY_TAG } from '../study/constants';
import type { JobEvent } from './wait-record';

type Json = Record<string, unknown>;

function rec(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The value of a tag in an event's `Tags`, which SageMaker sends as a map (and the API as a list of Key/Value). */
function tagValue(tags: unknown, key: string): string | undefined {
  if (Array.isArray(tags)) {
    const found = tags.map(rec).find((t) => t?.Key === key);
    return typeof found?.Value === 'string' ? found.Value : undefined;
  }
  const value = rec(tags)?.[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Study names a training job's name can belong to (`<study>-<trial, 3+ digits>[-<attempt>]`): `x-123-150` is trial
 * 150 of study `x-123`, or attempt 150 of trial 123 of study `x`.
 */
export function studiesOfJobName(jobName: string): string[] {
  const out: string[] = [];
  const withAttempt = /^(.+)-\d{3,}-\d+$/.exec(jobName);
  const plain = /^(.+)-\d{3,}$/.exec(jobName);
  if (plain) out.push(plain[1]);
  if (withAttempt && !out.includes(withAttempt[1])) out.push(withAttempt[1]);
  return out;
}

/** A job's state change: the job and the studies it may belong to (the study tag's, when the event carries it). */
export interface ParsedJobEvent {
  readonly event: JobEvent;
  readonly studies: string[];
}

/** Reads a SageMaker job state-change event; undefined for anything else. */
export function parseJobEvent(input: unknown): ParsedJobEvent | undefined {
  const event = rec(input);
  const detail = rec(event?.detail);
  if (!event || !detail || event.source !== 'aws.sagemaker') return undefined;
  if (event['detail-type'] === 'SageMaker Training Job State Change') {
    const name = detail.TrainingJobName;
    const status = detail.TrainingJobStatus;
    if (typeof name !== 'string' || typeof status !== 'string') return undefined;
    const tagged = tagValue(detail.Tags, STUDY_TAG);
    return { event: { kind: 'training-job', name, status }, studies: tagged ? [tagged] : studiesOfJobName(name) };
  }
  if (event['detail-type'] === 'SageMaker HyperParameter Tuning Job State Change') {
    const name = detail.HyperParameterTuningJobName;
    const status = detail.HyperParameterTuningJobStatus;
    if (typeof name !== 'string' || typeof status !== 'string') return undefined;
    const tagged = tagValue(detail.Tags, STUDY_TAG);
    return { event: { kind: 'tuning-job', name, status }, studies: [tagged ?? name] };
  }
  return undefined;
}

/** An execution that ended without finishing its study. */
export interface ExecutionEnded {
  readonly executionArn: string;
  readonly status: 'ABORTED' | 'TIMED_OUT' | 'FAILED';
  /** The execution input as a JSON string, when the event carries it. */
  readonly input?: string;
}

/** Reads a Step Functions execution status-change event for an aborted, timed-out or failed execution. */
export function parseExecutionEnded(input: unknown): ExecutionEnded | undefined {
  const event = rec(input);
  const detail = rec(event?.detail);
  if (!event || !detail || event.source !== 'aws.states' || event['detail-type'] !== 'Step Functions Execution Status Change') return undefined;
  const status = detail.status;
  if (typeof detail.executionArn !== 'string' || (status !== 'ABORTED' && status !== 'TIMED_OUT' && status !== 'FAILED')) return undefined;
  return { executionArn: detail.executionArn, status, ...(typeof detail.input === 'string' ? { input: detail.input } : {}) };
}

/** The study an execution input names: a request's `HyperParameterTuningJobName`, or a continuation's study. */
export function studyOfExecutionInput(input: string | undefined): string | undefined {
  if (input === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch {
    return undefined;
  }
  const root = rec(value);
  const name = root?.HyperParameterTuningJobName ?? rec(root?.SagetuneContinuation)?.StudyName;
  return typeof name === 'string' && name !== '' ? name : undefined;
}
