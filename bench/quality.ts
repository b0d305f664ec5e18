/**
 * Optimizer quality benchmark: one run = one strategy minimizing one benchmark function with one seed, either
 * sequentially (ask(1), evaluate, tell), in batches (ask(k), evaluate all, tell all) or asynchronously (k trials
 * always running, as a study with k parallel jobs runs them), for the function's budget.
 * Records the simple regret (best value so far - f*) after every evaluation, with the same definitions as the
 * anchors. On a noisy problem the optimizer is told noisy values, and the regret after n evaluations is the true
 * (noise-free) value at the trial with the best reported value among the first n, minus f* (not monotone: a lucky
 * draw can take the place of a better trial); the regret at the configuration `Optimizer.recommend()` names is
 * recorded beside it. As for the anchors (`bench/anchors/anchors.py`): regret at 25% / 50% of the budget = after budget//4 / budget//2
 * evaluations; time per suggestion = wall time of the ask divided by the suggestions it returned, averaged over
 * the last max(5, budget//10) suggestions.
 */
import { performance } from 'node:perf_hooks';
import { Rng, hashSeed } from '../src/core/rng';
import type { HyperParameters, Optimizer, OptimizerConfig, StrategyName, Suggestion } from '../src/core/types';
import { benchFunction } from './functions';

/** Strategies the quality benchmark runs. */
export const QUALITY_STRATEGIES = ['Random', 'Sobol', 'Bayesian'] as const satisfies readonly StrategyName[];
export type QualityStrategy = (typeof QUALITY_STRATEGIES)[number];

/**
 * `seq` = ask(1)/tell; `b<k>` = ask(k), then tell all k (the anchors' `_b4` variants use k = 4); `a<k>` =
 * asynchronous: k trials always running, each for a random duration ({@link trialDuration}); whenever the earliest
 * one finishes it is told and one more is asked, with the other k - 1 still pending.
 */
export type Mode = string;

/** A parsed {@link Mode}: its kind and its number of concurrent trials (1 for `seq`). */
export interface ModeSpec {
  readonly kind: 'seq' | 'batch' | 'async';
  readonly k: number;
}

export interface QualityJob {
  readonly function: string;
  readonly strategy: QualityStrategy;
  readonly mode: Mode;
  readonly seed: number;
}

/** One JSONL line of bench/results/quality-<strategy>.jsonl. Times in milliseconds. */
export interface QualityRecord {
  readonly kind: 'run';
  readonly function: string;
  readonly strategy: QualityStrategy;
  readonly mode: Mode;
  /** Trials at once: 1 for `seq`, k for `b<k>` and `a<k>`. */
  readonly batch: number;
  readonly seed: number;
  readonly budget: number;
  /** Evaluations actually made (the budget unless the optimizer ran out of suggestions). */
  readonly evaluations: number;
  readonly dim: number;
  readonly fstar: number;
  readonly regret_final: number;
  readonly regret_25: number;
  readonly regret_50: number;
  readonly n25: number;
  readonly n50: number;
  /**
   * The best-so-far regret curve, stored compactly as its steps: [evaluation number (1-based), regret from that
   * evaluation on] at every improvement (6 significant digits). {@link regretCurve} expands it.
   */
  readonly improvements: [number, number][];
  readonly t_suggest_end_mean_ms: number;
  readonly t_suggest_mean_ms: number;
  /** Longest single ask, divided by its suggestions. */
  readonly t_suggest_max_ms: number;
  readonly n_end_window: number;
  /** Suggestions that repeated an earlier configuration exactly (should be 0). */
  readonly duplicates: number;
  readonly wall_s: number;
  readonly best_params: HyperParameters;
  /** Identifies the invocation (its `kind: "meta"` line holds the command, machine and code revision). */
  readonly run_id: string;
  /** True value at the configuration `Optimizer.recommend()` names at the end of the run, minus f*. */
  readonly regret_recommended?: number;
  /** Noisy problems: the noise-free regret of the best trial evaluated (what an oracle would pick). */
  readonly regret_best_true?: number;
  /** Noisy problems: true. */
  readonly noisy?: boolean;
}

