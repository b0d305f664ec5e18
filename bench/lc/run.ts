/**
 * `npx ts-node --transpile-only bench/lc/run.ts [options]`: the learning-curve benchmark of issue 15 for sagetune's
 * methods, through the real engine (see engine.ts). Appends one JSON line per run to `--out` (default
 * bench/results/lc-sagetune.jsonl) and skips runs already there (same problem, method, seed, budget and options).
 *
 *   nice -n 15 npx ts-node --transpile-only bench/lc/run.ts --seeds 0-19 --budget 540
 *   npx ts-node --transpile-only bench/lc/run.ts --parity     # writes bench/lc/data/parity.json for anchors.py
 *
 * The Optuna anchors: `nice -n 15 /usr/bin/python3 bench/lc/anchors.py --seeds 0-19 --budget 540`.
 * The tables: `npx ts-node --transpile-only bench/lc/report.ts`.
 */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/core/rng';
import { parseSeeds } from '../stats';
import { runEngine, SAGETUNE_METHODS, type LcRecord, type MethodOptions, type SagetuneMethod } from './engine';
import { allProblems, DATA_DIR, SYNTHETIC, type LcProblem } from './problems';

const ROOT = path.resolve(__dirname, '../..');

/** A few random configurations per synthetic problem and their curves, for anchors.py to check its port against. */
function writeParity(): void {
  const rng = new Rng(2026);
  const cases = SYNTHETIC.flatMap((p: LcProblem) =>
    Array.from({ length: 30 }, () => {
      const hp: Record<string, string | number> = {};
      for (const q of p.params) {
        const u = rng.next();
        if (q.kind === 'cat') hp[q.name] = q.values![Math.floor(u * q.values!.length)];
        else if (q.kind === 'int') hp[q.name] = Math.round(q.log ? Math.exp(Math.log(q.min!) + u * (Math.log(q.max!) - Math.log(q.min!))) : q.min! + u * (q.max! - q.min!));
        else hp[q.name] = q.log ? Math.exp(Math.log(q.min!) + u * (Math.log(q.max!) - Math.log(q.min!))) : q.min! + u * (q.max! - q.min!);
      }
      return { problem: p.name, hp, curve: p.curve(hp).values };
    }),
  );
  const file = path.join(DATA_DIR, 'parity.json');
  fs.writeFileSync(file, JSON.stringify(cases));
  console.log(`wrote ${path.relative(ROOT, file)} (${cases.length} cases)`);
}

export function recordKey(r: Pick<LcRecord, 'problem' | 'method' | 'seed' | 'budget' | 'options'>): string {
  return JSON.stringify([r.problem, r.method, r.seed, r.budget, r.options ?? {}]);
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--problems <list>', 'comma-separated problem names (default: all)')
    .option('--methods <list>', `comma-separated methods (default: ${SAGETUNE_METHODS.join(',')})`)
    .option('--seeds <range>', 'seeds, e.g. 0-19', '0-2')
    .option('--budget <epochs>', 'epochs per run', '540')
    .option('--eta <n>', 'Sagetune.Hyperband.ReductionFactor for the Hyperband methods (recorded as an option)')
    .option('--min-resource <n>', 'MinResource for the Hyperband methods (recorded as an option)')
    .option('--out <file>', 'JSONL file to append to', path.join(ROOT, 'bench/results/lc-sagetune.jsonl'))
    .option('--parity', 'write bench/lc/data/parity.json and exit')
    .parse();
  const o = program.opts<{ problems?: string; methods?: string; seeds: string; budget: string; eta?: string; minResource?: string; out: string; parity?: boolean }>();
  if (o.parity) return writeParity();
  const problems = allProblems().filter((p) => !o.problems || o.problems.split(',').includes(p.name));
  const methods = (o.methods ? o.methods.split(',') : [...SAGETUNE_METHODS]) as SagetuneMethod[];
  for (const m of methods) if (!SAGETUNE_METHODS.includes(m)) throw new Error(`unknown method ${m}`);
  const seeds = parseSeeds(o.seeds);
  const budget = Number(o.budget);
  const done = new Set(
    fs.existsSync(o.out)
      ? fs.readFileSync(o.out, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => recordKey(JSON.parse(l) as LcRecord))
      : [],
  );
  for (const problem of problems) {
    for (const method of methods) {
      const hb = method.startsWith('sagetune-hyperband');
      const opts: MethodOptions = hb ? { ...(o.eta ? { reductionFactor: Number(o.eta) } : {}), ...(o.minResource ? { minResource: Number(o.minResource) } : {}) } : {};
      for (const seed of seeds) {
        const key = recordKey({ problem: problem.name, method, seed, budget, ...(Object.keys(opts).length ? { options: { ...opts } } : {}) });
        if (done.has(key)) continue;
        const r = await runEngine(problem, method, seed, budget, opts);
        fs.appendFileSync(o.out, JSON.stringify(r) + '\n');
        console.log(`${problem.name} ${method} seed ${seed}: best ${r.final.toPrecision(5)} after ${r.jobs} jobs, ${r.epochs} epochs (${r.wall_s.toFixed(1)} s)`);
      }
    }
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
