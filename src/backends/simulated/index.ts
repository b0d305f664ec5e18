/**
 * A simulated trial backend: trials "run" on an injected clock, each one's course given by a user function of
 * its hyperparameters (duration, intermediate objective series, final objective, failure). With a fake clock, a
 * whole study runs in milliseconds and exactly the same way every time: what Syne Tune's simulator backend does
 * for its tuner tests.
 *
 * It behaves like a real backend where the tick depends on it: `launch` is idempotent per job name (a job that
 * exists is adopted, never started twice), `stop` is idempotent and does nothing for an unknown job, `poll`
 * reports each job as SageMaker would (InProgress with the series so far, then Completed, Failed or Stopped).
 * `launches` records every job actually started, so tests can prove that none started twice.
 */
import type { HyperParameters } from '../../core/types';
import { TrialLaunchError } from '../../study/errors';
import type { Clock, LaunchResult, MetricPoint, Study, Trial, TrialBackend, TrialSpec, TrialUpdate } from '../../study/types';

/** How one simulated trial goes. */
export interface SimulatedTrialPlan {
  /** Seconds from launch to the natural end of the trial. */
  readonly durationSeconds: number;
  /**
   * Intermediate objective values. Plain numbers are spread evenly over the duration (the i-th of n at
   * `(i + 1) * duration / n` seconds); points give their own times, in seconds since the start.
   */
  readonly series?: readonly number[] | readonly MetricPoint[];
  /** Final objective. @default the last value of `series`; with neither, the trial completes without an objective */
  readonly objective?: number;
  /** Other final metrics, by name. */
  readonly finalMetrics?: Record<string, number>;
  /** Makes the trial fail instead, `atSeconds` after its start (default: at its natural end). */
  readonly failure?: { readonly reason: string; readonly retryable?: boolean; readonly atSeconds?: number };
  /** Makes `launch` itself fail with a TrialLaunchError (e.g. a script that does not exist). */
  readonly launchError?: { readonly reason: string; readonly retryable?: boolean };
}

/** Context of one simulated trial attempt. */
export interface SimulatedTrialContext {
  readonly study: string;
  readonly trial: number;
  readonly attempt: number;
  readonly jobName: string;
}

/** The user function that decides how a trial goes. */
export type SimulatedTrainer = (hyperParameters: HyperParameters, context: SimulatedTrialContext) => SimulatedTrialPlan;

/** Options of {@link SimulatedBackend}. */
export interface SimulatedBackendOptions {
  /** The clock trials run on (a fake clock in tests). */
  readonly clock: Clock;
  /** How each trial goes. */
  readonly trainer: SimulatedTrainer;
  /**
   * Seconds between a stop request and the end of the job, as a SageMaker job goes through `Stopping` and a
   * process gets time to exit. A positive delay also means a stop is never visible at the instant it was asked,
   * as with any real backend. @default 1
   */
  readonly stopDelaySeconds?: number;
}

interface Job {
  readonly jobName: string;
  readonly startMs: number;
  readonly plan: SimulatedTrialPlan;
  readonly points: MetricPoint[];
  stoppedAtMs?: number;
  stopReason?: string;
  lost?: boolean;
}

function toPoints(plan: SimulatedTrialPlan): MetricPoint[] {
  const series = plan.series ?? [];
  return series.map((p, i) => (typeof p === 'number' ? { t: ((i + 1) * plan.durationSeconds) / series.length, value: p } : { t: p.t, value: p.value }));
}

export class SimulatedBackend implements TrialBackend {
  /** Job names started, in order (adoptions are not starts). */
  readonly launches: string[] = [];
  /** Job names adopted by a repeated launch. */
  readonly adoptions: string[] = [];
  /** Stop calls, in order: job name and reason. */
  readonly stops: { jobName: string; reason: string }[] = [];
  private readonly jobs = new Map<string, Job>();
  private readonly clock: Clock;
  private readonly trainer: SimulatedTrainer;
  private readonly stopDelayMs: number;

