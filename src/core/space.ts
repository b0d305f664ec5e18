/**
 * The search space: SageMaker's `ParameterRanges`, validated with SageMaker's rules and encoded for the
 * optimizer.
 *
 * Encoding: one coordinate per parameter. Integer and continuous parameters map to [0, 1] after their scaling
 * transform (log for `Logarithmic`, -log(1 - v) for `ReverseLogarithmic`); an integer value occupies a bin of
 * equal width in that transformed space, and its code is the bin's centre, so that uniform sampling in [0, 1)
 * gives the right distribution over integers (log-uniform for log-scaled ones). A categorical parameter's
 * coordinate is the index of its value (0 .. k-1): the kernel treats it as a category (equal or not), never as
 * an ordinal.
 *
 * `ScalingType: 'Auto'` is resolved by a fixed rule (documented on {@link resolveAutoScaling}).
 */
import type { ValidationIssue } from './errors';
import { SearchSpaceError, describeValue, isRecord } from './errors';
import type { HyperParameters, HyperParameterValue, ParameterRanges, ScalingType, StrategyName } from './types';

/** SageMaker's limits on `ParameterRanges` (CreateHyperParameterTuningJob). */
export const LIMITS = {
  /** Tunable parameters over all three lists. */
  maxParameters: 30,
  /** Values of one categorical parameter. */
  maxCategoricalValues: 30,
  /** Length of a parameter name or categorical value (ParameterKey / ParameterValue). */
  maxNameLength: 256,
  maxValueLength: 256,
  /** Combinations a Grid search may enumerate. */
  maxGridCombinations: 10000,
} as const;

export type ResolvedScaling = 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';

export interface NumericDimension {
  readonly kind: 'integer' | 'continuous';
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** The scaling requested in the request. */
  readonly declaredScaling: ScalingType;
  /** The scaling in force (`Auto` resolved). */
  readonly scaling: ResolvedScaling;
}

export interface CategoricalDimension {
  readonly kind: 'categorical';
  readonly name: string;
  readonly values: readonly string[];
}

export type Dimension = NumericDimension | CategoricalDimension;

const SCALING_TYPES: readonly ScalingType[] = ['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic'];

/**
 * The rule behind `ScalingType: 'Auto'`: a range that spans at least two orders of magnitude is searched on a
 * log scale (`MinValue > 0` and `MaxValue / MinValue >= 100`), a continuous range inside [0, 1) that spans at least
 * two orders of magnitude in `1 - v` (e.g. momentum 0.9 .. 0.9999) on a reverse-log scale, anything else linearly.
 * This is the rule a practitioner applies by hand: learning rates and regularization weights get log scales,
 * bounded fractions stay linear.
 */
export function resolveAutoScaling(kind: 'integer' | 'continuous', min: number, max: number): ResolvedScaling {
  if (min > 0 && max / min >= 100) return 'Logarithmic';
  if (kind === 'continuous' && min >= 0 && max < 1 && (1 - min) / (1 - max) >= 100) return 'ReverseLogarithmic';
  return 'Linear';
}

function parseNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const RANGE_KEYS = {
  IntegerParameterRanges: ['Name', 'MinValue', 'MaxValue', 'ScalingType'],
  ContinuousParameterRanges: ['Name', 'MinValue', 'MaxValue', 'ScalingType'],
  CategoricalParameterRanges: ['Name', 'Values'],
} as const;

/**
 * Checks `ParameterRanges` against SageMaker's rules and limits and returns every problem found (an empty
 * array when the space is valid). `strategy` adds the strategy's own rules (Grid: no continuous ranges, and a
 * finite number of combinations). Paths start at `ParameterRanges`.
 */
export function validateParameterRanges(ranges: unknown, strategy?: StrategyName): ValidationIssue[] {
  return parse(ranges, strategy).issues;
}

