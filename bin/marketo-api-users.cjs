#!/usr/bin/env node
// In a clone (sources and tsx present) the CLI runs from its TypeScript sources, so it can never be older
// than the code beside it; where the package is installed without dev dependencies, from its build.
const fs = require('node:fs');
const path = require('node:path');
const sources = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
let tsx;
try {
  tsx = require.resolve('tsx/cjs');
} catch {
  tsx = undefined;
}
if (tsx && fs.existsSync(sources)) {
  require(tsx);
  require(sources).main();
} else {
  require(path.join(__dirname, '..', 'dist', 'cli', 'main.js')).main();
}
