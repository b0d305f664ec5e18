/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The HTML report in a real browser (Debian's chromium, headless, driven by puppeteer-core): the quick start's study
 * is run for real, its report opened from a file, and what a person would see is checked: no console error, no
 * network request, one mark per trial on every plot, the best trial highlighted, a sortable table, nothing cut at
 * 1280 pixels. A screenshot at 1280 pixels is written to test-output/ for a person to look at, and a 400-trial report
 * is rendered and sorted (its timings are written beside it; `npm run bench:report` measures them properly).
 *
 * The browser is /usr/bin/chromium (`.ci/run` installs it), or $CHROMIUM_PATH.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { localStudies } from '../../src/sdk';
import type { StudyDescription } from '../../src/sdk';
import { renderHtmlReport } from '../../src/report';
import type { Study } from '../../src/study/types';
import { exampleStudy } from '../report/fixtures';
import { launchBrowser, openReport, type PageLog } from '../support/browser';

const ROOT = join(__dirname, '..', '..');
const OUT = join(ROOT, 'test-output');

let browser: Browser;
const tmp = mkdtempSync(join(tmpdir(), 'sagetune-browser-'));

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** What each chart should show, from the study itself (not from the report's code). */
function expectedMarks(study: Study): Record<string, number[]> {
  const numbers = (pick: (t: Study['trials'][number]) => boolean): number[] => study.trials.filter(pick).map((t) => t.number).sort((a, b) => a - b);
  const withValue = (t: Study['trials'][number]): boolean => t.objective !== undefined;
  return {
    convergence: numbers((t) => withValue(t) || t.status === 'Failed' || t.status === 'Stopped'),
    overTime: numbers((t) => withValue(t) && t.endedAt !== undefined),
    parallel: numbers(withValue),
    curves: numbers((t) => (t.objectiveSeries ?? []).length > 0),
  };
}

/** The trial numbers of the marks of the chart with this accessible name, and which of them are marked best. */
async function marksOf(page: Page, label: string, selector: string): Promise<{ trials: number[]; best: number[] }> {
  return page.evaluate(
    (l, s) => {
      const svg = [...document.querySelectorAll('svg')].find((e) => e.getAttribute('aria-label') === l);
      if (!svg) return { trials: [], best: [] };
      const marks = [...svg.querySelectorAll(s)];
      const visible = marks.filter((m) => {
        const box = (m as SVGGraphicsElement).getBBox();
        return box.width > 0 || box.height > 0;
      });
      const n = (m: Element): number => Number(m.getAttribute('data-trial'));
      return { trials: visible.map(n).sort((a, b) => a - b), best: marks.filter((m) => m.classList.contains('best')).map(n) };
    },
    label,
    selector,
  );
}

function expectClean(log: PageLog, file: string): void {
  expect(log.errors).toEqual([]);
  // The only request is the file itself: no script, style, font or image is fetched.
  expect(log.requests).toEqual([pathToFileURL(file).href]);
}

describe("the quick start's report in a browser", () => {
  let study: Study;
  let description: StudyDescription;
  let file: string;
  let page: Page;
  let log: PageLog;

  beforeAll(async () => {
    const request = JSON.parse(readFileSync(join(ROOT, 'examples', 'quickstart', 'request.json'), 'utf8')) as Record<string, unknown>;
    const studies = localStudies({ storeDir: join(tmp, 'studies'), baseDir: join(ROOT, 'examples', 'quickstart') });
    const handle = await studies.start(request);
    description = await handle.wait();
    study = await handle.study();
    file = join(OUT, 'quickstart-report.html');
    writeFileSync(file, await handle.report());
    ({ page, log } = await openReport(browser, file, 1280));
  }, 240_000);
  afterAll(async () => page?.close());

  it('ran the quick start to its end: 20 trials, a best one', () => {
    expect(description.status).toBe('Completed');
    expect(description.trials).toBe(20);
    expect(description.bestTrial).toBeDefined();
  });

  it('loads with no console error and no network request', () => {
    expectClean(log, file);
  });

  it('draws one mark per trial on every plot, and highlights the best trial on each', async () => {
    const expected = expectedMarks(study);
    const best = description.bestTrial!.trialNumber;
    const metric = 'validation:logloss';
    const charts: [string, string, number[]][] = [
      [`Best ${metric} so far, over trials`, 'g.pt', expected.convergence],
      [`Best ${metric} so far, over time`, 'g.pt', expected.overTime],
      ['Parallel coordinates', 'polyline.pc-line', expected.parallel],
      ['Learning curves', 'polyline.curve', expected.curves],
    ];
    for (const name of ['learning_rate', 'weight_decay', 'hidden_units', 'optimizer']) {
      charts.push([`${metric} against ${name}`, 'g.pt', study.trials.filter((t) => t.objective !== undefined || t.status === 'Failed').map((t) => t.number).sort((a, b) => a - b)]);
    }
    expect(expected.curves.length).toBeGreaterThanOrEqual(15);
    for (const [label, selector, trials] of charts) {
      const marks = await marksOf(page, label, selector);
      expect({ label, trials: marks.trials }).toEqual({ label, trials });
      expect({ label, best: marks.best }).toEqual({ label, best: [best] });
    }
    // The table's best row too.
    expect(await page.$$eval('#trials tr.best', (rows) => rows.map((r) => Number(r.getAttribute('data-trial'))))).toEqual([best]);
  });

  it('puts the learning rate and the weight decay on log axes', async () => {
    const labels = await page.$$eval('svg .axis-label', (els) => els.map((e) => e.textContent));
    expect(labels).toContain('learning_rate (log scale)');
    expect(labels).toContain('weight_decay (log scale)');
  });

  it('sorts the table by a column when its header is clicked, and back when clicked again', async () => {
    const column = async (header: string): Promise<(number | null)[]> =>
      page.evaluate((h) => {
        const ths = [...document.querySelectorAll('#trials th')];
        const i = ths.findIndex((th) => th.textContent === h);
        return [...document.querySelectorAll('#trials tbody tr')].map((r) => {
          const v = (r as HTMLTableRowElement).cells[i].dataset.v;
          return v === undefined || v === '' ? null : Number(v);
        });
      }, header);
    const click = async (header: string): Promise<void> => {
      const handles = await page.$$('#trials th');
      for (const th of handles) if ((await th.evaluate((e) => e.textContent)) === header) await th.click();
    };
    await click('objective');
    const up = await column('objective');
    const values = up.filter((v): v is number => v !== null);
    expect(values.length).toBeGreaterThan(10);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    // Trials without a value go last.
    expect(up.slice(values.length).every((v) => v === null)).toBe(true);
    await click('objective');
    const down = (await column('objective')).filter((v): v is number => v !== null);
    expect(down).toEqual([...values].reverse());
    await click('trial');
    expect(await column('trial')).toEqual(study.trials.map((t) => t.number).sort((a, b) => a - b));
  });

  it('is readable at 1280 pixels: nothing wider than the window, no failure reason cut', async () => {
    const layout = await page.evaluate(() => ({
      width: document.documentElement.scrollWidth,
      // A reason cell shows its whole text: nothing clipped sideways, and it scrolls rather than cuts downwards.
      clipped: [...document.querySelectorAll('td.reason div')].filter((d) => d.scrollWidth > d.clientWidth + 1 || (d.scrollHeight > d.clientHeight + 1 && getComputedStyle(d).overflowY !== 'auto')).length,
      charts: [...document.querySelectorAll('svg.chart')].map((s) => s.getBoundingClientRect().right),
      // The quick start's table (4 hyperparameters, 2 more metrics) fits without scrolling sideways.
      table: (({ scrollWidth, clientWidth }) => scrollWidth - clientWidth)(document.querySelector('.tablewrap')!),
    }));
    expect(layout.width).toBeLessThanOrEqual(1280);
    expect(layout.table).toBeLessThanOrEqual(0);
    expect(layout.clipped).toBe(0);
    for (const right of layout.charts) expect(right).toBeLessThanOrEqual(1280);
  });

  it('writes a 1280-pixel-wide screenshot of the whole page to test-output/', async () => {
    const png = join(OUT, 'quickstart-report-1280.png');
    await page.screenshot({ path: png, fullPage: true });
    const header = readFileSync(png);
    // PNG: the IHDR chunk's width and height, big-endian, at bytes 16 and 20.
    expect(header.subarray(1, 4).toString()).toBe('PNG');
    expect(header.readUInt32BE(16)).toBe(1280);
    expect(header.readUInt32BE(20)).toBeGreaterThan(2000);
  });
});

describe('a report of 400 trials in a browser', () => {
  it('renders every mark and sorts the table; the timings go to test-output/', async () => {
    const study = exampleStudy({ trials: 400 });
    const file = join(OUT, 'report-400-trials.html');
    writeFileSync(file, renderHtmlReport(study, { now: Date.parse('2026-12-01T00:00:00Z') }));
    const { page, log, loadMs } = await openReport(browser, file, 1280);
    try {
      expectClean(log, file);
      const expected = expectedMarks(study);
      expect((await marksOf(page, 'Best validation:logloss so far, over trials', 'g.pt')).trials).toEqual(expected.convergence);
      expect((await marksOf(page, 'Parallel coordinates', 'polyline.pc-line')).trials).toEqual(expected.parallel);
      expect((await marksOf(page, 'Learning curves', 'polyline.curve')).trials).toEqual(expected.curves);
      const sortMs = await page.evaluate(() => {
        const th = [...document.querySelectorAll('#trials th')].find((e) => e.textContent === 'objective') as HTMLElement;
        const t0 = performance.now();
        th.click();
        void document.body.offsetHeight; // forces the layout the sort caused
        return performance.now() - t0;
      });
      const rows = await page.$$eval('#trials tbody tr', (trs) => trs.length);
      expect(rows).toBe(400);
      writeFileSync(join(OUT, 'report-400-trials.json'), `${JSON.stringify({ trials: 400, bytes: readFileSync(file).length, loadMs, sortMs }, null, 2)}\n`);
    } finally {
      await page.close();
    }
  });
});

describe('a report of a study whose text carries HTML and script', () => {
  it('shows the text as text: nothing runs, nothing is fetched', async () => {
    const attack = (tag: string): string => `<img src="x-${tag}.png" onerror="window.__pwned='${tag}'"><script>window.__pwned='${tag}'</script>`;
    const base = exampleStudy({ trials: 6 });
    const metric = `loss${attack('metric')}`;
    const study: Study = {
      ...base,
      name: `demo${attack('name')}`,
      statusReason: attack('status'),
      request: {
        ...base.request,
        HyperParameterTuningJobConfig: {
          ...base.request.HyperParameterTuningJobConfig,
          HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: metric },
        },
      } as Study['request'],
      trials: base.trials.map((t, i) => ({
        ...t,
        hyperParameters: { ...t.hyperParameters, booster: `gbtree${attack(`value${i}`)}`, [`name${attack('hp')}`]: i },
        finalMetrics: { ...t.finalMetrics, [metric]: t.objective ?? 0, [`auc${attack('other')}`]: 0.5 },
        jobName: `job${attack(`job${i}`)}`,
        ...(t.status === 'Failed' ? { failureReason: `AlgorithmError: ${attack(`reason${i}`)}</td></tr></table>` } : {}),
      })),
    };
    const file = join(OUT, 'report-with-markup.html');
    writeFileSync(file, renderHtmlReport(study, { now: Date.parse('2026-12-01T00:00:00Z') }));
    const { page, log } = await openReport(browser, file, 1280);
    try {
      expectClean(log, file);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
      // One script (the report's own sort), no image; the table still has its 6 rows, and the text reads as written.
      expect(await page.$$eval('script', (e) => e.length)).toBe(1);
      expect(await page.$$eval('img', (e) => e.length)).toBe(0);
      expect(await page.$$eval('#trials tbody tr', (e) => e.length)).toBe(6);
      expect(await page.$eval('h1', (h) => h.textContent)).toContain(`demo${attack('name')}`);
      const reasons = await page.$$eval('td.reason div', (ds) => ds.map((d) => d.textContent));
      expect(reasons).toContain(`AlgorithmError: ${attack('reason4')}</td></tr></table>`);
    } finally {
      await page.close();
    }
  });
});

test('the browser is where the tests look for it', () => {
  expect(existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')).toBe(true);
});
