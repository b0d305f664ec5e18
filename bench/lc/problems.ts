/**
 * The learning-curve problems of the multi-fidelity benchmark (issue 15): each maps a configuration to the
 * objective (a loss, minimized) it reports after every epoch, for 27 epochs. Three are synthetic (closed-form
 * curves with deterministic noise) and two are tables of curves of real models trained here once
 * (`bench/lc/gen_curves.py`), served by nearest neighbour: a surrogate benchmark, as LCBench and YAHPO are.
 *
 * `bench/lc/anchors.py` implements the same problems in Python (same formulas, same noise hash, same tables and
 * lookup rule) and checks itself against `bench/lc/data/parity.json`, written from this module
 * (`npx ts-node --transpile-only bench/lc/run.ts --parity`).
 *
 * Rules shared with Python:
 * - Normalisation to [0, 1]: `(v - min) / (max - min)`, on logarithms for `log` ranges (integers too);
 *   a categorical is its index.
 * - Noise: {@link noiseGauss}, Box-Muller on two uniforms from a 32-bit integer hash of (problem id, the
 *   normalised coordinates rounded down to 1e-6, epoch, salt).
 * - Nearest neighbour (tables): squared Euclidean distance between normalised numeric coordinates, plus 100 for
 *   each categorical that differs; the first row wins ties. A row whose curve is shorter than 27 epochs diverged
 *   (its job fails after its last value).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const EPOCHS = 27;

export interface LcParam {
  readonly name: string;
  readonly kind: 'float' | 'int' | 'cat';
  readonly min?: number;
  readonly max?: number;
  readonly log?: boolean;
  readonly values?: readonly string[];
}

/** A configuration's course: its value after each epoch, and whether it diverged (failed after the last one). */
export interface LcCurve {
  readonly values: number[];
  readonly failed: boolean;
}

export interface LcProblem {
  readonly name: string;
  readonly kind: 'synthetic' | 'table';
  readonly description: string;
  readonly params: readonly LcParam[];
  curve(hp: Readonly<Record<string, string | number>>): LcCurve;
}

/** A parameter's value mapped to [0, 1] (see the module documentation). */
export function normalise(p: LcParam, raw: string | number): number {
  if (p.kind === 'cat') {
    const i = p.values!.indexOf(String(raw));
    if (i < 0) throw new Error(`${p.name}: unknown value ${String(raw)}`);
    return i;
  }
  const v = Number(raw);
  const lo = p.min!;
  const hi = p.max!;
  const u = p.log ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (v - lo) / (hi - lo);
  return Math.min(1, Math.max(0, u));
}

export function normaliseAll(params: readonly LcParam[], hp: Readonly<Record<string, string | number>>): number[] {
  return params.map((p) => {
    if (hp[p.name] === undefined) throw new Error(`missing hyperparameter ${p.name}`);
    return normalise(p, hp[p.name]);
  });
}

/** 32-bit mixing step (a murmur-like finaliser); Python: `mix` in anchors.py. */
export function mix(h: number, v: number): number {
  let x = Math.imul((h ^ v) >>> 0, 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca77);
  x ^= x >>> 13;
  return x >>> 0;
}

function uniform(pid: number, x: readonly number[], epoch: number, salt: number): number {
  let h = mix(0x5a17, pid);
  for (const c of x) h = mix(h, Math.floor(c * 1e6));
  h = mix(h, epoch);
  h = mix(h, salt);
  return (h + 0.5) / 4294967296;
}