function parse(ranges: unknown, strategy?: StrategyName): { issues: ValidationIssue[]; dims: Dimension[] } {
  const issues: ValidationIssue[] = [];
  const dims: Dimension[] = [];
  const root = 'ParameterRanges';
  if (!isRecord(ranges)) {
    issues.push({ path: root, message: `must be an object with IntegerParameterRanges, ContinuousParameterRanges and/or CategoricalParameterRanges; got ${describeValue(ranges)}` });
    return { issues, dims };
  }
  for (const key of Object.keys(ranges)) {
    if (!(key in RANGE_KEYS) && key !== 'AutoParameters') {
      issues.push({ path: `${root}.${key}`, message: `unknown field; allowed: ${Object.keys(RANGE_KEYS).join(', ')}` });
    }
  }
  if ('AutoParameters' in ranges && ranges.AutoParameters !== undefined) {
    issues.push({ path: `${root}.AutoParameters`, message: 'Autotune parameters are not supported by sagetune; list the ranges explicitly' });
  }
  const seen = new Map<string, string>();
  for (const listKey of Object.keys(RANGE_KEYS) as (keyof typeof RANGE_KEYS)[]) {
    const list = ranges[listKey];
    if (list === undefined) continue;
    const listPath = `${root}.${listKey}`;
    if (!Array.isArray(list)) {
      issues.push({ path: listPath, message: `must be a list; got ${describeValue(list)}` });
      continue;
    }
    if (list.length > LIMITS.maxParameters) {
      issues.push({ path: listPath, message: `has ${list.length} entries; at most ${LIMITS.maxParameters} are allowed` });
    }
    list.forEach((entry: unknown, i: number) => {
      const path = `${listPath}[${i}]`;
      if (!isRecord(entry)) {
        issues.push({ path, message: `must be an object; got ${describeValue(entry)}` });
        return;
      }
      for (const k of Object.keys(entry)) {
        if (!(RANGE_KEYS[listKey] as readonly string[]).includes(k)) {
          issues.push({ path: `${path}.${k}`, message: `unknown field; allowed: ${RANGE_KEYS[listKey].join(', ')}` });
        }
      }
      const name = entry.Name;
      let nameOk = false;
      if (typeof name !== 'string' || name.length === 0) {
        issues.push({ path: `${path}.Name`, message: `must be a non-empty string; got ${describeValue(name)}` });
      } else if (name.length > LIMITS.maxNameLength) {
        issues.push({ path: `${path}.Name`, message: `is ${name.length} characters long; at most ${LIMITS.maxNameLength} are allowed` });
      } else if (name === '__proto__') {
        issues.push({ path: `${path}.Name`, message: '"__proto__" cannot be a parameter name: it is not an ordinary key of a JavaScript object' });
      } else if (seen.has(name)) {
        issues.push({ path: `${path}.Name`, message: `${describeValue(name)} is already used by ${seen.get(name)}; parameter names must be unique` });
      } else {
        seen.set(name, path);
        nameOk = true;
      }
      const dim = listKey === 'CategoricalParameterRanges'
        ? parseCategorical(entry, path, issues)
        : parseNumeric(listKey === 'IntegerParameterRanges' ? 'integer' : 'continuous', entry, path, issues, strategy);
      if (dim && nameOk) dims.push({ ...dim, name: name as string });
    });
  }
  if (seen.size === 0 && issues.length === 0) {
    issues.push({ path: root, message: 'defines no parameter; give at least one integer, continuous or categorical range' });
  }
  if (seen.size > LIMITS.maxParameters) {
    issues.push({ path: root, message: `defines ${seen.size} parameters; at most ${LIMITS.maxParameters} tunable parameters are allowed` });
  }
  if (strategy === 'Grid' && issues.length === 0) {
    let combos = 1;
    for (const d of dims) combos *= d.kind === 'categorical' ? d.values.length : d.max - d.min + 1;
    if (combos > LIMITS.maxGridCombinations) {
      issues.push({ path: root, message: `a Grid search over these ranges has ${combos} combinations; at most ${LIMITS.maxGridCombinations} are allowed` });
    }
  }
  return { issues, dims };
}

