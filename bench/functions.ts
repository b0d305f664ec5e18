/**
 * The benchmark problems of the optimizer quality benchmark (issue 2, section "Benchmarks"), ported from the
 * anchor script `bench/anchors/anchors.py` (copied from /work/shared/anchors): same formulas, domains, optima
 * and budgets, so that our regrets sit next to the anchors' regrets on equal terms.
 *
 * Every problem is a minimization, expressed as SageMaker `ParameterRanges` with `Linear` scaling (the anchors
 * search every dimension uniformly). Continuous problems name their parameters x0..x{d-1}.
 */
import type { HyperParameters, ParameterRanges } from '../src/core/types';

export interface BenchFunction {
  /** Name as in the anchors (`branin`, `hartmann3`, ...). */
  readonly name: string;
  /** Number of tunable parameters. */
  readonly dim: number;
  /** Evaluations per run (50, or 100 for hartmann6 and ackley5). */
  readonly budget: number;
  /** Global minimum value. */
  readonly fstar: number;
  /** One global minimizer (for tests and documentation). */
  readonly argmin: HyperParameters;
  /** Human-readable domain, as in anchors.md. */
  readonly domain: string;
  readonly parameterRanges: ParameterRanges;
  /** Objective value of one configuration, as the optimizer suggests it (noise-free: the true value). */
  evaluate(hp: HyperParameters): number;
  /**
   * Noisy problems only: the standard deviation of the Gaussian noise added to each evaluation (it may depend on the
   * configuration). The optimizer sees `evaluate(hp) + noiseSd(hp) * N(0, 1)`; regrets are measured on `evaluate`.
   */
  noiseSd?(hp: HyperParameters): number;
  /** Noisy problems only: how the noise is set, for the report. */
  readonly noise?: string;
}

const PI = Math.PI;

/** Branin-Hoo: f = (x2 - b x1^2 + c x1 - 6)^2 + 10 (1 - t) cos(x1) + 10. */
export function branin(x1: number, x2: number): number {
  const b = 5.1 / (4 * PI * PI);
  const c = 5 / PI;
  const t = 1 / (8 * PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H3_A = [
  [3.0, 10, 30],
  [0.1, 10, 35],
  [3.0, 10, 30],
  [0.1, 10, 35],
];
const H3_P = [
  [3689, 1170, 2673],
  [4699, 4387, 7470],
  [1091, 8732, 5547],
  [381, 5743, 8828],
].map((row) => row.map((v) => v * 1e-4));
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

function hartmann(x: readonly number[], A: readonly number[][], P: readonly number[][]): number {
  let f = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < x.length; j++) inner += A[i][j] * (x[j] - P[i][j]) ** 2;
    f -= H_ALPHA[i] * Math.exp(-inner);
  }
  return f;
}

/** Hartmann 3-d on [0,1]^3. */
export function hartmann3(x: readonly number[]): number {
  return hartmann(x, H3_A, H3_P);
}

/** Hartmann 6-d on [0,1]^6. */
export function hartmann6(x: readonly number[]): number {
  return hartmann(x, H6_A, H6_P);
}

/** Rosenbrock: f = sum_{i<d} [100 (x_{i+1} - x_i^2)^2 + (x_i - 1)^2]. */
export function rosenbrock(x: readonly number[]): number {
  let f = 0;
  for (let i = 0; i + 1 < x.length; i++) f += 100 * (x[i + 1] - x[i] * x[i]) ** 2 + (x[i] - 1) ** 2;
  return f;
}

/** Ackley: f = -20 exp(-0.2 sqrt(mean x_i^2)) - exp(mean cos(2 pi x_i)) + 20 + e. */
export function ackley(x: readonly number[]): number {
  const d = x.length;
  let sq = 0;
  let cs = 0;
  for (const v of x) {
    sq += v * v;
    cs += Math.cos(2 * PI * v);
  }
  return -20 * Math.exp(-0.2 * Math.sqrt(sq / d)) - Math.exp(cs / d) + 20 + Math.E;
}

