/**
 * `npm run bench -- [options]`: the optimizer benchmarks of issue 2.
 *
 *   npm run bench -- --quality --strategies Random,Sobol,Bayesian --seeds 0-19 --modes seq,b4 --workers 2
 *   npm run bench -- --speed --workers 1
 *   npm run bench -- --report            # BENCHMARKS.md from bench/results/*.jsonl, without rerunning
 *   npm run bench -- --quality --noisy --strategies Bayesian --results bench/results/noisy --anchors bench/anchors/noisy-regret.jsonl
 *                                        # the noisy problems (regret at the best reported trial)
 *   npm run bench -- --quality --strategies Bayesian --seeds 0-59 --results bench/results/seeds-0-59
 *   npm run bench -- --quality --strategies Bayesian --seeds 1000-1099 --results bench/results/seeds-1000-1099
 *                                        # the robustness checks the report shows beside the bar (with a
 *                                        # folder's NOTE.md, if it has one)
 *
 * Results are appended to bench/results/quality-<strategy>.jsonl and speed.jsonl (one JSON line per run, plus a `meta` line
 * per invocation with the command, machine and code revision). Runs already recorded are skipped unless --fresh.
 *
 * The revision is `git rev-parse --short HEAD` (+dirty when src/core has uncommitted changes). To measure a
 * committed revision while others edit the checkout, export it and run there, naming it:
 *   git archive <rev> | tar -x -C /tmp/b && ln -s $PWD/node_modules /tmp/b/ &&
 *   (cd /tmp/b && SAGETUNE_BENCH_REV=<rev> npx ts-node --transpile-only bench/run.ts ... --results $PWD/bench/results)
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BENCH_FUNCTIONS, NOISY_FUNCTIONS, benchFunction } from './functions';
import { lcSection } from './lc/report';
import { renderNoisy, renderParallel, type NoisyAnchorRun } from './noisy-report';
import { runPool, type TaskFailure } from './pool';
import { jobCost, parseMode, jobKey, QUALITY_STRATEGIES, type QualityJob, type QualityRecord, type QualityStrategy } from './quality';
import {
  ANCHOR_OPTIMIZERS,
  computeVerdict,
  latestRuns,
  readJsonl,
  renderReport,
  renderVerdict,
  summarize,
  summarizeSpeed,
  type AnchorRun,
  type AnchorTiming,
  type Cell,
  type MetaRecord,
} from './report';
import { SPEED_NS, type SpeedRecord } from './speed';
import { fmtMs, fmtRegret, parseSeeds } from './stats';
import type { WorkerTask } from './worker';

const ROOT = path.resolve(__dirname, __filename.endsWith('.ts') ? '..' : '../..');
const rel = (p: string): string => path.relative(ROOT, p) || '.';
/**
 * Seed sets the report shows beside the bar unless --robustness names others: none since issue 16. The earlier sets
 * (`seeds-0-59`, `seeds-1000-1099`) were measured on older code and stay on disk; the report is from one revision.
 */
const DEFAULT_ROBUSTNESS: string[] = [];
/** Seed sets whose parallel modes the report sets against sequential (issue 16's bar), besides --results. */
const PARALLEL_SETS = ['seeds-0-59-issue16'].map((d) => path.join(ROOT, 'bench/results', d));

function list(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
  return items;
}

function parseStrategies(value: string): QualityStrategy[] {
  return list(value).map((s) => {
    const found = QUALITY_STRATEGIES.find((q) => q.toLowerCase() === s.toLowerCase());
    if (!found) throw new InvalidArgumentError(`unknown strategy ${JSON.stringify(s)}; allowed: ${QUALITY_STRATEGIES.join(', ')}`);
    return found;
  });
}

function parseFunctions(value: string): string[] {
  return list(value).map((f) => {
    try {
      return benchFunction(f).name;
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  });
}

function parseModes(value: string): string[] {
  return list(value).map((m) => {
    try {
      parseMode(m);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message.replace(/^--modes: /, ''));
    }
    return m;
  });
}

function parseSeedsOpt(value: string): number[] {
  try {
    return parseSeeds(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--seeds: /, ''));
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected an integer >= 1, got ${JSON.stringify(value)}`);
  return n;
}

function parseNs(value: string): number[] {
  return list(value).map(positiveInt);
}

function gitRev(): string {
  // A run from an exported tree (git archive, no .git) names its revision explicitly.
  if (process.env.SAGETUNE_BENCH_REV) return process.env.SAGETUNE_BENCH_REV;
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src/core'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${rev}+dirty` : rev;
  } catch {
    return 'unknown';
  }
}

