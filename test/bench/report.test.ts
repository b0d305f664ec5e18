import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ANCHOR_OPTIMIZERS,
  batchRatioIntervals,
  computeVerdict,
  describeSeeds,
  latestRuns,
  readJsonl,
  renderReport,
  renderVerdict,
  summarize,
  summarizeSpeed,
  type AnchorRun,
  type AnchorTiming,
  type Cell,
} from '../../bench/report';
import type { QualityRecord } from '../../bench/quality';
import { main } from '../../bench/run';
import type { SpeedRecord } from '../../bench/speed';
import { bootstrapMedianRatio, fmtRegret, parseSeeds, percentile } from '../../bench/stats';

const ANCHORS_FILE = path.join(__dirname, '../../bench/anchors/final-regret.jsonl');
const anchors = readJsonl<AnchorRun | AnchorTiming>(ANCHORS_FILE);
const anchorRuns = anchors.filter((a): a is AnchorRun => a.kind === 'run');

function record(fn: string, strategy: 'Random' | 'Sobol' | 'Bayesian', mode: string, seed: number, regret: number): QualityRecord {
  return {
    kind: 'run',
    function: fn,
    strategy,
    mode,
    batch: mode === 'seq' ? 1 : 4,
    seed,
    budget: 50,
    evaluations: 50,
    dim: 2,
    fstar: 0,
    regret_final: regret,
    regret_25: regret * 10,
    regret_50: regret * 2,
    n25: 12,
    n50: 25,
    improvements: [[1, regret]],
    t_suggest_end_mean_ms: 1,
    t_suggest_mean_ms: 1,
    t_suggest_max_ms: 1,
    n_end_window: 5,
    duplicates: 0,
    wall_s: 1,
    best_params: {},
    run_id: 'r1',
  };
}

const c = (final: number): Cell => ({ seeds: 20, final, q25: final, q75: final, at25: final, at50: final, tSuggestMs: 1 });

describe('stats', () => {
  it('percentile interpolates linearly like numpy', () => {
    expect(percentile([1, 2, 3, 4], 25)).toBeCloseTo(1.75, 12);
    expect(percentile([4, 1, 3, 2], 75)).toBeCloseTo(3.25, 12);
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(() => percentile([], 50)).toThrow(/empty/);
  });

  it('formats regrets exactly as the anchors do', () => {
    expect([0.722, 1470.3, 1.37e-6, 322.4, 3.62e-8, 0, 12345, 1000, 0.0614, 5].map(fmtRegret)).toEqual([
      '0.722',
      '1.47e+03',
      '1.37e-06',
      '322',
      '3.62e-08',
      '0',
      '1.23e+04',
      '1e+03',
      '0.0614',
      '5',
    ]);
  });

  it('parses seed lists and rejects nonsense with the allowed forms', () => {
    expect(parseSeeds('0-3')).toEqual([0, 1, 2, 3]);
    expect(parseSeeds('3')).toEqual([0, 1, 2]);
    expect(parseSeeds('4,2,4')).toEqual([4, 2]);
    expect(() => parseSeeds('5-2')).toThrow(/--seeds: cannot read "5-2"; allowed: N/);
    expect(() => parseSeeds('a')).toThrow(/--seeds/);
  });

  it('bootstraps the ratio of two medians over paired seeds', () => {
    // b = 3a on every seed: every resample has ratio 3.
    const scaled = bootstrapMedianRatio([1, 2, 5, 7, 9].map((a): [number, number] => [a, 3 * a]));
    expect(scaled).toEqual({ n: 5, ratio: 3, lo: 3, hi: 3, withinLimit: 0 });
    // A bimodal sample: half the seeds at ratio 10, half at 1; the median ratio of one draw of seeds can land on
    // either side of 2, and the interval must cover both.
    const pairs = Array.from({ length: 20 }, (_, i): [number, number] => (i % 2 ? [0.01, 0.1] : [1, 1]));
    const iv = bootstrapMedianRatio(pairs);
    expect(iv.n).toBe(20);
    expect(iv.lo).toBeLessThan(iv.ratio);
    expect(iv.hi).toBeGreaterThan(iv.ratio);
    expect(iv.withinLimit).toBeGreaterThan(0.05);
    expect(iv.withinLimit).toBeLessThan(0.95);
    expect(bootstrapMedianRatio(pairs)).toEqual(iv);
    expect(bootstrapMedianRatio(pairs, { seed: 99 })).not.toEqual(iv);
    expect(bootstrapMedianRatio([[0, 0]]).ratio).toBe(1);
    expect(() => bootstrapMedianRatio([])).toThrow(/no pairs/);
  });
});

