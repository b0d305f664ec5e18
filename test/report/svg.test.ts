import { checkBalanced } from './xml';
import { escapeXml, linearTicks, logTicks, makeScale, niceStep, objectiveAxis, padDomain, ramp, renderChart, symlog, symlogTicks, tickLabel } from '../../src/report/svg';

describe('ticks and scales', () => {
  it('picks round steps', () => {
    expect(niceStep(1, 5)).toBe(0.2);
    expect(niceStep(100, 4)).toBe(20);
    expect(niceStep(0.07, 6)).toBe(0.01);
    expect(linearTicks(0.03, 0.21, 6)).toEqual([0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2]);
    expect(linearTicks(0.5, 24.5, 10, true)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
    expect(linearTicks(1.5, 2.5, 6, true)).toEqual([2]);
  });

  it('puts log ticks on powers of ten, with 2 and 5 over short spans', () => {
    expect(logTicks(0.0008, 0.6, 10)).toEqual([0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]);
    expect(logTicks(0.0008, 0.6, 6)).toEqual([0.001, 0.003, 0.01, 0.03, 0.1, 0.3]);
    expect(logTicks(0.0008, 0.6, 4)).toEqual([0.001, 0.01, 0.1]);
    expect(logTicks(1e-7, 1e3, 12)).toEqual([1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]);
    expect(logTicks(1e-7, 1e3, 5)).toEqual([1e-6, 1e-4, 1e-2, 1, 100]);
  });

  it('labels ticks briefly', () => {
    expect(tickLabel(0.1 + 0.2)).toBe('0.3');
    expect(tickLabel(1e-5)).toBe('10⁻⁵');
    expect(tickLabel(2.5e6)).toBe('2.5×10⁶');
    expect(tickLabel(0)).toBe('0');
  });

  it('maps linear, log and band domains onto pixels', () => {
    const lin = makeScale({ kind: 'linear', domain: [0, 10], label: '' }, 100, 200);
    expect(lin.pos(5)).toBe(150);
    const log = makeScale({ kind: 'log', domain: [0.001, 1], label: '' }, 0, 300);
    expect(log.pos(0.01)).toBeCloseTo(100, 9);
    const y = makeScale({ kind: 'linear', domain: [0, 1], label: '' }, 200, 0);
    expect(y.pos(1)).toBe(0);
    const band = makeScale({ kind: 'band', domain: ['a', 'b', 'c', 'd'], label: '' }, 0, 400);
    expect(band.pos('c')).toBe(250);
    expect(band.pos('c', 0.25)).toBe(275);
    expect(band.bandwidth).toBe(100);
  });

  it('pads domains, and widens a single value', () => {
    expect(padDomain(0, 10, 'linear', 0.1)).toEqual([-1, 11]);
    expect(padDomain(5, 5, 'linear')).toEqual([4.5, 5.5]);
    const [lo, hi] = padDomain(0.01, 1, 'log', 0.5);
    expect(lo).toBeCloseTo(0.001, 12);
    expect(hi).toBeCloseTo(10, 9);
  });

  it('chooses the objective axis so that progress among the good values shows', () => {
    // Positive over less than a decade: linear; over decades: log.
    expect(objectiveAxis([0.2, 0.5, 0.9], 'loss').kind).toBe('linear');
    expect(objectiveAxis([0.001, 0.5, 3], 'loss').kind).toBe('log');
    // Crossing zero within a similar magnitude: linear.
    expect(objectiveAxis([-0.4, 0.1, 0.9], 'r2').kind).toBe('linear');
    // Crossing zero with a few terrible trials (an R² of -5000 beside 0.1..0.9): symlog, linear up to a typical
    // magnitude, so that 0.5 and 0.9 are far apart on the page while -5000 still fits.
    const values = [-5000, -300, 0.1, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.92];
    const axis = objectiveAxis(values, 'r2');
    expect(axis.kind).toBe('symlog');
    expect(axis.domain[0]).toBeLessThan(-5000);
    expect(axis.domain[1]).toBeGreaterThan(0.92);
    const y = makeScale(axis, 300, 0);
    const linear = makeScale({ kind: 'linear', domain: padDomain(-5000, 0.92, 'linear', 0.06), label: '' }, 300, 0);
    // 0.5 and 0.9 ~10 px apart on a 300-px axis, against 0.02 px on a linear one.
    expect(y.pos(0.5) - y.pos(0.9)).toBeGreaterThan(8);
    expect(linear.pos(0.5) - linear.pos(0.9)).toBeLessThan(0.1);
    // Monotone, and the ticks are zero and signed powers of ten in the domain.
    const positions = [...values].sort((a, b) => a - b).map((v) => y.pos(v));
    for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeLessThan(positions[i - 1]);
    const ticks = y.ticks().map((t) => t.value as number);
    expect(ticks).toContain(0);
    expect(ticks).toContain(-1000);
    for (const t of ticks) expect(t === 0 || Math.abs(Math.log10(Math.abs(t)) - Math.round(Math.log10(Math.abs(t)))) < 1e-9).toBe(true);
    // All negative over decades (a log-likelihood to maximize): symlog too.
    expect(objectiveAxis([-9000, -40, -3, -2.5, -2.2], 'll').kind).toBe('symlog');
  });

  it('symlog is odd and linear near zero; its ticks thin out over many decades', () => {
    expect(symlog(-7, 2)).toBe(-symlog(7, 2));
    expect(symlog(0.001, 1)).toBeCloseTo(0.001 / Math.LN10, 5);
    expect(symlogTicks(-1e4, 1, 1, 12)).toEqual([-1e4, -1e3, -100, -10, -1, 0, 1]);
    expect(symlogTicks(-1e12, 1e12, 1, 6).length).toBeLessThanOrEqual(7);
    // Less than a decade past the threshold: plain linear ticks.
    expect(symlogTicks(-2, 3, 1, 5)).toEqual(linearTicks(-2, 3, 5));
  });

  it('interpolates colour ramps', () => {
    expect(ramp(['#000000', '#ffffff'], 0.5)).toBe('#808080');
    expect(ramp(['#000000', '#ff0000', '#ffffff'], 1)).toBe('#ffffff');
    expect(ramp(['#000000', '#ffffff'], 7)).toBe('#ffffff');
  });
});

describe('renderChart', () => {
  const chart = renderChart({
    width: 400,
    height: 300,
    title: 'loss <against> x & y',
    x: { kind: 'band', domain: ['gbtree', 'dart'], label: 'booster' },
    y: { kind: 'linear', domain: [0, 1], label: 'loss' },
    points: [
      { x: 'gbtree', y: 0.25, color: '#123456', title: 'Trial 1 <b>' },
      { x: 'dart', y: 0.5, color: '#123456', title: 'Trial 2', highlight: true },
      { x: 'dart', color: '#123456', title: 'Trial 3 failed' },
    ],
    lines: [{ points: [[0, 0.5], [1, 0.25]], color: '#e07a1f', step: true }],
  });

  it('is well-formed SVG with escaped text', () => {
    const tags = checkBalanced(chart);
    expect(tags[0]).toBe('svg');
    expect(chart).toContain('aria-label="loss &lt;against&gt; x &amp; y"');
    expect(chart).toContain('<title>Trial 1 &lt;b&gt;</title>');
    expect(chart).not.toContain('<b>');
  });

  it('draws each point where its scale puts it, failures as crosses on the failed strip', () => {
    // Plot area: x 64..384 (two bands of 160), y from 12 to 300-46-18 = 236 (failed strip below).
    expect(chart).toContain('<circle cx="144" cy="180" r="4.5"');
    expect(chart).toContain('<circle cx="304" cy="124" r="8"');
    expect(chart).toMatch(/<path d="M304,246 m-3.5,-3.5 l7,7 m0,-7 l-7,7"/);
    expect(chart).toContain('>failed</text>');
    expect(chart).toContain('>gbtree</text>');
  });

  it('escapes everything XML cares about', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
