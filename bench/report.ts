/**
 * Renders the benchmark tables (BENCHMARKS.md) from the raw JSONL results, next to the anchors, and computes the
 * issue's bar as a verdict. Nothing here runs an optimizer: `npm run bench -- --report` re-renders without rerunning.
 */
import * as fs from 'node:fs';
import { BENCH_FUNCTIONS, benchFunction } from './functions';
import type { QualityRecord } from './quality';
import { jobKey } from './quality';
import { SPEED_BAR_MS, type SpeedRecord } from './speed';
import { BOOTSTRAP_RESAMPLES, bootstrapMedianRatio, fmtMs, fmtRegret, mean, median, percentile, type RatioInterval } from './stats';

/** Anchor optimizers in the anchors' column order. */
export const ANCHOR_OPTIMIZERS = ['random', 'tpe', 'tpe_mv', 'cmaes', 'gp_ei', 'tpe_b4', 'gp_ei_b4'] as const;

/** One `kind: "meta"` line: how, where and on which code a benchmark invocation ran. */
export interface MetaRecord {
  readonly kind: 'meta';
  readonly run_id: string;
  readonly suite: 'quality' | 'speed';
  readonly command: string;
  readonly date: string;
  readonly node: string;
  readonly nproc: number;
  readonly cpu: string;
  readonly loadavg: number[];
  readonly workers: number;
  /** `git rev-parse --short HEAD`, with `+dirty` when src/core had uncommitted changes. */
  readonly rev: string;
}

/** One row of anchor results (`bench/anchors/final-regret.jsonl`, `kind: "run"`); times in seconds. */
export interface AnchorRun {
  readonly kind: 'run';
  readonly function: string;
  readonly optimizer: string;
  readonly seed: number;
  readonly budget: number;
  readonly regret_final: number;
  readonly regret_25: number;
  readonly regret_50: number;
  readonly t_suggest_end_mean: number;
}

export interface AnchorTiming {
  readonly kind: 'gp_timing';
  readonly n: number;
  readonly total_s: number;
  readonly fit_s: number;
  readonly acq_s: number;
}

/** Summary of one (function, optimizer) cell. Times in ms. */
export interface Cell {
  readonly seeds: number;
  readonly final: number;
  readonly q25: number;
  readonly q75: number;
  readonly at25: number;
  readonly at50: number;
  readonly tSuggestMs: number;
}

