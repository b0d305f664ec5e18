/**
 * `npx ts-node --transpile-only bench/lc/report.ts [--budget 540] [--out bench/results/lc.md]`: the tables of the
 * learning-curve benchmark from bench/results/lc-sagetune.jsonl and lc-optuna.jsonl (runs with options, e.g. another
 * reduction factor, are shown as their own method, `method[eta=2]`).
 *
 * Definitions:
 * - best(e): a run's best job result after `e` epochs spent (see engine.ts); Infinity before its first result.
 * - curve table: median [25th, 75th percentile] over the seeds of best(e) at a grid of epochs.
 * - target of a problem: the median over the seeds of the full-fidelity Bayesian strategy's best at the budget
 *   (`sagetune-bayesian`). epochs to target: per seed, the first epoch count at which best(e) <= target (Infinity
 *   when the run never gets there within the budget); the table shows the median over the seeds and how many reached.
 * - The bar (issue 15): (1) at the budget, sagetune-hyperband's median best is at or below the best median among
 *   the other methods (the anchors: Optuna TPE with HyperbandPruner / SuccessiveHalvingPruner, random search with
 *   successive halving (Optuna's and sagetune's), sagetune's Bayesian strategy at full fidelity with and without the
 *   median rule) on at least 4 of 5 problems; (2) its median epochs to target is at most a third of the budget on at
 *   least 3 of 5.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { percentile } from '../stats';
import type { LcRecord } from './engine';

const ROOT = path.resolve(__dirname, '../..');

/** The best result after `epochs` epochs spent. */
export function bestAt(trajectory: readonly (readonly [number, number])[], epochs: number): number {
  let best = Infinity;
  for (const [e, v] of trajectory) {
    if (e > epochs) break;
    best = v;
  }
  return best;
}

/** The first epoch count at which the best is at or below `target` (Infinity if never). */
export function epochsTo(trajectory: readonly (readonly [number, number])[], target: number): number {
  for (const [e, v] of trajectory) if (v <= target) return e;
  return Infinity;
}

/** A method's name in the tables: its method, with its options when it has any. */
export function methodLabel(r: Pick<LcRecord, 'method' | 'options'>): string {
  const o = r.options ?? {};
  const keys = Object.keys(o).sort();
  if (keys.length === 0) return r.method;
  const short: Record<string, string> = { reductionFactor: 'eta', minResource: 'rmin' };
  return `${r.method}[${keys.map((k) => `${short[k] ?? k}=${String(o[k])}`).join(',')}]`;
}

export const METHOD_ORDER = [
  'sagetune-hyperband',
  'sagetune-hyperband-random',
  'sagetune-bayesian',
  'sagetune-bayesian-median',
  'optuna-tpe-hyperband',
  'optuna-tpe-sha',
  'optuna-random-sha',
];

export interface ProblemSummary {
  readonly problem: string;
  readonly seeds: number[];
  readonly target: number;
  readonly methods: { label: string; runs: LcRecord[]; finals: number[]; toTarget: number[] }[];
}

function readLines(file: string): LcRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LcRecord)
    .filter((r) => r.kind === 'run');
}

/** Groups runs by problem and method label, keeping the seeds every method of the problem has (the last run of a seed wins). */
export function summarize(records: readonly LcRecord[], budget: number): ProblemSummary[] {
  const out: ProblemSummary[] = [];
  const problems = [...new Set(records.filter((r) => r.budget === budget).map((r) => r.problem))];
  for (const problem of problems) {
    const byLabel = new Map<string, Map<number, LcRecord>>();
    for (const r of records) {
      if (r.problem !== problem || r.budget !== budget) continue;
      const label = methodLabel(r);
      if (!byLabel.has(label)) byLabel.set(label, new Map());
      byLabel.get(label)!.set(r.seed, r);
    }
    const base = byLabel.get('sagetune-bayesian');
    if (!base) continue;
    const seeds = [...base.keys()].filter((s) => [...byLabel.values()].every((m) => m.has(s))).sort((a, b) => a - b);
    if (seeds.length === 0) continue;
    const target = percentile(
      seeds.map((s) => base.get(s)!.final),
      50,
    );
    const labels = [...byLabel.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    out.push({
      problem,
      seeds,
      target,
      methods: labels.map((label) => {
        const runs = seeds.map((s) => byLabel.get(label)!.get(s)!);
        return { label, runs, finals: runs.map((r) => bestAt(r.trajectory, budget)), toTarget: runs.map((r) => epochsTo(r.trajectory, target)) };
      }),
    });
  }
  return out;
}

function rank(label: string): number {
  const base = label.replace(/\[.*$/, '');
  const i = METHOD_ORDER.indexOf(base);
  return i < 0 ? METHOD_ORDER.length : i;
}

const fmt = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(4)) : '—');
const q = (vs: number[], p: number): number => percentile(vs, p);
const cell = (vs: number[]): string => `${fmt(q(vs, 50))} [${fmt(q(vs, 25))}, ${fmt(q(vs, 75))}]`;

