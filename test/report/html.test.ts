import { hyperParameterAxis, renderHtmlReport, trialRows } from '../../src/report';
import { exampleStudy } from './fixtures';
import { checkBalanced } from './xml';

const NOW = Date.parse('2026-11-27T02:00:00Z');

function svgs(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

/** The charts of a report by their accessible name (aria-label). */
function charts(html: string): Map<string, string> {
  return new Map(svgs(html).map((svg) => [/aria-label="([^"]*)"/.exec(svg)?.[1] ?? '', svg]));
}

describe('renderHtmlReport', () => {
  const study = exampleStudy();
  const html = renderHtmlReport(study, { now: NOW, location: '/tmp/studies/xgb-demo' });

  it('is one self-contained, well-formed document: nothing is fetched from the network', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const body = html.replace(/<script>[\s\S]*?<\/script>/, '').replace(/<style>[\s\S]*?<\/style>/, '');
    checkBalanced(body.replace('<!DOCTYPE html>', ''), ['meta', 'link', 'br', 'img', 'input', 'wbr']);
    // The only URL is the SVG namespace identifier, which browsers never fetch.
    const urls = [...html.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html).not.toMatch(/<(link|img|iframe)\b|<script [^>]*src=|@import|url\(/);
  });

  it('has the summary: best value and trial, counts, duration', () => {
    const best = study.trials.filter((t) => t.objective !== undefined).sort((a, b) => (a.objective as number) - (b.objective as number))[0];
    expect(html).toContain(`trial ${best.number} of 24`);
    expect(html).toContain('21 completed');
    expect(html).toMatch(/Failed \/ stopped<\/div><div class="v">2 \/ 1</);
    expect(html).toContain('8m 30s');
    expect(html).toContain('Reached MaxNumberOfTrainingJobs (24).');
    expect(html).toContain('from /tmp/studies/xgb-demo');
  });

  it('draws the convergence, over-time, parallel-coordinates, per-hyperparameter and learning-curve charts', () => {
    const byName = charts(html);
    expect([...byName.keys()]).toEqual([
      'Best validation:logloss so far, over trials',
      'Best validation:logloss so far, over time',
      'Parallel coordinates',
      'validation:logloss against max_depth',
      'validation:logloss against eta',
      'validation:logloss against booster',
      'Learning curves',
    ]);
    for (const chart of byName.values()) checkBalanced(chart);
    const convergence = byName.get('Best validation:logloss so far, over trials')!;
    // 21 completed values as points (one ringed as the best), the early-stopped trial as an open circle at its
    // last value, the 2 failed trials as crosses.
    expect(convergence.match(/<circle [^>]*r="4.5"/g)).toHaveLength(21);
    expect(convergence.match(/<circle [^>]*r="8"/g)).toHaveLength(1);
    expect(convergence.match(/<circle [^>]*r="4" fill="#fff"/g)).toHaveLength(1);
    expect(convergence.match(/l7,7 m0,-7/g)).toHaveLength(2);
    expect(convergence).toMatch(/<path d="M[\d.,HV]+" fill="none" stroke="#e07a1f"/);
    // One mark per trial shown, each naming its trial; the best one's mark is classed `best`.
    const best = study.trials.filter((t) => t.status === 'Completed').sort((a, b) => (a.objective as number) - (b.objective as number))[0];
    expect([...convergence.matchAll(/<g class="pt( best)?" data-trial="(\d+)"/g)].map((m) => Number(m[2])).sort((a, b) => a - b)).toEqual(study.trials.map((t) => t.number));
    expect(convergence).toContain(`<g class="pt best" data-trial="${best.number}">`);
    expect(byName.get('validation:logloss against max_depth')).toContain('max_depth</text>');
    const eta = byName.get('validation:logloss against eta')!;
    expect(eta).toContain('eta (log scale)</text>');
    expect(byName.get('validation:logloss against booster')).toMatch(/>gbtree<\/text>.*>dart<\/text>.*>gblinear<\/text>/);
    // Failed trials (2) appear on the hyperparameter charts too; the early-stopped one has no final value.
    expect(eta.match(/l7,7 m0,-7/g)).toHaveLength(2);
    // Hover text of a point names the trial, its value and hyperparameters.
    expect(convergence).toMatch(/<title>Trial 2: validation:logloss = [\d.]+\nmax_depth=\d+ eta=[\d.]+ booster=\w+<\/title>/);
  });

  it('draws the best value over the time of the study (in minutes for this 8-minute one): every trial with a value, at its end', () => {
    const chart = charts(html).get('Best validation:logloss so far, over time')!;
    expect(chart.match(/<g class="pt( best)?" data-trial=/g)).toHaveLength(22);
    expect(chart).toContain('minutes since the study began');
    expect(chart).toMatch(/<path d="M[\d.,HV]+" fill="none" stroke="#e07a1f"/);
  });

  it('draws one parallel-coordinates line per trial with a value through every hyperparameter, the best on top', () => {
    const chart = charts(html).get('Parallel coordinates')!;
    const lines = [...chart.matchAll(/<polyline class="pc-line( best)?" data-trial="(\d+)" points="([^"]+)"/g)];
    expect(lines).toHaveLength(22);
    // Three hyperparameters and the objective: four vertices per line.
    for (const line of lines) expect(line[3].split(' ')).toHaveLength(4);
    expect(lines.filter((l) => l[1])).toHaveLength(1);
    expect(lines[lines.length - 1][1]).toBe(' best');
    expect(chart).toMatch(/data-trial="9" points="[^"]+" fill="none" stroke="[^"]+" stroke-width="1.3" stroke-opacity="0.75" stroke-dasharray/);
  });

  it("draws each trial's learning curve, the early-stopped one dashed and cut where it stopped", () => {
    const chart = charts(html).get('Learning curves')!;
    const curves = [...chart.matchAll(/<polyline class="curve( best)?" data-trial="(\d+)" points="([^"]+)"[^>]*>/g)];
    expect(curves).toHaveLength(22);
    const stopped = curves.find((c) => c[2] === '9')!;
    expect(stopped[3].split(' ')).toHaveLength(2);
    expect(stopped[0]).toContain('stroke-dasharray');
    expect(curves.filter((c) => c[1])).toHaveLength(1);
  });

  it('shows the settings and the engine that ran the study', () => {
    const settings = html.slice(html.indexOf('<h2>Settings</h2>'), html.indexOf('<h2>Convergence</h2>'));
    expect(settings).toContain("<td>Engine</td><td>sagetune&#39;s optimizer</td>");
    expect(settings).toContain('<td>Strategy</td><td>Bayesian</td>');
    expect(settings).toContain('<td>Objective</td><td>minimize validation:logloss</td>');
    expect(settings).toContain('<td>Budget</td><td>24 trials, 2 in parallel</td>');
    expect(settings).toContain('<td>Early stopping</td><td>off</td>');
    const native = exampleStudy({ trials: 3 });
    native.native = { tuningJobName: 'xgb-demo-native' } as NonNullable<typeof native.native>;
    native.trials = native.trials.map((t) => ({ ...t, suggestionId: `native:${t.jobName}` }));
    expect(renderHtmlReport(native, { now: NOW })).toContain("<td>Engine</td><td>SageMaker&#39;s tuning job xgb-demo-native</td>");
  });

  it('lists every metric the trials reported in the table, and the whole failure reason', () => {
    const table = html.slice(html.indexOf('<table id="trials">'));
    const head = [...table.slice(0, table.indexOf('</thead>')).replace(/<wbr>/g, '').matchAll(/<th [^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(head).toEqual(['trial', 'max_depth', 'eta', 'booster', 'objective', 'train:logloss', 'validation:auc', 'status', 'duration', 'job name', 'reason']);
    const two = study.trials[1];
    const row = table.slice(table.indexOf('data-trial="2"'), table.indexOf('</tr>', table.indexOf('data-trial="2"')));
    expect(row).toContain(`data-v="${two.finalMetrics!['train:logloss']}"`);
    expect(row).toContain(`data-v="${two.finalMetrics!['validation:auc']}"`);
    expect(html).toContain('the trials reported train:logloss, validation:auc.');
    const long = exampleStudy({ trials: 2 });
    long.trials[0].status = 'Failed';
    long.trials[0].failureReason = `AlgorithmError: ${'x'.repeat(600)} END`;
    expect(renderHtmlReport(long, { now: NOW })).toContain(`<td class="reason"><div>AlgorithmError: ${'x'.repeat(600)} END</div></td>`);
  });

  it('lists every trial in a sortable table, the best row marked', () => {
    const table = html.slice(html.indexOf('<table id="trials">'));
    expect(table.match(/<tr class=/g)).toHaveLength(24);
    expect(table.match(/<tr class="best s-completed" data-trial="\d+">/g)).toHaveLength(1);
    expect(table).toContain('AlgorithmError: training diverged: loss is NaN');
    expect(html).toContain("document.querySelectorAll('#trials th')");
  });

  it('escapes text from the study (names, values, reasons)', () => {
    const s = exampleStudy({ trials: 3 });
    s.trials[1].status = 'Failed';
    s.trials[1].failureReason = '<img src=x onerror=alert(1)> & "quotes"';
    (s.trials[0].hyperParameters as Record<string, unknown>).booster = '</script><b>';
    const out = renderHtmlReport(s, { now: NOW });
    expect(out).not.toContain('<img src=x');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;');
    expect(out).not.toContain('</script><b>');
    expect(out.match(/<\/script>/g)).toHaveLength(1);
  });

  it('says so when no trial has a value yet, and still lists the trials', () => {
    const s = exampleStudy({ trials: 2 });
    s.status = 'InProgress';
    delete s.endedAt;
    s.trials.forEach((t) => {
      t.status = 'InProgress';
      delete t.objective;
      delete t.endedAt;
    });
    const out = renderHtmlReport(s, { now: NOW });
    // Only the running trials' learning curves so far.
    expect([...charts(out).keys()]).toEqual(['Learning curves']);
    expect(out).toContain('No trial has completed with a value of validation:logloss yet.');
    expect(out).toContain('no trial completed yet');
    expect(out.match(/<tr class="s-inprogress" data-trial="\d">/g)).toHaveLength(2);
  });
});

describe('edge cases of the charts', () => {
  it('draws finite coordinates for one trial, equal values, and negative values', () => {
    const one = exampleStudy({ trials: 1 });
    const flat = exampleStudy({ trials: 4 });
    flat.trials.forEach((t) => {
      t.status = 'Completed';
      t.objective = 0.5;
    });
    const negative = exampleStudy({ trials: 6, type: 'Maximize' });
    negative.trials.forEach((t, i) => (t.objective = -i * 100));
    for (const s of [one, flat, negative]) {
      const drawn = svgs(renderHtmlReport(s, { now: NOW }));
      expect(drawn.length).toBeGreaterThanOrEqual(5);
      for (const chart of drawn) expect(chart).not.toMatch(/="[^"]*(NaN|Infinity)/);
    }
  });
});

describe('hyperParameterAxis', () => {
  const study = exampleStudy();
  const rows = trialRows(study);

  it('spans the request range, log for Logarithmic, bands for categorical values', () => {
    const eta = hyperParameterAxis(study, 'eta', rows);
    expect(eta.kind).toBe('log');
    if (eta.kind === 'log') {
      expect(eta.domain[0]).toBeLessThan(0.001);
      expect(eta.domain[1]).toBeGreaterThan(0.5);
    }
    expect(hyperParameterAxis(study, 'max_depth', rows)).toMatchObject({ kind: 'linear', integer: true });
    expect(hyperParameterAxis(study, 'booster', rows)).toEqual({ kind: 'band', domain: ['gbtree', 'dart', 'gblinear'], label: 'booster' });
  });

  it('derives an axis from the values for a name outside the ranges', () => {
    const s = exampleStudy({ trials: 3 });
    s.trials.forEach((t, i) => ((t.hyperParameters as Record<string, unknown>).extra = i % 2 ? 'b' : 'a'));
    expect(hyperParameterAxis(s, 'extra', trialRows(s))).toEqual({ kind: 'band', domain: ['a', 'b'], label: 'extra' });
  });
});

describe('renderHtmlReport at the limits of a double', () => {
  const withObjectives = (values: number[]) => {
    const study = exampleStudy({ trials: values.length });
    study.trials.forEach((t, i) => {
      t.status = 'Completed';
      t.objective = values[i];
      t.finalMetrics = { [Object.keys(t.finalMetrics ?? { loss: 0 })[0] ?? 'loss']: values[i] };
    });
    return study;
  };
  it.each([
    ['1 and 1e300 (300 decades: the padded log axis reached Infinity)', [1, 1e300, 3, 5]],
    ['1e-308 and 100 (the padded bottom reached 0)', [1e-308, 100, 3, 5]],
    ['1e300, 1e-300 and 1', [1e300, 1e-300, 1, 2]],
    ['-1.5e308 and 1.5e308 (the linear span overflowed)', [-1.5e308, 1.5e308, 0, 1]],
  ])('objectives %s: a report with finite coordinates', (_name, values) => {
    const html = renderHtmlReport(withObjectives(values), { now: NOW, location: '/tmp/x' });
    for (const svg of svgs(html)) expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svgs(html).length).toBeGreaterThan(0);
  });

  it('a hyperparameter named like an Object member that a trial lacks reads as missing, not as a function', () => {
    const study = exampleStudy({ trials: 4 });
    study.request.HyperParameterTuningJobConfig.ParameterRanges = { IntegerParameterRanges: [{ Name: 'toString', MinValue: '1', MaxValue: '9' }] };
    study.trials.forEach((t, i) => ((t as { hyperParameters: Record<string, unknown> }).hyperParameters = i === 0 ? {} : { toString: i }));
    const rows = trialRows(study, { now: NOW });
    expect(rows[0].hyperParameters.toString).toBeUndefined();
    const html = renderHtmlReport(study, { now: NOW, location: '/tmp/x' });
    expect(html).not.toContain('[native code]');
    for (const svg of svgs(html)) expect(svg).not.toMatch(/NaN/);
  });
});
