/**
 * Diagnosis of noisy6 (issue 15): the noise-free final value (epoch 27) of the configurations a sagetune method ran to
 * full length, from the curve's formula without its noise (problems.ts, noisy6NoiseFree). The best reported value of a
 * noisy problem mixes how good the configurations are with how lucky their last draw was; this separates the two.
 * The noise-free optimum is about 0.198.
 *
 *   npx ts-node --transpile-only bench/lc/noisy6-truth.ts --seeds 0-9 --methods sagetune-hyperband,sagetune-bayesian
 */
import { Command } from 'commander';
import { reportedValues } from '../../src/study/hyperband';
import { parseSeeds } from '../stats';
import { runEngine, type SagetuneMethod } from './engine';
import { EPOCHS, noisy6NoiseFree, normaliseAll, problemByName } from './problems';

async function main(): Promise<void> {
  const o = new Command()
    .option('--seeds <range>', 'seeds', '0-9')
    .option('--methods <list>', 'sagetune methods', 'sagetune-hyperband,sagetune-bayesian')
    .parse()
    .opts<{ seeds: string; methods: string }>();
  const problem = problemByName('noisy6');
  console.log('| method | seed | best reported | full-length jobs | best noise-free among them | noise-free at the best reported | median noise-free |');
  console.log('|---|---|---|---|---|---|---|');
  for (const method of o.methods.split(',') as SagetuneMethod[]) {
    for (const seed of parseSeeds(o.seeds)) {
      let rows: { reported: number; truth: number }[] = [];
      const r = await runEngine(problem, method, seed, 540, {}, (study) => {
        rows = study.trials
          .filter((t) => reportedValues(t).length >= EPOCHS)
          .map((t) => ({ reported: reportedValues(t)[EPOCHS - 1], truth: noisy6NoiseFree(normaliseAll(problem.params, t.hyperParameters as Record<string, number>), EPOCHS) }));
      });
      if (rows.length === 0) continue;
      const truths = rows.map((x) => x.truth).sort((a, b) => a - b);
      const picked = rows.reduce((a, b) => (b.reported < a.reported ? b : a));
      const f = (v: number) => v.toFixed(3);
      console.log(`| ${method} | ${seed} | ${f(r.final)} | ${rows.length} | ${f(truths[0])} | ${f(picked.truth)} | ${f(truths[Math.floor(truths.length / 2)])} |`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
