/**
 * Metrics from a training job's output, as SageMaker extracts them with `AlgorithmSpecification.MetricDefinitions`:
 * each line of output (stdout and stderr, in the order they were written) is searched with every metric's regex;
 * every match's first capture group that reads as a number is one value of that metric, stamped with the time
 * the line was written. The last value is the metric's final value; the objective's values over time are the
 * intermediate series that early stopping compares.
 */
import type { MetricPoint } from '../../study/types';
import { compilePythonRegex, PythonRegexError } from '../../study/python-regex';

/** One entry of `AlgorithmSpecification.MetricDefinitions`. */
export interface MetricDefinition {
  readonly Name: string;
  readonly Regex: string;
}

/** A metric definition that cannot be used: names the metric, its position and what is wrong. */
export class MetricDefinitionError extends Error {
  /** Index in `MetricDefinitions`. */
  readonly index: number;
  constructor(index: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetricDefinitionError';
    this.index = index;
  }
}

export interface CompiledMetric {
  readonly name: string;
  /** The regex as the user wrote it (Python syntax). */
  readonly pattern: string;
  readonly index: number;
  readonly regex: RegExp;
}

/**
 * Compiles metric definitions. Throws {@link MetricDefinitionError} for the first definition whose regex is not
 * valid, cannot be translated, or has no capture group.
 */
export function compileMetricDefinitions(definitions: readonly MetricDefinition[]): CompiledMetric[] {
  return definitions.map((d, index) => {
    let compiled;
    try {
      compiled = compilePythonRegex(d.Regex);
    } catch (err) {
      if (err instanceof PythonRegexError) {
        throw new MetricDefinitionError(index, `the regex of metric ${d.Name} (${JSON.stringify(d.Regex)}) is invalid: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
    if (compiled.groups < 1) {
      throw new MetricDefinitionError(
        index,
        `the regex of metric ${d.Name} (${JSON.stringify(d.Regex)}) has no capture group: SageMaker takes the metric's value ` +
          `from the first group, as in "loss=([0-9.eE+-]+)"`,
      );
    }
    return { name: d.Name, pattern: d.Regex, index, regex: compiled.regex };
  });
}

/** What was captured for one metric. */
export interface MetricTrace {
  /** Values over time, oldest first (thinned to at most {@link MAX_SERIES_POINTS} points). */
  readonly series: MetricPoint[];
  /** The last value seen. */
  last?: number;
  /** Regex matches whose first group was not a number (e.g. "0.95." captured by `([0-9.]+)`). */
  unparsed: number;
  /** The first such capture, for the error message. */
  firstUnparsed?: string;
}

/** Longest intermediate series kept per metric; a longer one is thinned by half, keeping its last point. */
export const MAX_SERIES_POINTS = 1000;

// What Python's float() accepts for a metric value, less underscores in digits.
const NUMBER = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i;

/** Parses a captured string as Python's `float()` would; undefined when it is not a finite number. */
export function parseMetricValue(text: string): number | undefined {
  const s = text.trim();
  if (!NUMBER.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** Applies compiled metric regexes to output lines, one line at a time, keeping every metric's trace. */
export class MetricScanner {
  readonly traces = new Map<string, MetricTrace>();
  /** Lines scanned so far. */
  lines = 0;

  constructor(readonly metrics: readonly CompiledMetric[]) {
    for (const m of metrics) this.traces.set(m.name, { series: [], unparsed: 0 });
  }

  /** Scans one line written `t` seconds after the trial started. */
  scan(t: number, line: string): void {
    this.lines += 1;
    for (const m of this.metrics) {
      const trace = this.traces.get(m.name) as MetricTrace;
      m.regex.lastIndex = 0;
      for (const match of line.matchAll(m.regex)) {
        const captured = match[1];
        if (captured === undefined) continue;
        const value = parseMetricValue(captured);
        if (value === undefined) {
          trace.unparsed += 1;
          trace.firstUnparsed ??= captured;
          continue;
        }
        trace.last = value;
        trace.series.push({ t, value });
        if (trace.series.length > MAX_SERIES_POINTS) thin(trace.series);
      }
    }
  }

  /** Final value of every metric that has one. */
  finalMetrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, trace] of this.traces) if (trace.last !== undefined) out[name] = trace.last;
    return out;
  }
}

function thin(series: MetricPoint[]): void {
  const last = series.length - 1;
  let w = 0;
  for (let r = 0; r <= last; r++) if (r % 2 === 1 || r === last) series[w++] = series[r];
  series.length = w;
}

/**
 * Why the objective never appeared, in words: names the metric and its regex, and what was seen instead.
 */
export function objectiveMissingReason(metric: CompiledMetric, trace: MetricTrace | undefined, lines: number): string {
  const base =
    `the objective metric ${metric.name} was never reported: its regex ${JSON.stringify(metric.pattern)} ` +
    `(MetricDefinitions[${metric.index}])`;
  if (trace && trace.unparsed > 0) {
    return `${base} matched ${trace.unparsed} time(s), but the first capture group was never a number (first capture: ${JSON.stringify(
      trace.firstUnparsed,
    )})`;
  }
  return `${base} matched none of the ${lines} line(s) of output (stdout and stderr)`;
}
