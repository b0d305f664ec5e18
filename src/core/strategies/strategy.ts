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
  /**
   * Model-based strategies: the model's estimate of the objective (oriented for minimization) at completed trials,
   * by index in `ctx.trials` (`ctx.n` is 0). Pure, like `suggest`. Without it the best reported trial is recommended.
   */
  recommend?(ctx: StrategyContext): ReadonlyMap<number, number> | undefined;
}
