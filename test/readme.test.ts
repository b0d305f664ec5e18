/**
 * The README's code runs as written: every TypeScript block is compiled as a user's module (ESM, top-level await)
 * and run with `node` from the repository's root, importing `sagetune` as a user does (the package's own name,
 * resolved to the built dist/). The one block that needs a deployed stack and AWS credentials says so on its first
 * line and is only compiled.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { transformSync } from 'esbuild';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const DIR = join(ROOT, '.sagetune', 'readme-test');
const NEEDS_AWS = '// Needs a deployed stack';

const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

beforeAll(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../scripts/build.js').build();
  mkdirSync(DIR, { recursive: true });
});
afterAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  rmSync(join(ROOT, '.sagetune', 'readme'), { recursive: true, force: true });
});

test('the README has its TypeScript examples, and exactly one needs AWS', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(3);
  expect(blocks.filter((b) => b.startsWith(NEEDS_AWS))).toHaveLength(1);
});

test.each(blocks.map((b, i) => [i, b] as const))('README block %i runs as written', async (i, block) => {
  const js = transformSync(block, { loader: 'ts', format: 'esm', target: 'node20' }).code;
  if (block.startsWith(NEEDS_AWS)) return; // compiled above; it would need AWS
  const file = join(DIR, `block-${i}.mjs`);
  writeFileSync(file, js);
  const { stdout, stderr } = await run(process.execPath, [file], { cwd: ROOT, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  expect(stderr).toBe('');
  expect(stdout.length).toBeGreaterThan(0);
  if (block.includes('openStudies')) expect(stdout).toMatch(/Completed/);
}, 180_000);