/** Levy: w_i = 1 + (x_i - 1)/4; f = sin^2(pi w_1) + sum_{i<d} (w_i-1)^2 [1 + 10 sin^2(pi w_i + 1)] + (w_d-1)^2 [1 + sin^2(2 pi w_d)]. */
export function levy(x: readonly number[]): number {
  const w = x.map((v) => 1 + (v - 1) / 4);
  const d = w.length;
  let f = Math.sin(PI * w[0]) ** 2;
  for (let i = 0; i + 1 < d; i++) f += (w[i] - 1) ** 2 * (1 + 10 * Math.sin(PI * w[i] + 1) ** 2);
  f += (w[d - 1] - 1) ** 2 * (1 + Math.sin(2 * PI * w[d - 1]) ** 2);
  return f;
}

/** Offsets of the `kernel` categorical of the mixed problem. */
export const MIXED_OFFSET: Readonly<Record<string, number>> = { a: 0, b: 0.5, c: 2 };
const MIXED_SHIFT = 0.2;

/** Mixed problem: f = branin(x1 + 0.2, x2) + offset(kernel), x1 integer in -5..9, x2 in [0,15], kernel in {a,b,c}. */
export function mixed(x1: number, x2: number, kernel: string): number {
  const offset = MIXED_OFFSET[kernel];
  if (offset === undefined) throw new RangeError(`mixed: kernel must be one of a, b, c; got ${JSON.stringify(kernel)}`);
  return branin(x1 + MIXED_SHIFT, x2) + offset;
}

function num(hp: HyperParameters, name: string): number {
  const v = hp[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TypeError(`benchmark parameter ${name} must be a finite number; got ${JSON.stringify(v)}`);
  }
  return v;
}

function str(hp: HyperParameters, name: string): string {
  const v = hp[name];
  if (typeof v !== 'string') throw new TypeError(`benchmark parameter ${name} must be a string; got ${JSON.stringify(v)}`);
  return v;
}

function continuous(
  name: string,
  fn: (x: readonly number[]) => number,
  lows: readonly number[],
  highs: readonly number[],
  fstar: number,
  budget: number,
  argmin: readonly number[],
  domain: string,
): BenchFunction {
  const names = lows.map((_, i) => `x${i}`);
  return {
    name,
    dim: lows.length,
    budget,
    fstar,
    domain,
    argmin: Object.fromEntries(names.map((n, i) => [n, argmin[i]])),
    parameterRanges: {
      ContinuousParameterRanges: names.map((n, i) => ({
        Name: n,
        MinValue: String(lows[i]),
        MaxValue: String(highs[i]),
        ScalingType: 'Linear' as const,
      })),
    },
    evaluate: (hp) => fn(names.map((n) => num(hp, n))),
  };
}

const rep = (v: number, d: number): number[] => Array.from({ length: d }, () => v);

/** f* of the mixed problem: 10 (1 - 1/(8 pi)) cos(3.2) + 10. */
export const MIXED_FSTAR = 10 * (1 - 1 / (8 * PI)) * Math.cos(3 + MIXED_SHIFT) + 10;

