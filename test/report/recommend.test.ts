/** The study's recommended trial beside its best reported one (src/report/recommend.ts). */
import { createOptimizer, type ParameterRanges } from '../../src/core';
import { Rng } from '../../src/core/rng';
import { formatValue } from '../../src/report/format';
import { renderHtmlReport } from '../../src/report/html';
import { describeRecommendation, studyRecommendation } from '../../src/report/recommend';
import type { Study } from '../../src/study/types';
import { exampleStudy } from './fixtures';

/**
 * The example study's shape with the trials of a Bayesian run on a noisy bowl over (x, y) (minimum at (0.3, 0.6),
 * noise sd 0.05), trial 16 reporting a lucky draw 0.2 (4 sd) below its true value.
 */
async function withLuckyDraw(type: 'Minimize' | 'Maximize' = 'Minimize'): Promise<{ study: Study; lucky: number }> {
  const study = exampleStudy({ trials: 30, type });
  const config = study.request.HyperParameterTuningJobConfig as unknown as Record<string, unknown>;
  config.ParameterRanges = {
    ContinuousParameterRanges: [
      { Name: 'x', MinValue: '0', MaxValue: '1' },
      { Name: 'y', MinValue: '0', MaxValue: '1' },
    ],
  };
  config.RandomSeed = 4;
  const sign = type === 'Minimize' ? 1 : -1;
  const noise = new Rng(7);
  const opt = createOptimizer({ ParameterRanges: config.ParameterRanges as ParameterRanges, Objective: { Type: type }, RandomSeed: 4 });
  for (const trial of study.trials) {
    const [s] = await opt.ask(1);
    const value = sign * (((s.hyperParameters.x as number) - 0.3) ** 2 + ((s.hyperParameters.y as number) - 0.6) ** 2 + 0.05 * noise.normal() - (trial.number === 16 ? 0.2 : 0));
    opt.tell(s.id, value);
    Object.assign(trial, { suggestionId: s.id, hyperParameters: s.hyperParameters, status: 'Completed', objective: value });
  }
  return { study, lucky: 16 };
}

describe('studyRecommendation', () => {
  it.each(['Minimize', 'Maximize'] as const)('passes over a lucky draw among poor neighbours, saying why (%s)', async (type) => {
    const { study, lucky } = await withLuckyDraw(type);
    const rec = studyRecommendation(study);
    expect(rec).toBeDefined();
    expect(rec?.bestTrial).toBe(lucky);
    expect(rec?.trial).not.toBe(lucky);
    const better = (a: number, b: number): boolean => (type === 'Minimize' ? a < b : a > b);
    expect(better(rec?.predicted as number, rec?.bestPredicted as number)).toBe(true);
    const lines = describeRecommendation(rec as NonNullable<typeof rec>, 'validation:logloss');
    expect(lines[0]).toMatch(new RegExp(`^Recommended trial ${rec?.trial}: validation:logloss estimated at `));
    expect(lines[1]).toMatch(new RegExp(`Why not trial ${lucky} \\(reported .*, estimated at .*\\): the model .* reads part of its value as noise`));
  });

  it('is the same object when asked again of an unchanged study, and computed afresh when a result changes', async () => {
    const { study, lucky } = await withLuckyDraw();
    const first = studyRecommendation(study);
    expect(studyRecommendation(structuredClone(study))).toBe(first);
    // The lucky trial reports an ordinary value after all: a stale answer would still name it the best reported trial.
    const changed = structuredClone(study);
    const trial = changed.trials.find((t) => t.number === lucky)!;
    trial.objective = (trial.objective as number) + 0.2;
    expect(studyRecommendation(changed)?.bestTrial).not.toBe(lucky);
  });

  it('is undefined for a model-free strategy and for a study without completed trials', async () => {
    const { study } = await withLuckyDraw();
    (study.request.HyperParameterTuningJobConfig as { Strategy: string }).Strategy = 'Random';
    expect(studyRecommendation(study)).toBeUndefined();
    expect(studyRecommendation(exampleStudy({ trials: 0 }))).toBeUndefined();
  });
});

describe('the HTML report', () => {
  it('shows the recommended configuration and why beside the best reported one, and leaves it out when asked or when there is none', async () => {
    const { study, lucky } = await withLuckyDraw();
    const rec = studyRecommendation(study)!;
    const html = renderHtmlReport(study, { now: Date.UTC(2026, 0, 1) });
    const section = html.slice(html.indexOf('<h2>Recommended configuration</h2>'));
    expect(html).toContain('<h2>Recommended configuration</h2>');
    expect(section).toMatch(new RegExp(`Recommended trial ${rec.trial}: .* estimated at .*<br>Why not trial ${lucky} \\(reported `));
    const trial = study.trials.find((t) => t.number === rec.trial)!;
    const table = section.slice(0, section.indexOf('</table>'));
    for (const name of ['x', 'y']) expect(table).toContain(`<td>${name}</td><td>${formatValue(trial.hyperParameters[name])}</td>`);
    // After the best hyperparameters, before the charts.
    expect(html.indexOf('<h2>Best hyperparameters</h2>')).toBeLessThan(html.indexOf('<h2>Recommended configuration</h2>'));
    expect(renderHtmlReport(study, { now: Date.UTC(2026, 0, 1), recommendation: false })).not.toContain('Recommended configuration');
    (study.request.HyperParameterTuningJobConfig as { Strategy: string }).Strategy = 'Random';
    expect(renderHtmlReport(study, { now: Date.UTC(2026, 0, 1) })).not.toContain('Recommended configuration');
  });
});