function meta(suite: 'quality' | 'speed', workers: number): MetaRecord {
  const now = new Date();
  return {
    kind: 'meta',
    run_id: `${suite}-${now.toISOString()}`,
    suite,
    command: process.env.SAGETUNE_BENCH_REV
      ? `SAGETUNE_BENCH_REV=${process.env.SAGETUNE_BENCH_REV} npx ts-node --transpile-only bench/run.ts ${process.argv.slice(2).join(' ')} (in a git archive export of that revision)`
      : `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    date: now.toISOString(),
    node: process.version,
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    loadavg: os.loadavg(),
    workers,
    rev: gitRev(),
  };
}

/** Rewrites a JSONL file without the records `drop` selects and without meta lines nobody references any more. */
function compact<T extends { kind: string; run_id: string }>(file: string, drop: (r: T) => boolean): void {
  const kept = readJsonl<T>(file).filter((r) => r.kind === 'meta' || !drop(r));
  const referenced = new Set(kept.filter((r) => r.kind !== 'meta').map((r) => r.run_id));
  const out = kept.filter((r) => r.kind !== 'meta' || referenced.has(r.run_id));
  fs.writeFileSync(file, out.map((r) => JSON.stringify(r) + '\n').join(''));
}

const append = (file: string, rec: object): void => fs.appendFileSync(file, JSON.stringify(rec) + '\n');

function loadAnchors(file: string): (AnchorRun | AnchorTiming)[] {
  return readJsonl<AnchorRun | AnchorTiming>(file);
}

interface Options {
  quality?: boolean;
  noisy?: boolean;
  speed?: boolean;
  report?: boolean;
  functions: string[];
  strategies: QualityStrategy[];
  seeds: number[];
  modes: string[];
  workers: number;
  fresh?: boolean;
  ns: number[];
  reps: number;
  results: string;
  anchors: string;
  noisyAnchors: string;
  md: string;
  robustness?: string[];
}

/** Prints the first failure in full and the others on one line each (they often share one cause). */
function reportFailures(failures: readonly TaskFailure[]): void {
  failures.forEach((f, i) => {
    const msg = i === 0 ? f.message : f.message.split('\n')[0];
    console.error(`FAILED ${JSON.stringify(f.task)}: ${msg}`);
  });
  if (failures.length > 0) console.error(`${failures.length} task(s) failed`);
}

/** One results file per strategy, so that rerunning one strategy rewrites only its file. */
const qualityFile = (dir: string, strategy: QualityStrategy): string => path.join(dir, `quality-${strategy.toLowerCase()}.jsonl`);

function readQuality(dir: string): (QualityRecord | MetaRecord)[] {
  return QUALITY_STRATEGIES.flatMap((s) => readJsonl<QualityRecord | MetaRecord>(qualityFile(dir, s)));
}

async function runQuality(o: Options, dir: string, anchorsFile: string): Promise<boolean> {
  const existing = new Set(latestRuns(readQuality(dir)).map(jobKey));
  const wanted: QualityJob[] = [];
  for (const fn of o.functions) for (const strategy of o.strategies) for (const mode of o.modes) for (const seed of o.seeds) wanted.push({ function: fn, strategy, mode, seed });
  const wantedKeys = new Set(wanted.map(jobKey));
  if (o.fresh) {
    for (const s of o.strategies) compact<QualityRecord | MetaRecord>(qualityFile(dir, s), (r) => r.kind === 'run' && wantedKeys.has(jobKey(r)));
  }
  const jobs = o.fresh ? wanted : wanted.filter((j) => !existing.has(jobKey(j)));
  jobs.sort((a, b) => jobCost(b) - jobCost(a));
  console.log(`quality: ${jobs.length} runs to do (${wanted.length - jobs.length} already in ${rel(dir)}), ${o.workers} worker(s)`);
  if (jobs.length === 0) return true;
  const m = meta('quality', o.workers);
  for (const s of new Set(jobs.map((j) => j.strategy))) append(qualityFile(dir, s), m);
  const t0 = Date.now();
  let done = 0;
  const failures = await runPool(
    jobs.map((job): WorkerTask => ({ kind: 'quality', job, runId: m.run_id })),
    { workers: o.workers },
    (reply) => {
      if (reply.type !== 'quality') return;
      const r = reply.record;
      append(qualityFile(dir, r.strategy), r);
      done++;
      console.log(
        `[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)}s] ${String(done).padStart(4)}/${jobs.length} ${r.function.padEnd(11)} ` +
          `${r.strategy.padEnd(8)} ${r.mode.padEnd(3)} seed=${String(r.seed).padEnd(2)} regret=${fmtRegret(r.regret_final).padEnd(9)} ` +
          `wall=${r.wall_s.toFixed(1)}s t/sugg end=${fmtMs(r.t_suggest_end_mean_ms)}ms`,
      );
    },
  );
  reportFailures(failures);
  // A short summary of what this selection now looks like, with the anchors beside it.
  const runs = latestRuns(readQuality(dir)).filter((r) => wantedKeys.has(jobKey(r)));
  const cells = summarize(runs, loadAnchors(anchorsFile).filter((a): a is AnchorRun => a.kind === 'run'));
  for (const fn of o.functions) {
    const g = cells.get(fn);
    if (!g) continue;
    const ours = [...g].filter(([k]) => !k.startsWith('anchor:')).map(([k, c]) => `${k} ${fmtRegret(c.final)} [${fmtRegret(c.q25)}, ${fmtRegret(c.q75)}] (${c.seeds} seeds)`);
    const anchors = ANCHOR_OPTIMIZERS.filter((a) => g.has(`anchor:${a}`)).map((a) => `${a} ${fmtRegret((g.get(`anchor:${a}`) as Cell).final)}`);
    console.log(`${fn}: ${ours.join('; ')}\n    anchors: ${anchors.join(', ')}`);
  }
  if (o.strategies.includes('Bayesian') && BENCH_FUNCTIONS.every((f) => o.functions.includes(f.name))) {
    console.log(renderVerdict(computeVerdict(cells)).join('\n'));
  }
  return failures.length === 0;
}

async function runSpeed(o: Options, file: string): Promise<boolean> {
  compact<SpeedRecord | MetaRecord>(file, (r) => r.kind === 'speed' && o.ns.includes(r.n));
  const m = meta('speed', o.workers);
  append(file, m);
  console.log(`speed: ask(1) after n = ${o.ns.join(', ')} observations, ${o.reps} reps each, ${o.workers} worker(s)`);
  const failures = await runPool(
    o.ns.map((n): WorkerTask => ({ kind: 'speed', n, reps: n >= 500 ? Math.max(1, Math.min(o.reps, 3)) : o.reps, runId: m.run_id })),
    { workers: o.workers, freshProcessPerTask: true },
    (reply) => {
      if (reply.type !== 'speed') return;
      for (const r of reply.records) append(file, r);
      const r0 = reply.records[0];
      console.log(
        `n=${r0.n}: ask(1) ms ${reply.records.map((r) => fmtMs(r.ask_ms)).join(', ')}; warm ${reply.records.map((r) => (r.warm_ask_ms === undefined ? '-' : fmtMs(r.warm_ask_ms))).join(', ')}`,
      );
    },
  );
  reportFailures(failures);
  const rows = summarizeSpeed(readJsonl<SpeedRecord | MetaRecord>(file).filter((r): r is SpeedRecord => r.kind === 'speed'));
  for (const r of rows) {
    console.log(
      `n=${String(r.n).padEnd(5)} median ${fmtMs(r.medianMs)} ms, max ${fmtMs(r.maxMs)} ms, heap ${r.heapMaxMb.toFixed(0)} MiB, ` +
        `RSS peak ${r.rssPeakMb.toFixed(0)} MiB${r.barMs ? `  bar < ${r.barMs} ms: ${r.pass ? 'PASS' : 'FAIL'}` : ''}`,
    );
  }
  return failures.length === 0;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('npm run bench --')
    .description('Optimizer benchmarks: quality (regret vs the anchors), speed (ask latency vs n), and the BENCHMARKS.md report.')
    .option('--quality', 'run the quality benchmark (the default when neither --speed nor --report is given)')
    .option('--speed', 'run the speed benchmark (Bayesian ask(1) after n observations, 6-d)')
    .option('--report', 'write BENCHMARKS.md from the recorded results (after any runs asked for)')
    .addOption(
      new Option('--functions <list>', 'benchmark functions').argParser(parseFunctions).default(BENCH_FUNCTIONS.map((f) => f.name), BENCH_FUNCTIONS.map((f) => f.name).join(',')),
    )
    .option('--noisy', 'the noisy problems (bench/functions.ts NOISY_FUNCTIONS) instead of --functions')
    .addOption(new Option('--strategies <list>', 'strategies').argParser(parseStrategies).default([...QUALITY_STRATEGIES], QUALITY_STRATEGIES.join(',')))
    .addOption(new Option('--seeds <spec>', 'seeds: N (0..N-1), a-b or a,b,c').argParser(parseSeedsOpt).default(parseSeeds('0-19'), '0-19'))
    .addOption(new Option('--modes <list>', 'seq (ask(1)/tell), b<k> (ask(k), tell k) and/or a<k> (asynchronous: k trials always running)').argParser(parseModes).default(['seq', 'b4'], 'seq,b4'))
    .option('--workers <n>', 'worker processes', positiveInt, os.availableParallelism())
    .option('--fresh', 'rerun selected runs even if results exist (replacing them)')
    .addOption(new Option('--ns <list>', 'speed: numbers of observations').argParser(parseNs).default([...SPEED_NS], SPEED_NS.join(',')))
    .option('--reps <n>', 'speed: repetitions per n (at most 3 for n >= 500)', positiveInt, 7)
    .option('--results <dir>', 'results folder', path.join(ROOT, 'bench/results'))
    .option(
      '--robustness <dir>',
      'report: a folder of results over other seeds, shown beside the bar (repeatable; default: none)',
      (dir: string, dirs: string[] | undefined) => [...(dirs ?? []), dir],
    )
    .option('--anchors <file>', 'anchor results', path.join(ROOT, 'bench/anchors/final-regret.jsonl'))
    .option('--noisy-anchors <file>', 'anchor results on the noisy problems', path.join(ROOT, 'bench/anchors/noisy-regret.jsonl'))
    .option('--md <file>', 'report file', path.join(ROOT, 'BENCHMARKS.md'))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code ?? 2;
  }
  const o = program.opts<Options>();
  if (o.noisy) o.functions = NOISY_FUNCTIONS.map((f) => f.name);
  const speedFile = path.join(o.results, 'speed.jsonl');
  fs.mkdirSync(o.results, { recursive: true });
  let ok = true;
  if (o.quality || (!o.speed && !o.report)) ok = (await runQuality(o, o.results, o.anchors)) && ok;
  if (o.speed) ok = (await runSpeed(o, speedFile)) && ok;
  if (o.report) {
    const missing = (o.robustness ?? []).filter((dir) => !fs.existsSync(dir));
    if (missing.length > 0) {
      console.error(`--robustness: no such folder: ${missing.join(', ')}`);
      return 2;
    }
    const md = renderReport({
      quality: readQuality(o.results),
      speed: readJsonl(speedFile),
      anchors: loadAnchors(o.anchors),
      qualityFile: rel(path.join(o.results, 'quality-*.jsonl')),
      speedFile: rel(speedFile),
      anchorsFile: rel(o.anchors),
      robustness: (o.robustness ?? DEFAULT_ROBUSTNESS.filter((dir) => fs.existsSync(dir))).map((dir) => {
        const note = path.join(dir, 'NOTE.md');
        return {
          quality: readQuality(dir),
          file: rel(path.join(dir, 'quality-*.jsonl')),
          note: fs.existsSync(note) ? fs.readFileSync(note, 'utf8') : undefined,
        };
      }),
      extra: lcSection(ROOT),
    });
    // Issue 16's sections go before the summary tables: the noisy problems, and the parallel modes against sequential
    // over every seed set that ran them.
    const noisyDir = path.join(o.results, 'noisy');
    const noisyNote = path.join(noisyDir, 'NOTE.md');
    const extra = [
      ...renderNoisy({
        quality: readQuality(noisyDir),
        anchors: readJsonl<NoisyAnchorRun>(o.noisyAnchors).filter((a) => a.kind === 'run'),
        file: rel(path.join(noisyDir, 'quality-*.jsonl')),
        anchorsFile: rel(o.noisyAnchors),
        note: fs.existsSync(noisyNote) ? fs.readFileSync(noisyNote, 'utf8') : undefined,
      }),
      ...[o.results, ...PARALLEL_SETS.filter((dir) => fs.existsSync(dir))].flatMap((dir) => {
        const records = readQuality(dir);
        const runs = latestRuns(records);
        const metas = records.filter((r): r is MetaRecord => r.kind === 'meta' && runs.some((x) => x.run_id === r.run_id));
        const note = path.join(dir, 'NOTE.md');
        return renderParallel(runs, rel(path.join(dir, 'quality-*.jsonl')), metas, fs.existsSync(note) ? fs.readFileSync(note, 'utf8') : undefined);
      }),
    ];
    const at = md.indexOf('## Summary: median final simple regret');
    const full = extra.length === 0 || at < 0 ? md : `${md.slice(0, at)}${extra.join('\n')}\n${md.slice(at)}`;
    fs.writeFileSync(o.md, full + '\n');
    console.log(`wrote ${rel(o.md)}`);
  }
  return ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
