/**
 * Diagnosis of the noisy problems (issue 16): every trial of a sequential Bayesian run, its reported (noisy) value and
 * its true regret, one JSON line per seed ({"seed", "ys", "tr"}). The quality records keep only the regret at the
 * best reported trial; this shows where the trials went (how many near the optimum, how many far from it, and when).
 * `bench/anchors/noisy-trials.py` writes the same lines for scikit-learn GP-EI; `bench/results/noisy-trials-dev/
 * summarize.py` compares them.
 *
 *   npx ts-node --transpile-only bench/noisy-trials.ts --function branin_noise0.1 --seeds 100-119 > ours.jsonl
 */
import { Command } from 'commander';
import { createOptimizer } from '../src/core';
import { Rng, hashSeed } from '../src/core/rng';
import { benchFunction } from './functions';
import { NOISE_STREAM } from './quality';
import { parseSeeds } from './stats';

async function main(): Promise<void> {
  const o = new Command()
    .requiredOption('--function <name>', 'a noisy problem, e.g. branin_noise0.1')
    .option('--seeds <range>', 'seeds', '100-119')
    .parse()
    .opts<{ function: string; seeds: string }>();
  const fn = benchFunction(o.function);
  const noiseSd = fn.noiseSd;
  if (!noiseSd) throw new Error(`--function: ${fn.name} is not a noisy problem (the noisy ones end in _noise0.1, _noise1 or _hetero)`);
  for (const seed of parseSeeds(o.seeds)) {
    const opt = createOptimizer({ ParameterRanges: fn.parameterRanges, Objective: { Type: 'Minimize' }, Strategy: 'Bayesian', RandomSeed: seed });
    // The quality runs' noise stream, so that a run here is the run recorded there.
    const noise = new Rng(hashSeed(seed, NOISE_STREAM));
    const ys: number[] = [];
    const tr: number[] = [];
    while (ys.length < fn.budget) {
      const [s] = await opt.ask(1);
      const truth = fn.evaluate(s.hyperParameters);
      const y = truth + noiseSd(s.hyperParameters) * noise.normal();
      opt.tell(s.id, y);
      ys.push(y);
      tr.push(truth - fn.fstar);
    }
    console.log(JSON.stringify({ seed, ys, tr }));
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