/** The seven problems in the anchors' order. f* values are the anchors' (full precision). */
export const BENCH_FUNCTIONS: readonly BenchFunction[] = [
  continuous('branin', (x) => branin(x[0], x[1]), [-5, 0], [10, 15], 0.39788735772973816, 50, [PI, 2.275], '[-5,10] x [0,15]'),
  continuous('hartmann3', hartmann3, rep(0, 3), rep(1, 3), -3.862779787332663, 50, [0.114589, 0.555649, 0.852547], '[0,1]^3'),
  continuous(
    'hartmann6',
    hartmann6,
    rep(0, 6),
    rep(1, 6),
    -3.3223680114155147,
    100,
    [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
    '[0,1]^6',
  ),
  continuous('rosenbrock4', rosenbrock, rep(-5, 4), rep(10, 4), 0, 50, rep(1, 4), '[-5,10]^4'),
  continuous('ackley5', ackley, rep(-32.768, 5), rep(32.768, 5), 0, 100, rep(0, 5), '[-32.768,32.768]^5'),
  continuous('levy4', levy, rep(-10, 4), rep(10, 4), 0, 50, rep(1, 4), '[-10,10]^4'),
  {
    name: 'mixed',
    dim: 3,
    budget: 50,
    fstar: MIXED_FSTAR,
    domain: 'x1 int in {-5..9}, x2 in [0,15], kernel in {a,b,c}',
    argmin: { x1: 3, x2: (5.1 / (4 * PI * PI)) * 3.2 * 3.2 - (5 / PI) * 3.2 + 6, kernel: 'a' },
    parameterRanges: {
      IntegerParameterRanges: [{ Name: 'x1', MinValue: '-5', MaxValue: '9', ScalingType: 'Linear' }],
      ContinuousParameterRanges: [{ Name: 'x2', MinValue: '0', MaxValue: '15', ScalingType: 'Linear' }],
      CategoricalParameterRanges: [{ Name: 'kernel', Values: ['a', 'b', 'c'] }],
    },
    evaluate: (hp) => {
      const x1 = num(hp, 'x1');
      if (!Number.isInteger(x1)) throw new TypeError(`benchmark parameter x1 must be an integer; got ${x1}`);
      return mixed(x1, num(hp, 'x2'), str(hp, 'kernel'));
    },
  },
];

/**
 * Range (max - min over the domain) of the functions the noisy problems are built on, to 3 digits: the noise levels
 * are fractions of it (branin max 308.129 at (-5, 0); hartmann6 max about -1e-7; mixed max 288.93 at x1 = -5, x2 = 0,
 * kernel c; measured on fine grids and 2e6 random points).
 */
export const NOISE_RANGE: Readonly<Record<string, number>> = { branin: 308, hartmann6: 3.32, mixed: 289 };

/** The noisy problems' noise levels: standard deviation as a fraction of the function's range. */
export const NOISE_LEVELS = [
  { suffix: 'noise0.1', fraction: 0.001 },
  { suffix: 'noise1', fraction: 0.01 },
] as const;

function withNoise(base: BenchFunction, fraction: number, suffix: string): BenchFunction {
  const sd = fraction * NOISE_RANGE[base.name];
  return {
    ...base,
    name: `${base.name}_${suffix}`,
    noise: `Gaussian, sd ${Number(sd.toPrecision(3))} (${fraction * 100}% of the range ${NOISE_RANGE[base.name]})`,
    noiseSd: () => sd,
  };
}

/** Largest noise sd of `branin_hetero` (at x1 = 10): 1% of Branin's range. */
const HETERO_MAX_SD = 0.01 * NOISE_RANGE.branin;

/**
 * Noisy versions of Branin, Hartmann6 and the mixed problem at two noise levels (sd 0.1% and 1% of the function's
 * range), and `branin_hetero`, whose noise depends on the configuration: sd = 3.08 ((x1 + 5) / 15)^2, so of Branin's
 * three minima the one at x1 = -pi is nearly noise-free (sd 0.047), the one at x1 = pi noisy (0.91) and the one at
 * x1 = 9.42 very noisy (2.84), where lucky draws look best. Budgets, domains and f* are the noise-free problems'.
 */
export const NOISY_FUNCTIONS: readonly BenchFunction[] = [
  ...['branin', 'hartmann6', 'mixed'].flatMap((name) => {
    const base = BENCH_FUNCTIONS.find((b) => b.name === name) as BenchFunction;
    return NOISE_LEVELS.map((l) => withNoise(base, l.fraction, l.suffix));
  }),
  {
    ...(BENCH_FUNCTIONS[0] as BenchFunction),
    name: 'branin_hetero',
    noise: `Gaussian, sd ${Number(HETERO_MAX_SD.toPrecision(3))} ((x1 + 5) / 15)^2: 0.047 at the minimum x1 = -pi, 0.91 at x1 = pi, 2.84 at x1 = 9.42`,
    noiseSd: (hp) => HETERO_MAX_SD * ((num(hp, 'x0') + 5) / 15) ** 2,
  },
];

const ALL_FUNCTIONS = [...BENCH_FUNCTIONS, ...NOISY_FUNCTIONS];

/** Looks a problem (noise-free or noisy) up by name; throws a clear error listing the known names. */
export function benchFunction(name: string): BenchFunction {
  const f = ALL_FUNCTIONS.find((b) => b.name === name);
  if (!f) throw new Error(`unknown benchmark function ${JSON.stringify(name)}; known: ${ALL_FUNCTIONS.map((b) => b.name).join(', ')}`);
  return f;
}
