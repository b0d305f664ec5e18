/**
 * Text renderings of the results rows: an aligned table for a terminal, CSV and JSON for tools. Column names of
 * CSV and JSON follow the SageMaker Python SDK's `HyperparameterTuningJobAnalytics` dataframe, so a script written
 * against that dataframe reads sagetune's results unchanged.
 */
import type { HyperParameterValue } from '../core/types';
import type { TrialRow } from './rows';
import { ellipsize } from '../study/text';

/** Formats a number with at most `digits` significant digits, without exponent noise for ordinary values. */
export function formatNumber(value: number, digits = 6): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e15)) return value.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, 'e');
  return String(Number(value.toPrecision(digits)));
}

/** Formats a duration in seconds as `42s`, `3m 05s` or `2h 03m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Formats an ISO-8601 timestamp as `2026-11-27 01:00:00 UTC` (unparseable text is returned as is). */
export function formatTimestamp(iso: string | number): string {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(ms)) return String(iso);
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Formats a hyperparameter value for people (numbers to 4 significant digits). */
export function formatValue(value: HyperParameterValue | undefined): string {
  if (value === undefined) return '';
  // Line breaks and tabs written as escapes, so that one value never splits a line of a table or a status.
  return typeof value === 'number' ? formatNumber(value, 4) : value.replace(/\r\n|\r|\n/g, '\\n').replace(/\t/g, '\\t');
}

/** `name=value` pairs of a trial's hyperparameters, in the given name order. */
export function formatHyperParameters(row: Pick<TrialRow, 'hyperParameters'>, names: readonly string[]): string {
  return names
    .filter((n) => row.hyperParameters[n] !== undefined)
    .map((n) => `${n}=${formatValue(row.hyperParameters[n])}`)
    .join(' ');
}

/** Options of {@link formatTable}. */
export interface TableOptions {
  /** Longest failure reason shown before it is cut with an ellipsis. @default 60 (characters) */
  readonly maxReasonLength?: number;
  /** The other metrics to show, a column each after the objective. @default none */
  readonly metrics?: readonly string[];
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return ellipsize(oneLine, max);
}

/**
 * An aligned plain-text table: trial, job name, one column per hyperparameter, objective, one column per other
 * metric the trials reported (`options.metrics`), status, duration in seconds, reason. Numbers are right-aligned.
 */
