/**
 * Asynchronous successive halving over Hyperband's brackets, in its stopping form (a job is never paused: at each
 * rung it either continues or is stopped, as SageMaker training jobs can only be stopped). Pure: the study layer
 * supplies each trial's values, this module decides.
 *
 * Resources are counted as SageMaker's Hyperband counts them: the number of objective values a job has reported
 * (its epochs). With minimum resource `r`, maximum `R` and reduction factor `η`, the rungs are `r, rη, rη², ...`
 * below `R`. A trial of bracket `b` is first judged at rung `b` (bracket 0 is the most aggressive: judged from the
 * first rung; the last bracket is never judged and runs to `R`). At a rung, a trial continues when its value there
 * is among the best `1/η` of the values every trial reached at that rung (rounded down, at least one); with fewer
 * than `η` values at the rung it always continues. sagetune draws brackets in equal proportions
 * ({@link equalBracketWeights}); Hyperband's own ({@link bracketWeights}: bracket `b` of `B` starts
 * `η^(B-1-b) / (B-b)` as many configurations as the last) cut most trials early, which measured worse here.
 *
 * References: Li et al., "Hyperband" (JMLR 2018); Li et al., "A System for Massively Parallel Hyperparameter
 * Tuning" (ASHA, MLSys 2020); Klein et al., "Model-based Asynchronous Hyperparameter and Neural Architecture
 * Search" (MOBSTER, 2020), whose stopping variant this follows.
 */
import type { ObjectiveType } from './types';
import { Rng, hashSeed } from './rng';

/** Settings of one Hyperband study. */
export interface HyperbandSettings {
  /** Objective values a job reports before it can be stopped (SageMaker's `MinResource`). */
  readonly minResource: number;
  /** Objective values after which a job is stopped (SageMaker's `MaxResource`). */
  readonly maxResource: number;
  /** Fraction kept at each rung is `1 / reductionFactor`. @default 3 */
  readonly reductionFactor: number;
}

/** The rung levels below `maxResource`: `min, min·η, min·η², ...` (rounded to whole epochs, strictly increasing). */
export function rungLevels(settings: HyperbandSettings): number[] {
  const { minResource, maxResource, reductionFactor: eta } = settings;
  const levels: number[] = [];
  for (let r = minResource; Math.round(r) < maxResource; r *= eta) {
    const level = Math.round(r);
    if (levels.length === 0 || level > levels[levels.length - 1]) levels.push(level);
  }
  return levels;
}

/** How many brackets: one per rung level (starting there) and one that is never judged. */
export function bracketCount(settings: HyperbandSettings): number {
  return rungLevels(settings).length + 1;
}

/** Hyperband's proportions of new configurations per bracket, most aggressive first, summing to 1. */
export function bracketWeights(settings: HyperbandSettings): number[] {
  const n = bracketCount(settings);
  const raw = Array.from({ length: n }, (_, b) => settings.reductionFactor ** (n - 1 - b) / (n - b));
  const total = raw.reduce((a, c) => a + c, 0);
  return raw.map((w) => w / total);
}

/**
 * Equal proportions over the brackets: as many new trials start in the bracket that runs to MaxResource as in the
 * most aggressive one. sagetune's Hyperband draws from these rather than {@link bracketWeights} (55% / 24% / 12% / 8%
 * with rungs 1, 3, 9): with a small budget and a first rung that ranks configurations badly, Hyperband's proportions
 * spent the budget on trials cut after an epoch. Measured with the model over (configuration, resource),
 * learning-curve benchmark (bench/lc), development seeds 100-119, 540 epochs, median best, Hyperband's -> equal
 * proportions: crossing 0.0957 -> 0.0956, plateau 0.0685 -> 0.0642, noisy6 0.2556 -> 0.2462, quickstart 0.0514 ->
 * 0.0489, gbdigits 0.0725 -> 0.0690 (bench/lc/README.md).
 */
export function equalBracketWeights(settings: HyperbandSettings): number[] {
  const n = bracketCount(settings);
  return Array.from({ length: n }, () => 1 / n);
}

/**
 * The bracket of a new trial, drawn from `weights` (non-negative, summing to a positive total) by a generator seeded
 * with the study's seed and the trial number.
 */
export function drawFromWeights(weights: readonly number[], seed: number, trialNumber: number): number {
  const total = weights.reduce((a, c) => a + c, 0);
  const u = new Rng(hashSeed(seed, trialNumber, 0x48424e44)).next() * total;
  let acc = 0;
  for (let b = 0; b < weights.length; b++) {
    acc += weights[b];
    if (u < acc) return b;
  }
  return weights.length - 1;
}

/** The bracket of a new trial in Hyperband's own proportions ({@link bracketWeights}). */
export function drawBracket(settings: HyperbandSettings, seed: number, trialNumber: number): number {
  return drawFromWeights(bracketWeights(settings), seed, trialNumber);
}

/**
 * The value a trial has at `resource`: the `resource`-th value it reported (undefined when it reported fewer). Not
 * the best so far: a job's result is its last value (SageMaker's final metric), so a rung compares what the jobs
 * would have given had they ended there, and a job that overfits is judged by where it is, not where it was.
 */