/** Reads a JSONL file; a line that is not JSON is reported with its file and line number. */
export function readJsonl<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => ({ line: line.trim(), i }))
    .filter(({ line }) => line !== '')
    .map(({ line, i }) => {
      try {
        return JSON.parse(line) as T;
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not a JSON line (${(e as Error).message})`);
      }
    });
}

/** Our label: the strategy for sequential runs, `<strategy>_<mode>` for batches (like the anchors' `tpe_b4`). */
export const label = (r: { strategy: string; mode: string }): string => (r.mode === 'seq' ? r.strategy : `${r.strategy}_${r.mode}`);

/** Quality records, the last one per job winning (a rerun replaces an earlier result). */
export function latestRuns(records: readonly (QualityRecord | MetaRecord)[]): QualityRecord[] {
  const byKey = new Map<string, QualityRecord>();
  for (const r of records) if (r.kind === 'run') byKey.set(jobKey(r), r);
  return [...byKey.values()];
}

function cell(rows: readonly { regret_final: number; regret_25: number; regret_50: number; tMs: number }[]): Cell {
  const fin = rows.map((r) => r.regret_final);
  return {
    seeds: rows.length,
    final: median(fin),
    q25: percentile(fin, 25),
    q75: percentile(fin, 75),
    at25: median(rows.map((r) => r.regret_25)),
    at50: median(rows.map((r) => r.regret_50)),
    tSuggestMs: mean(rows.map((r) => r.tMs)),
  };
}

/** cells[function][label] for our runs and the anchors' runs. */
export function summarize(ours: readonly QualityRecord[], anchors: readonly AnchorRun[]): Map<string, Map<string, Cell>> {
  const groups = new Map<string, Map<string, { regret_final: number; regret_25: number; regret_50: number; tMs: number }[]>>();
  const add = (fn: string, lab: string, row: { regret_final: number; regret_25: number; regret_50: number; tMs: number }): void => {
    if (!groups.has(fn)) groups.set(fn, new Map());
    const g = groups.get(fn) as Map<string, typeof row[]>;
    if (!g.has(lab)) g.set(lab, []);
    (g.get(lab) as (typeof row)[]).push(row);
  };
  for (const r of ours) add(r.function, label(r), { ...r, tMs: r.t_suggest_end_mean_ms });
  for (const a of anchors) add(a.function, `anchor:${a.optimizer}`, { ...a, tMs: a.t_suggest_end_mean * 1000 });
  const out = new Map<string, Map<string, Cell>>();
  for (const [fn, g] of groups) out.set(fn, new Map([...g].map(([lab, rows]) => [lab, cell(rows)])));
  return out;
}

export interface VerdictRow {
  readonly function: string;
  readonly bayesian?: number;
  readonly bestAnchor?: { readonly name: string; readonly value: number };
  readonly tpe?: number;
  readonly b4?: number;
  /** Bayesian median final regret <= the best anchor's. */
  readonly beatsBest?: boolean;
  /** Bayesian median final regret <= Optuna TPE's (default, sequential). */
  readonly beatsTpe?: boolean;
  /** Bayesian_b4 median final regret <= 2 x Bayesian's. */
  readonly batchWithin2x?: boolean;
}

export interface Verdict {
  readonly rows: VerdictRow[];
  readonly functionsMeasured: number;
  readonly beatsBestCount: number;
  readonly qualityPass: boolean;
  readonly batchPass: boolean;
}

/**
 * The issue's bar: Bayesian median final regret at or below the best anchor on at least 5 of the 7 functions,
 * and no worse than Optuna TPE on any; batch-4 median final regret within 2x of sequential (on every function).
 * A function without Bayesian results counts as failing, so a partial run can never pass.
 */
export function computeVerdict(cells: Map<string, Map<string, Cell>>, functions: readonly string[] = BENCH_FUNCTIONS.map((f) => f.name)): Verdict {
  const rows: VerdictRow[] = functions.map((fn) => {
    const g = cells.get(fn) ?? new Map<string, Cell>();
    const bayes = g.get('Bayesian')?.final;
    const b4 = g.get('Bayesian_b4')?.final;
    const tpe = g.get('anchor:tpe')?.final;
    let bestAnchor: { name: string; value: number } | undefined;
    for (const a of ANCHOR_OPTIMIZERS) {
      const v = g.get(`anchor:${a}`)?.final;
      if (v !== undefined && (!bestAnchor || v < bestAnchor.value)) bestAnchor = { name: a, value: v };
    }
    return {
      function: fn,
      bayesian: bayes,
      bestAnchor,
      tpe,
      b4,
      beatsBest: bayes !== undefined && bestAnchor !== undefined ? bayes <= bestAnchor.value : undefined,
      beatsTpe: bayes !== undefined && tpe !== undefined ? bayes <= tpe : undefined,
      batchWithin2x: bayes !== undefined && b4 !== undefined ? b4 <= 2 * bayes : undefined,
    };
  });
  const beatsBestCount = rows.filter((r) => r.beatsBest === true).length;
  return {
    rows,
    functionsMeasured: rows.filter((r) => r.bayesian !== undefined).length,
    beatsBestCount,
    qualityPass: beatsBestCount >= Math.min(5, functions.length) && rows.every((r) => r.beatsTpe === true),
    batchPass: rows.every((r) => r.batchWithin2x === true),
  };
}

const yesNo = (b: boolean | undefined): string => (b === undefined ? 'n/a' : b ? 'yes' : '**no**');
const opt = (v: number | undefined): string => (v === undefined ? '-' : fmtRegret(v));

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** Our column order: Bayesian first, then its parallel modes (`b<k>` before `a<k>`), then the model-free baselines. */
function ourLabels(runs: readonly QualityRecord[]): string[] {
  const rank = (s: string): number => ['Bayesian', 'Sobol', 'Random'].indexOf(s);
  const seen = new Map<string, QualityRecord>();
  for (const r of runs) seen.set(label(r), r);
  return [...seen.values()]
    .sort((a, b) => rank(a.strategy) - rank(b.strategy) || a.batch - b.batch || b.mode.localeCompare(a.mode))
    .map(label);
}

/** Regrets below this are at the optimum to about 5 digits; comparisons between such values are noted, not waived. */
export const NEGLIGIBLE_REGRET = 1e-4;

function note(r: VerdictRow): string {
  const tiny = (x: number | undefined): boolean => x !== undefined && x < NEGLIGIBLE_REGRET;
  const notes: string[] = [];
  if (r.beatsBest === false && tiny(r.bayesian) && tiny(r.bestAnchor?.value)) notes.push('both regrets < 1e-4');
  if (r.batchWithin2x === false && tiny(r.bayesian) && tiny(r.b4)) notes.push('seq and b4 regrets < 1e-4');
  return notes.join('; ');
}

/**
 * Per function, the bootstrap interval of Bayesian_b4 / Bayesian (median final regrets), the runs paired by seed;
 * only seeds run in both modes count.
 */
export function batchRatioIntervals(runs: readonly QualityRecord[]): Map<string, RatioInterval> {
  const byFn = new Map<string, { seq: Map<number, number>; b4: Map<number, number> }>();
  for (const r of runs) {
    if (r.strategy !== 'Bayesian' || (r.mode !== 'seq' && r.mode !== 'b4')) continue;
    let modes = byFn.get(r.function);
    if (!modes) byFn.set(r.function, (modes = { seq: new Map(), b4: new Map() }));
    modes[r.mode].set(r.seed, r.regret_final);
  }
  const out = new Map<string, RatioInterval>();
  for (const [fn, { seq, b4 }] of byFn) {
    const pairs = [...seq].filter(([seed]) => b4.has(seed)).map(([seed, v]): [number, number] => [v, b4.get(seed) as number]);
    if (pairs.length > 0) out.set(fn, bootstrapMedianRatio(pairs));
  }
  return out;
}

const fmtShare = (x: number): string => `${Math.round(100 * x)}%`;

/** `intervals` (from {@link batchRatioIntervals}) adds how much the batch ratio can be trusted. */
export function renderVerdict(v: Verdict, intervals?: ReadonlyMap<string, RatioInterval>): string[] {
  const L: string[] = [];
  L.push(
    `- Quality: Bayesian median final regret at or below the best anchor on **${v.beatsBestCount} of ${v.rows.length}** functions ` +
      `(needs 5), no worse than Optuna TPE on ${v.rows.filter((r) => r.beatsTpe === true).length} of ${v.rows.length} (needs all): ` +
      `**${v.qualityPass ? 'PASS' : 'FAIL'}**` +
      (v.functionsMeasured < v.rows.length ? ` (only ${v.functionsMeasured} functions measured)` : ''),
  );
  L.push(
    `- Batches: Bayesian_b4 median final regret within 2x of sequential on ${v.rows.filter((r) => r.batchWithin2x === true).length} of ${v.rows.length}: ` +
      `**${v.batchPass ? 'PASS' : 'FAIL'}**`,
  );
  L.push(
    `- The comparisons are strict. A note marks a failed comparison between regrets that are all below 1e-4 ` +
      '(points at the optimum to about 5 digits, where the ratio says little about the optimizer); it does not change the verdict.',
  );
  if (intervals) {
    L.push(
      '- `b4 / seq 90%`: percentile-bootstrap interval of the ratio of the two medians, resampling seeds (runs paired ' +
        `by seed, ${BOOTSTRAP_RESAMPLES} resamples); \`<= 2x in\`: the share of resamples in which the ratio is at most 2. They measure how ` +
        'much the seeds decide the batch verdict; the verdict itself is the ratio over the seeds run.',
    );
  }
  L.push('');
  const interval = (fn: string): string[] => {
    const iv = intervals?.get(fn);
    return iv ? [`${fmtRegret(iv.lo)} - ${fmtRegret(iv.hi)}`, fmtShare(iv.withinLimit)] : ['-', '-'];
  };
  L.push(
    ...table(
      [
        'function',
        'Bayesian',
        'best anchor',
        '<= best?',
        'tpe',
        '<= tpe?',
        'Bayesian_b4',
        'b4 / seq',
        '<= 2x?',
        ...(intervals ? ['b4 / seq 90%', '<= 2x in'] : []),
        'note',
      ],
      v.rows.map((r) => [
        r.function,
        opt(r.bayesian),
        r.bestAnchor ? `${fmtRegret(r.bestAnchor.value)} (${r.bestAnchor.name})` : '-',
        yesNo(r.beatsBest),
        opt(r.tpe),
        yesNo(r.beatsTpe),
        opt(r.b4),
        r.b4 !== undefined && r.bayesian !== undefined && r.bayesian > 0 ? fmtRegret(r.b4 / r.bayesian) : '-',
        yesNo(r.batchWithin2x),
        ...(intervals ? interval(r.function) : []),
        note(r),
      ]),
    ),
  );
  return L;
}