export function formatTable(rows: readonly TrialRow[], names: readonly string[], options: TableOptions = {}): string {
  const maxReason = options.maxReasonLength ?? 60;
  const metrics = options.metrics ?? [];
  const number = (v: number | undefined): string => (v === undefined ? '' : formatNumber(v));
  const columns: { header: string; numeric: boolean; cell: (r: TrialRow) => string }[] = [
    { header: 'trial', numeric: true, cell: (r) => String(r.trial) },
    { header: 'job name', numeric: false, cell: (r) => r.jobName },
    ...names.map((n) => ({ header: n, numeric: rows.some((r) => typeof r.hyperParameters[n] === 'number'), cell: (r: TrialRow) => formatValue(r.hyperParameters[n]) })),
    { header: 'objective', numeric: true, cell: (r) => number(r.objective) },
    ...metrics.map((m) => ({ header: m, numeric: true, cell: (r: TrialRow) => number(r.metrics?.[m]) })),
    { header: 'status', numeric: false, cell: (r) => r.status },
    ...(rows.some((r) => r.hyperband)
      ? [
          { header: 'epochs', numeric: true, cell: (r: TrialRow) => String(r.hyperband?.epochs ?? '') },
          { header: 'bracket', numeric: true, cell: (r: TrialRow) => String(r.hyperband?.bracket ?? '') },
          { header: 'rung', numeric: true, cell: (r: TrialRow) => String(r.hyperband?.rung ?? '') },
        ]
      : []),
    { header: 'duration s', numeric: true, cell: (r) => (r.durationSeconds === undefined ? '' : r.durationSeconds.toFixed(1)) },
    { header: 'reason', numeric: false, cell: (r) => (r.reason === undefined ? '' : truncate(r.reason, maxReason)) },
  ];
  const header = columns.map((c) => c.header);
  const numeric = columns.map((c) => c.numeric);
  const body = rows.map((r) => columns.map((c) => c.cell(r)));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

/** The CSV and JSON column names, after the SageMaker SDK's analytics dataframe. */
export const RESULT_COLUMNS = {
  trial: 'TrialNumber',
  jobName: 'TrainingJobName',
  objective: 'FinalObjectiveValue',
  status: 'TrainingJobStatus',
  startedAt: 'TrainingStartTime',
  endedAt: 'TrainingEndTime',
  duration: 'TrainingElapsedTimeSeconds',
  reason: 'FailureReason',
} as const;

/** The CSV columns of a Hyperband study's trials (after TrainingJobStatus). */
export const HYPERBAND_COLUMNS = ['Epochs', 'HyperbandBracket', 'HyperbandRungReached'] as const;

function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = typeof value === 'number' ? String(value) : value;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The CSV header names of the hyperparameter columns: each hyperparameter's own name, except one that is also a
 * fixed column's name (a hyperparameter called `FinalObjectiveValue`), which becomes `HyperParameter.<name>`, so that
 * every column has a name of its own and `df['FinalObjectiveValue']` stays the objective.
 */
function hyperParameterColumns(names: readonly string[]): string[] {
  const used = new Set<string>([...Object.values(RESULT_COLUMNS), ...names]);
  return names.map((name) => {
    if (!(Object.values(RESULT_COLUMNS) as string[]).includes(name)) return name;
    let column = `HyperParameter.${name}`;
    while (used.has(column)) column = `HyperParameter.${column}`;
    used.add(column);
    return column;
  });
}

/**
 * The CSV header names of the other metrics' columns: each metric's own name, or `Metric.<name>` for one named like a
 * fixed column or a hyperparameter.
 */
function metricColumns(metrics: readonly string[], names: readonly string[]): string[] {
  const taken = new Set<string>([...Object.values(RESULT_COLUMNS), ...names]);
  return metrics.map((m) => (taken.has(m) ? `Metric.${m}` : m));
}

/**
 * RFC 4180 CSV with a header: TrialNumber, TrainingJobName, one column per hyperparameter (named as the
 * hyperparameter, or `HyperParameter.<name>` for one named like a fixed column), FinalObjectiveValue, one column per
 * other metric the trials reported (`metrics`; `Metric.<name>` for one named like another column), TrainingJobStatus,
 * for a Hyperband study Epochs, HyperbandBracket and HyperbandRungReached, then TrainingStartTime, TrainingEndTime,
 * TrainingElapsedTimeSeconds, FailureReason. Numbers at full precision; empty cells where a value is absent.
 */
export function formatCsv(rows: readonly TrialRow[], names: readonly string[], metrics: readonly string[] = []): string {
  const c = RESULT_COLUMNS;
  const hyperband = rows.some((r) => r.hyperband);
  const header = [
    c.trial,
    c.jobName,
    ...hyperParameterColumns(names),
    c.objective,
    ...metricColumns(metrics, names),
    c.status,
    ...(hyperband ? HYPERBAND_COLUMNS : []),
    c.startedAt,
    c.endedAt,
    c.duration,
    c.reason,
  ];
  const lines = [header.map(csvCell).join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.trial,
        r.jobName,
        ...names.map((n) => r.hyperParameters[n]),
        r.objective,
        ...metrics.map((m) => r.metrics?.[m]),
        r.status,
        ...(hyperband ? [r.hyperband?.epochs, r.hyperband?.bracket, r.hyperband?.rung] : []),
        r.startedAt,
        r.endedAt,
        r.durationSeconds,
        r.reason,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** One trial as a JSON record (see {@link formatJson}). */
export interface TrialRecord {
  TrialNumber: number;
  TrainingJobName: string;
  HyperParameters: Record<string, HyperParameterValue>;
  FinalObjectiveValue?: number;
  TrainingJobStatus: string;
  TrainingStartTime?: string;
  TrainingEndTime?: string;
  TrainingElapsedTimeSeconds?: number;
  FailureReason?: string;
  /** Final values of every metric the trial reported (the objective's among them). */
  FinalMetrics?: Record<string, number>;
  /** A Hyperband trial's epochs trained, bracket and highest rung passed (in epochs). */
  Hyperband?: { Epochs: number; Bracket: number; RungReached: number };
}

/** The rows as JSON records (the CSV's columns, with the hyperparameters nested under `HyperParameters`). */
export function toRecords(rows: readonly TrialRow[]): TrialRecord[] {
  return rows.map((r) => ({
    TrialNumber: r.trial,
    TrainingJobName: r.jobName,
    HyperParameters: { ...r.hyperParameters },
    FinalObjectiveValue: r.objective,
    TrainingJobStatus: r.status,
    TrainingStartTime: r.startedAt,
    TrainingEndTime: r.endedAt,
    TrainingElapsedTimeSeconds: r.durationSeconds,
    FailureReason: r.reason,
    ...(r.metrics ? { FinalMetrics: { ...r.metrics } } : {}),
    ...(r.hyperband ? { Hyperband: { Epochs: r.hyperband.epochs, Bracket: r.hyperband.bracket, RungReached: r.hyperband.rung } } : {}),
  }));
}

/** A JSON array of {@link TrialRecord}, pretty-printed; absent values are left out. */
export function formatJson(rows: readonly TrialRow[]): string {
  return JSON.stringify(toRecords(rows), null, 2) + '\n';
}
