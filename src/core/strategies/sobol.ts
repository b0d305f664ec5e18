import { Rng, hashSeed } from '../rng';
import { SobolSequence } from '../sobol';
import type { Strategy, StrategyContext, StrategyResult } from './strategy';
import { drawDistinct } from './random';

/**
 * Scrambled Sobol search: point i of one scrambled sequence per seed, where i counts the trials before it.
 * Fills the space more evenly than random search with the same number of points.
 */
export class SobolStrategy implements Strategy {
  suggest(ctx: StrategyContext): StrategyResult {
    const { space } = ctx;
    const seq = new SobolSequence(space.size, new Rng(hashSeed(ctx.seed, 0x5083)));
    let index = ctx.trials.length;
    const draw = (): Float64Array => space.fromUnit(seq.point(index++));
    return { points: drawDistinct(space, ctx.seen, ctx.n, ctx.rng, draw) };
  }
}
