#!/usr/bin/env node
// Entry point of the `sagetune` command. In a source checkout it runs the TypeScript sources
// through ts-node (transpile only); an installed package runs the compiled dist/.
const path = require('path');
const fs = require('fs');

const root = path.join(__dirname, '..');
const src = path.join(root, 'src', 'cli', 'main.ts');
if (fs.existsSync(src)) {
  require('ts-node').register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });
  require(src).main(process.argv.slice(2));
} else {
  require(path.join(root, 'dist', 'src', 'cli', 'main.js')).main(process.argv.slice(2));
}
