/**
 * More views of a study for the HTML report, pure like the rest of it: the study's settings (and the engine that ran
 * it), the best value over time, parallel coordinates of every hyperparameter together, and each trial's learning
 * curve (the intermediate values early stopping compared). Every mark carries `data-trial`; the best trial's marks
 * carry the class `best`.
 */
import { rungLevels } from '../core/hyperband';
import { engineHyperbandSettings } from '../study/hyperband';
import type { Study, Trial } from '../study/types';
import { formatDuration, formatNumber, formatValue } from './format';
import { hyperParameterNames, studyObjective, type TrialRow } from './rows';
import { escapeXml, makeScale, objectiveAxis, padDomain, scaleNote, ramp, renderChart, type Axis, type PlotPoint } from './svg';

const esc = (text: string | number): string => escapeXml(String(text));
const BEST = '#e07a1f';
const GOOD_TO_BAD = ['#16407a', '#4a8fcf', '#b9d4ec'];

type Loose = Record<string, unknown>;
const rec = (v: unknown): Loose | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : undefined);

/** Which engine ran the study, in words. */
export function engineText(study: Study): string {
  const options = rec(study.request.Sagetune);
  if (study.native) {
    return study.trials.some((t) => !String(t.suggestionId).startsWith('native:'))
      ? `sagetune's optimizer, then SageMaker's tuning job ${study.native.tuningJobName} (handed over)`
      : `SageMaker's tuning job ${study.native.tuningJobName}`;
  }
  return options?.Engine === 'native' ? "SageMaker's tuning job" : "sagetune's optimizer";
}

/** The study's settings as label/value pairs. */
export function settings(study: Study): [string, string][] {
  const config = rec(study.request.HyperParameterTuningJobConfig) ?? {};
  const limits = rec(config.ResourceLimits) ?? {};
  const def = rec(study.request.TrainingJobDefinition);
  const algo = rec(def?.AlgorithmSpecification);
  const options = rec(study.request.Sagetune) ?? {};
  const local = rec(options.Local);
  const objective = studyObjective(study);
  const out: [string, string][] = [
    ['Engine', engineText(study)],
    [
      'Trials run as',
      options.Backend === 'local'
        ? `local processes: ${Array.isArray(local?.Command) ? (local.Command as string[]).join(' ') : 'the command'}`
        : `SageMaker training jobs${algo?.TrainingImage ? `: ${String(algo.TrainingImage)}` : algo?.AlgorithmName ? `: ${String(algo.AlgorithmName)}` : ''}${
            rec(def?.ResourceConfig)?.InstanceType ? ` on ${String(rec(def?.ResourceConfig)?.InstanceCount ?? 1)} × ${String(rec(def?.ResourceConfig)?.InstanceType)}` : ''
          }`,
    ],
    ['Strategy', String(config.Strategy ?? 'Bayesian')],
    ['Objective', `${objective.type === 'Maximize' ? 'maximize' : 'minimize'} ${objective.metricName}`],
    [
      'Budget',
      [
        limits.MaxNumberOfTrainingJobs !== undefined ? `${String(limits.MaxNumberOfTrainingJobs)} trials` : undefined,
        limits.MaxParallelTrainingJobs !== undefined ? `${String(limits.MaxParallelTrainingJobs)} in parallel` : undefined,
        limits.MaxRuntimeInSeconds !== undefined ? `at most ${formatDuration(Number(limits.MaxRuntimeInSeconds))}` : undefined,
      ]
        .filter(Boolean)
        .join(', ') || 'none',
    ],
    ['Early stopping', config.TrainingJobEarlyStoppingType === 'Auto' ? 'the median rule (Auto)' : config.Strategy === 'Hyperband' ? "Hyperband's rungs" : 'off'],
  ];
  const hyperband = engineHyperbandSettings(study.request);
  if (hyperband) {
    const levels = rungLevels(hyperband);
    out.push([
      'Hyperband',
      `rungs at ${levels.length > 0 ? levels.join(', ') : 'none'} epoch${levels.length === 1 && levels[0] === 1 ? '' : 's'}, MaxResource ${hyperband.maxResource}, the best 1/${hyperband.reductionFactor} continue at each rung, ${levels.length + 1} brackets`,
    ]);
    const trained = study.trials.reduce((n, t) => n + (t.objectiveSeries ?? []).filter((p) => Number.isFinite(p.value)).length, 0);
    out.push(['Epochs trained', `${trained} (${study.trials.length} trials; ${study.trials.length * hyperband.maxResource} had every trial run to MaxResource)`]);
  }
  const criteria = rec(config.TuningJobCompletionCriteria);
  if (criteria) {
    const parts: string[] = [];
    if (criteria.TargetObjectiveMetricValue !== undefined) parts.push(`target ${String(criteria.TargetObjectiveMetricValue)}`);
    const notImproving = rec(criteria.BestObjectiveNotImproving)?.MaxNumberOfTrainingJobsNotImproving;
    if (notImproving !== undefined) parts.push(`${String(notImproving)} trials without improvement`);
    if (rec(criteria.ConvergenceDetected)?.CompleteOnConvergence === 'Enabled') parts.push('on convergence');
    out.push(['Completion', parts.join(', ') || 'the budget']);
  }
  if (config.RandomSeed !== undefined) out.push(['Random seed', String(config.RandomSeed)]);
  const parents = rec(study.request.WarmStartConfig)?.ParentHyperParameterTuningJobs;
  if (Array.isArray(parents)) out.push(['Warm start', parents.map((p) => String(rec(p)?.HyperParameterTuningJobName)).join(', ')]);
  return out;
}

