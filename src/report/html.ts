/**
 * The study report: one self-contained HTML file (inline CSS, inline SVG, a few lines of inline JS to sort the
 * table; nothing fetched from the network) with the summary, the convergence of the best value, the objective
 * against each hyperparameter and the trial table. Pure: the caller writes the string where it wants.
 */
import type { CategoricalParameterRange, ContinuousParameterRange, IntegerParameterRange } from '../core/types';
import { resolveAutoScaling } from '../core/space';
import type { Study } from '../study/types';
import { formatDuration, formatHyperParameters, formatNumber, formatTimestamp, formatValue } from './format';
import { bestSoFar, hyperParameterNames, otherMetricNames, studyRanges, summarizeStudy, trialRows, type TrialRow } from './rows';
import { bestOverTimeChart, learningCurves, parallelCoordinates, settingsTable } from './views';
import { describeRecommendation, studyRecommendation } from './recommend';
import { escapeXml, objectiveAxis, padDomain, ramp, renderChart, type Axis, type PlotPoint } from './svg';

/** Options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  /** The time the report is made, in milliseconds since the epoch (durations of running trials, the footer). */
  readonly now: number;
  /** Where the study lives, shown in the footer (a folder or an S3 URI). @default not shown */
  readonly location?: string;
  /**
   * Show the optimizer's recommended configuration (the trial with the best posterior mean) when it is not the best
   * reported trial; false leaves it out (it refits the study's model from its saved state).
   * @default true
   */
  readonly recommendation?: boolean;
}

const ORDER_RAMP = ['#b9d4ec', '#4a8fcf', '#16407a'];
const BEST_LINE = '#e07a1f';

function esc(text: string | number): string {
  return escapeXml(String(text));
}

/**
 * The objective axis: log when every value is positive and the largest is at least ten times the smallest (a
 * loss that spans decades, or a few diverged or early-stopped trials far above the rest), so that the good
 * values near the bottom stay apart.
 */

type RangeInfo =
  | { kind: 'integer'; range: IntegerParameterRange }
  | { kind: 'continuous'; range: ContinuousParameterRange }
  | { kind: 'categorical'; range: CategoricalParameterRange };

function rangeInfo(study: Study, name: string): RangeInfo | undefined {
  const ranges = studyRanges(study);
  const integer = ranges.IntegerParameterRanges?.find((r) => r.Name === name);
  if (integer) return { kind: 'integer', range: integer };
  const continuous = ranges.ContinuousParameterRanges?.find((r) => r.Name === name);
  if (continuous) return { kind: 'continuous', range: continuous };
  const categorical = ranges.CategoricalParameterRanges?.find((r) => r.Name === name);
  return categorical ? { kind: 'categorical', range: categorical } : undefined;
}

/**
 * The x axis of one hyperparameter: its range from the request (so the plot shows where the optimizer did not
 * go), log for `Logarithmic` scaling (and for `Auto` where the optimizer resolves it to logarithmic), bands for
 * categorical values. Hyperparameters outside the request's ranges get an axis from their values.
 */
