/**
 * Role escalation: an onboarding that names an existing role must not get that role's rights when they are not
 * the ones it asked for. `--role admin --permissions "Read-Only Lead"` used to hand the API-only user Marketo's
 * built-in Admin role (User Management rights included). Against a real dev server, the product's workers and
 * the real sandbox: system roles are refused, a custom role is reused only with exactly the requested
 * permissions, and on a real-like instance (roles.json lists no permissions) an operator must confirm them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LifecycleStatus } from '../../src/domain/lifecycle-status';
import type { AccessApiPermission } from '../../src/domain/permissions';
import type { lifecycleWorkflow } from '../../src/workflows';
import { completeOperatorStepUpdate, statusQuery } from '../../src/workflows/messages';
import {
  cliEnv,
  describeRun,
  freePorts,
  killAll,
  removeDir,
  runCli,
  sandboxState,
  startUp,
  tempDir,
  type UpProcess,
} from '../cli/support';
import { rejectsWith, sampleRequest, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { statusWhen } from '../lifecycle/support';

/** The seeded custom role 101 and its permissions (src/sandbox/seed.ts). */
const ANALYTICS_USER = 'Analytics User';
const ANALYTICS_PERMISSIONS: AccessApiPermission[] = [
  'Read-Only Activity',
  'Read-Only Activity Metadata',
  'Read-Only Campaign',
  'Read-Only Lead',
];

const settled = (s: LifecycleStatus) =>
  s.phase === 'active' || s.phase === 'failed' || s.phase === 'awaiting-operator';

/** Starts the lifecycle and waits until it settles; the status then, and what the sandbox holds for the email. */
async function onboardThrough(
  h: Harness,
  role: { name: string; permissions: AccessApiPermission[] },
): Promise<{ status: LifecycleStatus; email: string }> {
  const request = sampleRequest({
    email: `escalation-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`,
    role: { ...role, workspace: 0 },
  });
  const workflowId = await h.start(request);
  const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
  const status = await statusWhen(handle, settled, 30_000);
  return { status, email: request.email };
}

function assertNothingCreated(h: Harness, email: string): void {
  const state = h.sandbox.snapshot();
  assert.equal(
    state.users.find((u) => u.emailAddress === email),
    undefined,
    'no user was created in the sandbox',
  );
  assert.equal(state.services.filter((s) => s.ownerEmail === email).length, 0, 'no custom service');
}

function assertRefused(status: LifecycleStatus, pattern: RegExp): void {
  assert.equal(status.phase, 'failed', `refused, not ${status.phase} with role ${status.roleId ?? '-'}`);
  assert.equal(status.roleId, undefined, 'no role was chosen');
  assert.equal(status.failure?.type, 'RoleRefused');
  assert.match(status.failure?.message ?? '', pattern);
  assert.ok(
    !status.timeline.some((e) => e.event === 'undone' || e.event === 'undo failed'),
    'nothing to compensate',
  );
}

describe('role escalation, automatic sandbox (the product knows role permissions)', () => {
  let h: Harness;
  withDevServerHarness((_, harness) => {
    h = harness;
  });

  it('refuses the built-in Admin role in any case, before anything is created', async () => {
    await h.withWorkers(async () => {
      for (const name of ['admin', 'ADMIN', ' Admin ']) {
        const { status, email } = await onboardThrough(h, { name, permissions: ['Read-Only Lead'] });
        assertRefused(status, /system role.*choose another role name/i);
        assertNothingCreated(h, email);
      }
    });
  });

  it('refuses another system role even when the requested permissions are its (none)', async () => {
    await h.withWorkers(async () => {
      const { status, email } = await onboardThrough(h, { name: 'standard user', permissions: [] });
      assertRefused(status, /system role/i);
      assertNothingCreated(h, email);
    });
  });

  it('refuses an existing custom role whose permissions differ, and says what to do', async () => {
    await h.withWorkers(async () => {
      const { status, email } = await onboardThrough(h, {
        name: ANALYTICS_USER,
        permissions: ['Read-Only Lead'],
      });
      assertRefused(status, /choose another role name, or request exactly its permissions/);
      assertNothingCreated(h, email);
      // A superset is no better: the role would grant more than was asked for.
      const wider = await onboardThrough(h, {
        name: ANALYTICS_USER.toLowerCase(),
        permissions: [...ANALYTICS_PERMISSIONS.slice(0, 3)],
      });
      assertRefused(wider.status, /permissions/);
      assertNothingCreated(h, wider.email);
    });
  });

  it('reuses an existing custom role requested with exactly its permissions (any order, Person for Lead)', async () => {
    await h.withWorkers(async () => {
      const permissions = [...ANALYTICS_PERMISSIONS]
        .reverse()
        .map((p) => (p === 'Read-Only Lead' ? 'Read-Only Person' : p));
      const { status, email } = await onboardThrough(h, { name: ANALYTICS_USER, permissions });
      assert.equal(status.phase, 'active', JSON.stringify(status.failure));
      assert.equal(status.roleId, 101);
      const user = h.sandbox.snapshot().users.find((u) => u.emailAddress === email);
      assert.deepEqual(user?.userRoleWorkspaces, [{ accessRoleId: 101, workspaceId: 0 }]);
    });
  });
});