/** The settings as an HTML table. */
export function settingsTable(study: Study): string {
  return `<table class="besthp settings">${settings(study)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`)
    .join('')}</table>`;
}


/** A unit for a span of seconds that keeps its numbers readable: seconds, minutes or hours. */
function timeUnit(maxSeconds: number): { name: string; seconds: number } {
  return maxSeconds >= 3 * 3600 ? { name: 'hours', seconds: 3600 } : maxSeconds >= 180 ? { name: 'minutes', seconds: 60 } : { name: 'seconds', seconds: 1 };
}

/** The best value so far against the time since the study began (each trial at its end). */
export function bestOverTimeChart(study: Study, rows: readonly TrialRow[], best: TrialRow | undefined, metric: string): string {
  const t0 = Date.parse(study.createdAt);
  const ended = rows.filter((r) => r.objective !== undefined && r.endedAt).map((r) => ({ r, seconds: Math.max(0, (Date.parse(r.endedAt!) - t0) / 1000) }));
  if (ended.length === 0) return '';
  const type = studyObjective(study).type;
  const sorted = [...ended].sort((a, b) => a.seconds - b.seconds);
  const unit = timeUnit(Math.max(...sorted.map((e) => e.seconds)));
  const line: [number, number][] = [];
  let current: number | undefined;
  for (const { r, seconds } of sorted) {
    if (r.status !== 'Completed') continue;
    const v = r.objective!;
    if (current === undefined || (type === 'Maximize' ? v > current : v < current)) {
      current = v;
      line.push([seconds / unit.seconds, v]);
    }
  }
  const maxX = Math.max(...sorted.map((e) => e.seconds / unit.seconds), 1e-6);
  if (line.length > 0) line.push([maxX, line[line.length - 1][1]]);
  const points: PlotPoint[] = sorted.map(({ r, seconds }) => ({
    trial: r.trial,
    x: seconds / unit.seconds,
    y: r.objective,
    color: '#4a8fcf',
    title: `Trial ${r.trial} ended ${formatDuration(seconds)} after the study began: ${metric} = ${formatNumber(r.objective!)}`,
    highlight: best !== undefined && r.trial === best.trial,
    hollow: r.status === 'Stopped',
  }));
  return renderChart({
    width: 900,
    height: 300,
    title: `Best ${metric} so far, over time`,
    x: { kind: 'linear', domain: padDomain(0, maxX, 'linear', 0.03), label: `${unit.name} since the study began` },
    y: objectiveAxis(sorted.map((e) => e.r.objective!), metric),
    points,
    lines: [{ points: line, color: BEST, step: true }],
  });
}

/**
 * Parallel coordinates: one vertical axis per hyperparameter and one for the objective; each trial with a value is a
 * line through its values, darker the better; the best trial in orange, on top.
 */
export function parallelCoordinates(study: Study, rows: readonly TrialRow[], axes: readonly { name: string; axis: Axis }[], best: TrialRow | undefined, metric: string): string {
  const shown = rows.filter((r) => r.objective !== undefined);
  if (shown.length === 0 || axes.length === 0) return '';
  const type = studyObjective(study).type;
  const values = shown.map((r) => r.objective!);
  const yAxis = objectiveAxis(values, metric);
  const all = [...axes, { name: metric, axis: yAxis as Axis }];
  const width = 900;
  const height = 340;
  const top = 28;
  const bottom = height - 30;
  const left = 50;
  const right = width - 60;
  const step = (right - left) / Math.max(1, all.length - 1);
  const scales = all.map((a) => makeScale(a.axis, bottom, top, 5));
  const ranked = [...values].sort((a, b) => (type === 'Maximize' ? b - a : a - b));
  const rank = (v: number): number => (ranked.length > 1 ? ranked.indexOf(v) / (ranked.length - 1) : 0);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="Parallel coordinates" class="chart pc">`, '<title>Parallel coordinates of every trial</title>'];
  all.forEach((a, i) => {
    const x = left + i * step;
    out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" stroke="#9aa3ad"/>`);
    out.push(`<text x="${x}" y="${top - 12}" text-anchor="middle" class="axis-label">${esc(a.name.length > 18 ? `${a.name.slice(0, 17)}…` : a.name)}</text>`);
    for (const t of scales[i].ticks()) {
      out.push(`<text x="${x - 5}" y="${scales[i].pos(t.value).toFixed(1)}" dy="0.32em" text-anchor="end" class="tick">${esc(t.label.length > 10 ? `${t.label.slice(0, 9)}…` : t.label)}</text>`);
    }
  });
  const ordered = [...shown].sort((a, b) => Number(a.trial === best?.trial) - Number(b.trial === best?.trial) || rank(b.objective!) - rank(a.objective!));
  for (const r of ordered) {
    const isBest = r.trial === best?.trial;
    const coords = all.map((a, i) => {
      const v = i === all.length - 1 ? r.objective! : r.hyperParameters[a.name];
      return v === undefined ? undefined : `${(left + i * step).toFixed(1)},${scales[i].pos(v as number & string).toFixed(1)}`;
    });
    if (coords.some((c) => c === undefined)) continue;
    const color = isBest ? BEST : ramp(GOOD_TO_BAD, rank(r.objective!));
    const names = hyperParameterNames(study).map((n) => `${n}=${formatValue(r.hyperParameters[n])}`).join(' ');
    out.push(
      `<polyline class="pc-line${isBest ? ' best' : ''}" data-trial="${r.trial}" points="${coords.join(' ')}" fill="none" stroke="${color}" stroke-width="${isBest ? 3 : 1.3}" stroke-opacity="${isBest ? 1 : 0.75}"${r.status === 'Stopped' ? ' stroke-dasharray="4 3"' : ''}><title>${esc(`Trial ${r.trial}: ${metric} = ${formatNumber(r.objective!)}\n${names}`)}</title></polyline>`,
    );
  }
  out.push('</svg>');
  return out.join('');
}