export type CreateOptimizer = (config: OptimizerConfig) => Optimizer;

/** Parses a mode name; throws a clear error on anything but `seq`, `b<k>` or `a<k>` (2 <= k <= 64). */
export function parseMode(mode: string): ModeSpec {
  if (mode === 'seq') return { kind: 'seq', k: 1 };
  const m = /^([ab])(\d+)$/.exec(mode);
  const k = m ? Number(m[2]) : NaN;
  if (!(k >= 2 && k <= 64)) {
    throw new Error(`--modes: unknown mode ${JSON.stringify(mode)}; allowed: seq, b<k> (batches) or a<k> (asynchronous) with 2 <= k <= 64 (e.g. b4, a4)`);
  }
  return { kind: m?.[1] === 'a' ? 'async' : 'batch', k };
}

/**
 * Simulated running time of an asynchronous trial, in arbitrary units: log-uniform between 0.5 and 2, so that
 * trials finish in a different order from the one they started in, as training jobs whose hyperparameters change
 * their running time do. Drawn from a generator of its own (seeded by the run's seed), apart from the optimizer's.
 */
export function trialDuration(rng: Rng): number {
  return Math.exp((2 * rng.next() - 1) * Math.LN2);
}

/** Stream id of the asynchronous mode's trial durations (any constant apart from the optimizer's streams). */
const ASYNC_DURATION_STREAM = 0xa5f1;
/** Stream id of a noisy problem's noise (the anchors' NOISE_STREAM; their generator is numpy's, so the draws differ). */
export const NOISE_STREAM = 0x0a015e;

const sig6 = (v: number): number => Number(v.toPrecision(6));

/** Expands a record's improvements into the regret after each of its evaluations. */
export function regretCurve(r: Pick<QualityRecord, 'improvements' | 'evaluations'>): number[] {
  const out: number[] = [];
  let k = 0;
  for (let n = 1; n <= r.evaluations; n++) {
    while (k + 1 < r.improvements.length && r.improvements[k + 1][0] <= n) k++;
    out.push(r.improvements[k][1]);
  }
  return out;
}

