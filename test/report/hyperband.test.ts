/** A Hyperband study's trials in results and the report: epochs trained, bracket, rung reached, why it stopped. */
import { formatCsv, formatJson, formatTable, hyperParameterNames, renderHtmlReport, trialRows } from '../../src/report';
import type { Study } from '../../src/study/types';
import { exampleStudy } from './fixtures';
import { parseCsv } from './csv';

function hyperbandStudy(): Study {
  const base = exampleStudy({ trials: 6 });
  const study: Study = {
    ...base,
    request: {
      ...base.request,
      HyperParameterTuningJobConfig: { ...base.request.HyperParameterTuningJobConfig, Strategy: 'Hyperband', StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 9 } } },
    } as Study['request'],
  };
  study.trials = study.trials.map((t, i) => {
    if (t.status === 'Failed') return t;
    const epochs = [1, 3, 9, 1, 9, 3][i];
    const stopped = epochs < 9;
    return {
      ...t,
      status: stopped ? 'Stopped' : 'Completed',
      objectiveSeries: Array.from({ length: epochs }, (_, e) => ({ t: (e + 1) * 10, value: 0.5 / (e + 1) })),
      hyperband: { bracket: i % 3, passed: epochs === 9 ? 9 : epochs, ...(epochs === 9 ? { reachedMax: true } : {}) },
      ...(stopped ? { stopReason: `Hyperband: at rung ${epochs === 1 ? 1 : 2} (${epochs} epoch${epochs === 1 ? '' : 's'}) its value 0.5 ranked 3 of 4; only the best 1 continue` } : {}),
    };
  });
  return study;
}

describe('results of a Hyperband study', () => {
  const study = hyperbandStudy();
  const rows = trialRows(study);

  it('CSV: the epochs trained, the bracket and the rung reached after the status, the stop reason last', () => {
    const table = parseCsv(formatCsv(rows, hyperParameterNames(study)));
    const header = table[0];
    expect(header.slice(header.indexOf('TrainingJobStatus'), header.indexOf('TrainingJobStatus') + 4)).toEqual(['TrainingJobStatus', 'Epochs', 'HyperbandBracket', 'HyperbandRungReached']);
    const col = (name: string): string[] => table.slice(1).map((r) => r[header.indexOf(name)]);
    expect(col('Epochs')).toEqual(['1', '3', '9', '1', '', '3']);
    expect(col('HyperbandRungReached')).toEqual(['1', '3', '9', '1', '', '3']);
    expect(col('HyperbandBracket')).toEqual(['0', '1', '2', '0', '', '2']);
    expect(col('FailureReason')[1]).toBe('Hyperband: at rung 2 (3 epochs) its value 0.5 ranked 3 of 4; only the best 1 continue');
  });

  it('JSON and the table too', () => {
    expect(JSON.parse(formatJson(rows))[2].Hyperband).toEqual({ Epochs: 9, Bracket: 2, RungReached: 9 });
    const header = formatTable(rows, hyperParameterNames(study)).split('\n')[0].split(/\s{2,}/);
    expect(header.slice(header.indexOf('status'), header.indexOf('status') + 4)).toEqual(['status', 'epochs', 'bracket', 'rung']);
  });

  it('the rung reached of a trial that ran past rungs no look judged: the levels its epochs reached, unless a rung cut it', () => {
    const s = hyperbandStudy();
    const series = (n: number) => Array.from({ length: n }, (_, e) => ({ t: (e + 1) * 10, value: 0.5 / (e + 1) }));
    // Ended by itself at MaxResource before any tick saw a rung (short epochs): passed is still 0.
    s.trials[0] = { ...s.trials[0], status: 'Completed', objectiveSeries: series(9), hyperband: { bracket: 0, passed: 0 }, stopReason: undefined };
    // Cut at rung 1, five epochs reported before the stop took effect.
    s.trials[1] = { ...s.trials[1], status: 'Stopped', objectiveSeries: series(5), hyperband: { bracket: 0, passed: 1 }, stopReason: 'Hyperband: at rung 1 (1 epoch) its value 0.5 ranked 3 of 4; only the best 1 continue' };
    // Stopped by the user after four epochs, judged at rung 1 only.
    s.trials[3] = { ...s.trials[3], status: 'Stopped', objectiveSeries: series(4), hyperband: { bracket: 0, passed: 1 }, stopReason: 'Stopped by the user' };
    const r = trialRows(s);
    expect(r.map((row) => row.hyperband?.rung)).toEqual([9, 1, 9, 3, undefined, 3]);
    expect(r.map((row) => row.hyperband?.epochs)).toEqual([9, 5, 9, 4, undefined, 3]);
  });

  it('the report: the rungs in the settings, epochs and rung per trial in the table', () => {
    const html = renderHtmlReport(study, { now: Date.parse('2026-12-01T00:00:00Z') });
    expect(html).toContain('<td>Hyperband</td><td>rungs at 1, 3 epochs, MaxResource 9, the best 1/3 continue at each rung, 3 brackets</td>');
    expect(html).toContain('<td>Epochs trained</td><td>17 (6 trials; 54 had every trial run to MaxResource)</td>');
    expect(html).toContain('<td>Early stopping</td><td>Hyperband&#39;s rungs</td>');
    const head = [...html.slice(html.indexOf('<table id="trials">')).matchAll(/<th [^>]*>([^<]*(?:<wbr>[^<]*)*)<\/th>/g)].map((m) => m[1].replace(/<wbr>/g, ''));
    expect(head.slice(head.indexOf('status'), head.indexOf('status') + 3)).toEqual(['status', 'epochs', 'rung']);
  });
});

test('a study of another strategy has none of these columns', () => {
  const study = exampleStudy({ trials: 3 });
  expect(parseCsv(formatCsv(trialRows(study), hyperParameterNames(study)))[0]).not.toContain('Epochs');
});
