/**
 * BENCHMARKS.md sections of issue 16: the noisy problems beside their anchors (regret = true value at the best
 * reported trial), and the ratios of the parallel modes to sequential over a seed set (the batch bar).
 */
import { BENCH_FUNCTIONS, NOISY_FUNCTIONS } from './functions';
import type { QualityRecord } from './quality';
import { describeSeeds, label, latestRuns, type MetaRecord } from './report';
import { bootstrapMedianRatio, fmtRegret, median, percentile } from './stats';

/** One anchor run on a noisy problem (`bench/anchors/noisy-regret.jsonl`): regret_final is at the best reported trial. */
export interface NoisyAnchorRun {
  readonly kind: 'run';
  readonly function: string;
  readonly optimizer: string;
  readonly seed: number;
  readonly regret_final: number;
  readonly regret_best_true?: number;
}

export interface NoisyInputs {
  readonly quality: readonly (QualityRecord | MetaRecord)[];
  readonly anchors: readonly NoisyAnchorRun[];
  readonly file: string;
  readonly anchorsFile: string;
  /** The folder's NOTE.md: the seed rule, fixed before the runs. */
  readonly note?: string;
}

/** Meta lines once each (an invocation writes the same line into every strategy's file). */
const unique = (metas: readonly MetaRecord[]): MetaRecord[] => [...new Map(metas.map((m) => [m.run_id, m])).values()];

const cellOf = (xs: readonly number[]): string =>
  xs.length === 0 ? '-' : `${fmtRegret(median(xs))} [${fmtRegret(percentile(xs, 25))}, ${fmtRegret(percentile(xs, 75))}]`;

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** The bar on one noisy problem: Bayesian (sequential) median at or below gp_ei's and strictly below tpe's. */
export interface NoisyVerdictRow {
  readonly function: string;
  readonly seeds: number;
  readonly bayesian?: number;
  readonly gpEi?: number;
  readonly tpe?: number;
  readonly pass?: boolean;
}

export function noisyVerdict(runs: readonly QualityRecord[], anchors: readonly NoisyAnchorRun[]): NoisyVerdictRow[] {
  return NOISY_FUNCTIONS.map((f) => {
    const ours = runs.filter((r) => r.function === f.name && r.strategy === 'Bayesian' && r.mode === 'seq').map((r) => r.regret_final);
    const of = (o: string): number[] => anchors.filter((a) => a.function === f.name && a.optimizer === o).map((a) => a.regret_final);
    const bayesian = ours.length ? median(ours) : undefined;
    const gpEi = of('gp_ei').length ? median(of('gp_ei')) : undefined;
    const tpe = of('tpe').length ? median(of('tpe')) : undefined;
    return {
      function: f.name,
      seeds: ours.length,
      bayesian,
      gpEi,
      tpe,
      pass: bayesian !== undefined && gpEi !== undefined && tpe !== undefined ? bayesian <= gpEi && bayesian < tpe : undefined,
    };
  });
}

export function renderNoisy(inp: NoisyInputs): string[] {
  const runs = latestRuns(inp.quality);
  if (runs.length === 0) return [];
  const metas = inp.quality.filter((r): r is MetaRecord => r.kind === 'meta' && runs.some((x) => x.run_id === r.run_id));
  const L: string[] = ['## Noisy problems: true regret at the best reported trial', ''];
  if (inp.note) L.push(inp.note.trim(), '');
  L.push(
    `From \`${inp.file}\` (${unique(metas).map((m) => `\`${m.command}\` — ${m.date}, code ${m.rev}`).join('; ')}) and the anchors in \`${inp.anchorsFile}\` ` +
      '(`bench/anchors/anchors.py`, same problems, budgets and seeds; its noise draws come from numpy, ours from the core\'s generator, ' +
      'so the two see different draws of the same noise). The optimizer is told f(x) + noise; regret = f(x) - f* (noise-free) at ' +
      'the trial with the best reported value, as a user would pick it. `rec` = the same at `Optimizer.recommend()`\'s trial (best ' +
      'posterior mean); `oracle` = the best true value among the trials run (what no one can pick on a noisy metric). Medians ' +
      '[25th, 75th percentile] over seeds.',
    '',
  );
  const verdict = noisyVerdict(runs, inp.anchors);
  const passed = verdict.filter((v) => v.pass === true).length;
  L.push(
    `- Bar: Bayesian (sequential) median regret at the best reported trial at or below scikit-learn GP-EI (WhiteKernel) and ` +
      `below Optuna TPE on every noisy problem: ${passed} of ${verdict.length}: **${passed === verdict.length ? 'PASS' : 'FAIL'}**` +
      (verdict.some((v) => v.pass === undefined) ? ' (not every problem measured)' : ''),
    '',
  );
  const labels = [...new Set(runs.map(label))].sort();
  const anchorNames = ['random', 'tpe', 'gp_ei'];
  const rows: string[][] = [];
  for (const f of NOISY_FUNCTIONS) {
    const v = verdict.find((x) => x.function === f.name) as NoisyVerdictRow;
    for (const lab of labels) {
      const rs = runs.filter((r) => r.function === f.name && label(r) === lab);
      if (rs.length === 0) continue;
      rows.push([
        f.name,
        lab,
        String(rs.length),
        `${describeSeeds(rs.map((r) => r.seed))}`,
        cellOf(rs.map((r) => r.regret_final)),
        cellOf(rs.filter((r) => r.regret_recommended !== undefined).map((r) => r.regret_recommended as number)),
        cellOf(rs.filter((r) => r.regret_best_true !== undefined).map((r) => r.regret_best_true as number)),
        lab === 'Bayesian' ? (v.pass === undefined ? 'n/a' : v.pass ? 'yes' : '**no**') : '',
      ]);
    }
    for (const a of anchorNames) {
      const rs = inp.anchors.filter((r) => r.function === f.name && r.optimizer === a);
      if (rs.length === 0) continue;
      rows.push([
        f.name,
        a,
        String(rs.length),
        describeSeeds(rs.map((r) => r.seed)),
        cellOf(rs.map((r) => r.regret_final)),
        '-',
        cellOf(rs.filter((r) => r.regret_best_true !== undefined).map((r) => r.regret_best_true as number)),
        '',
      ]);
    }
  }
  L.push(...table(['problem', 'optimizer', 'runs', 'seeds', 'regret at best reported', 'rec', 'oracle', 'bar met?'], rows), '');
  L.push(
    'Noise of each problem (sd as a fraction of the function\'s range, `bench/functions.ts`):',
    '',
    ...NOISY_FUNCTIONS.map((f) => `- \`${f.name}\`: ${f.noise ?? ''}`),
    '',
  );
  return L;
}