describe('anchors', () => {
  it('holds 20 seeds of every (function, anchor optimizer) pair', () => {
    for (const fn of ['branin', 'hartmann3', 'hartmann6', 'rosenbrock4', 'ackley5', 'levy4', 'mixed']) {
      for (const o of ANCHOR_OPTIMIZERS) {
        expect(anchorRuns.filter((a) => a.function === fn && a.optimizer === o).map((a) => a.seed).sort((x, y) => x - y)).toEqual(
          Array.from({ length: 20 }, (_, i) => i),
        );
      }
    }
  });

  it('summarizes the anchor runs into the same medians as the anchors own summary table', () => {
    const md = fs.readFileSync(path.join(__dirname, '../../bench/anchors/anchors.md'), 'utf8');
    const section = md.split('## Summary: median final simple regret')[1].split('##')[0];
    const rows = section.split('\n').filter((l) => /^\| [a-z0-9]+ \|/.test(l) && !l.startsWith('| function'));
    expect(rows).toHaveLength(7);
    const cells = summarize([], anchorRuns);
    for (const row of rows) {
      const [fn, ...vals] = row.split('|').map((s) => s.trim()).filter((s) => s !== '');
      expect(ANCHOR_OPTIMIZERS.map((o) => fmtRegret((cells.get(fn)?.get(`anchor:${o}`) as Cell).final))).toEqual(vals);
    }
  });
});

describe('verdict', () => {
  const fns = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'];
  const build = (bayes: number[], b4: number[], tpe: number[], best: number[]): Map<string, Map<string, Cell>> =>
    new Map(
      fns.map((f, i) => [
        f,
        new Map([
          ['Bayesian', c(bayes[i])],
          ['Bayesian_b4', c(b4[i])],
          ['anchor:tpe', c(tpe[i])],
          ['anchor:gp_ei', c(best[i])],
          ['anchor:random', c(100)],
        ]),
      ]),
    );

  it('passes when Bayesian beats the best anchor on 5 of 7, TPE on all, and batches stay within 2x', () => {
    const v = computeVerdict(build([1, 1, 1, 1, 1, 3, 3], [2, 1.5, 1, 0.5, 2, 6, 6], [5, 5, 5, 5, 5, 5, 5], [1, 2, 2, 2, 2, 2, 2]), fns);
    expect(v.beatsBestCount).toBe(5);
    expect(v.qualityPass).toBe(true);
    expect(v.batchPass).toBe(true);
    expect(v.rows[0].bestAnchor).toEqual({ name: 'gp_ei', value: 1 });
  });

  it('fails on 4 of 7, on one loss to TPE, or on one batch ratio above 2', () => {
    expect(computeVerdict(build([1, 1, 1, 1, 3, 3, 3], [1, 1, 1, 1, 1, 1, 1], [5, 5, 5, 5, 5, 5, 5], [2, 2, 2, 2, 2, 2, 2]), fns).qualityPass).toBe(false);
    const loseTpe = computeVerdict(build([1, 1, 1, 1, 1, 1, 6], [1, 1, 1, 1, 1, 1, 1], [5, 5, 5, 5, 5, 5, 5], [2, 2, 2, 2, 2, 2, 2]), fns);
    expect(loseTpe.beatsBestCount).toBe(6);
    expect(loseTpe.qualityPass).toBe(false);
    expect(loseTpe.rows[6].beatsTpe).toBe(false);
    const batch = computeVerdict(build([1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 2.01], [5, 5, 5, 5, 5, 5, 5], [2, 2, 2, 2, 2, 2, 2]), fns);
    expect(batch.batchPass).toBe(false);
    expect(batch.rows[6].batchWithin2x).toBe(false);
  });

  it('shows the bootstrap interval of the batch ratio when the runs are given, pairing seeds run in both modes', () => {
    const runs = [0, 1, 2, 3].flatMap((seed) => [record('levy4', 'Bayesian', 'seq', seed, 0.1), record('levy4', 'Bayesian', 'b4', seed, 0.4)]);
    runs.push(record('levy4', 'Bayesian', 'b4', 9, 100), record('levy4', 'Random', 'seq', 0, 5));
    const iv = batchRatioIntervals(runs).get('levy4');
    expect(iv).toMatchObject({ n: 4, lo: 4, hi: 4, withinLimit: 0 });
    const md = renderVerdict(computeVerdict(summarize(runs, anchorRuns), ['levy4']), batchRatioIntervals(runs)).join('\n');
    expect(md).toContain('| b4 / seq 90% | <= 2x in |');
    expect(md).toMatch(/\| levy4 \|.*\| 4 - 4 \| 0% \|/);
    expect(renderVerdict(computeVerdict(summarize(runs, anchorRuns), ['levy4'])).join('\n')).not.toContain('b4 / seq 90%');
  });

  it('never passes a function without Bayesian results', () => {
    const v = computeVerdict(summarize([], anchorRuns));
    expect(v.functionsMeasured).toBe(0);
    expect(v.qualityPass).toBe(false);
    expect(v.batchPass).toBe(false);
  });
});