/** Runs one benchmark job to completion with the given optimizer factory. */
export async function runQualityJob(job: QualityJob, createOptimizer: CreateOptimizer, runId: string): Promise<QualityRecord> {
  const fn = benchFunction(job.function);
  const mode = parseMode(job.mode);
  const batch = mode.k;
  const opt = createOptimizer({
    ParameterRanges: fn.parameterRanges,
    Objective: { Type: 'Minimize' },
    Strategy: job.strategy,
    RandomSeed: job.seed,
  });
  const t0 = performance.now();
  const values: number[] = [];
  const trues: number[] = [];
  const noise = new Rng(hashSeed(job.seed, NOISE_STREAM));
  const params: HyperParameters[] = [];
  const perSuggestionMs: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  const ask = async (q: number): Promise<Suggestion[]> => {
    const ta = performance.now();
    const suggestions = await opt.ask(q);
    const dt = performance.now() - ta;
    for (const s of suggestions) {
      perSuggestionMs.push(dt / suggestions.length);
      const key = JSON.stringify(Object.entries(s.hyperParameters).sort(([a], [b]) => (a < b ? -1 : 1)));
      if (seen.has(key)) duplicates++;
      seen.add(key);
    }
    return suggestions;
  };
  /** Evaluates a suggestion: its true value, and on a noisy problem the value reported (with noise). */
  const evaluate = (hp: HyperParameters): { y: number; truth: number } => {
    const truth = fn.evaluate(hp);
    return { truth, y: fn.noiseSd ? truth + fn.noiseSd(hp) * noise.normal() : truth };
  };
  const record = (s: Suggestion, v: { y: number; truth: number }): void => {
    opt.tell(s.id, v.y);
    values.push(v.y);
    trues.push(v.truth);
    params.push(s.hyperParameters);
  };
  if (mode.kind === 'async') {
    // Event simulation: `running` holds each pending trial's finish time; the earliest is told first.
    const durations = new Rng(hashSeed(job.seed, ASYNC_DURATION_STREAM));
    const running: { s: Suggestion; end: number }[] = [];
    const launch = async (q: number, now: number): Promise<void> => {
      for (const s of await ask(q)) running.push({ s, end: now + trialDuration(durations) });
    };
    await launch(Math.min(batch, fn.budget), 0);
    while (running.length > 0) {
      let first = 0;
      for (let i = 1; i < running.length; i++) if (running[i].end < running[first].end) first = i;
      const [{ s, end }] = running.splice(first, 1);
      record(s, evaluate(s.hyperParameters));
      if (values.length + running.length < fn.budget) await launch(1, end);
    }
  } else {
    while (values.length < fn.budget) {
      const suggestions = await ask(Math.min(batch, fn.budget - values.length));
      if (suggestions.length === 0) break;
      // Evaluate the whole batch before telling any of it, as parallel training jobs would.
      const ys = suggestions.map((s) => evaluate(s.hyperParameters));
      suggestions.forEach((s, i) => record(s, ys[i]));
    }
  }
  const wall = (performance.now() - t0) / 1000;
  if (values.length === 0) throw new Error(`${job.strategy} returned no suggestion for ${job.function}`);

  const regrets: number[] = [];
  const improvements: [number, number][] = [];
  let best = Infinity;
  let bestIdx = 0;
  values.forEach((v, i) => {
    if (v < best) {
      best = v;
      bestIdx = i;
      const r = sig6(trues[i] - fn.fstar);
      // Steps too small to show at 6 significant digits would only repeat the previous entry.
      if (improvements.length === 0 || improvements[improvements.length - 1][1] !== r) improvements.push([i + 1, r]);
    }
    regrets.push(trues[bestIdx] - fn.fstar);
  });
  const recommended = opt.recommend();
  const n25 = Math.max(1, Math.floor(fn.budget / 4));
  const n50 = Math.max(1, Math.floor(fn.budget / 2));
  const at = (n: number): number => regrets[Math.min(n, regrets.length) - 1];
  const nEnd = Math.max(5, Math.floor(fn.budget / 10));
  const endWindow = perSuggestionMs.slice(-nEnd);
  const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    kind: 'run',
    function: fn.name,
    strategy: job.strategy,
    mode: job.mode,
    batch,
    seed: job.seed,
    budget: fn.budget,
    evaluations: values.length,
    dim: fn.dim,
    fstar: fn.fstar,
    regret_final: regrets[regrets.length - 1],
    regret_25: at(n25),
    regret_50: at(n50),
    n25,
    n50,
    improvements,
    t_suggest_end_mean_ms: avg(endWindow),
    t_suggest_mean_ms: avg(perSuggestionMs),
    t_suggest_max_ms: Math.max(...perSuggestionMs),
    n_end_window: nEnd,
    duplicates,
    wall_s: wall,
    best_params: params[bestIdx],
    run_id: runId,
    ...(recommended ? { regret_recommended: fn.evaluate(recommended.hyperParameters) - fn.fstar } : {}),
    ...(fn.noiseSd ? { noisy: true, regret_best_true: Math.min(...trues) - fn.fstar } : {}),
  };
}

/** Identity of a job within a results file (a later result for the same key replaces an earlier one). */
export const jobKey = (j: { function: string; strategy: string; mode: string; seed: number }): string =>
  `${j.function}|${j.strategy}|${j.mode}|${j.seed}`;

/** Rough relative cost, to start the longest jobs first and keep both workers busy to the end. */
export function jobCost(j: QualityJob): number {
  const fn = benchFunction(j.function);
  const mode = parseMode(j.mode);
  // A batch fits one model per ask; the sequential and asynchronous modes one per evaluation.
  const perEval = j.strategy === 'Bayesian' ? 100 / (mode.kind === 'batch' ? mode.k : 1) ** 0.5 : 0.01;
  return perEval * fn.budget ** 2 * fn.dim ** 0.5;
}