/** Limits of the issue-16 parallel bar: median regret of a mode over its sequential median. */
export const PARALLEL_LIMITS: Readonly<Record<string, number>> = { b4: 1.25, a4: 1.5 };

/** The ratios of Bayesian_b4 and Bayesian_a4 to sequential over one seed set (runs paired by seed). */
export function renderParallel(runs: readonly QualityRecord[], file: string, metas: readonly MetaRecord[], note?: string): string[] {
  const bayes = runs.filter((r) => r.strategy === 'Bayesian');
  const functions = BENCH_FUNCTIONS.map((f) => f.name).filter((fn) => bayes.some((r) => r.function === fn));
  const modes = Object.keys(PARALLEL_LIMITS).filter((m) => bayes.some((r) => r.mode === m));
  if (modes.length === 0 || !bayes.some((r) => r.mode === 'seq')) return [];
  const seeds = new Set(bayes.map((r) => r.seed));
  const L: string[] = [`## Parallel modes against sequential over ${seeds.size} seeds (${describeSeeds(seeds)})`, ''];
  if (note) L.push(note.trim(), '');
  L.push(
    `From \`${file}\` (${unique(metas).map((m) => `\`${m.command}\` — ${m.date}, code ${m.rev}`).join('; ')}). Issue 16's bar: ` +
      modes.map((m) => `Bayesian_${m} median final regret within ${PARALLEL_LIMITS[m]}x of sequential`).join(', ') +
      ' on every function. `90%`: percentile-bootstrap interval of the ratio, resampling seeds (runs paired by seed).',
    '',
  );
  const verdicts: string[] = [];
  const rows = functions.map((fn) => {
    const seq = new Map(bayes.filter((r) => r.function === fn && r.mode === 'seq').map((r) => [r.seed, r.regret_final]));
    const cells: string[] = [fn, seq.size ? fmtRegret(median([...seq.values()])) : '-'];
    for (const m of modes) {
      const other = new Map(bayes.filter((r) => r.function === fn && r.mode === m).map((r) => [r.seed, r.regret_final]));
      const pairs = [...seq].filter(([s]) => other.has(s)).map(([s, v]): [number, number] => [v, other.get(s) as number]);
      if (pairs.length === 0) {
        cells.push('-', '-', '-', 'n/a');
        continue;
      }
      const iv = bootstrapMedianRatio(pairs, { limit: PARALLEL_LIMITS[m] });
      const ok = iv.ratio <= PARALLEL_LIMITS[m];
      if (!ok) verdicts.push(`${fn} ${m}`);
      cells.push(fmtRegret(median(pairs.map((p) => p[1]))), fmtRegret(iv.ratio), `${fmtRegret(iv.lo)} - ${fmtRegret(iv.hi)}`, ok ? 'yes' : '**no**');
    }
    return cells;
  });
  const missing = BENCH_FUNCTIONS.map((f) => f.name).filter((fn) => !functions.includes(fn));
  const verdict = verdicts.length > 0 ? 'FAIL' : missing.length > 0 ? 'NOT MEASURED on every function' : 'PASS';
  L.push(
    `- ${modes.map((m) => `${m} <= ${PARALLEL_LIMITS[m]}x`).join(', ')} on every function: **${verdict}**` +
      (verdicts.length ? ` (not within: ${verdicts.join(', ')})` : '') +
      (missing.length ? ` (not run over these seeds: ${missing.join(', ')})` : ''),
    '',
  );
  L.push(...table(['function', 'Bayesian', ...modes.flatMap((m) => [`Bayesian_${m}`, `${m} / seq`, `${m} / seq 90%`, `<= ${PARALLEL_LIMITS[m]}x?`])], rows), '');
  return L;
}