describe('role escalation, real-like sandbox (roles.json lists no permissions)', () => {
  let h: Harness;
  withDevServerHarness(
    (_, harness) => {
      h = harness;
    },
    { sandbox: { mode: 'real-like' } },
  );

  it('refuses Admin without asking anyone, and never reaches for the operator endpoints', async () => {
    await h.withWorkers(async () => {
      const { status, email } = await onboardThrough(h, { name: 'Admin', permissions: ['Read-Only Lead'] });
      assertRefused(status, /system role/i);
      assertNothingCreated(h, email);
    });
    assert.equal(h.sandbox.snapshot().counters.forbiddenSandboxCalls, 0);
  });

  it('asks the operator to confirm an existing custom role has exactly the requested permissions', async () => {
    await h.withWorkers(async () => {
      const { status, email } = await onboardThrough(h, {
        name: ANALYTICS_USER,
        permissions: ANALYTICS_PERMISSIONS,
      });
      assert.equal(status.phase, 'awaiting-operator');
      const action = status.pendingOperatorAction;
      assert.equal(action?.step, 'confirm-role');
      const text = action.instructions.join('\n');
      assert.match(text, /roles\.json does not list a role's permissions/);
      assert.match(
        text,
        /exactly: Read-Only Activity, Read-Only Activity Metadata, Read-Only Campaign, Read-Only Lead/,
      );
      assert.match(text, /complete-step .* --step confirm-role --role-id 101/);
      assertNothingCreated(h, email);

      const handle = h.client.getHandle<typeof lifecycleWorkflow>(status.workflowId);
      // Another step, or a confirmation of another role, is not this confirmation.
      await rejectsWith(
        handle.executeUpdate(completeOperatorStepUpdate, { args: [{ step: 'create-role' }] }),
        /pending step is confirm-role/,
      );
      const wrongRole = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'confirm-role', roleId: 1 }],
      });
      assert.equal(wrongRole.verified, false);
      assert.match(wrongRole.problem ?? '', /role id 101/);
      assertNothingCreated(h, email);

      const confirmed = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'confirm-role', roleId: 101 }],
      });
      assert.equal(confirmed.verified, true, confirmed.problem);
      const next = await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'create-service');
      assert.equal(next.roleId, 101);
      const user = h.sandbox.snapshot().users.find((u) => u.emailAddress === email);
      assert.deepEqual(user?.userRoleWorkspaces, [{ accessRoleId: 101, workspaceId: 0 }]);
      assert.ok((await handle.query(statusQuery)).timeline.some((e) => e.event === 'role confirmed'));
    });
    assert.equal(h.sandbox.snapshot().counters.forbiddenSandboxCalls, 0);
  });
});

describe('role escalation through the CLI', () => {
  let dataDir: string;
  let up: UpProcess | undefined;
  before(async () => {
    const ports = await freePorts(3);
    dataDir = tempDir('role-escalation');
    up = await startUp({ dataDir, port: ports[0]!, uiPort: ports[1]!, sandboxPort: ports[2]! });
  });
  after(async () => {
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
  });

  it('onboard --role admin is refused (exit 2, says why and what to do) and creates nothing', async () => {
    const email = `cli-escalation-${Date.now()}@example.com`;
    const run = await runCli(
      [
        'onboard',
        '--email',
        email,
        '--first-name',
        'Esc',
        '--last-name',
        'Alation',
        '--role',
        'admin',
        '--permissions',
        'Read-Only Lead',
        '--expires-in',
        '30d',
      ],
      { env: cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir }) },
    );
    assert.equal(run.code, 2, describeRun(run));
    assert.match(run.stderr, /^role: .*system role.*choose another role name/im, describeRun(run));
    const state = await sandboxState(up!.info.sandboxUrl!);
    assert.equal(
      state.users.find((u) => u.emailAddress === email),
      undefined,
      'no user in the sandbox',
    );
    assert.equal(state.services.filter((s) => s.ownerEmail === email).length, 0);
  });
});
