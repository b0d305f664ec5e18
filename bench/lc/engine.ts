/**
 * One run of the learning-curve benchmark through sagetune's real engine: `runStudy` with the simulated backend on
 * a fake clock (as test/study/hyperband.test.ts runs studies), one job at a time, one epoch every 10 simulated
 * seconds. The study is interrupted at the first launch after the jobs have reported `budget` epochs in all.
 *
 * What a run records (the same for the Python anchors, bench/lc/anchors.py):
 * - epochs spent: every value a job reported counts one epoch, whether the job was later stopped or not (a job
 *   stopped by the engine may have reported one epoch past its rung before it stopped: counted);
 * - a job's result: its last reported value when it ends (completed, or stopped at a rung or by the median rule;
 *   SageMaker's final metric of a stopped job), none when it failed (diverged);
 * - the trajectory: [epochs spent when a job ended, best result so far] at each improvement, jobs in order.
 */
import { FakeClock, SimulatedBackend, fakeSleep } from '../../src/backends/simulated';
import { parseTuningRequest, type TuningRequest } from '../../src/study/request';
import { runStudy } from '../../src/study/runner';
import { MemoryStudyStore } from '../../src/study/store/memory-store';
import type { LaunchResult, Study, Trial, TrialBackend, TrialSpec, TrialUpdate } from '../../src/study/types';
import { EPOCHS, type LcProblem } from './problems';

export const SAGETUNE_METHODS = ['sagetune-hyperband', 'sagetune-hyperband-random', 'sagetune-bayesian', 'sagetune-bayesian-median'] as const;
export type SagetuneMethod = (typeof SAGETUNE_METHODS)[number];

export const EPOCH_SECONDS = 10;

/** One JSON line of bench/results/lc-*.jsonl. */
export interface LcRecord {
  readonly kind: 'run';
  readonly problem: string;
  readonly method: string;
  readonly seed: number;
  readonly budget: number;
  /** Epochs reported in all (may pass the budget by the last job's epochs; the trajectory stops at the budget). */
  readonly epochs: number;
  readonly jobs: number;
  /** [epochs spent when the job ended, best result so far], at each improvement, up to the budget. */
  readonly trajectory: [number, number][];
  readonly final: number;
  readonly wall_s: number;
  readonly options?: Record<string, unknown>;
}

function parameterRanges(problem: LcProblem): Record<string, unknown> {
  const continuous = problem.params.filter((p) => p.kind === 'float');
  const integer = problem.params.filter((p) => p.kind === 'int');
  const categorical = problem.params.filter((p) => p.kind === 'cat');
  const range = (p: (typeof problem.params)[number]) => ({ Name: p.name, MinValue: String(p.min), MaxValue: String(p.max), ScalingType: p.log ? 'Logarithmic' : 'Linear' });
  return {
    ...(continuous.length ? { ContinuousParameterRanges: continuous.map(range) } : {}),
    ...(integer.length ? { IntegerParameterRanges: integer.map(range) } : {}),
    ...(categorical.length ? { CategoricalParameterRanges: categorical.map((p) => ({ Name: p.name, Values: [...p.values!] })) } : {}),
  };
}

export interface MethodOptions {
  /** Sagetune.Hyperband.ReductionFactor. */
  readonly reductionFactor?: number;
  /** HyperbandStrategyConfig.MinResource. */
  readonly minResource?: number;
}

/** The request of one method on one problem (seeded), with a job limit high enough for the epoch budget. */
export function lcRequest(problem: LcProblem, method: SagetuneMethod, seed: number, budget: number, opts: MethodOptions = {}): TuningRequest {
  const hyperband = method === 'sagetune-hyperband' || method === 'sagetune-hyperband-random';
  const fullJobs = Math.ceil(budget / EPOCHS);
  const hbSagetune = {
    ...(opts.reductionFactor ? { ReductionFactor: opts.reductionFactor } : {}),
    ...(method === 'sagetune-hyperband-random' ? { Proposals: 'Random' } : {}),
  };
  return parseTuningRequest({
    HyperParameterTuningJobName: `lc-${seed}`,
    HyperParameterTuningJobConfig: {
      Strategy: hyperband ? 'Hyperband' : 'Bayesian',
      HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'loss' },
      ResourceLimits: { MaxNumberOfTrainingJobs: method === 'sagetune-bayesian' ? fullJobs : budget, MaxParallelTrainingJobs: 1 },
      ParameterRanges: parameterRanges(problem),
      RandomSeed: seed,
      ...(method === 'sagetune-bayesian-median' ? { TrainingJobEarlyStoppingType: 'Auto' } : {}),
      ...(hyperband && opts.minResource ? { StrategyConfig: { HyperbandStrategyConfig: { MinResource: opts.minResource, MaxResource: EPOCHS } } } : {}),
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: { TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'loss', Regex: 'loss=([0-9.eE+-]+)' }] },
      StaticHyperParameters: { epochs: String(EPOCHS) },
    },
    Sagetune: {
      Local: { Command: ['python3', 'train.py'] },
      PollIntervalSeconds: 8,
      ...(hyperband && Object.keys(hbSagetune).length ? { Hyperband: hbSagetune } : {}),
    },
  });
}

