import type { Rng } from '../rng';
import type { SearchSpace } from '../space';
import type { BayesianOptions, HyperParameters } from '../types';

/** A trial as a strategy sees it: encoded, with the objective already oriented for minimization. */
export interface EncodedTrial {
  readonly x: Float64Array;
  readonly key: string;
  readonly state: 'pending' | 'completed' | 'failed';
  /** Objective to minimize (negated for Maximize). Present for completed trials. */
  readonly y?: number;
}

export interface StrategyContext {
  readonly space: SearchSpace;
  readonly trials: readonly EncodedTrial[];
  /** Keys of every configuration already suggested or observed; suggestions must avoid them (and each other). */
  readonly seen: ReadonlySet<string>;
  readonly n: number;
  /** Randomness for this ask, derived from the seed and the history length. */
  readonly rng: Rng;
  readonly seed: number;
  readonly bayesian: BayesianOptions;
  readonly modelState?: Readonly<Record<string, unknown>>;
}

export interface StrategyResult {
  readonly points: HyperParameters[];
  readonly modelState?: Record<string, unknown>;
}

/** A search strategy: proposes up to `n` new configurations. Pure: everything it uses comes in the context. */
export interface Strategy {
  suggest(ctx: StrategyContext): StrategyResult;
}