export function valueAt(values: readonly number[], resource: number): number | undefined {
  if (values.length < resource || resource < 1) return undefined;
  const v = values[resource - 1];
  return Number.isFinite(v) ? v : undefined;
}

/** One rung's judgement of one trial. */
export interface RungJudgement {
  /** The rung's resource level. */
  readonly resource: number;
  readonly value: number;
  /** 1-based rank of the trial's value among `others + 1` values (ties count in its favour). */
  readonly rank: number;
  /** How many values the rung had, the trial's own among them. */
  readonly count: number;
  /** How many of them continue: `max(1, floor(count / η))`, or all when `count < η`. */
  readonly kept: number;
  readonly continues: boolean;
}

/**
 * Judges a trial at one rung against the values `others` reached there (every other trial that reported at least
 * `resource` values, whatever its bracket or fate).
 */
export function judgeAtRung(value: number, others: readonly number[], resource: number, eta: number, type: ObjectiveType): RungJudgement {
  const better = (a: number, b: number): boolean => (type === 'Maximize' ? a > b : a < b);
  const count = others.length + 1;
  const rank = 1 + others.filter((o) => better(o, value)).length;
  const kept = count < eta ? count : Math.max(1, Math.floor(count / eta));
  return { resource, value, rank, count, kept, continues: rank <= kept };
}

/** What the study knows of one trial, for {@link hyperbandStep}. */
export interface HyperbandTrialView {
  readonly number: number;
  /** Its bracket (see {@link drawBracket}). */
  readonly bracket: number;
  /** The objective values it reported so far, in order (one per epoch). */
  readonly values: readonly number[];
  /** The highest rung level it has already passed (0 before the first). */
  readonly passed: number;
  /** Whether it still runs (only running trials are judged; every trial's values count at the rungs). */
  readonly running: boolean;
}

/** The decision for one running trial. */
export type HyperbandDecision =
  | { readonly number: number; readonly kind: 'continue'; readonly passed: number; readonly judgements: readonly RungJudgement[] }
  | { readonly number: number; readonly kind: 'stop'; readonly passed: number; readonly judgements: readonly RungJudgement[]; readonly reason: string }
  | { readonly number: number; readonly kind: 'max'; readonly passed: number; readonly judgements: readonly RungJudgement[]; readonly reason: string };

/** How every stop reason of a trial cut at a rung begins (the rest names the rung, the value and its rank). */
export const RUNG_CUT_REASON = 'Hyperband: at rung';

/**
 * The rung a trial reached, as results show it: for a trial cut at a rung, that rung (it may have trained a few
 * epochs past it before the stop took effect); otherwise the highest rung level, or `maxResource`, that its reported
 * epochs reached, and never less than the rungs it was judged at. A job whose epochs are short can report every
 * epoch between two looks of the engine and end by itself before any rung judged it: it reached them all the same.
 */
export function rungReached(settings: HyperbandSettings, epochs: number, passed: number, cutAtRung: boolean): number {
  if (cutAtRung) return passed;
  let reached = passed;
  for (const level of [...rungLevels(settings), settings.maxResource]) if (level <= epochs) reached = Math.max(reached, level);
  return reached;
}

function show(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/**
 * Decides, for every running trial with new rungs reached since it was last judged, whether it continues, is
 * stopped at a rung, or has reached `maxResource` (stopped: its training is done as far as the study goes). Rungs
 * are taken in order; the first that cuts the trial decides. Returns only trials whose state changes.
 */
export function hyperbandStep(trials: readonly HyperbandTrialView[], settings: HyperbandSettings, type: ObjectiveType): HyperbandDecision[] {
  const levels = rungLevels(settings);
  const out: HyperbandDecision[] = [];
  for (const t of trials) {
    if (!t.running) continue;
    const reached = t.values.length;
    const judgements: RungJudgement[] = [];
    let passed = t.passed;
    let stop: string | undefined;
    levels.forEach((level, index) => {
      if (stop !== undefined || level <= passed || level > reached) return;
      if (index < t.bracket) {
        passed = level; // below its bracket's first rung: passed without judgement
        return;
      }
      const value = valueAt(t.values, level);
      if (value === undefined) return;
      const others = trials.filter((o) => o.number !== t.number).flatMap((o) => {
        const v = valueAt(o.values, level);
        return v === undefined ? [] : [v];
      });
      const j = judgeAtRung(value, others, level, settings.reductionFactor, type);
      judgements.push(j);
      passed = level;
      if (!j.continues) {
        stop = `${RUNG_CUT_REASON} ${index + 1} (${level} epoch${level === 1 ? '' : 's'}) its value ${show(value)} ranked ${j.rank} of ${j.count}; only the best ${j.kept} continue`;
      }
    });
    if (stop !== undefined) out.push({ number: t.number, kind: 'stop', passed, judgements, reason: stop });
    else if (reached >= settings.maxResource) {
      out.push({ number: t.number, kind: 'max', passed: settings.maxResource, judgements, reason: `Hyperband: reached MaxResource (${settings.maxResource} epochs)` });
    } else if (passed !== t.passed) out.push({ number: t.number, kind: 'continue', passed, judgements });
  }
  return out;
}
