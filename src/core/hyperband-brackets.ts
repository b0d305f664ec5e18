/**
 * Bracket draws from given proportions (see core/hyperband.ts for Hyperband's own). Pure and seeded as
 * drawBracket (core/hyperband.ts) is: the same uniform per (seed, trial number), so Hyperband's proportions draw the same brackets.
 */
import { bracketCount, type HyperbandSettings } from './hyperband';
import { Rng, hashSeed } from './rng';

/**
 * Equal proportions over the brackets: as many new trials start in the bracket that runs to MaxResource as in the
 * most aggressive one. sagetune's Hyperband draws from these rather than Hyperband's own proportions
 * (bracketWeights in core/hyperband.ts: 55% / 24% / 12% / 8% with rungs 1, 3, 9): with a small budget and a first rung that ranks
 * configurations badly, Hyperband's proportions spent the budget on trials cut after an epoch. Measured with the
 * model over (configuration, resource), learning-curve benchmark (bench/lc), development seeds 100-119, 540 epochs,
 * median best, Hyperband's -> equal proportions: crossing 0.0957 -> 0.0956, plateau 0.0685 -> 0.0642, noisy6
 * 0.2556 -> 0.2462, quickstart 0.0514 -> 0.0489, gbdigits 0.0725 -> 0.0690 (bench/lc/README.md).
 */
export function equalBracketWeights(settings: HyperbandSettings): number[] {
  return Array.from({ length: bracketCount(settings) }, () => 1 / bracketCount(settings));
}

/** The bracket of a new trial, drawn from `weights` (non-negative, summing to a positive total) by its seeded uniform. */
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