export function hyperParameterAxis(study: Study, name: string, rows: readonly TrialRow[]): Axis {
  const info = rangeInfo(study, name);
  const values = rows.map((r) => r.hyperParameters[name]).filter((v) => v !== undefined);
  if (info?.kind === 'categorical' || (!info && values.some((v) => typeof v === 'string'))) {
    const domain = info?.kind === 'categorical' ? [...info.range.Values.map(String)] : [];
    for (const v of values) if (!domain.includes(String(v))) domain.push(String(v));
    return { kind: 'band', domain, label: name };
  }
  const numbers = values.map(Number).filter(Number.isFinite);
  let lo = Math.min(...numbers);
  let hi = Math.max(...numbers);
  if (info) {
    lo = Math.min(Number(info.range.MinValue), ...numbers);
    hi = Math.max(Number(info.range.MaxValue), ...numbers);
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  const declared = info ? info.range.ScalingType ?? 'Auto' : 'Linear';
  const min = Number(info?.range.MinValue);
  const max = Number(info?.range.MaxValue);
  // Auto resolves as the optimizer resolves it, so the axis shows the space as it was searched.
  const scaling = declared === 'Auto' && info ? resolveAutoScaling(info.kind, min, max) : declared;
  const log = lo > 0 && scaling === 'Logarithmic';
  const kind = log ? 'log' : 'linear';
  return { kind, domain: padDomain(lo, hi, kind, 0.04), label: name, integer: info?.kind === 'integer' };
}

/** Deterministic jitter in [-0.3, 0.3] bands from the trial number, so a strip's points do not overlap. */
function jitter(trial: number): number {
  const x = Math.sin(trial * 12.9898) * 43758.5453;
  return (x - Math.floor(x) - 0.5) * 0.6;
}

function pointTitle(row: TrialRow, names: readonly string[], metric: string): string {
  const value =
    row.objective === undefined ? row.status : `${metric} = ${formatNumber(row.objective)}${row.status === 'Stopped' ? ' (last value; stopped)' : ''}`;
  const reason = row.reason ? `\n${row.reason}` : '';
  return `Trial ${row.trial}: ${value}\n${formatHyperParameters(row, names)}${reason}`;
}

function convergenceChart(study: Study, rows: readonly TrialRow[], names: readonly string[], best: TrialRow | undefined, metric: string): string {
  const values = rows.flatMap((r) => (r.objective === undefined ? [] : [r.objective]));
  const n = Math.max(...rows.map((r) => r.trial));
  const series = bestSoFar(study).flatMap((p) => (p.best === undefined ? [] : [[p.trial, p.best] as const]));
  if (series.length > 0) series.push([n + 0.5, series[series.length - 1][1]]);
  const points: PlotPoint[] = rows
    .filter((r) => r.objective !== undefined || r.status === 'Failed' || r.status === 'Stopped')
    .map((r) => ({
      trial: r.trial,
      x: r.trial,
      y: r.objective,
      color: ramp(ORDER_RAMP, n > 1 ? (r.trial - 1) / (n - 1) : 1),
      title: pointTitle(r, names, metric),
      highlight: best !== undefined && r.trial === best.trial,
      hollow: r.status === 'Stopped',
    }));
  return renderChart({
    width: 900,
    height: 340,
    title: `Best ${metric} so far, over trials`,
    x: { kind: 'linear', domain: [0.5, n + 0.5], label: 'trial', integer: true },
    y: objectiveAxis(values, metric),
    points,
    lines: [{ points: series, color: BEST_LINE, step: true, label: 'best so far' }],
    missingLabel: 'no value',
  });
}

function hyperParameterCharts(study: Study, rows: readonly TrialRow[], names: readonly string[], best: TrialRow | undefined, metric: string): string {
  const values = rows.flatMap((r) => (r.objective === undefined ? [] : [r.objective]));
  const y = objectiveAxis(values, metric);
  const n = Math.max(...rows.map((r) => r.trial));
  return names
    .map((name) => {
      const x = hyperParameterAxis(study, name, rows);
      const points: PlotPoint[] = rows
        .filter((r) => r.hyperParameters[name] !== undefined && (r.objective !== undefined || r.status === 'Failed'))
        .map((r) => ({
          trial: r.trial,
          x: r.hyperParameters[name],
          y: r.objective,
          jitter: x.kind === 'band' ? jitter(r.trial) : 0,
          color: ramp(ORDER_RAMP, n > 1 ? (r.trial - 1) / (n - 1) : 1),
          title: pointTitle(r, names, metric),
          highlight: best !== undefined && r.trial === best.trial,
          hollow: r.status === 'Stopped',
        }));
      const chart = renderChart({ width: 380, height: 270, title: `${metric} against ${name}`, x, y, points });
      const bestValue = best?.hyperParameters[name];
      return `<figure class="panel"><figcaption><span class="hp">${esc(name)}</span>${
        bestValue === undefined ? '' : `<span class="best-hp">best: ${esc(formatValue(bestValue))}</span>`
      }</figcaption>${chart}</figure>`;
    })
    .join('\n');
}

function rangeText(study: Study, name: string): string {
  const info = rangeInfo(study, name);
  if (!info) return '';
  if (info.kind === 'categorical') return info.range.Values.join(', ');
  const scaling = info.range.ScalingType && info.range.ScalingType !== 'Auto' ? ` (${info.range.ScalingType})` : '';
  return `${info.kind} ${info.range.MinValue} – ${info.range.MaxValue}${scaling}`;
}

function trialTable(rows: readonly TrialRow[], names: readonly string[], best: TrialRow | undefined, metrics: readonly string[] = []): string {
  const hyperband = rows.some((r) => r.hyperband);
  const head = ['trial', ...names, 'objective', ...metrics, 'status', ...(hyperband ? ['epochs', 'rung'] : []), 'duration', 'job name', 'reason']
    // A long name may break after _ : . - (the header wraps rather than widening its column).
    .map((h, i) => `<th data-col="${i}" title="Sort by ${esc(h)}">${esc(h).replace(/([_:.-])/g, '$1<wbr>')}</th>`)
    .join('');
  const body = rows
    .map((r) => {
      const cls = [r.trial === best?.trial ? 'best' : '', `s-${r.status.toLowerCase()}`].filter(Boolean).join(' ');
      const cells = [
        `<td class="num" data-v="${r.trial}">${r.trial}</td>`,
        ...names.map((n) => {
          const v = r.hyperParameters[n];
          return typeof v === 'number'
            ? `<td class="num" data-v="${v}" title="${esc(String(v))}">${esc(formatValue(v))}</td>`
            : `<td>${esc(v ?? '')}</td>`;
        }),
        r.objective === undefined
          ? '<td class="num" data-v=""></td>'
          : `<td class="num obj" data-v="${r.objective}" title="${esc(String(r.objective))}">${esc(formatNumber(r.objective))}</td>`,
        ...metrics.map((m) => {
          const v = r.metrics?.[m];
          return v === undefined ? '<td class="num" data-v=""></td>' : `<td class="num" data-v="${v}" title="${esc(String(v))}">${esc(formatNumber(v))}</td>`;
        }),
        `<td><span class="status">${esc(r.status)}</span></td>`,
        ...(hyperband
          ? [
              `<td class="num" data-v="${r.hyperband?.epochs ?? ''}">${r.hyperband?.epochs ?? ''}</td>`,
              `<td class="num" data-v="${r.hyperband?.rung ?? ''}" title="${r.hyperband ? `bracket ${r.hyperband.bracket}` : ''}">${r.hyperband?.rung ?? ''}</td>`,
            ]
          : []),
        r.durationSeconds === undefined ? '<td class="num" data-v=""></td>' : `<td class="num" data-v="${r.durationSeconds}">${esc(formatDuration(r.durationSeconds))}</td>`,
        `<td class="job">${esc(r.jobName)}</td>`,
        r.reason ? `<td class="reason"><div>${esc(r.reason)}</div></td>` : '<td class="reason"></td>',
      ];
      return `<tr class="${cls}" data-trial="${r.trial}">${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table id="trials"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `
:root{--ink:#1f2a35;--muted:#66727e;--line:#e3e8ee;--accent:#e07a1f;--blue:#2b6cb0;--bad:#d1495b;--ok:#2f855a}
*{box-sizing:border-box}
body{margin:0;background:#f6f8fa;color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:28px 24px 40px}
h1{font-size:24px;margin:0 0 4px;font-weight:650}
h2{font-size:18px;margin:34px 0 6px;font-weight:650}
.sub{color:var(--muted);margin:0 0 18px}
.note{color:var(--muted);font-size:13px;margin:0 0 12px}
.badge{display:inline-block;padding:1px 9px;border-radius:11px;font-size:13px;font-weight:600;vertical-align:3px;margin-left:8px;background:#e6eef8;color:var(--blue)}
.badge.Completed{background:#e3f4ea;color:var(--ok)}.badge.Failed{background:#fbe5e8;color:var(--bad)}.badge.Stopped{background:#f1f1f1;color:#555}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:24px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.card .d{color:var(--muted);font-size:13px}
.card.best{border-color:#f3c89e;background:#fffaf4}.card.best .v{color:#b55d0f}
.box{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.chart{width:100%;height:auto;display:block}
.chart text{fill:#4a5560;font-size:12px}.chart .axis-label{font-size:13px;fill:#1f2a35}.chart .fail{fill:var(--bad)}
.chart .pt:hover circle{stroke:#1f2a35;stroke-width:1.5}
.legend{display:flex;gap:18px;flex-wrap:wrap;color:var(--muted);font-size:13px;margin:4px 0 8px}
.legend i{display:inline-block;vertical-align:middle;margin-right:6px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}
.panel{margin:0;background:#fff;border:1px solid var(--line);border-radius:10px;padding:10px 12px 6px}
.panel figcaption{display:flex;justify-content:space-between;align-items:baseline;margin-bottom:2px}
.hp{font-weight:650}.best-hp{color:#b55d0f;font-size:13px;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13.5px}
.tablewrap{overflow-x:auto;border:1px solid var(--line);border-radius:10px}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{position:sticky;top:0;background:#f0f3f6;cursor:pointer;user-select:none;font-weight:600;white-space:normal;vertical-align:bottom}
th.asc::after{content:" ▲";font-size:10px}th.desc::after{content:" ▼";font-size:10px}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.reason{white-space:normal;min-width:220px;max-width:520px;font-size:12.5px}
td.reason div{white-space:pre-wrap;overflow-wrap:anywhere;max-height:9.5em;overflow-y:auto}
.settings td{vertical-align:top;padding:3px 18px 3px 0}.settings td:last-child{overflow-wrap:anywhere}
tr.s-failed td.reason{color:var(--bad)}
td.job{color:var(--muted);font-size:12px;white-space:normal;overflow-wrap:anywhere;min-width:90px;max-width:150px}
tr.best td{background:#fff4e8}tr.best td.obj{font-weight:700;color:#b55d0f}
tr.s-failed td,tr.s-stopped td{color:#8a949e}
.status{font-size:12px;padding:1px 7px;border-radius:9px;background:#eef2f6}
tr.s-completed .status{background:#e3f4ea;color:var(--ok)}tr.s-failed .status{background:#fbe5e8;color:var(--bad)}
tr.s-inprogress .status{background:#e6eef8;color:var(--blue)}
.besthp{border-collapse:collapse;width:auto;font-size:14px}.besthp td{border:0;padding:2px 14px 2px 0}.besthp td:first-child{font-weight:600}
.besthp td.r{color:var(--muted)}
footer{color:var(--muted);font-size:12px;margin-top:28px}
`;

// Sorts the trial table on a header click; numeric cells carry their raw value in data-v.
const SCRIPT = `
document.querySelectorAll('#trials th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], col = +th.dataset.col;
    var asc = !th.classList.contains('asc');
    table.querySelectorAll('th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
    th.classList.add(asc ? 'asc' : 'desc');
    var rows = Array.prototype.slice.call(body.rows);
    function key(r) { var c = r.cells[col]; return c.dataset.v !== undefined ? (c.dataset.v === '' ? null : +c.dataset.v) : c.textContent; }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === null || y === null) return (x === null) - (y === null);
      var d = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
      return asc ? d : -d;
    });
    var sorted = document.createDocumentFragment();
    rows.forEach(function (r) { sorted.appendChild(r); });
    body.appendChild(sorted);
  });
});
`;

/** Renders the report of a study as one self-contained HTML document. */
export function renderHtmlReport(study: Study, options: HtmlReportOptions): string {
  const summary = summarizeStudy(study, options.now);
  const rows = trialRows(study, { now: options.now });
  const names = hyperParameterNames(study);
  const metric = summary.objective.metricName;
  const best = summary.best;
  const c = summary.counters;
  const failed = c.NonRetryableError;
  const direction = summary.objective.type === 'Maximize' ? 'maximize' : 'minimize';

  const cards = [
    best
      ? `<div class="card best"><div class="k">Best ${esc(metric)}</div><div class="v">${esc(formatNumber(best.objective as number))}</div><div class="d">trial ${best.trial} of ${summary.trials}</div></div>`
      : `<div class="card"><div class="k">Best ${esc(metric)}</div><div class="v">—</div><div class="d">no trial completed yet</div></div>`,
    `<div class="card"><div class="k">Trials</div><div class="v">${summary.trials}${summary.maxTrials ? `<span class="d"> / ${summary.maxTrials}</span>` : ''}</div><div class="d">${c.Completed} completed${c.InProgress ? `, ${c.InProgress} running` : ''}</div></div>`,
    `<div class="card"><div class="k">Failed / stopped</div><div class="v">${failed} / ${c.Stopped}</div><div class="d">${c.RetryableError} retried infrastructure error${c.RetryableError === 1 ? '' : 's'}</div></div>`,
    `<div class="card"><div class="k">Duration</div><div class="v">${esc(formatDuration(summary.elapsedSeconds))}</div><div class="d">${esc(formatDuration(summary.trialSeconds))} of training${summary.maxParallel ? `, ${summary.maxParallel} in parallel` : ''}</div></div>`,
  ].join('');

  const bestTable = best
    ? `<h2>Best hyperparameters</h2><div class="box"><table class="besthp">${names
        .filter((n) => best.hyperParameters[n] !== undefined)
        .map((n) => `<tr><td>${esc(n)}</td><td>${esc(formatValue(best.hyperParameters[n]))}</td><td class="r">${esc(rangeText(study, n))}</td></tr>`)
        .join('')}</table><p class="note" style="margin:8px 0 0">Trial ${best.trial}, job ${esc(best.jobName)}</p></div>`
    : '';

  // The model's recommendation, when it is another trial than the best reported one (noisy metrics).
  const rec = options.recommendation === false ? undefined : studyRecommendation(study);
  const recTrial = rec ? study.trials.find((t) => t.number === rec.trial) : undefined;
  const recommendation =
    rec && recTrial
      ? `<h2>Recommended configuration</h2><div class="box"><table class="besthp">${names
          .filter((n) => recTrial.hyperParameters[n] !== undefined)
          .map((n) => `<tr><td>${esc(n)}</td><td>${esc(formatValue(recTrial.hyperParameters[n]))}</td><td class="r">${esc(rangeText(study, n))}</td></tr>`)
          .join('')}</table><p class="note" style="margin:8px 0 0">${describeRecommendation(rec, metric)
          .map((line) => esc(line.trim()))
          .join('<br>')} Trial ${rec.trial}, job ${esc(recTrial.jobName)}.</p></div>`
      : '';

  const hasValues = rows.some((r) => r.objective !== undefined);
  const metrics = otherMetricNames(study);
  const overTime = hasValues ? bestOverTimeChart(study, rows, best, metric) : '';
  const parallel = hasValues && names.length > 1 ? parallelCoordinates(study, rows, names.map((name) => ({ name, axis: hyperParameterAxis(study, name, rows) })), best, metric) : '';
  const charts = hasValues
    ? `<h2>Convergence</h2>
<p class="note">Each point is one trial's final ${esc(metric)} (darker is later; open circles are trials stopped early, at their last value; crosses are trials without a value). The line is the best value so far; the ringed point is the best trial. Hover a point for its hyperparameters.</p>
<div class="legend"><span><i style="width:22px;height:3px;background:${BEST_LINE}"></i>best so far (${direction})</span><span><i style="width:10px;height:10px;border-radius:50%;background:${ORDER_RAMP[0]}"></i>early trial</span><span><i style="width:10px;height:10px;border-radius:50%;background:${ORDER_RAMP[2]}"></i>late trial</span><span><i style="width:12px;height:12px;border-radius:50%;border:2.5px solid ${BEST_LINE}"></i>best trial</span><span><i style="width:9px;height:9px;border-radius:50%;border:1.8px solid ${ORDER_RAMP[1]}"></i>stopped early (last value)</span></div>
<div class="box">${convergenceChart(study, rows, names, best, metric)}</div>
${overTime ? `<h2>Over time</h2><p class="note">The same, against the hours since the study began: what running trials in parallel bought.</p><div class="box">${overTime}</div>` : ''}
${parallel ? `<h2>All hyperparameters together</h2><p class="note">One line per trial through its hyperparameters and its ${esc(metric)} (darker is better, dashed was stopped early, orange is the best trial). Hover a line for the trial.</p><div class="box">${parallel}</div>` : ''}
<h2>${esc(metric)} against each hyperparameter</h2>
<p class="note">Where the good values are, and where the optimizer looked. The x axis spans the search range; categorical values are strips.</p>
<div class="grid">${hyperParameterCharts(study, rows, names, best, metric)}</div>`
    : `<h2>Charts</h2><p class="note">No trial has completed with a value of ${esc(metric)} yet.</p>`;
  const curves = learningCurves(study, best, metric);
  const curvesSection = curves
    ? `<h2>Learning curves</h2><p class="note">Each trial's intermediate ${esc(metric)} as it trained (what early stopping compares; dashed: stopped early; orange: the best trial).</p><div class="box">${curves}</div>`
    : '';

  const ended = summary.endedAt ? `, ended ${esc(formatTimestamp(summary.endedAt))}` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sagetune: ${esc(study.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${esc(study.name)}<span class="badge ${esc(summary.status)}">${esc(summary.status)}</span></h1>
<p class="sub">${esc(summary.strategy)} search to ${direction} <b>${esc(metric)}</b> over ${names.length} hyperparameter${names.length === 1 ? '' : 's'}. Started ${esc(formatTimestamp(summary.createdAt))}${ended}.${
    summary.statusReason ? ` ${esc(summary.statusReason)}` : ''
  }</p>
<div class="cards">${cards}</div>
${bestTable}
${recommendation}
<h2>Settings</h2>
<div class="box">${settingsTable(study)}</div>
${charts}
${curvesSection}
<h2>Trials</h2>
<p class="note">Click a column to sort.${metrics.length > 0 ? ` Besides ${esc(metric)}, the trials reported ${metrics.map((m) => esc(m)).join(', ')}.` : ''}</p>
<div class="tablewrap">${trialTable(rows, names, best, metrics)}</div>
<footer>Generated by sagetune on ${esc(formatTimestamp(options.now))}${options.location ? ` from ${esc(options.location)}` : ''}.</footer>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
