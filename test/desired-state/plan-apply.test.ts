/**
 * Desired state as a new user meets it on `up` (here the embedded stack, in-process): plan, apply, plan again,
 * an edited file, a file with mistakes; then the guards: revocation count, protected users, lifecycles
 * onboard started, a stale saved plan and two concurrent applies.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { LifecycleClient } from '../../src';
import type { EmbeddedStack } from '../../src/app/embedded';
import { applyDesiredState, planDesiredState, readSavedPlan } from '../../src/desired-state/api';
import { acquireApplyLock } from '../../src/desired-state/apply-lock';
import { readDesiredState } from '../../src/desired-state/parse-file';
import {
  ApplyInProgressError,
  ApplyRefusedError,
  StalePlanError,
  TemporalUnavailableError,
} from '../../src/errors';
import { startLifecycle } from '../../src/lifecycle-start';
import { DESIRED_STATE_MEMO_FIELD } from '../../src/desired-state/marker';
import { MauInstance } from '../../src/domain/search-attributes';
import { createMarketoClient, TokenCache } from '../../src/marketo';
import { lifecycleWorkflow } from '../../src/workflows';
import { cliEnv, describeRun, runCli } from '../cli/support';
import { withEmbeddedStack } from '../helpers/embedded-stack';

interface Entry {
  email: string;
  firstName: string;
  expiresAt?: string;
  lifetime?: string;
  role?: string;
  owner?: string;
}

function yamlOf(entries: Entry[], protectedPatterns: string[] = []): string {
  const users = entries.map((e) =>
    [
      `  - email: ${e.email}`,
      `    firstName: ${e.firstName}`,
      `    lastName: Pipeline`,
      `    role: { name: ${e.role ?? 'Desired Sync'}, permissions: [Read-Only Lead] }`,
      e.expiresAt ? `    expiresAt: ${e.expiresAt}` : `    lifetime: ${e.lifetime ?? '30d'}`,
      ...(e.owner ? [`    owner: ${e.owner}`] : []),
    ].join('\n'),
  );
  const protect = protectedPatterns.length
    ? `protected: [${protectedPatterns.map((p) => `'${p}'`).join(', ')}]\n`
    : '';
  return `users:\n${users.join('\n')}\n${protect}`;
}

describe('plan and apply -f on the embedded stack', () => {
  let stack: EmbeddedStack;
  let dataDir: string;
  let client: LifecycleClient;
  const stamp = Date.now().toString(36);
  const mail = (name: string) => `${name}-${stamp}@example.com`;
  const fileAt = (name: string, text: string) => {
    const file = path.join(dataDir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const cli = (...args: string[]) =>
    runCli([...args, '--data-dir', dataDir], { env: cliEnv(), timeoutMs: 180_000 });
  const userOf = (email: string) => stack.sandbox!.snapshot().users.find((u) => u.emailAddress === email);
  const later = new Date(Date.now() + 60 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const three: Entry[] = [
    { email: mail('alpha'), firstName: 'Alpha' },
    {
      email: mail('beta'),
      firstName: 'Beta',
      expiresAt: new Date(Date.now() + 20 * 86_400_000).toISOString(),
    },
    { email: mail('gamma'), firstName: 'Gamma' },
  ];

  /** The file as the tests left it: each later test keeps these entries, so it revokes only its own users. */
  let current: Entry[] = three;

  withEmbeddedStack('desired', (ready) => {
    ({ stack, dataDir, client } = ready);
  });

  it('three users: plan lists three creations (exit 4), apply creates them, plan again exits 0', async () => {
    const file = fileAt('users.yaml', yamlOf(three));
    const planned = await cli('plan', '-f', file);
    assert.equal(planned.code, 4, describeRun(planned));
    assert.equal(planned.stdout.match(/^\+ create/gm)?.length, 3, planned.stdout);
    const applied = await cli('apply', '-f', file);
    assert.equal(applied.code, 0, describeRun(applied));
    for (const e of three) assert.equal(userOf(e.email)?.isLocked, false, `${e.email} exists, unlocked`);
    const again = await cli('plan', '-f', file, '--json');
    assert.equal(again.code, 0, describeRun(again));
    const result = JSON.parse(again.stdout) as { unchanged: number; changes: boolean };
    assert.deepEqual([result.unchanged, result.changes], [3, false]);
  });

  it('the file edited (one removed, one later with a new owner, one renamed): plan shows those three, apply does them', async () => {
    current = [
      { ...three[1]!, expiresAt: later, owner: 'platform@example.com' },
      { ...three[2]!, firstName: 'Gamma Renamed' },
    ];
    const before = await client.status(three[1]!.email);
    const file = fileAt('users.yaml', yamlOf(current));
    const plan = await planDesiredState(client, readDesiredState(file));
    const changes = plan.actions.filter((a) => a.kind !== 'no-change').map((a) => `${a.kind} ${a.email}`);
    assert.deepEqual(changes.sort(), [
      `reassign ${three[1]!.email}`,
      `replace ${three[2]!.email}`,
      `revoke ${three[0]!.email}`,
    ]);
    const applied = await cli('apply', '-f', file);
    assert.equal(applied.code, 0, describeRun(applied));
    const removed = userOf(three[0]!.email);
    assert.ok(removed, 'the removed user still exists in Marketo');
    assert.equal(removed.isLocked, true, 'the removed user is locked');
    const moved = await client.status(three[1]!.email);
    assert.equal(moved.expiresAt, new Date(later).toISOString());
    assert.equal(moved.owner, 'platform@example.com');
    assert.equal(moved.clientId, before.clientId, 'a new owner keeps the service and its credentials');
    assert.equal(userOf(three[2]!.email)?.isLocked, false);
    assert.equal(userOf(three[2]!.email)?.firstName, 'Gamma Renamed', 'the name changed in Marketo');
    const status = await client.status(three[2]!.email);
    assert.equal(status.phase, 'active');
    assert.equal((await cli('plan', '-f', file)).code, 0, 'nothing left to do');
  });

  it('refuses a new owner for a user that meanwhile holds a system role in Marketo, changing nothing', async () => {
    const email = current[0]!.email;
    const userid = userOf(email)!.userid;
    const sandbox = stack.sandbox!;
    const marketo = createMarketoClient({
      baseUrl: sandbox.baseUrl,
      clientId: sandbox.adminClientId,
      clientSecret: sandbox.adminClientSecret,
      tokenCache: new TokenCache(),
      budget: 'unlimited',
    });
    const admin = [{ accessRoleId: 1, workspaceId: 0 }];
    await marketo.addUserRoles(userid, admin);
    try {
      const edited = current.map((e) => (e.email === email ? { ...e, owner: 'security@example.com' } : e));
      const plan = await planDesiredState(client, readDesiredState(fileAt('admin.yaml', yamlOf(edited))));
      const action = plan.actions.find((a) => a.email === email);
      assert.ok(action?.kind === 'refused', JSON.stringify(action));
      assert.match(action.why, /holds the system role Admin/);
      assert.equal((await client.status(email)).owner, 'platform@example.com', 'the owner stayed');
    } finally {
      await marketo.removeUserRoles(userid, admin);
    }
  });

  it('refuses more revocations than allowed, changing nothing; --allow-revocations lets them through', async () => {
    const pair = [
      { email: mail('guard-a'), firstName: 'Guard' },
      { email: mail('guard-b'), firstName: 'Guard' },
    ];
    await applyDesiredState(client, {
      parsed: readDesiredState(fileAt('guard.yaml', yamlOf([...current, ...pair]))),
    });
    const file = fileAt('guard.yaml', yamlOf(current));
    await assert.rejects(applyDesiredState(client, { parsed: readDesiredState(file) }), (error: unknown) => {
      assert.ok(error instanceof ApplyRefusedError, String(error));
      assert.match(error.problem, /revokes 2 users, more than the 1 allowed/);
      return true;
    });
    const run = await cli('apply', '-f', file, '--allow-revocations', '1');
    assert.equal(run.code, 2, describeRun(run));
    assert.match(run.stderr, /hint: .*--allow-revocations 2/);
    for (const e of pair) assert.equal(userOf(e.email)?.isLocked, false, `${e.email} untouched`);
    const done = await applyDesiredState(client, { parsed: readDesiredState(file) }, { allowRevocations: 2 });
    assert.deepEqual(
      done.applied.map((c) => c.kind),
      ['revoke', 'revoke'],
    );
    for (const e of pair) assert.equal(userOf(e.email)?.isLocked, true, `${e.email} locked`);
  });

  it('never touches a protected user, nor a lifecycle onboard started, listed or not', async () => {
    const keep = { email: mail('keep'), firstName: 'Keep' };
    await applyDesiredState(client, {
      parsed: readDesiredState(fileAt('p.yaml', yamlOf([...current, keep]))),
    });
    const hand = mail('hand');
    await client.onboard({
      email: hand,
      firstName: 'Hand',
      lastName: 'Made',
      role: { name: 'Desired Sync', permissions: ['Read-Only Lead'] },
      expiresIn: '10d',
    });
    const unlisted = readDesiredState(fileAt('p.yaml', yamlOf(current, [keep.email])));
    const result = await applyDesiredState(client, { parsed: unlisted }, { allowRevocations: 100 });
    const kinds = Object.fromEntries(result.plan.actions.map((a) => [a.email, a.kind]));
    assert.equal(kinds[keep.email], 'left-alone');
    assert.equal(kinds[hand], 'left-alone');
    assert.deepEqual(result.applied, []);
    assert.equal(userOf(keep.email)?.isLocked, false);
    assert.equal((await client.status(hand)).phase, 'active');

    const listed = readDesiredState(
      fileAt('p.yaml', yamlOf([...current, keep, { email: hand, firstName: 'Other' }], [keep.email])),
    );
    const plan = await planDesiredState(client, listed);
    const refused = plan.actions.find((a) => a.email === keep.email);
    assert.ok(refused?.kind === 'refused' && /protected by/.test(refused.why), JSON.stringify(refused));
    assert.equal(plan.actions.find((a) => a.email === hand)?.kind, 'left-alone');
    await assert.rejects(applyDesiredState(client, { parsed: listed }), ApplyRefusedError);
    const shown = await cli('plan', '-f', listed.source);
    assert.equal(shown.code, 2, describeRun(shown));
    assert.match(
      shown.stdout,
      new RegExp(
        `^! refused +${keep.email} +\\S*p\\.yaml:\\d+:\\d+ users\\[\\d\\]\\.email: is protected`,
        'm',
      ),
    );
    assert.match(shown.stderr, /the plan refuses entries/);
    assert.equal(userOf(hand)?.firstName, 'Hand', 'the refused apply renamed nobody');
  });

  it('applies a saved plan, and refuses one gone stale, changing nothing', async () => {
    const beta = three[1]!.email;
    const at = (days: number) => new Date(Date.parse(later) + days * 86_400_000).toISOString();
    current = [{ ...current[0]!, expiresAt: at(10) }, current[1]!];
    const saved = path.join(dataDir, 'plan.json');
    const planned = await cli('plan', '-f', fileAt('users.yaml', yamlOf(current)), '--out', saved);
    assert.equal(planned.code, 4, describeRun(planned));
    const applied = await cli('apply', saved);
    assert.equal(applied.code, 0, describeRun(applied));
    assert.equal((await client.status(beta)).expiresAt, at(10));

    current = [{ ...current[0]!, expiresAt: at(20) }, current[1]!];
    assert.equal((await cli('plan', '-f', fileAt('users.yaml', yamlOf(current)), '--out', saved)).code, 4);
    const elsewhere = { ...readSavedPlan(saved), instanceId: 'another.mktorest.com' };
    await assert.rejects(
      applyDesiredState(client, { saved: elsewhere }),
      /made for Marketo instance another/,
    );
    await client.extend(beta, { expiresAt: at(15) });
    await assert.rejects(applyDesiredState(client, { saved: readSavedPlan(saved) }), StalePlanError);
    const stale = await cli('apply', saved);
    assert.equal(stale.code, 2, describeRun(stale));
    assert.match(stale.stderr, /stale/);
    assert.equal((await client.status(beta)).expiresAt, at(15), 'the stale plan changed nothing');
    current = [{ ...current[0]!, expiresAt: at(15) }, current[1]!];
  });

  it('two concurrent applies never interleave: one runs, the other is refused', async () => {
    const pair = [
      { email: mail('race-a'), firstName: 'Race' },
      { email: mail('race-b'), firstName: 'Race' },
    ];
    current = [...current, ...pair];
    const parsed = readDesiredState(fileAt('race.yaml', yamlOf(current)));
    const outcomes = await Promise.allSettled([
      applyDesiredState(client, { parsed }),
      applyDesiredState(client, { parsed }),
    ]);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    assert.equal(refused.length, 1, JSON.stringify(outcomes.map((o) => o.status)));
    assert.ok(refused[0]!.reason instanceof ApplyInProgressError, String(refused[0]!.reason));
    const ran = outcomes.find((o) => o.status === 'fulfilled')!;
    assert.deepEqual(
      ran.value.applied.map((c) => `${c.kind} ${c.email}`),
      pair.map((e) => `create ${e.email}`),
    );
    for (const e of pair) {
      assert.equal(stack.sandbox!.snapshot().users.filter((u) => u.emailAddress === e.email).length, 1);
    }

    const lock = await acquireApplyLock(client.workflows, client.context);
    try {
      const blocked = await cli('apply', '-f', parsed.source);
      assert.equal(blocked.code, 2, describeRun(blocked));
      assert.match(blocked.stderr, new RegExp(`another apply is running .*held by pid ${process.pid} on `));
    } finally {
      await lock.release();
    }
    assert.equal((await cli('apply', '-f', parsed.source)).code, 0, 'the lock is free again');
  });

  it('an apply that crashed on this machine does not block the next one', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    await acquireApplyLock(client.workflows, {
      ...client.context,
      holder: { host: os.hostname(), pid: gone.pid! },
    });
    const run = await cli('apply', '-f', fileAt('users.yaml', yamlOf(current)));
    assert.equal(run.code, 0, describeRun(run));
    assert.match(run.stdout, /Nothing to change/);
  });

  it('stops with exit 1 when a new lifecycle fails (its role names a system role)', async () => {
    const email = mail('system-role');
    const file = fileAt('system-role.yaml', yamlOf([...current, { email, firstName: 'Sys', role: 'Admin' }]));
    const run = await cli('apply', '-f', file);
    assert.equal(run.code, 1, describeRun(run));
    assert.match(run.stdout, /create system-role-.*: failed: /);
    assert.match(run.stderr, /the apply stopped there/);
    assert.equal(userOf(email), undefined, 'no user was left behind');
  });

  it('a lifecycle an apply started stays marked as such after it continued as new', async () => {
    const email = mail('long');
    const entry = { email, firstName: 'Long' };
    current = [...current, entry];
    const parsed = readDesiredState(fileAt('long.yaml', yamlOf(current)));
    const { file } = parsed;
    const workflowId = client.context.workflowIdFor(email);
    const { lifetime: _lifetime, ...rest } = file.users.find((u) => u.email === email)!;
    await client.workflows.start(lifecycleWorkflow, {
      workflowId,
      taskQueue: client.context.taskQueue,
      memo: { email, [DESIRED_STATE_MEMO_FIELD]: { firstAppliedAt: new Date().toISOString() } },
      typedSearchAttributes: [{ key: MauInstance, value: client.context.instanceId }],
      args: [
        {
          // Beyond the longest default reminder lead (30d): a reminder at each extension would keep a notification
          // in flight, and the run does not continue as new while one is.
          request: { ...rest, expiresAt: new Date(Date.now() + 40 * 86_400_000).toISOString() },
          workflowIdKeyFingerprint: client.context.workflowIdKeyFingerprint,
          continueAsNewAfterEvents: 50,
        },
      ],
    });
    await client.waitUntilSettled(email);
    const first = (await client.workflows.getHandle(workflowId).describe()).runId;
    let runId = first;
    // Each extension's audit event keeps the run from continuing as new while it is stored: extensions sent back
    // to back could keep one in flight at every check, so each waits up to a second for the run to move on.
    for (let i = 0; i < 15 && runId === first; i++) {
      await client.extend(email, { by: '1d' });
      const waitUntil = Date.now() + 1000;
      do {
        runId = (await client.workflows.getHandle(workflowId).describe()).runId;
        if (runId === first) await new Promise((resolve) => setTimeout(resolve, 50));
      } while (runId === first && Date.now() < waitUntil);
    }
    assert.notEqual(runId, first, 'the lifecycle continued as new');
    const gone = await planDesiredState(
      client,
      readDesiredState(fileAt('long.yaml', yamlOf(current.slice(0, -1)))),
    );
    assert.equal(
      gone.actions.find((a) => a.email === email)?.kind,
      'revoke',
      'still known as started by apply',
    );
    current = current.slice(0, -1);
    await applyDesiredState(client, { parsed: readDesiredState(fileAt('long.yaml', yamlOf(current))) });
    assert.equal(userOf(email)?.isLocked, true);
  });

  it('a file with two mistakes: both reported with their lines, exit 2, nothing changed', async () => {
    const before = JSON.stringify(stack.sandbox!.snapshot().users);
    const lifecycles = (await client.list()).length;
    const text =
      yamlOf([{ email: mail('delta'), firstName: 'Delta' }]).replace('lastName: Pipeline', 'lastName: ""') +
      '  - email: nobody\n    firstName: N\n    lastName: O\n    role: { name: R }\n    lifetime: 1d\n';
    const run = await cli('apply', '-f', fileAt('bad.yaml', text));
    assert.equal(run.code, 2, describeRun(run));
    assert.match(run.stderr, /bad\.yaml:4:15 users\[0\]\.lastName: must not be empty/);
    assert.match(run.stderr, /bad\.yaml:7:12 users\[1\]\.email: must be a plain ASCII email/);
    assert.equal(JSON.stringify(stack.sandbox!.snapshot().users), before);
    assert.equal((await client.list()).length, lifecycles);
  });

  it('says which lifecycle did not answer when no worker serves it, instead of hanging', async () => {
    const email = mail('unserved');
    const request = {
      email,
      firstName: 'Un',
      lastName: 'Served',
      role: { name: 'Desired Sync', permissions: ['Read-Only Lead' as const], workspace: 0 },
      expiresAt: new Date(Date.now() + 5 * 86_400_000).toISOString(),
      service: {},
      policy: {
        reminderLeadsMs: [86_400_000],
        maxLifetimeMs: 30 * 86_400_000,
        operatorStepDeadlineMs: 86_400_000,
        operatorReminderEveryMs: 86_400_000,
        rotationOverlapMs: 7 * 86_400_000,
        attestationWindowMs: 14 * 86_400_000,
      },
    };
    const workflowId = client.context.workflowIdFor(email);
    await startLifecycle(client.workflows, {
      workflowId,
      taskQueue: `nobody-polls-${stamp}`,
      request,
      workflowIdKeyFingerprint: client.context.workflowIdKeyFingerprint,
    });
    try {
      const parsed = readDesiredState(
        fileAt('unserved.yaml', yamlOf([...current, { email, firstName: 'Un' }])),
      );
      await assert.rejects(planDesiredState(client, parsed), (error: unknown) => {
        assert.ok(error instanceof TemporalUnavailableError, String(error));
        assert.match(error.message, new RegExp(`${email} did not answer within 15 s`));
        return true;
      });
    } finally {
      await client.workflows.getHandle(workflowId).terminate('test over');
    }
  });
});