  constructor(options: SimulatedBackendOptions) {
    this.clock = options.clock;
    this.trainer = options.trainer;
    this.stopDelayMs = 1000 * (options.stopDelaySeconds ?? 1);
  }

  async launch(spec: TrialSpec): Promise<LaunchResult> {
    const { trial } = spec;
    if (this.jobs.has(trial.jobName)) {
      this.adoptions.push(trial.jobName);
      return { adopted: true, backendData: { simulated: true } };
    }
    const plan = this.trainer(trial.hyperParameters, { study: spec.study, trial: trial.number, attempt: trial.attempt ?? 0, jobName: trial.jobName });
    if (plan.launchError) throw new TrialLaunchError(plan.launchError.reason, { retryable: plan.launchError.retryable });
    this.jobs.set(trial.jobName, { jobName: trial.jobName, startMs: this.clock.now(), plan, points: toPoints(plan) });
    this.launches.push(trial.jobName);
    return { adopted: false, backendData: { simulated: true } };
  }

  async poll(_study: Study, trials: readonly Trial[]): Promise<TrialUpdate[]> {
    const now = this.clock.now();
    return trials.map((trial) => this.status(trial, now));
  }

  async stop(_study: Study, trial: Trial, reason: string): Promise<void> {
    this.stops.push({ jobName: trial.jobName, reason });
    const job = this.jobs.get(trial.jobName);
    if (!job || job.stoppedAtMs !== undefined) return;
    const stopAt = this.clock.now() + this.stopDelayMs;
    if (stopAt < this.naturalEndMs(job)) {
      job.stoppedAtMs = stopAt;
      job.stopReason = reason;
    }
  }

  /** Simulates the loss of a job with its runner (e.g. a local process killed with it): polls report it interrupted. */
  lose(jobName: string): void {
    const job = this.jobs.get(jobName);
    if (job) job.lost = true;
  }

  /** Whether a job was started. */
  has(jobName: string): boolean {
    return this.jobs.has(jobName);
  }

  private naturalEndMs(job: Job): number {
    const failAt = job.plan.failure?.atSeconds;
    return job.startMs + 1000 * (failAt !== undefined ? Math.min(failAt, job.plan.durationSeconds) : job.plan.durationSeconds);
  }

  private status(trial: Trial, now: number): TrialUpdate {
    const job = this.jobs.get(trial.jobName);
    if (!job || job.lost) {
      return { number: trial.number, status: 'Failed', interrupted: true, failureReason: `job ${trial.jobName} is gone` };
    }
    const startedAt = new Date(job.startMs).toISOString();
    const endMs = job.stoppedAtMs ?? this.naturalEndMs(job);
    const elapsed = (Math.min(now, endMs) - job.startMs) / 1000;
    const objectiveSeries = job.points.filter((p) => p.t <= elapsed);
    const base = { number: trial.number, startedAt, objectiveSeries };
    if (now < endMs) return { ...base, status: 'InProgress' };
    const endedAt = new Date(endMs).toISOString();
    if (job.stoppedAtMs !== undefined) return { ...base, status: 'Stopped', endedAt, failureReason: job.stopReason };
    const { failure } = job.plan;
    if (failure) return { ...base, status: 'Failed', endedAt, failureReason: failure.reason, retryable: failure.retryable };
    const last = job.points.length > 0 ? job.points[job.points.length - 1].value : undefined;
    const objective = job.plan.objective ?? last;
    return {
      ...base,
      status: 'Completed',
      endedAt,
      ...(objective !== undefined ? { objective } : {}),
      ...(job.plan.finalMetrics ? { finalMetrics: { ...job.plan.finalMetrics } } : {}),
    };
  }
}

/** A clock that only moves when told: `advance(ms)`. Pair it with {@link fakeSleep} in tests. */
export class FakeClock implements Clock {
  constructor(private ms = Date.UTC(2025, 0, 1)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A sleep that advances a {@link FakeClock} instead of waiting; rejects at once when the signal is aborted. */
export function fakeSleep(clock: FakeClock): (ms: number, signal?: AbortSignal) => Promise<void> {
  return async (ms, signal) => {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    clock.advance(ms);
  };
}
