import { formatCsv, formatDuration, formatJson, formatNumber, formatTable, formatTimestamp, hyperParameterNames, trialRows } from '../../src/report';
import { parseCsv } from './csv';
import { exampleStudy } from './fixtures';


describe('number and duration formatting', () => {
  it('formats numbers without floating-point noise', () => {
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(0.000012345678)).toBe('1.23457e-5');
    expect(formatNumber(1234.56789, 4)).toBe('1235');
    expect(formatNumber(Number.NaN)).toBe('NaN');
  });

  it('formats durations for people', () => {
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(7380)).toBe('2h 03m');
    expect(formatTimestamp('2026-11-27T01:02:03.456Z')).toBe('2026-11-27 01:02:03 UTC');
  });
});

describe('formatTable', () => {
  it('aligns one row per trial under a header with the hyperparameters as columns', () => {
    const study = exampleStudy({ trials: 6 });
    const text = formatTable(trialRows(study), hyperParameterNames(study));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + 6);
    expect(lines[0].split(/\s{2,}/)).toEqual(['trial', 'job name', 'max_depth', 'eta', 'booster', 'objective', 'status', 'duration s', 'reason']);
    expect(lines[1]).toMatch(/^-+( +-+)+$/);
    // Right-aligned numbers end in the same column as their header.
    const objectiveEnd = lines[0].indexOf('objective') + 'objective'.length;
    const row2 = lines[3];
    const value = formatNumber(study.trials[1].objective as number);
    expect(row2.slice(objectiveEnd - value.length, objectiveEnd)).toBe(value);
    expect(lines[6]).toContain('Failed');
    expect(lines[6]).toContain('AlgorithmError: training diverged');
  });

  it('shows the other metrics as columns after the objective, empty where a trial reported none', () => {
    const study = exampleStudy({ trials: 6 });
    const lines = formatTable(trialRows(study), hyperParameterNames(study), { metrics: ['train:logloss', 'validation:auc'] }).trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['trial', 'job name', 'max_depth', 'eta', 'booster', 'objective', 'train:logloss', 'validation:auc', 'status', 'duration s', 'reason']);
    const aucEnd = lines[0].indexOf('validation:auc') + 'validation:auc'.length;
    const auc = formatNumber(study.trials[1].finalMetrics!['validation:auc']);
    expect(lines[3].slice(aucEnd - auc.length, aucEnd)).toBe(auc);
    // Trial 5 failed: no metrics.
    expect(lines[6].slice(aucEnd - auc.length, aucEnd).trim()).toBe('');
  });

  it('cuts long reasons to one line', () => {
    const study = exampleStudy({ trials: 5 });
    study.trials[4].failureReason = `line one\nline two ${'x'.repeat(200)}`;
    const text = formatTable(trialRows(study), hyperParameterNames(study), { maxReasonLength: 30 });
    const last = text.trimEnd().split('\n').pop() as string;
    expect(last).toMatch(/line one line two x+…$/);
    expect(last.slice(last.indexOf('line one'))).toHaveLength(30);
  });

  it('keeps one line per trial when a categorical value holds a line break or a tab', () => {
    const study = exampleStudy({ trials: 3 });
    (study.trials[1] as { hyperParameters: Record<string, unknown> }).hyperParameters = { ...study.trials[1].hyperParameters, booster: 'new\nline\tx' };
    const text = formatTable(trialRows(study), hyperParameterNames(study));
    expect(text.trimEnd().split('\n')).toHaveLength(2 + 3); // header, rule, one line per trial
    expect(text).toContain('new\\nline\\tx');
  });
});

