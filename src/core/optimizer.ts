/**
 * The ask/tell optimizer: bookkeeping of suggestions and results around a pure strategy.
 *
 * Reproducibility: the randomness of each `ask` comes from a generator seeded with (RandomSeed, number of
 * trials so far, n), and the model state kept between asks is part of the history. So an optimizer rebuilt with
 * `createOptimizer(config, optimizer.history())` suggests exactly what the original would have.
 */
import { OptimizerError, describeValue, isRecord } from './errors';
import { Rng, hashSeed } from './rng';
import { SearchSpace } from './space';
import { BayesianStrategy } from './strategies/bayesian';
import { GridStrategy } from './strategies/grid';
import { RandomStrategy } from './strategies/random';
import { SobolStrategy } from './strategies/sobol';
import type { EncodedTrial, Strategy, StrategyContext } from './strategies/strategy';
import type {
  BayesianOptions,
  HistoryTrial,
  HyperParameters,
  Optimizer,
  OptimizerConfig,
  OptimizerHistory,
  Recommendation,
  RecommendedTrial,
  StrategyName,
  Suggestion,
  TrialState,
} from './types';

const STRATEGIES: Record<StrategyName, () => Strategy> = {
  Bayesian: () => new BayesianStrategy(),
  Random: () => new RandomStrategy(),
  Sobol: () => new SobolStrategy(),
  Grid: () => new GridStrategy(),
};

/** Most suggestions one `ask` may return. */
export const MAX_ASK = 1000;

interface TrialRecord {
  id: string;
  hyperParameters: HyperParameters;
  key: string;
  x: Float64Array;
  state: TrialState;
  value?: number;
  reason?: string;
}

class AskTellOptimizer implements Optimizer {
  readonly strategy: StrategyName;
  private readonly space: SearchSpace;
  private readonly impl: Strategy;
  private readonly seed: number;
  private readonly sign: number;
  private readonly trials: TrialRecord[] = [];
  private readonly byId = new Map<string, TrialRecord>();
  private modelState: Record<string, unknown> | undefined;

  constructor(private readonly config: OptimizerConfig, history?: OptimizerHistory) {
    if (!isRecord(config)) {
      throw new OptimizerError(`the optimizer's config must be an object with ParameterRanges and Objective; got ${describeValue(config)}`);
    }
    const strategy = config.Strategy ?? 'Bayesian';
    if (typeof strategy !== 'string' || !Object.hasOwn(STRATEGIES, strategy)) {
      throw new OptimizerError(`Strategy must be one of ${Object.keys(STRATEGIES).join(', ')}; got ${describeValue(strategy)}`);
    }
    const type = config.Objective?.Type;
    if (type !== 'Minimize' && type !== 'Maximize') {
      throw new OptimizerError(`Objective.Type must be 'Minimize' or 'Maximize'; got ${describeValue(type)}`);
    }
    const seed = config.RandomSeed ?? 0;
    if (!Number.isSafeInteger(seed)) {
      throw new OptimizerError(`RandomSeed must be an integer of at most ${Number.MAX_SAFE_INTEGER} in magnitude; got ${describeValue(seed)}`);
    }
    checkBayesianOptions(config.Bayesian);
    this.strategy = strategy;
    this.seed = seed;
    this.sign = type === 'Maximize' ? -1 : 1;
    this.space = SearchSpace.fromRanges(config.ParameterRanges, strategy);
    this.impl = STRATEGIES[strategy]();
    if (history) this.restore(history);
  }

