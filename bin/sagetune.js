#!/usr/bin/env node
// Entry point of the `sagetune` command: runs the bundled dist/cli.js. In a source checkout, a source file newer
// than the bundle (or no bundle yet) rebuilds it first (esbuild, well under a second), so an edit is never run stale.
const path = require('node:path');
const fs = require('node:fs');

const root = path.join(__dirname, '..');
const bundle = path.join(root, 'dist', 'cli.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const src = path.join(root, 'src');
if (fs.existsSync(path.join(src, 'cli', 'main.ts'))) {
  const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0;
  const sources = Math.max(newestSource(src), fs.statSync(path.join(root, 'package.json')).mtimeMs);
  if (sources > built) require(path.join(root, 'scripts', 'build.js')).build();
}
require(bundle).main(process.argv.slice(2));