describe('report', () => {
  it('keeps the latest record per job', () => {
    const runs = latestRuns([record('branin', 'Random', 'seq', 0, 5), record('branin', 'Random', 'seq', 0, 3), record('branin', 'Random', 'b4', 0, 4)]);
    expect(runs.map((r) => [r.mode, r.regret_final])).toEqual([
      ['seq', 3],
      ['b4', 4],
    ]);
  });

  it('renders our strategies beside the anchors, the verdict, and the speed bar', () => {
    const quality = [0, 1, 2, 3].flatMap((s) => [record('branin', 'Bayesian', 'seq', s, 1e-7 * (s + 1)), record('branin', 'Bayesian', 'b4', s, 1e-6)]);
    const speed: SpeedRecord[] = [150, 180, 400].map((ms, rep) => ({
      kind: 'speed',
      n: 200,
      dim: 6,
      rep,
      build_ms: 1,
      ask_ms: ms,
      heap_used_mb: 50,
      rss_mb: 100,
      rss_peak_mb: 120,
      rss_baseline_mb: 80,
      run_id: 's1',
    }));
    const md = renderReport({ quality, speed, anchors, qualityFile: 'q.jsonl', speedFile: 's.jsonl', anchorsFile: 'a.jsonl' });
    expect(md).toContain('| function | Bayesian | Bayesian_b4 | random | tpe | tpe_mv | cmaes | gp_ei | tpe_b4 | gp_ei_b4 |');
    expect(md).toMatch(/\| branin \| 2\.50e-07 \| 1\.00e-06 \| 0\.722 \| 0\.172 \|/);
    // b4 / seq over resampled seeds lies between 1e-6 / 4e-7 and 1e-6 / 1e-7, never within 2x.
    const row = md.match(
      /\| branin \| 2\.50e-07 \| 1\.37e-06 \(gp_ei\) \| yes \| 0\.172 \| yes \| 1\.00e-06 \| 4 \| \*\*no\*\* \| ([\d.]+) - ([\d.]+) \| 0% \| seq and b4 regrets < 1e-4 \|/,
    );
    expect(row).not.toBeNull();
    const [lo, hi] = [Number(row![1]), Number(row![2])];
    expect(lo).toBeGreaterThanOrEqual(2.5);
    expect(hi).toBeGreaterThanOrEqual(lo);
    expect(hi).toBeLessThanOrEqual(10);
    expect(md).toContain('at or below the best anchor on **1 of 7** functions');
    expect(md).toContain('**FAIL**');
    expect(md).toMatch(/\| 200 \| 3 \| 180 \| 400 \| - \| - \|.*< 250 ms: PASS \| 3\.\d\d \|/);
    expect(summarizeSpeed(speed)[0]).toMatchObject({ n: 200, reps: 3, medianMs: 180, maxMs: 400, pass: true });
  });

  it('recomputes the bar over a larger seed set when robustness results are given, and omits the section otherwise', () => {
    const quality = [0, 1].flatMap((s) => [record('branin', 'Bayesian', 'seq', s, 1e-7), record('branin', 'Bayesian', 'b4', s, 1e-6)]);
    // Over 6 seeds the batch ratio is 1.5 (within 2x) where the 2 seeds above give 10.
    const wide = [0, 1, 2, 3, 4, 5].flatMap((s) => [record('branin', 'Bayesian', 'seq', s, 2e-7), record('branin', 'Bayesian', 'b4', s, 3e-7)]);
    const base = { quality, speed: [], anchors, qualityFile: 'q.jsonl', speedFile: 's.jsonl', anchorsFile: 'a.jsonl' };
    expect(renderReport(base)).not.toContain('## Robustness');
    const fresh = [100, 101].flatMap((s) => [record('branin', 'Bayesian', 'seq', s, 1e-7), record('branin', 'Bayesian', 'b4', s, 5e-7)]);
    const md = renderReport({
      ...base,
      robustness: [
        { quality: wide, file: 'r/quality-*.jsonl' },
        { quality: fresh, file: 'f/quality-*.jsonl', note: 'Seeds fixed before the run.\n' },
      ],
    });
    expect(md).toContain('The same bar over seeds 0-5 and seeds 100-101 follows (Robustness)');
    // One section per seed set, in the order given, each titled with its seeds.
    expect(md.indexOf('## Robustness: the bar over 6 seeds (0-5)')).toBeLessThan(md.indexOf('## Robustness: the bar over 2 seeds (100-101)'));
    expect(md).toContain('## Robustness: the bar over 2 seeds (100-101)\n\nSeeds fixed before the run.\n\nFrom `f/quality-*.jsonl`');
    expect(md.slice(md.indexOf('(100-101)'))).toContain('| branin | 1.00e-07 | 1.37e-06 (gp_ei) | yes | 0.172 | yes | 5.00e-07 | 5 | **no** |');
    const section = md.slice(md.indexOf('## Robustness: the bar over 6 seeds (0-5)'), md.indexOf('(100-101)'));
    expect(section).toContain('From `r/quality-*.jsonl`');
    expect(section).toContain('| branin | 2.00e-07 | 1.37e-06 (gp_ei) | yes | 0.172 | yes | 3.00e-07 | 1.5 | yes |');
    expect(md.slice(0, md.indexOf('## Robustness'))).toContain('| branin | 1.00e-07 | 1.37e-06 (gp_ei) | yes | 0.172 | yes | 1.00e-06 | 10 | **no** |');
  });

  it('describes a seed set as ranges', () => {
    expect(describeSeeds([3, 0, 1, 2, 2])).toBe('0-3');
    expect(describeSeeds([0, 1, 2, 5, 7, 8])).toBe('0-2, 5, 7-8');
    expect(describeSeeds([1000])).toBe('1000');
    expect(describeSeeds([])).toBe('');
  });
});