export interface SpeedRow {
  readonly n: number;
  readonly reps: number;
  readonly medianMs: number;
  readonly maxMs: number;
  readonly buildMedianMs: number;
  /** Median warm ask(1) (rebuilt with model state); undefined for records made before it was measured. */
  readonly warmMedianMs?: number;
  /** Median CPU time of the cold ask(1); undefined for records made before it was measured. */
  readonly cpuMedianMs?: number;
  readonly heapMaxMb: number;
  readonly rssPeakMb: number;
  readonly rssBaselineMb: number;
  readonly barMs?: number;
  readonly pass?: boolean;
}

/** Speed records (the latest invocation per n wins) aggregated per n. */
export function summarizeSpeed(records: readonly SpeedRecord[]): SpeedRow[] {
  const latest = new Map<number, string>();
  for (const r of records) latest.set(r.n, r.run_id);
  return [...latest]
    .sort(([a], [b]) => a - b)
    .map(([n, runId]) => {
      const rs = records.filter((r) => r.n === n && r.run_id === runId);
      const med = median(rs.map((r) => r.ask_ms));
      const bar = SPEED_BAR_MS[n];
      return {
        n,
        reps: rs.length,
        medianMs: med,
        maxMs: Math.max(...rs.map((r) => r.ask_ms)),
        buildMedianMs: median(rs.map((r) => r.build_ms)),
        cpuMedianMs: rs.every((r) => r.ask_cpu_ms !== undefined) ? median(rs.map((r) => r.ask_cpu_ms as number)) : undefined,
        warmMedianMs: rs.every((r) => r.warm_ask_ms !== undefined) ? median(rs.map((r) => r.warm_ask_ms as number)) : undefined,
        heapMaxMb: Math.max(...rs.map((r) => r.heap_used_mb)),
        rssPeakMb: Math.max(...rs.map((r) => r.rss_peak_mb)),
        rssBaselineMb: Math.min(...rs.map((r) => r.rss_baseline_mb)),
        barMs: bar,
        pass: bar === undefined ? undefined : med < bar,
      };
    });
}