  private restore(history: OptimizerHistory): void {
    if (typeof history !== 'object' || history === null || !Array.isArray(history.trials)) {
      throw new OptimizerError(`history must be an object with a list of trials (as history() returns); got ${describeValue(history)}`);
    }
    history.trials.forEach((t: HistoryTrial, i) => {
      const where = `history.trials[${i}]`;
      if (typeof t !== 'object' || t === null) throw new OptimizerError(`${where} must be an object with id, hyperParameters and state; got ${describeValue(t)}`);
      if (typeof t.id !== 'string' || t.id === '') throw new OptimizerError(`${where}.id must be a non-empty string; got ${describeValue(t.id)}`);
      if (this.byId.has(t.id)) throw new OptimizerError(`${where}.id ${JSON.stringify(t.id)} appears twice`);
      if (!isRecord(t.hyperParameters)) {
        throw new OptimizerError(`${where}.hyperParameters must be an object of parameter values; got ${describeValue(t.hyperParameters)}`);
      }
      const problem = this.space.check(t.hyperParameters);
      if (problem) throw new OptimizerError(`${where}.hyperParameters ${problem}`);
      if (t.state !== 'pending' && t.state !== 'completed' && t.state !== 'failed') {
        throw new OptimizerError(`${where}.state must be 'pending', 'completed' or 'failed'; got ${describeValue(t.state)}`);
      }
      if (t.state === 'completed' && (typeof t.value !== 'number' || !Number.isFinite(t.value))) {
        throw new OptimizerError(`${where}.value must be a finite number for a completed trial; got ${describeValue(t.value)}`);
      }
      const hp = this.space.normalize(t.hyperParameters);
      this.add({
        id: t.id,
        hyperParameters: hp,
        key: this.space.key(hp),
        x: this.space.encode(hp),
        state: t.state,
        // A value belongs to a completed trial only, a reason to a failed one (as tell() and fail() record them).
        value: t.state === 'completed' ? t.value : undefined,
        reason: t.state === 'failed' && t.reason !== undefined ? String(t.reason) : undefined,
      });
    });
    const state: unknown = history.modelState;
    if (state !== undefined) {
      if (!isRecord(state)) {
        throw new OptimizerError(`history.modelState must be an object (as history() returns it); got ${describeValue(state)}`);
      }
      try {
        this.modelState = structuredClone(state);
      } catch {
        throw new OptimizerError('history.modelState must hold plain data (numbers, strings, lists, objects); it cannot be copied');
      }
    }
  }

  private add(r: TrialRecord): void {
    this.trials.push(r);
    this.byId.set(r.id, r);
  }

  private context(n: number, rng: Rng): StrategyContext {
    const encoded: EncodedTrial[] = this.trials.map((t) => ({
      x: t.x,
      key: t.key,
      state: t.state,
      y: t.state === 'completed' ? this.sign * (t.value as number) : undefined,
    }));
    return {
      space: this.space,
      trials: encoded,
      seen: new Set(this.trials.map((t) => t.key)),
      n,
      rng,
      seed: this.seed,
      bayesian: this.config.Bayesian ?? {},
      modelState: this.modelState,
    };
  }

  async ask(n = 1): Promise<Suggestion[]> {
    if (!Number.isInteger(n) || n < 1 || n > MAX_ASK) {
      throw new OptimizerError(`ask(n): n must be an integer from 1 to ${MAX_ASK}; got ${describeValue(n)}`);
    }
    const rng = new Rng(hashSeed(this.seed, this.trials.length, n));
    const result = this.impl.suggest(this.context(n, rng));
    if (result.modelState) this.modelState = result.modelState;
    return result.points.map((hp) => {
      const id = this.nextId();
      this.add({ id, hyperParameters: hp, key: this.space.key(hp), x: this.space.encode(hp), state: 'pending' });
      return { id, hyperParameters: { ...hp } };
    });
  }

  private nextId(): string {
    let k = this.trials.length;
    while (this.byId.has(String(k))) k++;
    return String(k);
  }

  private pending(id: string, verb: string): TrialRecord {
    const t = this.byId.get(id);
    if (!t) throw new OptimizerError(`${verb}: unknown suggestion id ${JSON.stringify(id)}`);
    if (t.state !== 'pending') {
      throw new OptimizerError(`${verb}: suggestion ${JSON.stringify(id)} was already reported (${t.state}); each suggestion is reported once`);
    }
    return t;
  }