describe('formatCsv', () => {
  it('writes the analytics dataframe columns and reads back exactly, quotes included', () => {
    const study = exampleStudy({ trials: 6 });
    study.trials[4].failureReason = 'bad "value", see\nlog';
    const names = hyperParameterNames(study);
    const rows = trialRows(study);
    const table = parseCsv(formatCsv(rows, names));
    expect(table[0]).toEqual([
      'TrialNumber', 'TrainingJobName', 'max_depth', 'eta', 'booster', 'FinalObjectiveValue', 'TrainingJobStatus',
      'TrainingStartTime', 'TrainingEndTime', 'TrainingElapsedTimeSeconds', 'FailureReason',
    ]);
    expect(table).toHaveLength(7);
    const t2 = study.trials[1];
    expect(table[2]).toEqual([
      '2', 'xgb-demo-002', String(t2.hyperParameters.max_depth), String(t2.hyperParameters.eta), String(t2.hyperParameters.booster),
      String(t2.objective), 'Completed', t2.startedAt, t2.endedAt, String(rows[1].durationSeconds), '',
    ]);
    // Full precision: the CSV value parses back to the same number.
    expect(Number(table[2][3])).toBe(t2.hyperParameters.eta);
    expect(table[5][5]).toBe('');
    expect(table[5][10]).toBe('bad "value", see\nlog');
  });

  it('gives a hyperparameter named like a fixed column a column of its own', () => {
    const base = exampleStudy({ trials: 2 });
    const hyperParameters = { FinalObjectiveValue: 3, 'HyperParameter.TrialNumber': 'x', TrialNumber: 7 };
    const study = { ...base, trials: base.trials.map((t) => ({ ...t, hyperParameters })) };
    const names = hyperParameterNames(study);
    const table = parseCsv(formatCsv(trialRows(study), names));
    const header = table[0];
    expect(new Set(header).size).toBe(header.length);
    const column = (name: string): string => table[1][header.indexOf(name)];
    expect(column('FinalObjectiveValue')).toBe(String(study.trials[0].objective));
    expect(column('HyperParameter.FinalObjectiveValue')).toBe('3');
    expect(column('HyperParameter.TrialNumber')).toBe('x');
    expect(column('HyperParameter.HyperParameter.TrialNumber')).toBe('7');
    expect(column('TrialNumber')).toBe('1');
  });
});

describe('formatCsv with the other metrics', () => {
  it('adds a column per metric after the objective, renaming one that clashes with another column', () => {
    const study = exampleStudy({ trials: 5 });
    study.trials[0].finalMetrics = { ...study.trials[0].finalMetrics, eta: 7, TrainingJobStatus: 8 };
    const table = parseCsv(formatCsv(trialRows(study), hyperParameterNames(study), ['Metric.x', 'TrainingJobStatus', 'eta', 'train:logloss']));
    const header = table[0];
    expect(header.slice(5, 10)).toEqual(['FinalObjectiveValue', 'Metric.x', 'Metric.TrainingJobStatus', 'Metric.eta', 'train:logloss']);
    expect(table[1].slice(6, 10)).toEqual(['', '8', '7', String(study.trials[0].finalMetrics['train:logloss'])]);
    // A failed trial reported nothing: empty cells.
    expect(table[5].slice(6, 10)).toEqual(['', '', '', '']);
  });
});

describe('formatJson', () => {
  it('writes records with nested hyperparameters and no absent fields', () => {
    const study = exampleStudy({ trials: 5 });
    const records = JSON.parse(formatJson(trialRows(study)));
    expect(records).toHaveLength(5);
    expect(records[0]).toEqual({
      TrialNumber: 1,
      TrainingJobName: 'xgb-demo-001',
      HyperParameters: study.trials[0].hyperParameters,
      FinalObjectiveValue: study.trials[0].objective,
      TrainingJobStatus: 'Completed',
      TrainingStartTime: study.trials[0].startedAt,
      TrainingEndTime: study.trials[0].endedAt,
      TrainingElapsedTimeSeconds: expect.any(Number),
      FinalMetrics: study.trials[0].finalMetrics,
    });
    expect(records[4]).not.toHaveProperty('FinalObjectiveValue');
    expect(records[4]).not.toHaveProperty('FinalMetrics');
    expect(records[4].FailureReason).toContain('diverged');
  });
});