describe('npm run bench -- --report --robustness', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A results folder holding Bayesian runs on Branin for the given seeds (b4 twice the sequential regret). */
  function resultsDir(name: string, seeds: number[], note?: string): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    const lines = seeds.flatMap((s) => [record('branin', 'Bayesian', 'seq', s, 1e-7), record('branin', 'Bayesian', 'b4', s, 2e-7)]);
    fs.writeFileSync(path.join(dir, 'quality-bayesian.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    if (note) fs.writeFileSync(path.join(dir, 'NOTE.md'), note);
    return dir;
  }

  it('shows one section per --robustness folder, in the order given, with its NOTE.md', async () => {
    const results = resultsDir('main', [0, 1]);
    const a = resultsDir('a,with comma', [0, 1, 2, 3]);
    const b = resultsDir('b', [100, 101], 'Fixed before the run.');
    const md = path.join(tmp, 'BENCHMARKS.md');
    const args = ['--report', '--results', results, '--anchors', ANCHORS_FILE, '--md', md, '--robustness', a, '--robustness', b];
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await main(args)).toBe(0);
    } finally {
      log.mockRestore();
    }
    const text = fs.readFileSync(md, 'utf8');
    expect(text.indexOf('## Robustness: the bar over 4 seeds (0-3)')).toBeGreaterThan(0);
    expect(text.indexOf('## Robustness: the bar over 2 seeds (100-101)\n\nFixed before the run.')).toBeGreaterThan(text.indexOf('(0-3)'));
  });

  it('refuses a --robustness folder that does not exist, naming it, and writes nothing', async () => {
    const results = resultsDir('main', [0]);
    const md = path.join(tmp, 'BENCHMARKS.md');
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await main(['--report', '--results', results, '--md', md, '--robustness', path.join(tmp, 'nope')])).toBe(2);
      expect(err).toHaveBeenCalledWith(expect.stringContaining(`--robustness: no such folder: ${path.join(tmp, 'nope')}`));
    } finally {
      err.mockRestore();
    }
    expect(fs.existsSync(md)).toBe(false);
  });
});