export interface BarRow {
  readonly problem: string;
  readonly hb: number;
  readonly bestAnchor: string;
  readonly bestAnchorValue: number;
  readonly equalEpochsMet: boolean;
  readonly hbEpochsToTarget: number;
  readonly thirdMet: boolean;
}

/** The bar's two items per problem, for the method `hbLabel` (default sagetune-hyperband) against every non-sagetune-hyperband method. */
export function barRows(summaries: readonly ProblemSummary[], budget: number, hbLabel = 'sagetune-hyperband'): BarRow[] {
  return summaries.flatMap((s) => {
    const hb = s.methods.find((m) => m.label === hbLabel);
    if (!hb) return [];
    const anchors = s.methods.filter((m) => !m.label.startsWith('sagetune-hyperband['));
    const others = anchors.filter((m) => m.label !== hbLabel && m.label !== 'sagetune-hyperband');
    let bestAnchor = '';
    let bestAnchorValue = Infinity;
    for (const m of others) {
      const v = q(m.finals, 50);
      if (v < bestAnchorValue) {
        bestAnchorValue = v;
        bestAnchor = m.label;
      }
    }
    const hbMedian = q(hb.finals, 50);
    const hbTo = q(hb.toTarget, 50);
    return [{ problem: s.problem, hb: hbMedian, bestAnchor, bestAnchorValue, equalEpochsMet: hbMedian <= bestAnchorValue, hbEpochsToTarget: hbTo, thirdMet: hbTo <= budget / 3 }];
  });
}

