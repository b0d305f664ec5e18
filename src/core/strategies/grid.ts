import type { Strategy, StrategyContext, StrategyResult } from './strategy';
import type { HyperParameters } from '../types';
import { enumerate } from './random';

/**
 * Grid search over categorical and integer ranges (SageMaker's Grid allows categorical ranges only; sagetune
 * also enumerates integer ranges). Suggests the combinations in lexicographic order, skipping those already seen;
 * returns fewer than asked once the grid is exhausted.
 */
export class GridStrategy implements Strategy {
  suggest(ctx: StrategyContext): StrategyResult {
    const points: HyperParameters[] = [];
    for (const hp of enumerate(ctx.space)) {
      if (points.length >= ctx.n) break;
      if (!ctx.seen.has(ctx.space.key(hp))) points.push(hp);
    }
    return { points };
  }
}