/** Standard normal noise for (problem, configuration, epoch). */
export function noiseGauss(pid: number, x: readonly number[], epoch: number): number {
  const u1 = uniform(pid, x, epoch, 1);
  const u2 = uniform(pid, x, epoch, 2);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

const sq = (v: number): number => v * v;
const round6 = (v: number): number => Number(v.toPrecision(12));

/**
 * crossing (3-d): fast learners (high learning rate) lead early and end worse; rates above 0.8 (normalised)
 * diverge after a few epochs (the loss grows exponentially, capped at 10). Noise sd 0.01.
 */
function crossingCurve(x: readonly number[]): LcCurve {
  const [s, m, w] = x;
  const rate = (0.02 + 0.6 * sq(s)) * (0.5 + m);
  const floor = 0.08 + 0.6 * sq(s - 0.3) + 0.15 * sq(m - 0.7) + 0.1 * sq(w - 0.75) + 0.15 * Math.max(0, s - 0.6);
  const values: number[] = [];
  for (let e = 1; e <= EPOCHS; e++) {
    let v = floor + (1 - floor) * Math.exp(-rate * e);
    if (s > 0.8) {
      const d = 3 + 40 * (1 - s);
      if (e > d) v += 0.05 * (Math.exp((e - d) / 2) - 1);
    }
    v = Math.min(10, v) + 0.01 * noiseGauss(1, x, e);
    values.push(round6(v));
  }
  return { values, failed: false };
}

/**
 * plateau (4-d): a loss that stays near its start for a plateau (longer for deeper models and longer warm-up),
 * then drops; deeper models end better, but overfit late without dropout. Noise sd 0.015.
 */
function plateauCurve(x: readonly number[]): LcCurve {
  const [lr, warm, depth, drop] = x;
  const p = 1 + 6 * depth + 4 * warm;
  const r = 0.3 + 0.5 * lr;
  const floor = 0.12 - 0.08 * depth + 0.5 * sq(lr - 0.6) + 0.2 * sq(drop - 0.3) + 0.6 * sq(Math.max(0, lr - 0.6)) * (1 - warm);
  const overfit = Math.max(0, depth - drop - 0.3);
  const values: number[] = [];
  for (let e = 1; e <= EPOCHS; e++) {
    let v = floor + (0.9 - floor) / (1 + Math.exp((e - p) * r * 1.5));
    if (e > 12) v += 0.004 * (e - 12) * overfit;
    v += 0.015 * noiseGauss(2, x, e);
    values.push(round6(v));
  }
  return { values, failed: false };
}

const N6_OPT = [0.2, 0.8, 0.5, 0.3, 0.6, 0.4];
const N6_W = [3, 2, 4, 1, 2, 3];

/**
 * noisy6's value after `epoch` epochs without its noise (normalised coordinates; the diverging corner included): the
 * curve's floor is lowest at N6_OPT, and a larger first coordinate learns faster, so the noise-free final value is
 * lowest (about 0.198) with the first coordinate near 0.35, not at its floor's 0.2.
 */
export function noisy6NoiseFree(x: readonly number[], epoch: number): number {
  const dist = x.reduce((acc, v, j) => acc + N6_W[j] * sq(v - N6_OPT[j]), 0);
  const floor = 0.1 + 0.3 * (1 - Math.exp(-dist));
  let v = floor + 0.6 * epoch ** -(0.3 + 0.9 * x[0]);
  if (x[3] > 0.85 && x[0] > 0.7 && epoch > 5) v += Math.min(3, 0.1 * 2 ** (epoch - 5));
  return v;
}

/**
 * noisy6 (6-d): power-law curves ({@link noisy6NoiseFree}) with heavy noise (sd 0.04, about the spread of the good
 * configurations); a corner of the space diverges after epoch 5.
 */
function noisy6Curve(x: readonly number[]): LcCurve {
  const values: number[] = [];
  for (let e = 1; e <= EPOCHS; e++) values.push(round6(noisy6NoiseFree(x, e) + 0.04 * noiseGauss(3, x, e)));
  return { values, failed: false };
}

function synthetic(name: string, description: string, params: LcParam[], f: (x: readonly number[]) => LcCurve): LcProblem {
  return { name, kind: 'synthetic', description, params, curve: (hp) => f(normaliseAll(params, hp)) };
}

export interface LcTable {
  readonly name: string;
  readonly epochs: number;
  readonly metric: string;
  readonly space: LcParam[];
  readonly rows: { hp: Record<string, string | number>; curve: number[] }[];
}

/** Index of the nearest row (see the module documentation). */
export function nearestRow(params: readonly LcParam[], rows: readonly (readonly number[])[], x: readonly number[]): number {
  let best = 0;
  let bestD = Infinity;
  rows.forEach((r, i) => {
    let d = 0;
    params.forEach((p, j) => {
      d += p.kind === 'cat' ? (r[j] === x[j] ? 0 : 100) : sq(r[j] - x[j]);
    });
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

export function tableProblem(table: LcTable, description: string): LcProblem {
  const params = table.space;
  const rows = table.rows.map((r) => normaliseAll(params, r.hp));
  return {
    name: table.name,
    kind: 'table',
    description,
    params,
    curve: (hp) => {
      const row = table.rows[nearestRow(params, rows, normaliseAll(params, hp))];
      return { values: [...row.curve], failed: row.curve.length < EPOCHS };
    },
  };
}

export const DATA_DIR = path.join(__dirname, 'data');

function loadTable(name: string): LcTable {
  return JSON.parse(fs.readFileSync(path.join(DATA_DIR, `${name}.json`), 'utf8')) as LcTable;
}

export const SYNTHETIC: readonly LcProblem[] = [
  synthetic(
    'crossing',
    'synthetic 3-d: fast learners lead early and end worse; the highest learning rates diverge',
    [
      { name: 'learning_rate', kind: 'float', min: 1e-4, max: 1, log: true },
      { name: 'momentum', kind: 'float', min: 0, max: 1 },
      { name: 'width', kind: 'int', min: 8, max: 512, log: true },
    ],
    crossingCurve,
  ),
  synthetic(
    'plateau',
    'synthetic 4-d: plateaus before the drop, longer for the deeper (better) models; late overfitting without dropout',
    [
      { name: 'learning_rate', kind: 'float', min: 1e-4, max: 0.1, log: true },
      { name: 'warmup', kind: 'int', min: 0, max: 10 },
      { name: 'depth', kind: 'int', min: 1, max: 8 },
      { name: 'dropout', kind: 'float', min: 0, max: 0.8 },
    ],
    plateauCurve,
  ),
  synthetic(
    'noisy6',
    'synthetic 6-d: power-law curves with heavy noise; the fastest starters are not the best; a corner diverges',
    ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => ({ name: n, kind: 'float' as const, min: 0, max: 1 })),
    noisy6Curve,
  ),
];

const TABLE_DESCRIPTIONS: Record<string, string> = {
  quickstart: "real: the quick start's one-hidden-layer network (examples/quickstart/train.py) on breast cancer, 512 configurations, 5-d with a categorical",
  gbdigits: 'real: scikit-learn gradient boosting on digits (>= 5 or not), one epoch = 4 trees, 512 configurations, 5-d',
};

/** Every problem whose data is present (the tables are read on first use). */
export function allProblems(): LcProblem[] {
  const tables = Object.keys(TABLE_DESCRIPTIONS).filter((n) => fs.existsSync(path.join(DATA_DIR, `${n}.json`)));
  return [...SYNTHETIC, ...tables.map((n) => tableProblem(loadTable(n), TABLE_DESCRIPTIONS[n]))];
}

export function problemByName(name: string): LcProblem {
  const p = allProblems().find((q) => q.name === name);
  if (!p) throw new Error(`unknown learning-curve problem ${name}`);
  return p;
}