function describeMeta(m: MetaRecord): string {
  return (
    `\`${m.command}\` — ${m.date}, code ${m.rev}, ${m.workers} worker(s); machine: ${m.nproc} cores (${m.cpu}), ` +
    `node ${m.node}, load average at start ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}`
  );
}

export interface ReportInputs {
  readonly quality: readonly (QualityRecord | MetaRecord)[];
  readonly speed: readonly (SpeedRecord | MetaRecord)[];
  readonly anchors: readonly (AnchorRun | AnchorTiming)[];
  readonly qualityFile: string;
  readonly speedFile: string;
  readonly anchorsFile: string;
  /**
   * Optional extra runs over other seed sets (e.g. 0-59, or a fresh block), each reported beside the bar as a check of
   * its robustness, in the order given.
   */
  readonly robustness?: readonly RobustnessSet[];
  /** Further sections, appended as given (e.g. the learning-curve benchmark's summary, bench/lc/report.ts). */
  readonly extra?: string;
}

/** Runs over another seed set, and the files they came from. */
export interface RobustnessSet {
  readonly quality: readonly (QualityRecord | MetaRecord)[];
  readonly file: string;
  /** Why this seed set was run and how it is read (the folder's NOTE.md), shown under its heading. */
  readonly note?: string;
}