export function render(summaries: readonly ProblemSummary[], budget: number, sources: string): string {
  const grid = [budget / 20, budget / 10, budget / 6, budget / 3, budget / 2, (2 * budget) / 3, budget].map(Math.round);
  const lines: string[] = [];
  lines.push('# Learning-curve benchmark (issue 15): Hyperband in sagetune\'s engine against its anchors', '');
  lines.push(`Generated by \`npx ts-node --transpile-only bench/lc/report.ts --budget ${budget}\` from ${sources}. Edit the code, not this file. Definitions: bench/lc/report.ts and bench/lc/engine.ts; problems: bench/lc/problems.ts; how it was run: BENCHMARKS.md.`, '');
  lines.push(`Budget: ${budget} epochs per run (${budget / 27} jobs of 27 epochs), one job at a time. Best = the best job result so far (a job's result is its last reported value, also when it was stopped early). Cells: median [25th, 75th percentile] over the seeds.`, '');
  const hbRows = barRows(summaries, budget);
  if (hbRows.length > 0) {
    lines.push('## The bar', '');
    lines.push('| problem | seeds | sagetune-hyperband median best | best other method (median best) | at or below? | hyperband epochs to the Bayesian result (median) | <= budget/3? |');
    lines.push('|---|---|---|---|---|---|---|');
    for (const r of hbRows) {
      const s = summaries.find((x) => x.problem === r.problem)!;
      lines.push(`| ${r.problem} | ${s.seeds.length} | ${fmt(r.hb)} | ${r.bestAnchor} (${fmt(r.bestAnchorValue)}) | ${r.equalEpochsMet ? 'yes' : 'no'} | ${fmt(r.hbEpochsToTarget)} | ${r.thirdMet ? 'yes' : 'no'} |`);
    }
    const a = hbRows.filter((r) => r.equalEpochsMet).length;
    const b = hbRows.filter((r) => r.thirdMet).length;
    lines.push('');
    lines.push(`- At equal epochs, at or below the best other method: ${a} of ${hbRows.length} problems (bar: 4 of 5): **${a >= 4 && hbRows.length >= 5 ? 'met' : 'not met'}**.`);
    lines.push(`- Reaches the full-fidelity Bayesian result with at most a third of the epochs: ${b} of ${hbRows.length} (bar: 3 of 5): **${b >= 3 && hbRows.length >= 5 ? 'met' : 'not met'}**.`, '');
  }
  for (const s of summaries) {
    lines.push(`## ${s.problem}`, '');
    lines.push(`Seeds: ${s.seeds.length} (${s.seeds[0]}–${s.seeds[s.seeds.length - 1]}). Target (median final best of sagetune-bayesian): ${fmt(s.target)}.`, '');
    lines.push(`Best objective against epochs spent:`, '');
    lines.push(`| method | ${grid.map((g) => `${g} ep`).join(' | ')} | jobs (median) |`);
    lines.push(`|---|${grid.map(() => '---').join('|')}|---|`);
    for (const m of s.methods) {
      lines.push(`| ${m.label} | ${grid.map((g) => cell(m.runs.map((r) => bestAt(r.trajectory, g)))).join(' | ')} | ${fmt(q(m.runs.map((r) => r.jobs), 50))} |`);
    }
    lines.push('');
    lines.push('Epochs to reach the target:', '');
    lines.push('| method | median [25th, 75th] | seeds that reached it | median as a fraction of the budget |');
    lines.push('|---|---|---|---|');
    for (const m of s.methods) {
      const med = q(m.toTarget, 50);
      lines.push(`| ${m.label} | ${cell(m.toTarget)} | ${m.toTarget.filter(Number.isFinite).length} of ${m.toTarget.length} | ${Number.isFinite(med) ? (med / budget).toFixed(2) : '—'} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export const LC_INPUTS = ['bench/results/lc-sagetune.jsonl', 'bench/results/lc-optuna.jsonl'];
export const LC_BUDGET = 540;

/** The summary section of BENCHMARKS.md (undefined without results): the bar and two compact tables. */
export function lcSection(root: string, budget = LC_BUDGET, inputs = LC_INPUTS): string | undefined {
  const records = inputs.flatMap((f) => readLines(path.resolve(root, f)));
  const summaries = summarize(records, budget);
  if (summaries.length === 0) return undefined;
  const full = render(summaries, budget, inputs.map((f) => `\`${f}\``).join(' and '));
  const bar = full.slice(full.indexOf('## The bar'), full.indexOf('\n## ', full.indexOf('## The bar') + 3));
  const labels = [...new Set(summaries.flatMap((x) => x.methods.map((m) => m.label)))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const L: string[] = [];
  L.push('## Learning curves: Hyperband in sagetune\'s engine (issue 15)', '');
  L.push(
    `Multi-fidelity benchmark in \`bench/lc/\` (problems.ts, engine.ts, anchors.py; the full tables, with best-so-far at 7 points of the budget and quartiles: \`bench/results/lc.md\`). ` +
      `Five problems whose jobs report a loss every epoch for 27 epochs: three synthetic (crossing curves, plateaus, heavy noise, diverging runs) and two tables of curves of real models trained here ` +
      `(the quick start's network on breast cancer; gradient boosting on digits; 512 configurations each, served by nearest neighbour: a surrogate benchmark like LCBench/YAHPO). ` +
      `sagetune's methods run through the real engine (\`runStudy\`, simulated backend, fake clock), the Optuna 3.1 anchors in Python on the same curves; one job at a time, ${budget} epochs per run, ` +
      'seeds fixed before judging. Commands: `nice -n 15 npx ts-node --transpile-only bench/lc/run.ts --seeds 0-19 --budget 540`, `nice -n 15 /usr/bin/python3 bench/lc/anchors.py --seeds 0-19 --budget 540`, ' +
      '`npx ts-node --transpile-only bench/lc/report.ts`.',
    '',
  );
  L.push(bar.replace('## The bar', '### The bar').trim(), '');
  L.push(`### Median best at ${budget} epochs`, '');
  L.push(`| method | ${summaries.map((x) => x.problem).join(' | ')} |`);
  L.push(`|---|${summaries.map(() => '---').join('|')}|`);
  for (const label of labels) {
    L.push(`| ${label} | ${summaries.map((x) => { const m = x.methods.find((k) => k.label === label); return m ? fmt(q(m.finals, 50)) : ''; }).join(' | ')} |`);
  }
  L.push('');
  L.push('### Median epochs to reach the full-fidelity Bayesian result (seeds that reached it)', '');
  L.push(`| method | ${summaries.map((x) => `${x.problem} (target ${fmt(x.target)})`).join(' | ')} |`);
  L.push(`|---|${summaries.map(() => '---').join('|')}|`);
  for (const label of labels) {
    L.push(`| ${label} | ${summaries.map((x) => { const m = x.methods.find((k) => k.label === label); return m ? `${fmt(q(m.toTarget, 50))} (${m.toTarget.filter(Number.isFinite).length}/${m.toTarget.length})` : ''; }).join(' | ')} |`);
  }
  L.push('');
  return L.join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const get = (k: string, d: string): string => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : d;
  };
  const budget = Number(get('--budget', String(LC_BUDGET)));
  const files = get('--inputs', LC_INPUTS.join(',')).split(',');
  const out = get('--out', 'bench/results/lc.md');
  const records = files.flatMap((f) => readLines(path.resolve(ROOT, f)));
  const md = render(summarize(records, budget), budget, files.map((f) => `\`${f}\``).join(' and '));
  fs.writeFileSync(path.resolve(ROOT, out), md + '\n');
  console.log(md);
}

if (require.main === module) main();