function parseCategorical(entry: Record<string, unknown>, path: string, issues: ValidationIssue[]): Dimension | undefined {
  const values = entry.Values;
  if (!Array.isArray(values) || values.length === 0) {
    issues.push({ path: `${path}.Values`, message: `must be a non-empty list of strings; got ${describeValue(values)}` });
    return undefined;
  }
  let ok = true;
  if (values.length > LIMITS.maxCategoricalValues) {
    issues.push({ path: `${path}.Values`, message: `has ${values.length} values; at most ${LIMITS.maxCategoricalValues} are allowed` });
    ok = false;
  }
  const seen = new Set<string>();
  values.forEach((v: unknown, j: number) => {
    if (typeof v !== 'string') {
      issues.push({ path: `${path}.Values[${j}]`, message: `must be a string; got ${describeValue(v)}` });
      ok = false;
    } else if (v.length > LIMITS.maxValueLength) {
      issues.push({ path: `${path}.Values[${j}]`, message: `is ${v.length} characters long; at most ${LIMITS.maxValueLength} are allowed` });
      ok = false;
    } else if (seen.has(v)) {
      issues.push({ path: `${path}.Values[${j}]`, message: `${describeValue(v)} appears twice; values must be unique` });
      ok = false;
    } else {
      seen.add(v);
    }
  });
  return ok ? { kind: 'categorical', name: '', values: values as string[] } : undefined;
}

function parseNumeric(
  kind: 'integer' | 'continuous',
  entry: Record<string, unknown>,
  path: string,
  issues: ValidationIssue[],
  strategy: StrategyName | undefined,
): Dimension | undefined {
  const before = issues.length;
  const bound = (field: 'MinValue' | 'MaxValue'): number | undefined => {
    const raw = entry[field];
    const n = parseNumber(raw);
    if (n === undefined) {
      issues.push({ path: `${path}.${field}`, message: `must be a finite number (a number or a numeric string); got ${describeValue(raw)}` });
    } else if (kind === 'integer' && !Number.isInteger(n)) {
      issues.push({ path: `${path}.${field}`, message: `must be an integer for an integer range; got ${describeValue(raw)}` });
      return undefined;
    } else if (kind === 'integer' && !Number.isSafeInteger(n)) {
      // Beyond 2^53 neighbouring integers share one double: the range could not be enumerated or told apart.
      issues.push({ path: `${path}.${field}`, message: `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} for an integer range; got ${describeValue(raw)}` });
      return undefined;
    }
    return n;
  };
  const min = bound('MinValue');
  const max = bound('MaxValue');
  const rawScaling = entry.ScalingType ?? 'Auto';
  let declared: ScalingType = 'Auto';
  if (typeof rawScaling !== 'string' || !SCALING_TYPES.includes(rawScaling as ScalingType)) {
    issues.push({ path: `${path}.ScalingType`, message: `must be one of ${SCALING_TYPES.join(', ')}; got ${describeValue(rawScaling)}` });
  } else {
    declared = rawScaling as ScalingType;
  }
  if (kind === 'continuous' && strategy === 'Grid') {
    issues.push({ path, message: 'a Grid search cannot enumerate a continuous range; use a categorical or integer range, or another strategy' });
  }
  if (min !== undefined && max !== undefined) {
    if (!(min < max)) {
      issues.push({ path: `${path}.MinValue`, message: `MinValue (${min}) must be less than MaxValue (${max})` });
    } else if (declared === 'Logarithmic' && min <= 0) {
      issues.push({ path: `${path}.MinValue`, message: `Logarithmic scaling needs MinValue > 0; got ${min}` });
    } else if (declared === 'ReverseLogarithmic') {
      if (kind === 'integer') {
        issues.push({ path: `${path}.ScalingType`, message: 'ReverseLogarithmic scaling is allowed only for continuous ranges' });
      } else if (min < 0 || max >= 1) {
        issues.push({ path: `${path}.ScalingType`, message: `ReverseLogarithmic scaling needs 0 <= MinValue < MaxValue < 1; got [${min}, ${max}]` });
      }
    }
  }
  if (issues.length > before || min === undefined || max === undefined) return undefined;
  const scaling = declared === 'Auto' ? resolveAutoScaling(kind, min, max) : declared;
  if (scaling === 'Linear' && !Number.isFinite(max - min)) {
    issues.push({
      path,
      message: `the width MaxValue - MinValue (${max} - ${min}) overflows a double; a linear range must be narrower than ${Number.MAX_VALUE}`,
    });
    return undefined;
  }
  return { kind, name: '', min, max, declaredScaling: declared, scaling };
}