/** `0-59`, `1000-1099`, or `0-19, 40` for seeds with gaps. */
export function describeSeeds(seeds: Iterable<number>): string {
  const sorted = [...new Set(seeds)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** The bar recomputed over another seed set: the 20-seed medians of the bar move by tens of percent between seed sets. */
function renderRobustness(rob: RobustnessSet, runs: readonly QualityRecord[], anchorRuns: readonly AnchorRun[], functions: readonly string[]): string[] {
  const seeds = new Set(runs.map((r) => r.seed));
  const metas = rob.quality.filter((r): r is MetaRecord => r.kind === 'meta' && runs.some((x) => x.run_id === r.run_id));
  const L: string[] = [`## Robustness: the bar over ${seeds.size} seeds (${describeSeeds(seeds)})`, ''];
  if (rob.note) L.push(rob.note.trim(), '');
  L.push(
    `From \`${rob.file}\` (${metas.map((m) => describeMeta(m)).join('; ')}). Medians over ${seeds.size} seeds ` +
      '(the anchors keep their 20). A median of 20 seeds of a bimodal regret moves by tens of percent between seed ' +
      'sets, so a verdict that holds here as well as above does not hang on the seeds chosen.',
    '',
  );
  L.push(...renderVerdict(computeVerdict(summarize(runs, anchorRuns), functions), batchRatioIntervals(runs)), '');
  return L;
}

/** The whole BENCHMARKS.md. */
export function renderReport(inp: ReportInputs): string {
  const runs = latestRuns(inp.quality);
  const anchorRuns = inp.anchors.filter((a): a is AnchorRun => a.kind === 'run');
  const anchorTiming = inp.anchors.filter((a): a is AnchorTiming => a.kind === 'gp_timing');
  const cells = summarize(runs, anchorRuns);
  const labels = ourLabels(runs);
  const anchorCols = ANCHOR_OPTIMIZERS.map((a) => `anchor:${a}`);
  const functions = BENCH_FUNCTIONS.map((f) => f.name);
  const metas = new Map<string, MetaRecord>();
  for (const r of [...inp.quality, ...inp.speed]) if (r.kind === 'meta') metas.set(r.run_id, r);
  const usedRunIds = new Set<string>([...runs.map((r) => r.run_id)]);
  const speedRecords = inp.speed.filter((r): r is SpeedRecord => r.kind === 'speed');
  const speedRows = summarizeSpeed(speedRecords);
  for (const r of speedRecords) usedRunIds.add(r.run_id);

  const L: string[] = [];
  L.push('# Benchmarks', '');
  L.push(
    `Generated by \`npm run bench -- --report\` from \`${inp.qualityFile}\`, \`${inp.speedFile}\` and the anchors in ` +
      `\`${inp.anchorsFile}\` (measured on this kind of machine with \`bench/anchors/anchors.py\`; see \`bench/anchors/README.md\`). ` +
      'Edit the code, not this file.',
    '',
  );
  L.push('## How these numbers were produced', '');
  const used = [...metas.values()].filter((m) => usedRunIds.has(m.run_id));
  if (used.length === 0) L.push('- (no results yet)');
  for (const m of used) L.push(`- ${m.suite}: ${describeMeta(m)}`);
  const revs = new Set(used.filter((m) => m.suite === 'quality').map((m) => m.rev));
  if (revs.size > 1) L.push(`- Note: quality results come from ${revs.size} code revisions (${[...revs].join(', ')}).`);
  L.push('');
  L.push(
    'Definitions (the anchors\'): regret = best value found - f*. Cells: median [25th, 75th percentile] over seeds. ' +
      '`@25%`/`@50%` = median regret after budget//4 and budget//2 evaluations. `t/sugg` = mean wall time per ' +
      'suggestion (ms) over the last max(5, budget//10) suggestions (batch modes: time of ask(4) / 4), averaged over seeds. ' +
      'Labels: `Bayesian`, `Sobol`, `Random` = sagetune, sequential ask(1)/tell; `_b4` = ask(4), evaluate all 4, tell all 4; ' +
      '`_a4` = asynchronous, 4 trials always running, each for a random time (log-uniform over 0.5-2), and when the ' +
      'first finishes it is told and ask(1) starts another with 3 pending (how a study with 4 parallel jobs runs). ' +
      'Lower-case columns are the anchors: `random`, Optuna 3.1 `tpe`, `tpe_mv` (multivariate), `cmaes`, scikit-learn ' +
      '`gp_ei`, and their batch-4 variants. Seeds 0-19 everywhere; each run seeded with `RandomSeed: seed`.',
    '',
  );

  L.push(
    'Reproduce (each run is deterministic given its seed; timings depend on the machine and its load):',
    '',
    '```sh',
    'npm run bench -- --quality --workers 2   # Random, Sobol, Bayesian x 7 functions x seeds 0-19 x seq,b4 (skips recorded runs; --fresh reruns)',
    'npm run bench -- --speed --workers 1     # Bayesian ask(1) after n = 50..1000 observations',
    'npm run bench -- --report                # this file, from bench/results/*.jsonl',
    '```',
    '',
  );
  L.push("## The issue's bar", '');
  L.push(...renderVerdict(computeVerdict(cells, functions), batchRatioIntervals(runs)), '');
  const sets = (inp.robustness ?? []).map((set) => ({ set, runs: latestRuns(set.quality) })).filter((s) => s.runs.length > 0);
  if (sets.length > 0) {
    L.push(
      `The same bar over ${sets.map((s) => `seeds ${describeSeeds(s.runs.map((x) => x.seed))}`).join(' and ')} follows ` +
        '(Robustness); a seed set with a note says there how its verdict is read.',
      '',
    );
  }
  for (const { set, runs: setRuns } of sets) L.push(...renderRobustness(set, setRuns, anchorRuns, functions));

  // Summary tables: the model-free strategies only sequentially (their batches draw from the same distribution);
  // every mode appears in the per-function tables.
  const summaryLabels = labels.filter((l) => l.startsWith('Bayesian') || !l.includes('_'));
  const header = ['function', ...summaryLabels, ...ANCHOR_OPTIMIZERS];
  L.push('## Summary: median final simple regret (sagetune | anchors)', '');
  L.push(...table(header, functions.map((fn) => [fn, ...[...summaryLabels, ...anchorCols].map((c) => opt(cells.get(fn)?.get(c)?.final))])), '');
  L.push('## Summary: mean time per suggestion at end of run (ms)', '');
  L.push(
    ...table(
      header,
      functions.map((fn) => [
        fn,
        ...[...summaryLabels, ...anchorCols].map((c) => {
          const v = cells.get(fn)?.get(c)?.tSuggestMs;
          return v === undefined ? '-' : fmtMs(v);
        }),
      ]),
    ),
    '',
  );
  L.push('Our times and the anchors\' were measured in different runs (both with 2 worker processes on 2 cores); ratios are indicative only.', '');

  for (const fn of functions) {
    const f = benchFunction(fn);
    const g = cells.get(fn);
    if (!g) continue;
    L.push(`## ${fn} (d=${f.dim}, budget ${f.budget}, f*=${Number(f.fstar.toPrecision(12))})`, '');
    const rows = [...labels, ...anchorCols]
      .filter((c) => g.has(c))
      .map((c) => {
        const x = g.get(c) as Cell;
        return [
          c.replace(/^anchor:/, ''),
          String(x.seeds),
          `${fmtRegret(x.final)} [${fmtRegret(x.q25)}, ${fmtRegret(x.q75)}]`,
          fmtRegret(x.at25),
          fmtRegret(x.at50),
          fmtMs(x.tSuggestMs),
        ];
      });
    L.push(
      ...table(
        ['optimizer', 'seeds', 'final regret median [q25, q75]', `@25% (n=${Math.floor(f.budget / 4)})`, `@50% (n=${Math.floor(f.budget / 2)})`, 't/sugg ms'],
        rows,
      ),
      '',
    );
  }
  const dup = runs.filter((r) => r.duplicates > 0);
  const short = runs.filter((r) => r.evaluations < r.budget);
  if (dup.length || short.length) {
    L.push('## Anomalies', '');
    for (const r of dup) L.push(`- ${r.function} ${label(r)} seed ${r.seed}: ${r.duplicates} repeated configuration(s)`);
    for (const r of short) L.push(`- ${r.function} ${label(r)} seed ${r.seed}: only ${r.evaluations} of ${r.budget} evaluations`);
    L.push('');
  }

  L.push('## Speed: Bayesian ask(1) after n observations (6-d)', '');
  L.push(
    'hartmann6 values at uniformly random points of [0,1]^6, told as a history of n completed trials; the optimizer is ' +
      'rebuilt with `createOptimizer(config, history)` (no saved model state, so every ask fits the GP from scratch) and ' +
      '`ask(1)` is timed (the bar applies to it). `warm`: that suggestion is told, the optimizer rebuilt from its own ' +
      '`history()`, which carries the GP hyperparameters as model state (as a study keeps them between ticks), and ' +
      '`ask(1)` timed again: the steady-state cost of a tick. `CPU` = user + system CPU time of the process during the cold ' +
      'ask (wall time on a shared machine includes waiting for a core; CPU time does not). Each n runs in a fresh worker process after one untimed warm-up ask; `build` is the ' +
      '`createOptimizer` call. Memory: `heapUsed` right after the ask (max over reps) and the RSS high-water mark of the ' +
      'process (`resourceUsage().maxRSS`; the baseline before the first optimizer, i.e. node + ts-node + modules, in brackets). ' +
      'The anchor column is scikit-learn GP-EI (fit with 5 restarts + EI maximisation) from the anchor measurement.',
    '',
  );
  if (speedRows.length === 0) L.push('(no speed results yet)', '');
  else {
    L.push(
      ...table(
        ['n', 'reps', 'ask(1) median ms', 'ask(1) max ms', 'ask(1) CPU median ms', 'warm ask(1) median ms', 'build median ms', 'heapUsed max MiB', 'RSS peak MiB [baseline]', 'bar', 'anchor gp_ei s'],
        speedRows.map((r) => {
          const at = anchorTiming.filter((t) => t.n === r.n);
          return [
            String(r.n),
            String(r.reps),
            fmtMs(r.medianMs),
            fmtMs(r.maxMs),
            r.cpuMedianMs === undefined ? '-' : fmtMs(r.cpuMedianMs),
            r.warmMedianMs === undefined ? '-' : fmtMs(r.warmMedianMs),
            fmtMs(r.buildMedianMs),
            r.heapMaxMb.toFixed(0),
            `${r.rssPeakMb.toFixed(0)} [${r.rssBaselineMb.toFixed(0)}]`,
            r.barMs === undefined ? '' : `< ${r.barMs} ms: ${r.pass ? 'PASS' : '**FAIL**'}`,
            at.length ? mean(at.map((t) => t.total_s)).toFixed(2) : '-',
          ];
        }),
      ),
      '',
    );
  }
  L.push('## Benchmark functions', '');
  L.push(
    ...table(
      ['name', 'd', 'domain', 'budget', 'f*'],
      BENCH_FUNCTIONS.map((f) => [f.name, String(f.dim), f.domain, String(f.budget), String(f.fstar)]),
    ),
    '',
    'Formulas, optima and the anchors\' caveats: `bench/anchors/anchors.md` and `bench/anchors/notes.md`. ' +
      'All are expressed as SageMaker `ParameterRanges` with `Linear` scaling (`bench/functions.ts`).',
    '',
  );
  if (inp.extra) L.push(inp.extra);
  return L.join('\n');
}