/** Forwards to the simulated backend and interrupts the study once the jobs have reported `budget` epochs. */
class EpochBudgetBackend implements TrialBackend {
  private readonly reported = new Map<number, number>();
  constructor(
    private readonly inner: SimulatedBackend,
    private readonly budget: number,
    private readonly controller: AbortController,
  ) {}

  /** One job at a time: when a job is launched, every earlier one has ended and been polled. */
  launch(spec: TrialSpec): Promise<LaunchResult> {
    let spent = 0;
    for (const n of this.reported.values()) spent += n;
    if (spent >= this.budget && !this.controller.signal.aborted) this.controller.abort();
    return this.inner.launch(spec);
  }

  async poll(study: Study, trials: readonly Trial[]): Promise<TrialUpdate[]> {
    const updates = await this.inner.poll(study, trials);
    for (const u of updates) this.reported.set(u.number, (u.objectiveSeries ?? []).length);
    return updates;
  }

  stop(study: Study, trial: Trial, reason: string): Promise<void> {
    return this.inner.stop(study, trial, reason);
  }
}

export interface JobOutcome {
  readonly epochs: number;
  /** The job's result, undefined when it failed. */
  readonly result?: number;
}

/** The trajectory of a sequence of ended jobs, cut at `budget` epochs (see the module documentation). */
export function trajectory(jobs: readonly JobOutcome[], budget: number): { trajectory: [number, number][]; final: number; epochs: number } {
  const out: [number, number][] = [];
  let spent = 0;
  let best = Infinity;
  for (const j of jobs) {
    spent += j.epochs;
    if (spent > budget) break;
    if (j.result !== undefined && Number.isFinite(j.result) && j.result < best) {
      best = j.result;
      out.push([spent, best]);
    }
  }
  return { trajectory: out, final: best, epochs: jobs.reduce((a, j) => a + j.epochs, 0) };
}

/** The ended jobs of a finished or interrupted study, in order (one job at a time: trial order is time order). */
export function jobOutcomes(study: Study): JobOutcome[] {
  return [...study.trials]
    .sort((a, b) => a.number - b.number)
    .filter((t) => t.status !== 'InProgress')
    .map((t) => {
      const values = (t.objectiveSeries ?? []).map((p) => p.value).filter(Number.isFinite);
      const ok = t.status === 'Completed' || t.status === 'Stopped';
      return { epochs: values.length, ...(ok && values.length > 0 ? { result: values[values.length - 1] } : {}) };
    });
}

/** Runs one method on one problem with one seed through the engine. */
export async function runEngine(
  problem: LcProblem,
  method: SagetuneMethod,
  seed: number,
  budget: number,
  opts: MethodOptions = {},
  onStudy?: (study: Study) => void,
): Promise<LcRecord> {
  const started = Date.now();
  const clock = new FakeClock();
  const inner = new SimulatedBackend({
    clock,
    trainer: (hp) => {
      const c = problem.curve(hp as Record<string, string | number>);
      const series = c.values.map((value, e) => ({ t: (e + 1) * EPOCH_SECONDS, value }));
      const duration = c.values.length * EPOCH_SECONDS + 1;
      return c.failed ? { durationSeconds: duration, series, failure: { reason: 'diverged', retryable: false } } : { durationSeconds: duration, series };
    },
  });
  const controller = new AbortController();
  const backend = new EpochBudgetBackend(inner, budget, controller);
  const { study } = await runStudy({ request: lcRequest(problem, method, seed, budget, opts), store: new MemoryStudyStore(), backend, clock, sleep: fakeSleep(clock), signal: controller.signal });
  onStudy?.(study);
  const jobs = jobOutcomes(study);
  const t = trajectory(jobs, budget);
  return {
    kind: 'run',
    problem: problem.name,
    method,
    seed,
    budget,
    epochs: t.epochs,
    jobs: jobs.length,
    trajectory: t.trajectory,
    final: t.final,
    wall_s: (Date.now() - started) / 1000,
    ...(Object.keys(opts).length ? { options: { ...opts } } : {}),
  };
}
