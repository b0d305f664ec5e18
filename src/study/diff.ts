/**
 * The progress events between two snapshots of a study, for a program that follows a study it does not run (a
 * deployed one, read from S3): the same events a runner emits, so that one display shows both.
 */
import type { StudyEvent } from './events';
import { bestCompletedTrial, isTerminal } from './study';
import type { Study, Trial } from './types';

function time(iso: string | undefined, fallback: number): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? fallback : t;
}

/** The events that lead from `before` (undefined: nothing seen yet) to `after`, in a sensible order. */
export function eventsBetween(before: Study | undefined, after: Study, now: number): StudyEvent[] {
  const events: StudyEvent[] = [];
  const old = new Map((before?.trials ?? []).map((t) => [t.number, t]));
  for (const t of [...after.trials].sort((a, b) => a.number - b.number)) {
    const was: Trial | undefined = old.get(t.number);
    const base = { trial: t.number, jobName: t.jobName };
    if (was && (was.attempt ?? 0) < (t.attempt ?? 0)) {
      events.push({ type: 'trial-requeued', time: now, ...base, reason: t.previousAttempts?.[t.previousAttempts.length - 1]?.reason ?? 'run again' });
    }
    if (t.launchedAt && (!was?.launchedAt || was.jobName !== t.jobName)) {
      events.push({ type: 'trial-launched', time: time(t.launchedAt, now), ...base, attempt: t.attempt ?? 0, hyperParameters: t.hyperParameters, adopted: false });
    }
    if (t.status === was?.status || t.status === 'InProgress') continue;
    const at = time(t.endedAt, now);
    if (t.status === 'Completed' && t.objective !== undefined) events.push({ type: 'trial-completed', time: at, ...base, objective: t.objective });
    else if (t.status === 'Failed' || t.status === 'Completed') events.push({ type: 'trial-failed', time: at, ...base, reason: t.failureReason ?? 'failed', retrying: false });
    else events.push({ type: 'trial-stopped', time: at, ...base, reason: t.stopReason ?? 'Stopped', ...(t.objective !== undefined ? { objective: t.objective } : {}) });
  }
  const bestBefore = before ? bestCompletedTrial(before) : undefined;
  const bestAfter = bestCompletedTrial(after);
  if (bestAfter && bestAfter.number !== bestBefore?.number) events.push({ type: 'best', time: now, trial: bestAfter.number, objective: bestAfter.objective });
  if (after.status !== before?.status) {
    if (after.status === 'Stopping') events.push({ type: 'study-stopping', time: now, reason: after.ending?.reason ?? 'Stopped by request' });
    else if (isTerminal(after.status)) events.push({ type: 'study-ended', time: time(after.endedAt, now), status: after.status, ...(after.statusReason ? { reason: after.statusReason } : {}) });
  }
  return events;
}
