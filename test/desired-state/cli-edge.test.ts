/**
 * plan and apply at the CLI's edge, with no Temporal at all: help, flags and the file are judged before
 * anything connects, so a mistake is exit 2 with its line whether or not `up` runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cliEnv, describeRun, inPairs, removeDir, runCli, tempDir } from '../cli/support';

describe('plan and apply before they connect', () => {
  const dir = tempDir('desired-edge');
  after(() => removeDir(dir));
  const run = (...args: string[]) => runCli([...args, '--data-dir', dir], { env: cliEnv() });

  it('help, usage mistakes and a bad file: exit 0 or 2, nothing needed from Temporal', async () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'users:\n  - email: x\n    firstName: A\n    lastName: B\n    role: { name: R }\n');
    const notJson = path.join(dir, 'plan.json');
    fs.writeFileSync(notJson, '{"version": 1, "actions": [');
    const notAPlan = path.join(dir, 'other.json');
    fs.writeFileSync(notAPlan, '{"version": 2}');
    const [planHelp, applyHelp, neither, both, revocations, badPlan, badApply, brokenSaved, otherSaved] =
      await inPairs([
        () => run('plan', '--help'),
        () => run('apply', '--help'),
        () => run('apply'),
        () => run('apply', '-f', bad, 'plan.json'),
        () => run('apply', '-f', bad, '--allow-revocations', 'many'),
        () => run('plan', '-f', bad),
        () => run('apply', '-f', bad, '--json'),
        () => run('apply', notJson),
        () => run('apply', notAPlan),
      ]);
    for (const help of [planHelp!, applyHelp!]) {
      assert.equal(help.code, 0, describeRun(help));
      assert.match(help.stdout, /^Examples:$/m);
    }
    assert.match(planHelp!.stdout, /4 an apply would change something/);
    for (const usage of [neither!, both!]) {
      assert.equal(usage.code, 2, describeRun(usage));
      assert.match(usage.stderr, /give exactly one of -f users.yaml or a saved PLAN.json/);
    }
    assert.equal(revocations!.code, 2, describeRun(revocations!));
    assert.match(revocations!.stderr, /allow-revocations: must be a whole number/);
    assert.equal(badPlan!.code, 2, describeRun(badPlan!));
    assert.deepEqual(badPlan!.stderr.trim().split('\n'), [
      'error: 2 problems in the desired-state file; nothing was changed',
      `${bad}:2:5 users[0].expiresAt: give exactly one of expiresAt or lifetime`,
      `${bad}:2:12 users[0].email: must be a plain ASCII email address like name@example.com (no look-alike Unicode letters)`,
      'hint: fix each line named above, then run `plan -f FILE` again',
    ]);
    assert.equal(badApply!.code, 2, describeRun(badApply!));
    const json = JSON.parse(badApply!.stdout) as { problems: string[] };
    assert.equal(json.problems.length, 2);
    assert.equal(brokenSaved!.code, 2, describeRun(brokenSaved!));
    assert.match(brokenSaved!.stderr, /plan\.json:1:1 \(plan\): cannot be read as JSON/);
    assert.equal(otherSaved!.code, 2, describeRun(otherSaved!));
    assert.match(otherSaved!.stderr, /other\.json:1:1 version: /);
  });
});
