#!/usr/bin/env node
// The compiled CLI when the package is built (npm ci and npm install run `prepare`); otherwise the
// TypeScript sources through tsx, so a fresh checkout works before any build.
const fs = require('node:fs');
const path = require('node:path');
const compiled = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (fs.existsSync(compiled)) {
  require(compiled).main();
} else {
  require('tsx/cjs');
  require('../src/cli/main.ts').main();
}
