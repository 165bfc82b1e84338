#!/usr/bin/env node
// Runs the CLI from its TypeScript sources through tsx, so a clone needs no build step.
require('tsx/cjs');
require('../src/cli/main.ts').main();