/** A validated search space with its encoding. Immutable. */
export class SearchSpace {
  readonly dims: readonly Dimension[];
  /** Indices of the coordinates that are continuous. */
  readonly continuous: readonly number[];
  /** Indices of the coordinates that are integer. */
  readonly integer: readonly number[];
  /** Indices of the coordinates that are categorical. */
  readonly categorical: readonly number[];
  private readonly tLo: Float64Array;
  private readonly tHi: Float64Array;

  /** Validates `ranges` and throws {@link SearchSpaceError} listing every problem. */
  static fromRanges(ranges: ParameterRanges | unknown, strategy?: StrategyName): SearchSpace {
    const { issues, dims } = parse(ranges, strategy);
    if (issues.length > 0) throw new SearchSpaceError(issues);
    return new SearchSpace(dims);
  }

  private constructor(dims: Dimension[]) {
    this.dims = dims;
    this.continuous = dims.flatMap((d, i) => (d.kind === 'continuous' ? [i] : []));
    this.integer = dims.flatMap((d, i) => (d.kind === 'integer' ? [i] : []));
    this.categorical = dims.flatMap((d, i) => (d.kind === 'categorical' ? [i] : []));
    this.tLo = new Float64Array(dims.length);
    this.tHi = new Float64Array(dims.length);
    dims.forEach((d, i) => {
      if (d.kind === 'categorical') return;
      const lo = d.kind === 'integer' ? d.min - 0.5 : d.min;
      const hi = d.kind === 'integer' ? d.max + 0.5 : d.max;
      this.tLo[i] = forward(d.scaling, lo);
      this.tHi[i] = forward(d.scaling, hi);
    });
  }

  get size(): number {
    return this.dims.length;
  }

  /** Number of distinct configurations, or Infinity when a continuous parameter is present. */
  cardinality(): number {
    let n = 1;
    for (const d of this.dims) {
      if (d.kind === 'continuous') return Infinity;
      n *= d.kind === 'categorical' ? d.values.length : d.max - d.min + 1;
    }
    return n;
  }

  /**
   * Maps a point of the unit cube to an encoded point: numeric coordinates stay in [0, 1] (integers snapped to
   * their bin centre), categorical ones become the index floor(u * k).
   */
  fromUnit(u: ArrayLike<number>): Float64Array {
    const x = new Float64Array(this.dims.length);
    for (let i = 0; i < this.dims.length; i++) {
      const d = this.dims[i];
      const ui = Math.min(Math.max(u[i], 0), 1);
      if (d.kind === 'categorical') x[i] = Math.min(Math.floor(ui * d.values.length), d.values.length - 1);
      else x[i] = ui;
    }
    return this.snap(x);
  }

  /** Snaps an encoded point in place: clamps to the box, integers to their bin centre, categoricals to an index. */
  snap(x: Float64Array): Float64Array {
    for (let i = 0; i < this.dims.length; i++) {
      const d = this.dims[i];
      if (d.kind === 'categorical') {
        x[i] = Math.min(Math.max(Math.round(x[i]), 0), d.values.length - 1);
      } else {
        x[i] = Math.min(Math.max(x[i], 0), 1);
        if (d.kind === 'integer') x[i] = this.encodeNumber(i, this.decodeNumber(i, x[i]));
      }
    }
    return x;
  }

