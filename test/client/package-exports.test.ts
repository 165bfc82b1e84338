/**
 * A pipeline imports the client API by the package's name (`require('marketo-api-users')`), through the
 * `exports` map. The build is not part of the tests, so the map's `marketo-api-users:source` condition
 * points this run at the sources; everything else about the resolution is the package's own.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { cliEnv, REPO_ROOT, removeDir, tempDir } from '../cli/support';

const SCRIPT = `
const api = require('marketo-api-users');
const names = ['onboard', 'status', 'extend', 'revoke', 'list', 'completeStep', 'InputError', 'ContextError',
  'scheduleSweep', 'pauseSweepSchedule', 'resumeSweepSchedule', 'triggerSweepSchedule', 'describeSweepSchedule',
  'deleteSweepSchedule', 'SweepScheduleNotFoundError'];
const missing = names.filter((n) => typeof api[n] !== 'function');
api
  .onboard(
    { email: 'pkg@example.com', firstName: 'P', lastName: 'K', role: { name: 'R' }, expiresIn: '3x' },
    { dataDir: process.env.EMPTY_DIR },
  )
  .then(
    () => console.log(JSON.stringify({ missing, outcome: 'resolved' })),
    (e) => console.log(JSON.stringify({ missing, outcome: e instanceof api.InputError ? e.problems : String(e) })),
  );
`;

describe('the package by its name', () => {
  const empty = tempDir('pkg');
  after(() => removeDir(empty));

  it("require('marketo-api-users') gives the client API, with InputError from the same module", async () => {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', '--conditions=marketo-api-users:source', '-e', SCRIPT],
        { cwd: REPO_ROOT, env: cliEnv({ EMPTY_DIR: empty }), timeout: 60_000 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      ),
    );
    const result = JSON.parse(stdout.trim()) as { missing: string[]; outcome: unknown };
    assert.deepEqual(result.missing, []);
    assert.deepEqual(result.outcome, ['expiresIn: must be a duration like 30d, 12h, 90m or 45s']);
  });
});
