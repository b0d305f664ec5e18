import { hyperParameterAxis, renderHtmlReport, trialRows } from '../../src/report';
import { exampleStudy } from './fixtures';
import { checkBalanced } from './xml';

const NOW = Date.parse('2026-11-27T02:00:00Z');

function svgs(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

describe('renderHtmlReport', () => {
  const study = exampleStudy();
  const html = renderHtmlReport(study, { now: NOW, location: '/tmp/studies/xgb-demo' });

  it('is one self-contained, well-formed document: nothing is fetched from the network', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const body = html.replace(/<script>[\s\S]*?<\/script>/, '').replace(/<style>[\s\S]*?<\/style>/, '');
    checkBalanced(body.replace('<!DOCTYPE html>', ''), ['meta', 'link', 'br', 'img', 'input']);
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

  it('draws a convergence chart with every trial and one chart per hyperparameter', () => {
    const charts = svgs(html);
    expect(charts).toHaveLength(1 + 3);
    for (const chart of charts) checkBalanced(chart);
    const [convergence, depth, eta, booster] = charts;
    // 21 completed values as points (one ringed as the best), the early-stopped trial as an open circle at its
    // last value, the 2 failed trials as crosses.
    expect(convergence.match(/<circle [^>]*r="4.5"/g)).toHaveLength(21);
    expect(convergence.match(/<circle [^>]*r="8"/g)).toHaveLength(1);
    expect(convergence.match(/<circle [^>]*r="4" fill="#fff"/g)).toHaveLength(1);
    expect(convergence.match(/l7,7 m0,-7/g)).toHaveLength(2);
    expect(convergence).toMatch(/<path d="M[\d.,HV]+" fill="none" stroke="#e07a1f"/);
    expect(depth).toContain('max_depth</text>');
    expect(eta).toContain('eta (log scale)</text>');
    expect(booster).toMatch(/>gbtree<\/text>.*>dart<\/text>.*>gblinear<\/text>/);
    // Failed trials (2) appear on the hyperparameter charts too; the early-stopped one has no final value.
    expect(eta.match(/l7,7 m0,-7/g)).toHaveLength(2);
    // Hover text of a point names the trial, its value and hyperparameters.
    expect(convergence).toMatch(/<title>Trial 2: validation:logloss = [\d.]+\nmax_depth=\d+ eta=[\d.]+ booster=\w+<\/title>/);
  });

  it('lists every trial in a sortable table, the best row marked', () => {
    const table = html.slice(html.indexOf('<table id="trials">'));
    expect(table.match(/<tr class=/g)).toHaveLength(24);
    expect(table.match(/<tr class="best s-completed">/g)).toHaveLength(1);
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
    expect(svgs(out)).toHaveLength(0);
    expect(out).toContain('No trial has completed with a value of validation:logloss yet.');
    expect(out).toContain('no trial completed yet');
    expect(out.match(/<tr class="s-inprogress">/g)).toHaveLength(2);
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
      const charts = svgs(renderHtmlReport(s, { now: NOW }));
      expect(charts).toHaveLength(4);
      for (const chart of charts) expect(chart).not.toMatch(/="[^"]*(NaN|Infinity)/);
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
