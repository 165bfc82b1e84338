/**
 * Desired state meets Marketo's own users on the embedded stack: a hand-made API-only user the file names is
 * adopted (by the Marketo id the plan saw, read with one listing), and the users no apply may touch (this
 * product's own, a system-role holder) are found in Marketo and refused even when the file names them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { LifecycleClient } from '../../src';
import type { EmbeddedStack } from '../../src/app/embedded';
import { applyDesiredState, planDesiredState, readSavedPlan } from '../../src/desired-state/api';
import { readDesiredState } from '../../src/desired-state/parse-file';
import { ApplyRefusedError, StalePlanError } from '../../src/errors';
import { startLifecycle } from '../../src/lifecycle-start';
import { ORCHESTRATOR_USERID } from '../../src/sandbox/seed';
import { cliEnv, describeRun, runCli } from '../cli/support';
import { withEmbeddedStack } from '../helpers/embedded-stack';

const ROLE = 'Adopted Sync';

function yamlOf(emails: string[]): string {
  const users = emails.map((email) =>
    [
      `  - email: ${email}`,
      `    firstName: Taken`,
      `    lastName: Over`,
      `    role: { name: ${ROLE}, permissions: [Read-Only Lead] }`,
      `    lifetime: 30d`,
    ].join('\n'),
  );
  return `users:\n${users.join('\n')}\n`;
}

describe('desired state and the users Marketo already has', () => {
  let stack: EmbeddedStack;
  let dataDir: string;
  let client: LifecycleClient;
  const stamp = Date.now().toString(36);
  const sandbox = () => stack.sandbox!;
  const userOf = (email: string) =>
    sandbox()
      .snapshot()
      .users.find((u) => u.emailAddress === email);
  const seed = (prefix: string, extra: Record<string, unknown> = {}) =>
    sandbox().operator.seedUsers({ count: 1, prefix: `${prefix}-${stamp}`, ...extra }).firstUserid;
  const fileOf = (name: string, emails: string[]) => {
    const file = path.join(dataDir, name);
    fs.writeFileSync(file, yamlOf(emails));
    return readDesiredState(file);
  };

  withEmbeddedStack('adopt', (ready) => {
    ({ stack, dataDir, client } = ready);
  });

  it('plans a hand-made user as adopt by its Marketo id with one listing, and apply takes it over', async () => {
    const handMade = seed('handmade');
    const locked = seed('locked', { expiresAt: new Date(Date.now() - 86_400_000).toISOString() });
    const own = sandbox().operator.createService({ displayName: 'Hand-made integration', email: handMade });
    const fresh = `fresh-${stamp}@example.com`;
    const parsed = fileOf('users.yaml', [handMade, locked, fresh]);
    assert.equal(userOf(locked)?.isLocked, true, 'seeded locked');

    sandbox().operator.resetCounters();
    const plan = await planDesiredState(client, parsed);
    const calls = sandbox().snapshot().counters.userManagement.byEndpoint;
    assert.equal(calls['GET allusers.json'], 1, `one listing per plan: ${JSON.stringify(calls)}`);
    assert.equal(calls['GET {userid}/user.json'], 2, 'user.json only for the two users it would adopt');

    const kinds = Object.fromEntries(plan.actions.map((a) => [a.email, a]));
    const adopt = kinds[handMade];
    assert.ok(adopt?.kind === 'adopt', JSON.stringify(adopt));
    assert.equal(adopt.marketoUserId, userOf(handMade)!.id);
    assert.match(adopt.changes.join('\n'), /^names "Seeded User 1" → "Taken Over"$/m);
    assert.match(
      adopt.changes.join('\n'),
      /^role Marketing User → Adopted Sync: the user holds Marketing User/m,
    );
    const lockedAdopt = kinds[locked];
    assert.ok(lockedAdopt?.kind === 'adopt', JSON.stringify(lockedAdopt));
    assert.match(lockedAdopt.changes.join('\n'), /^locked now .*the new expiry lifts an expiry lock/m);
    assert.equal(kinds[fresh]?.kind, 'create');

    const shown = await runCli(['plan', '-f', parsed.source, '--data-dir', dataDir], { env: cliEnv() });
    assert.equal(shown.code, 4, describeRun(shown));
    assert.match(
      shown.stdout,
      new RegExp(`^« adopt +${handMade} +a hand-made API-only user \\(Marketo id`, 'm'),
    );
    assert.match(shown.stdout, /^ +changes: a new custom service/m);

    const result = await applyDesiredState(client, { parsed });
    assert.deepEqual(
      result.applied.map((c) => [c.kind, c.phase]),
      [
        ['adopt', 'active'],
        ['adopt', 'active'],
        ['create', 'active'],
      ],
    );
    const taken = userOf(handMade)!;
    assert.equal(taken.id, adopt.marketoUserId, 'the same Marketo user, not a new one');
    assert.deepEqual([taken.firstName, taken.lastName, taken.isLocked], ['Taken', 'Over', false]);
    const role = sandbox()
      .snapshot()
      .roles.find((r) => r.name === ROLE)!;
    assert.deepEqual(taken.userRoleWorkspaces, [{ accessRoleId: role.id, workspaceId: 0 }]);
    assert.ok(taken.services.includes(own.clientId), 'its hand-made service is kept');
    assert.equal(taken.services.length, 2, 'beside a new one for the lifecycle');
    assert.equal(userOf(locked)?.isLocked, false, 'the new expiry lifted the lock');
    assert.equal((await client.status(handMade)).marketoUserId, taken.id);

    const again = await planDesiredState(client, parsed);
    assert.deepEqual(
      again.actions.map((a) => a.kind),
      ['no-change', 'no-change', 'no-change'],
    );
  });

  it("refuses this product's own user and a system-role holder named in the file, changing nothing", async () => {
    const admin = seed('admin', { userRoleWorkspaces: [{ accessRoleId: 1, workspaceId: 0 }] });
    const parsed = fileOf('protected.yaml', [ORCHESTRATOR_USERID, admin]);
    // The orchestrator's token use moves its lastLoginAt: everything else must stay as it was.
    const usersNow = () =>
      JSON.stringify(
        sandbox()
          .snapshot()
          .users.map(({ lastLoginAt: _, ...u }) => u),
      );
    const before = usersNow();
    const plan = await planDesiredState(client, parsed);
    const why = Object.fromEntries(plan.actions.map((a) => [a.email, a.kind === 'refused' ? a.why : a.kind]));
    assert.match(why[ORCHESTRATOR_USERID]!, /this product's own API-only user/);
    assert.match(why[admin]!, /holds the system role Admin/);
    await assert.rejects(applyDesiredState(client, { parsed }), ApplyRefusedError);
    const run = await runCli(['apply', '-f', parsed.source, '--data-dir', dataDir], { env: cliEnv() });
    assert.equal(run.code, 2, describeRun(run));
    assert.match(
      run.stdout,
      new RegExp(`^! refused +${admin} +\\S*protected\\.yaml:\\d+:\\d+ users\\[1\\]\\.email: holds`, 'm'),
    );
    assert.equal(usersNow(), before, 'nothing in Marketo changed');
    assert.equal((await client.list()).filter((l) => l.email === admin).length, 0, 'no lifecycle started');
  });

  it('refuses a saved plan once Marketo changed: a hand-made user appeared where it planned a creation', async () => {
    const prefix = `appeared-${stamp}`;
    const email = `${prefix}-000001@sandbox.local`;
    const parsed = fileOf('appeared.yaml', [email]);
    const saved = path.join(dataDir, 'appeared-plan.json');
    const planned = await runCli(['plan', '-f', parsed.source, '--out', saved, '--data-dir', dataDir], {
      env: cliEnv(),
    });
    assert.equal(planned.code, 4, describeRun(planned));
    assert.equal(readSavedPlan(saved).actions[0]?.kind, 'create');
    assert.equal(sandbox().operator.seedUsers({ count: 1, prefix }).firstUserid, email);
    await assert.rejects(applyDesiredState(client, { saved: readSavedPlan(saved) }), StalePlanError);
    assert.deepEqual([userOf(email)?.firstName, userOf(email)?.services.length], ['Seeded', 0]);
    assert.equal((await client.list()).filter((l) => l.email === email).length, 0, 'no lifecycle started');
  });

  it('a lifecycle sent to adopt a Marketo id the email no longer has refuses that user, changing nothing', async () => {
    const email = seed('replaced');
    const parsed = fileOf('replaced.yaml', [email]);
    const { lifetime: _lifetime, ...entry } = parsed.file.users[0]!;
    const workflowId = client.context.workflowIdFor(email);
    await startLifecycle(client.workflows, {
      workflowId,
      taskQueue: client.context.taskQueue,
      request: { ...entry, expiresAt: new Date(Date.now() + 10 * 86_400_000).toISOString() },
      workflowIdKeyFingerprint: client.context.workflowIdKeyFingerprint,
      adopt: { marketoUserId: userOf(email)!.id + 100_000 },
    });
    const status = await client.waitUntilSettled(email);
    assert.equal(status.phase, 'failed');
    assert.match(status.failure?.message ?? '', /already exists and was not created by this lifecycle/);
    assert.deepEqual([userOf(email)?.firstName, userOf(email)?.services.length], ['Seeded', 0]);
  });
});
