/**
 * `npm run bench:render`: how long the HTML report takes to build and to show in a browser as studies grow.
 *
 * For studies of 20, 100, 400 and 1,000 trials (the report tests' realistic fixture: 3 hyperparameters, every
 * trial's learning curve and three metrics), it measures, median of 5 runs each: the time to render the HTML in
 * Node, its size, and in headless chromium (Debian's, as the browser tests use) at 1280 pixels: the time from
 * navigation to the load event, to the first contentful paint, and to sort the 400-row table by the objective
 * (the click handler plus the layout it causes).
 *
 *   npm run bench:render
 *
 * Results: bench/results/render.md (the latest run's table).
 */
/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderHtmlReport } from '../src/report';
import { exampleStudy } from '../test/report/fixtures';
import { launchBrowser, openReport } from '../test/support/browser';

const ROOT = path.resolve(__dirname, '..');
const SIZES = [20, 100, 400, 1000];
const RUNS = 5;

const median = (xs: number[]): number => {
  const finite = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return finite.length === 0 ? NaN : finite[Math.floor(finite.length / 2)];
};

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sagetune-bench-report-'));
  const browser = await launchBrowser();
  const rows: string[] = [];
  try {
    for (const n of SIZES) {
      const study = exampleStudy({ trials: n });
      const render: number[] = [];
      let html = '';
      for (let i = 0; i < RUNS; i++) {
        const t0 = process.hrtime.bigint();
        html = renderHtmlReport(study, { now: Date.parse('2026-12-01T00:00:00Z') });
        render.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const file = path.join(dir, `report-${n}.html`);
      fs.writeFileSync(file, html);
      const load: number[] = [];
      const paint: number[] = [];
      const sort: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const { page, log, loadMs } = await openReport(browser, file, 1280);
        if (log.errors.length > 0) throw new Error(`report of ${n} trials: ${log.errors.join('; ')}`);
        load.push(loadMs);
        paint.push(
          await page.evaluate(
            () =>
              new Promise<number>((resolve) => {
                // Buffered: the entry is delivered even when the paint happened before the observer existed.
                new PerformanceObserver((list) => {
                  const entry = list.getEntriesByName('first-contentful-paint')[0];
                  if (entry) resolve(entry.startTime);
                }).observe({ type: 'paint', buffered: true });
                setTimeout(() => resolve(NaN), 3000);
              }),
          ),
        );
        sort.push(
          await page.evaluate(() => {
            const th = [...document.querySelectorAll('#trials th')].find((e) => e.textContent === 'objective') as HTMLElement;
            const t0 = performance.now();
            th.click();
            void document.body.offsetHeight;
            return performance.now() - t0;
          }),
        );
        await page.close();
      }
      rows.push(
        `| ${n} | ${(html.length / 1024).toFixed(0)} kB | ${median(render).toFixed(0)} ms | ${median(load).toFixed(0)} ms | ${median(paint).toFixed(0)} ms | ${median(sort).toFixed(0)} ms |`,
      );
      console.log(rows[rows.length - 1]);
    }
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const chromium = execFileSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim();
  const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const md = `# The report: build and render time

\`npm run bench:render\` at ${rev}, ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${chromium}, headless, 1280 × 900 viewport. Median of ${RUNS} runs. The studies are the report tests' fixture (3 hyperparameters, a 5-point learning curve and 3 metrics per trial).

| trials | HTML | build in Node | load (navigation to load event) | first contentful paint | sort the table by objective |
|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}
`;
  fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'render.md'), md);
  console.log(`\nwritten to bench/results/render.md`);
}

void main();
