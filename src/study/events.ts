/** Progress events of a study, for a live display (the CLI) or a log. `time` is milliseconds since the epoch. */
import type { HyperParameters } from '../core/types';
import type { StudyStatus } from './types';

export type StudyEvent =
  | { type: 'study-started'; time: number; study: string; resumed: boolean }
  | { type: 'trial-launched'; time: number; trial: number; jobName: string; attempt: number; hyperParameters: HyperParameters; adopted: boolean }
  | { type: 'trial-completed'; time: number; trial: number; jobName: string; objective: number }
  | { type: 'trial-failed'; time: number; trial: number; jobName: string; reason: string; retrying: boolean }
  | { type: 'trial-stopped'; time: number; trial: number; jobName: string; reason: string; objective?: number }
  | { type: 'trial-requeued'; time: number; trial: number; jobName: string; reason: string }
  | { type: 'launch-deferred'; time: number; trial: number; jobName: string; reason: string }
  /** A tick failed on AWS throttling or a transient error that outlasted the call's retries: tried again later. */
  | { type: 'tick-deferred'; time: number; reason: string; retryInSeconds: number }
  | { type: 'best'; time: number; trial: number; objective: number }
  | { type: 'study-stopping'; time: number; reason: string }
  | { type: 'study-ended'; time: number; status: StudyStatus; reason?: string }
  | { type: 'study-paused'; time: number; requeued: number }
  /** The runner stopped driving the study and left its `running` trials running (adopted when it resumes). */
  | { type: 'study-detached'; time: number; running: number };

export type StudyEventType = StudyEvent['type'];
