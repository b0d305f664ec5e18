#!/usr/bin/env node
/**
 * Builds what the package runs from: dist/cli.js (the `sagetune` command), dist/index.js (the SDK and the optimizer,
 * the main entry) and dist/engine.js (`sagetune/engine`), each one file bundled by esbuild from src/ with the
 * dependencies left to node_modules (fast: well under a second). `--types` also writes the type declarations
 * (dist/types, with tsc) that a packed package ships.
 *
 * Runs at `npm ci` / `npm install` (prepare), at `npm pack` (prepack, with --types), and from bin/sagetune.js when a
 * source file is newer than the build, so that a change to src/ is never run stale.
 */
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');

/** The esbuild options of each output. */
const ENTRIES = {
  'dist/cli.js': 'src/cli/main.ts',
  'dist/index.js': 'src/index.ts',
  'dist/engine.js': 'src/engine.ts',
};

function build(options = {}) {
  const esbuild = require('esbuild');
  for (const [out, entry] of Object.entries(ENTRIES)) {
    esbuild.buildSync({
      entryPoints: [path.join(ROOT, entry)],
      outfile: path.join(ROOT, out),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      sourcemap: 'linked',
      logLevel: 'warning',
    });
  }
  if (options.types) {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  }
}

module.exports = { build, ENTRIES };

if (require.main === module) build({ types: process.argv.includes('--types') });