  /** Encodes hyperparameters (values already checked with {@link check}). */
  encode(hp: HyperParameters): Float64Array {
    const x = new Float64Array(this.dims.length);
    this.dims.forEach((d, i) => {
      const v = hp[d.name];
      if (d.kind === 'categorical') x[i] = d.values.indexOf(String(v));
      else x[i] = this.encodeNumber(i, Number(v));
    });
    return x;
  }

  /** Decodes an encoded point to hyperparameters: numbers for numeric parameters, strings for categorical ones. */
  decode(x: ArrayLike<number>): HyperParameters {
    const hp: HyperParameters = {};
    this.dims.forEach((d, i) => {
      if (d.kind === 'categorical') {
        hp[d.name] = d.values[Math.min(Math.max(Math.round(x[i]), 0), d.values.length - 1)];
      } else {
        hp[d.name] = this.decodeNumber(i, x[i]);
      }
    });
    return hp;
  }

  /** Returns why `hp` is not a point of this space, or undefined if it is one. */
  check(hp: Readonly<Record<string, unknown>>): string | undefined {
    for (const d of this.dims) {
      // Own keys only: a parameter named like an Object.prototype member (constructor) must not read the prototype's.
      const v = Object.hasOwn(hp, d.name) ? hp[d.name] : undefined;
      if (v === undefined) return `has no value for ${d.name}`;
      if (d.kind === 'categorical') {
        if (!d.values.includes(String(v))) return `${d.name}=${describeValue(v)} is not one of ${d.values.map((x) => describeValue(x)).join(', ')}`;
        continue;
      }
      const n = parseNumber(v);
      if (n === undefined) return `${d.name}=${describeValue(v)} is not a number`;
      if (d.kind === 'integer' && !Number.isInteger(n)) return `${d.name}=${describeValue(v)} is not an integer`;
      if (n < d.min || n > d.max) return `${d.name}=${describeValue(v)} is outside [${d.min}, ${d.max}]`;
    }
    const extra = Object.keys(hp).filter((k) => !this.dims.some((d) => d.name === k));
    if (extra.length > 0) return `has parameters that are not in the space: ${extra.join(', ')}`;
    return undefined;
  }

  /** Normalizes user-given values (numeric strings) to the types `decode` produces. */
  normalize(hp: Readonly<Record<string, unknown>>): HyperParameters {
    const out: HyperParameters = {};
    for (const d of this.dims) {
      const v = hp[d.name];
      out[d.name] = d.kind === 'categorical' ? String(v) : (parseNumber(v) as number);
    }
    return out;
  }

  /** A canonical string of a configuration, for duplicate detection. */
  key(hp: HyperParameters): string {
    return JSON.stringify(this.dims.map((d) => hp[d.name] as HyperParameterValue));
  }

  private encodeNumber(i: number, v: number): number {
    const d = this.dims[i] as NumericDimension;
    const t = forward(d.scaling, v);
    const u = (t - this.tLo[i]) / (this.tHi[i] - this.tLo[i]);
    return Math.min(Math.max(u, 0), 1);
  }

  private decodeNumber(i: number, u: number): number {
    const d = this.dims[i] as NumericDimension;
    const t = this.tLo[i] + Math.min(Math.max(u, 0), 1) * (this.tHi[i] - this.tLo[i]);
    let v = inverse(d.scaling, t);
    if (d.kind === 'integer') v = Math.round(v);
    return Math.min(Math.max(v, d.min), d.max);
  }
}

function forward(scaling: ResolvedScaling, v: number): number {
  switch (scaling) {
    case 'Linear':
      return v;
    case 'Logarithmic':
      return Math.log(v);
    case 'ReverseLogarithmic':
      return -Math.log1p(-v);
  }
}

function inverse(scaling: ResolvedScaling, t: number): number {
  switch (scaling) {
    case 'Linear':
      return t;
    case 'Logarithmic':
      return Math.exp(t);
    case 'ReverseLogarithmic':
      return -Math.expm1(-t);
  }
}
