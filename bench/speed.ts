/**
 * Speed benchmark: wall time of `ask(1)` of the Bayesian strategy after n completed observations in 6 dimensions
 * (hartmann6 values at uniformly random points), the optimizer rebuilt from that history with
 * `createOptimizer(config, history)` as a Lambda tick would do. Each n runs in its own worker process, so the
 * RSS high-water mark (`process.resourceUsage().maxRSS`) belongs to that n alone.
 */
import { performance } from 'node:perf_hooks';
import type { HistoryTrial, Optimizer, OptimizerConfig, OptimizerHistory } from '../src/core/types';
import { benchFunction } from './functions';

export const SPEED_NS = [50, 100, 200, 500, 1000] as const;

/** The bar, in milliseconds: median ask(1) at n = 200 and at n = 1000. */
export const SPEED_BAR_MS: Readonly<Record<number, number>> = { 200: 250, 1000: 3000 };

/** One JSONL line of bench/results/speed.jsonl: one timed ask(1). */
export interface SpeedRecord {
  readonly kind: 'speed';
  readonly n: number;
  readonly dim: number;
  readonly rep: number;
  /** createOptimizer(config, history) with n completed trials. */
  readonly build_ms: number;
  /** The timed ask(1): a cold fit of the GP (the history carries no model state). */
  readonly ask_ms: number;
  /**
   * CPU time (user + system) of the process during that ask. On a shared machine wall time includes waiting for a
   * core; CPU time does not (it includes V8's helper threads, so it can exceed the wall time on an idle machine).
   */
  readonly ask_cpu_ms?: number;
  /**
   * ask(1) after telling that suggestion and rebuilding from `history()`, which now carries the model state
   * (the last GP hyperparameters) as a study does between ticks: the steady-state cost of one tick.
   */
  readonly warm_ask_ms?: number;
  /** process.memoryUsage().heapUsed right after the ask, MiB. */
  readonly heap_used_mb: number;
  /** process.memoryUsage().rss right after the ask, MiB. */
  readonly rss_mb: number;
  /** RSS high-water mark of the worker process so far (all reps of this n), MiB. */
  readonly rss_peak_mb: number;
  /** RSS high-water mark before the first optimizer was built (node + ts-node + modules), MiB. */
  readonly rss_baseline_mb: number;
  readonly run_id: string;
}

type Create = (config: OptimizerConfig, history?: OptimizerHistory) => Optimizer;

/** mulberry32: a small seeded generator; the data only needs to be reproducible, not cryptographic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n completed hartmann6 trials at uniformly random points of [0,1]^6. */
export function randomHistory(n: number, seed: number): OptimizerHistory {
  const fn = benchFunction('hartmann6');
  const next = rng(seed);
  const trials: HistoryTrial[] = [];
  for (let i = 0; i < n; i++) {
    const hp = Object.fromEntries(Array.from({ length: fn.dim }, (_, j) => [`x${j}`, next()]));
    trials.push({ id: `h${i}`, hyperParameters: hp, state: 'completed', value: fn.evaluate(hp) });
  }
  return { trials };
}

const mib = (bytes: number): number => bytes / 1048576;

/**
 * Times `reps` asks after n observations (each rep on fresh data), after one untimed warm-up at n = 30: a cold ask
 * (history without model state) and a warm one (rebuilt from the optimizer's own history, with model state).
 */
export async function runSpeedTask(n: number, reps: number, createOptimizer: Create, runId: string): Promise<SpeedRecord[]> {
  const fn = benchFunction('hartmann6');
  const config = (seed: number): OptimizerConfig => ({
    ParameterRanges: fn.parameterRanges,
    Objective: { Type: 'Minimize' },
    Strategy: 'Bayesian',
    RandomSeed: seed,
  });
  const baseline = process.resourceUsage().maxRSS / 1024;
  // Warm-up: load and JIT-compile the core, so that the timed asks measure steady-state cost.
  await createOptimizer(config(999), randomHistory(30, 999)).ask(1);
  const out: SpeedRecord[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const history = randomHistory(n, 1000 * rep + n);
    const t0 = performance.now();
    const opt = createOptimizer(config(rep), history);
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    const s = await opt.ask(1);
    const t2 = performance.now();
    const cpu = process.cpuUsage(c1);
    if (s.length !== 1) throw new Error(`ask(1) after ${n} observations returned ${s.length} suggestions`);
    opt.tell(s[0].id, fn.evaluate(s[0].hyperParameters));
    const rebuilt = createOptimizer(config(rep), opt.history());
    const t3 = performance.now();
    await rebuilt.ask(1);
    const warm = performance.now() - t3;
    const mem = process.memoryUsage();
    out.push({
      kind: 'speed',
      n,
      dim: fn.dim,
      rep,
      build_ms: t1 - t0,
      ask_ms: t2 - t1,
      ask_cpu_ms: (cpu.user + cpu.system) / 1000,
      warm_ask_ms: warm,
      heap_used_mb: mib(mem.heapUsed),
      rss_mb: mib(mem.rss),
      rss_peak_mb: process.resourceUsage().maxRSS / 1024,
      rss_baseline_mb: baseline,
      run_id: runId,
    });
  }
  return out;
}
