import type { SearchSpace } from '../space';
import type { Rng } from '../rng';
import type { HyperParameters } from '../types';
import type { Strategy, StrategyContext, StrategyResult } from './strategy';

/** Enumerates a finite space (callers check `cardinality()` first), in lexicographic order of codes. */
export function* enumerate(space: SearchSpace): Generator<HyperParameters> {
  const counts = space.dims.map((d) => (d.kind === 'categorical' ? d.values.length : d.kind === 'integer' ? d.max - d.min + 1 : 1));
  const idx = new Array<number>(counts.length).fill(0);
  while (true) {
    const hp: HyperParameters = {};
    space.dims.forEach((d, i) => {
      hp[d.name] = d.kind === 'categorical' ? d.values[idx[i]] : d.kind === 'integer' ? d.min + idx[i] : d.min;
    });
    yield hp;
    let i = counts.length - 1;
    while (i >= 0 && ++idx[i] >= counts[i]) idx[i--] = 0;
    if (i < 0) return;
  }
}

/**
 * Draws up to `n` configurations that are not in `seen` (nor repeated), from `draw`. When draws keep colliding
 * in a small finite space, falls back to picking at random among the configurations not yet seen.
 */
export function drawDistinct(
  space: SearchSpace,
  seen: ReadonlySet<string>,
  n: number,
  rng: Rng,
  draw: () => Float64Array,
): HyperParameters[] {
  const taken = new Set(seen);
  const out: HyperParameters[] = [];
  let misses = 0;
  while (out.length < n && misses < 64) {
    const hp = space.decode(draw());
    const key = space.key(hp);
    if (taken.has(key)) {
      misses++;
      continue;
    }
    taken.add(key);
    out.push(hp);
  }
  if (out.length < n && space.cardinality() <= 1e6) {
    const rest = [...enumerate(space)].filter((hp) => !taken.has(space.key(hp)));
    rng.shuffle(rest);
    out.push(...rest.slice(0, n - out.length));
  }
  return out;
}

/** Uniform random search: every parameter drawn independently, log-scaled ones log-uniformly. */
export class RandomStrategy implements Strategy {
  suggest(ctx: StrategyContext): StrategyResult {
    const { space, rng } = ctx;
    const draw = (): Float64Array => space.fromUnit(Array.from({ length: space.size }, () => rng.next()));
    return { points: drawDistinct(space, ctx.seen, ctx.n, rng, draw) };
  }
}
