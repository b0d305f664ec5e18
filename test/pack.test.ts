/**
 * sagetune used from another project, as the README says: `npm pack` in the repository, `npm install` of the tarball
 * in a new project folder, then the CLI (`npx sagetune`) and the library (`require('sagetune')`, its types included)
 * used from there. This also catches files missing from the package.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
let project: string;
const npm = (args: string[], cwd: string) => run('npm', args, { cwd, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }, maxBuffer: 16 * 1024 * 1024 });

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'sagetune-user-'));
  const { stdout } = await npm(['pack', '--silent', '--pack-destination', project], ROOT);
  const tarball = stdout.trim().split('\n').pop()!;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`], project);
}, 300_000);
afterAll(() => rmSync(project, { recursive: true, force: true }));

test('the CLI runs from the project: version, validate, and a real study', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  expect((await run('npx', ['sagetune', '--version'], { cwd: project })).stdout.trim()).toBe(pkg.version);
  copyFileSync(join(ROOT, 'test/cli/fixtures/train.js'), join(project, 'train.js'));
  const request = JSON.parse(readFileSync(join(ROOT, 'test/cli/fixtures/request.json'), 'utf8'));
  request.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 1 };
  writeFileSync(join(project, 'request.json'), JSON.stringify(request));
  expect((await run('npx', ['sagetune', 'validate', 'request.json'], { cwd: project })).stdout).toMatch(/^request.json is valid: study cli-e2e/);
  const studied = await run('npx', ['sagetune', 'run', 'request.json', '--progress', 'off'], { cwd: project });
  expect(studied.stdout).toMatch(/Study cli-e2e Completed: MaxNumberOfTrainingJobs \(3\) reached/);
  expect(existsSync(join(project, '.sagetune/studies/cli-e2e/report.html'))).toBe(true);
}, 120_000);

test('the library: the SDK and the optimizer from require and import, with type declarations', async () => {
  const cjs = `const { createOptimizer, openStudies, NotFoundError } = require('sagetune');
(async () => {
  const opt = createOptimizer({ ParameterRanges: { IntegerParameterRanges: [{ Name: 'n', MinValue: '1', MaxValue: '9' }] }, Objective: { Type: 'Minimize' }, Strategy: 'Bayesian', RandomSeed: 1 });
  const [s] = await opt.ask(1);
  const studies = await openStudies();
  const missing = await studies.attach('nope').catch((e) => e);
  console.log(JSON.stringify({ n: s.hyperParameters.n, notFound: missing instanceof NotFoundError, engine: typeof require('sagetune/engine').runStudy }));
})();`;
  writeFileSync(join(project, 'use.cjs'), cjs);
  const out = JSON.parse((await run(process.execPath, ['use.cjs'], { cwd: project })).stdout);
  expect(out).toEqual({ n: expect.any(Number), notFound: true, engine: 'function' });
  writeFileSync(join(project, 'use.mjs'), "import { openStudies, createOptimizer } from 'sagetune';\nconsole.log(typeof openStudies, typeof createOptimizer);\n");
  expect((await run(process.execPath, ['use.mjs'], { cwd: project })).stdout).toBe('function function\n');
  const types = readFileSync(join(project, 'node_modules/sagetune/dist/types/src/index.d.ts'), 'utf8');
  expect(types).toContain("export * from './sdk';");
  expect(existsSync(join(project, 'node_modules/sagetune/dist/types/src/sdk/types.d.ts'))).toBe(true);
});