function seriesOf(trial: Trial): { t: number; value: number }[] {
  return (trial.objectiveSeries ?? []).filter((p) => Number.isFinite(p.t) && Number.isFinite(p.value));
}

/** Each trial's intermediate objective values over its training time (dashed: stopped early); the best in orange. */
export function learningCurves(study: Study, best: TrialRow | undefined, metric: string): string {
  const trials = study.trials.filter((t) => seriesOf(t).length > 0);
  if (trials.length === 0) return '';
  const points = trials.flatMap(seriesOf);
  const maxT = Math.max(...points.map((p) => p.t), 1);
  const width = 900;
  const height = 320;
  const left = 64;
  const right = width - 16;
  const top = 12;
  const bottom = height - 46;
  const unit = timeUnit(maxT);
  const xs = makeScale({ kind: 'linear', domain: [0, (maxT / unit.seconds) * 1.02], label: '' }, left, right, 8);
  const yAxis = objectiveAxis(points.map((p) => p.value), metric);
  const ys = makeScale(yAxis, bottom, top, 6);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="Learning curves" class="chart curves">`, '<title>Learning curves</title>'];
  for (const t of ys.ticks()) out.push(`<line x1="${left}" x2="${right}" y1="${ys.pos(t.value).toFixed(1)}" y2="${ys.pos(t.value).toFixed(1)}" stroke="#e9edf1"/><text x="${left - 6}" y="${ys.pos(t.value).toFixed(1)}" dy="0.32em" text-anchor="end" class="tick">${esc(t.label)}</text>`);
  for (const t of xs.ticks()) out.push(`<text x="${xs.pos(t.value).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" class="tick">${esc(t.label)}</text>`);
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#9aa3ad"/><line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#9aa3ad"/>`);
  out.push(`<text x="${(left + right) / 2}" y="${height - 6}" text-anchor="middle" class="axis-label">${unit.name} of training</text>`);
  out.push(`<text transform="translate(14 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${esc(metric)}${scaleNote(yAxis)}</text>`);
  const n = Math.max(...study.trials.map((t) => t.number));
  const ordered = [...trials].sort((a, b) => Number(a.number === best?.trial) - Number(b.number === best?.trial));
  for (const trial of ordered) {
    const isBest = trial.number === best?.trial;
    const coords = seriesOf(trial).map((p) => `${xs.pos(p.t / unit.seconds).toFixed(1)},${ys.pos(p.value).toFixed(1)}`);
    const color = isBest ? BEST : ramp(['#b9d4ec', '#4a8fcf', '#16407a'], n > 1 ? (trial.number - 1) / (n - 1) : 1);
    const what = trial.status === 'Stopped' ? `stopped${trial.stopReason ? `: ${trial.stopReason}` : ''}` : trial.status;
    out.push(
      `<polyline class="curve${isBest ? ' best' : ''}" data-trial="${trial.number}" points="${coords.join(' ')}" fill="none" stroke="${color}" stroke-width="${isBest ? 2.8 : 1.4}"${trial.status === 'Stopped' ? ' stroke-dasharray="5 3"' : ''}><title>${esc(`Trial ${trial.number} (${what})`)}</title></polyline>`,
    );
  }
  out.push('</svg>');
  return out.join('');
}
