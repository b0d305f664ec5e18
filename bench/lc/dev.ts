/**
 * Development runs of the learning-curve benchmark with instrumentation (issue 15 diagnosis): for each run of a
 * Hyperband method, how many jobs, how many reached MaxResource, the epochs they used, the brackets drawn and the
 * bracket sizes. Never on the report's seeds (0-19). (The variants of issue 15 were switched by a development-only
 * settings object in src/study/hyperband.ts, not committed; bench/lc/README.md gives their figures.)
 *
 *   nice -n 15 npx ts-node --transpile-only bench/lc/dev.ts --seeds 100-119 --name current
 */
import { Command } from 'commander';
import * as fs from 'node:fs';
import { reportedValues } from '../../src/study/hyperband';
import { parseSeeds } from '../stats';
import { runEngine, type SagetuneMethod } from './engine';
import { allProblems, EPOCHS } from './problems';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

async function main(): Promise<void> {
  const o = new Command()
    .option('--problems <list>')
    .option('--method <m>', 'method', 'sagetune-hyperband')
    .option('--seeds <range>', 'seeds', '100-119')
    .option('--budget <n>', 'epochs', '540')
    .option('--name <s>', 'label', 'base')
    .option('--out <file>', 'JSONL', '/tmp/hb2/dev.jsonl')
    .parse()
    .opts<{ problems?: string; method: string; seeds: string; budget: string; name: string; out: string }>();
  const problems = allProblems().filter((p) => !o.problems || o.problems.split(',').includes(p.name));
  for (const problem of problems) {
    const finals: number[] = [];
    const stats = { jobs: 0, full: 0, fullEpochs: 0, brackets: [0, 0, 0, 0, 0] };
    const seeds = parseSeeds(o.seeds);
    for (const seed of seeds) {
      let info = { jobs: 0, full: 0, fullEpochs: 0, brackets: [0, 0, 0, 0, 0] };
      const r = await runEngine(problem, o.method as SagetuneMethod, seed, Number(o.budget), {}, (study) => {
        const ended = study.trials.filter((t) => t.status !== 'InProgress');
        const full = ended.filter((t) => reportedValues(t).length >= EPOCHS);
        const brackets = [0, 0, 0, 0, 0];
        for (const t of study.trials) brackets[t.hyperband?.bracket ?? 4]++;
        info = { jobs: ended.length, full: full.length, fullEpochs: full.length * EPOCHS, brackets };
      });
      finals.push(r.final);
      stats.jobs += info.jobs / seeds.length;
      stats.full += info.full / seeds.length;
      stats.fullEpochs += info.fullEpochs / seeds.length;
      info.brackets.forEach((b, i) => (stats.brackets[i] += b / seeds.length));
      fs.appendFileSync(o.out, JSON.stringify({ name: o.name, method: o.method, problem: problem.name, seed, final: r.final, trajectory: r.trajectory, ...info }) + '\n');
    }
    const f = (x: number) => x.toFixed(1);
    console.log(
      `${o.name} ${problem.name}: median best ${median(finals).toPrecision(4)}; jobs ${f(stats.jobs)}, full ${f(stats.full)} (${f(stats.fullEpochs)} ep), brackets ${stats.brackets.map(f).join('/')}`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
