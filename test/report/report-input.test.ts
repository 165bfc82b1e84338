/** Bad report input is refused before anything connects: exit 2 from the CLI, InputError from the client API. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InputError, report, type ReportInput } from '../../src';
import { cliEnv, describeRun, inPairs, removeDir, runCli, tempDir } from '../cli/support';

describe('report input', () => {
  const empty = tempDir('report-input');
  after(() => removeDir(empty));

  it('refuses --csv with --json, and a bad option of the client API, with nothing running', async () => {
    const run = await runCli(['report', '--csv', '--json', '--data-dir', empty], { env: cliEnv() });
    assert.equal(run.code, 2, describeRun(run));
    assert.match(run.stderr, /^csv: give --csv or --json, not both$/m);
    const bad = (field: RegExp) => (e: unknown) =>
      e instanceof InputError && e.problems.some((p) => field.test(p));
    await assert.rejects(report({ statusConcurrency: 0 }, { dataDir: empty }), bad(/^statusConcurrency: /));
    const unknown = { pageSize: 5 } as unknown as ReportInput;
    await assert.rejects(report(unknown, { dataDir: empty }), bad(/pageSize/));
  });

  it('report --help says what it reads, its columns and its examples, and the command list names it', async () => {
    const [help, top] = await inPairs([
      () => runCli(['report', '--help'], { env: cliEnv() }),
      () => runCli(['--help'], { env: cliEnv() }),
    ]);
    assert.equal(help!.code, 0, describeRun(help!));
    assert.match(help!.stdout, /^Usage: marketo-api-users report \[--csv \| --json\]/);
    assert.match(help!.stdout, /^Examples:$/m);
    assert.match(top!.stdout, /^ {2}report +the compliance report/m);
  });
});