  tell(id: string, value: number): void {
    const t = this.pending(id, 'tell');
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new OptimizerError(`tell: the value for suggestion ${JSON.stringify(id)} must be a finite number; got ${describeValue(value)} (report a failed evaluation with fail())`);
    }
    t.state = 'completed';
    t.value = value;
  }

  fail(id: string, reason?: string): void {
    const t = this.pending(id, 'fail');
    t.state = 'failed';
    if (reason !== undefined) t.reason = String(reason);
  }

  recommend(): Recommendation | undefined {
    const completed = this.trials.map((t, i) => ({ t, i })).filter(({ t }) => t.state === 'completed');
    if (completed.length === 0) return undefined;
    let best = completed[0];
    for (const c of completed) if (this.sign * (c.t.value as number) < this.sign * (best.t.value as number)) best = c;
    // Its own stream (n = 0 is never an ask's), so a recommendation draws nothing from the asks' randomness.
    const predicted = this.impl.recommend?.(this.context(0, new Rng(hashSeed(this.seed, this.trials.length, 0))));
    const describe = (c: { t: TrialRecord; i: number }): RecommendedTrial => {
      const p = predicted?.get(c.i);
      return {
        id: c.t.id,
        hyperParameters: { ...c.t.hyperParameters },
        value: c.t.value as number,
        ...(p !== undefined && Number.isFinite(p) ? { predicted: this.sign * p } : {}),
      };
    };
    let pick: { t: TrialRecord; i: number } | undefined;
    if (predicted) {
      for (const c of completed) {
        const p = predicted.get(c.i);
        if (p !== undefined && Number.isFinite(p) && (pick === undefined || p < (predicted.get(pick.i) as number))) pick = c;
      }
    }
    const bestReported = describe(best);
    if (!pick) return { ...bestReported, basis: 'best-reported', bestReported };
    return { ...describe(pick), basis: 'posterior-mean', bestReported };
  }

  history(): OptimizerHistory {
    return {
      trials: this.trials.map((t) => ({
        id: t.id,
        hyperParameters: { ...t.hyperParameters },
        state: t.state,
        ...(t.value !== undefined ? { value: t.value } : {}),
        ...(t.reason !== undefined ? { reason: t.reason } : {}),
      })),
      ...(this.modelState ? { modelState: structuredClone(this.modelState) } : {}),
    };
  }
}

/** Smallest allowed value of each Bayesian option (all are whole numbers). */
const BAYESIAN_OPTION_MINIMUMS: Record<keyof BayesianOptions, number> = {
  initialPoints: 1,
  candidates: 1,
  localSearchStarts: 1,
  // The fit needs two observations; fewer would leave every suggestion after the design to chance.
  maxFitPoints: 2,
};

function checkBayesianOptions(options: unknown): void {
  if (options === undefined) return;
  if (!isRecord(options)) {
    throw new OptimizerError(`Bayesian must be an object of options (${Object.keys(BAYESIAN_OPTION_MINIMUMS).join(', ')}); got ${describeValue(options)}`);
  }
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(BAYESIAN_OPTION_MINIMUMS, key)) {
      problems.push(`Bayesian.${key}: unknown option; allowed: ${Object.keys(BAYESIAN_OPTION_MINIMUMS).join(', ')}`);
      continue;
    }
    const min = BAYESIAN_OPTION_MINIMUMS[key as keyof BayesianOptions];
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= min)) {
      problems.push(`Bayesian.${key} must be a whole number >= ${min}; got ${describeValue(value)}`);
    }
  }
  if (problems.length > 0) throw new OptimizerError(problems.join('; '));
}

/**
 * Creates an ask/tell optimizer over SageMaker `ParameterRanges`.
 *
 * @param config ranges, objective direction, strategy (default `Bayesian`) and seed (default 0).
 * @param history a snapshot from {@link Optimizer.history} (or built by hand from recorded trials) to continue from.
 * @throws SearchSpaceError listing every problem of the ranges; OptimizerError for a bad config or history.
 */
export function createOptimizer(config: OptimizerConfig, history?: OptimizerHistory): Optimizer {
  return new AskTellOptimizer(config, history);
}
