/**
 * Public types of the optimizer core. The search space is SageMaker's `ParameterRanges` exactly as the
 * AWS API (CreateHyperParameterTuningJob) defines it; MinValue/MaxValue may be given as strings (as the API
 * sends them) or as numbers.
 */

/** How a numeric range is searched. See {@link https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-define-ranges.html}. */
export type ScalingType = 'Auto' | 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';

export interface IntegerParameterRange {
  readonly Name: string;
  readonly MinValue: string | number;
  readonly MaxValue: string | number;
  /** @default 'Auto' */
  readonly ScalingType?: ScalingType;
}

export interface ContinuousParameterRange {
  readonly Name: string;
  readonly MinValue: string | number;
  readonly MaxValue: string | number;
  /** @default 'Auto' */
  readonly ScalingType?: ScalingType;
}

export interface CategoricalParameterRange {
  readonly Name: string;
  readonly Values: readonly string[];
}

/** SageMaker's `ParameterRanges`. */
export interface ParameterRanges {
  readonly IntegerParameterRanges?: readonly IntegerParameterRange[];
  readonly ContinuousParameterRanges?: readonly ContinuousParameterRange[];
  readonly CategoricalParameterRanges?: readonly CategoricalParameterRange[];
}

/** A hyperparameter value: a number for integer and continuous ranges, a string for categorical ones. */
export type HyperParameterValue = number | string;
export type HyperParameters = Record<string, HyperParameterValue>;

export type ObjectiveType = 'Minimize' | 'Maximize';

/** Search strategies. `Bayesian` is the Gaussian-process optimizer; the others are model-free. */
export type StrategyName = 'Bayesian' | 'Random' | 'Sobol' | 'Grid';

/** One suggestion returned by {@link Optimizer.ask}. */
export interface Suggestion {
  /** Identifier to pass back to `tell` or `fail`. Unique within one optimizer and its history. */
  readonly id: string;
  readonly hyperParameters: HyperParameters;
}

/** The state of one trial as the optimizer sees it. */
export type TrialState = 'pending' | 'completed' | 'failed';

/** One trial in an optimizer's history: what was suggested (or observed) and what came of it. */
export interface HistoryTrial {
  readonly id: string;
  readonly hyperParameters: HyperParameters;
  readonly state: TrialState;
  /** The objective value as the user reports it (not negated for Maximize). Present iff `state === 'completed'`. */
  readonly value?: number;
  /** Why the trial failed, when it did. */
  readonly reason?: string;
}

/**
 * Everything needed to rebuild an optimizer: the trials in the order they were suggested or observed, and
 * model state kept between calls (warm start of the GP fit). `createOptimizer(config, history)` on this
 * value suggests exactly what the original optimizer would have suggested next.
 */
export interface OptimizerHistory {
  readonly trials: readonly HistoryTrial[];
  /** Opaque model state (e.g. the last GP hyperparameters). Optional: omitting it costs only fit time. */
  readonly modelState?: Readonly<Record<string, unknown>>;
}

/** Options of the Bayesian strategy. Every field is optional; defaults are tuned on the benchmark suite. */
export interface BayesianOptions {
  /** Number of quasi-random (scrambled Sobol) points before the GP takes over. @default max(5, min(2 * d + 1, 20)) where d is the encoded dimension */
  readonly initialPoints?: number;
  /** Quasi-random candidates scored per acquisition optimization. @default 2048 */
  readonly candidates?: number;
  /** Best candidates refined by local search. @default 5 */
  readonly localSearchStarts?: number;
  /** At most this many observations are used to fit the GP (the best ones plus a spread of the rest). @default 1000 */
  readonly maxFitPoints?: number;
}

/** Configuration of {@link createOptimizer}. Field names follow SageMaker's tuning-job config. */
export interface OptimizerConfig {
  readonly ParameterRanges: ParameterRanges;
  readonly Objective: { readonly Type: ObjectiveType };
  /** @default 'Bayesian' */
  readonly Strategy?: StrategyName;
  /** Seed of every random choice: same seed and history, same suggestions. @default 0 */
  readonly RandomSeed?: number;
  /** Options of the Bayesian strategy; ignored by the others. */
  readonly Bayesian?: BayesianOptions;
}

/** A completed trial as {@link Optimizer.recommend} describes it. */
export interface RecommendedTrial {
  readonly id: string;
  readonly hyperParameters: HyperParameters;
  /** Its reported objective value. */
  readonly value: number;
  /**
   * The model's estimate of its noise-free objective value (the GP's posterior mean there, in the objective's units).
   * Absent when no model is fitted (model-free strategies, or fewer than two distinct values).
   */
  readonly predicted?: number;
}

/** What {@link Optimizer.recommend} returns. */
export interface Recommendation extends RecommendedTrial {
  /**
   * `posterior-mean`: the trial whose model estimate is best (Bayesian); `best-reported`: the trial with the best
   * reported value (no model).
   */
  readonly basis: 'posterior-mean' | 'best-reported';
  /** The completed trial with the best reported value (the same trial as the recommendation, or not). */
  readonly bestReported: RecommendedTrial;
}

/** The ask/tell optimizer. */
export interface Optimizer {
  readonly strategy: StrategyName;
  /**
   * Suggests `n` new configurations (default 1), distinct from each other, from every evaluated configuration
   * and from every pending one. Suggestions stay pending until told or failed, and later asks take them into
   * account. May return fewer than `n` only when the space is finite and exhausted (Grid, or tiny discrete spaces).
   */
  ask(n?: number): Promise<Suggestion[]>;
  /** Reports the objective value of a pending suggestion. Throws {@link OptimizerError} on an unknown id, a non-finite value or a second report. */
  tell(id: string, value: number): void;
  /** Marks a pending suggestion as failed; failed configurations never inform the model's fit. */
  fail(id: string, reason?: string): void;
  /** A serializable snapshot from which `createOptimizer(config, history)` rebuilds this optimizer exactly. */
  history(): OptimizerHistory;
  /**
   * The configuration to use, among the trials run: for the Bayesian strategy, the completed trial with the best
   * posterior mean (the model's estimate of its noise-free value, which weighs each reported value against its
   * neighbours'), for the others the best reported trial. On a noisy metric the best reported value is often a lucky
   * draw; the two differ then. Undefined before any trial completed. Pure: it changes nothing the optimizer suggests.
   */
  recommend(): Recommendation | undefined;
}
