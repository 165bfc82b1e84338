/**
 * The contract suite: the client against the local Marketo sandbox over real HTTP, and the same suite
 * against a real instance when MARKETO_BASE_URL, MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET are set.
 *
 * Safe on a real instance: it creates only API-only users with unique `mau-contract-<run>-…@example.com`
 * addresses, never sends an invitation email, and deletes what it created (also when a test fails).
 * Optional on a real instance: MARKETO_CONTRACT_ROLE_ID, MARKETO_CONTRACT_EXTRA_ROLE_ID and
 * MARKETO_CONTRACT_WORKSPACE_ID choose the roles given to the test user (default: two custom roles).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createMarketoClient,
  hasMarketoEnv,
  loadMarketoConfig,
  MarketoApiError,
  TokenCache,
  type MarketoCallEvent,
  type MarketoClient,
  type MarketoClientOptions,
  type MarketoUserSummary,
  type RoleWorkspacePair,
} from '../../src/marketo';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox';

const RUN = randomBytes(4).toString('hex');
const PREFIX = `mau-contract-${RUN}`;
let serial = 0;
const uniqueEmail = () => `${PREFIX}-${++serial}@example.com`;

async function failure(promise: Promise<unknown>): Promise<MarketoApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof MarketoApiError, `expected MarketoApiError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

interface Target {
  client: MarketoClient;
  sandbox: RunningSandbox | undefined;
  events: MarketoCallEvent[];
  close(): Promise<void>;
}

function eventsSummary(events: readonly MarketoCallEvent[]): string {
  const identity = events.filter((e) => e.kind === 'identity').length;
  const um = events.filter((e) => e.kind === 'user-management');
  const failed = um.filter((e) => e.code !== undefined).map((e) => e.code);
  const slowest = Math.max(0, ...um.map((e) => e.durationMs));
  return `${identity} identity call(s), ${um.length} User Management call(s), failures: [${failed.join(', ')}], slowest ${slowest} ms`;
}

async function sandboxTarget(
  options: SandboxOptions = {},
  client: Partial<MarketoClientOptions> = {},
): Promise<Target> {
  const sandbox = await startSandbox({ mode: 'automatic', ...options });
  const events: MarketoCallEvent[] = [];
  return {
    sandbox,
    events,
    client: createMarketoClient({
      baseUrl: sandbox.baseUrl,
      clientId: sandbox.adminClientId,
      clientSecret: sandbox.adminClientSecret,
      tokenCache: new TokenCache(),
      budget: 'unlimited',
      onCall: (e) => events.push(e),
      ...client,
    }),
    close: () => sandbox.close(),
  };
}

function realTarget(): Target {
  const events: MarketoCallEvent[] = [];
  return {
    sandbox: undefined,
    events,
    client: createMarketoClient({ ...loadMarketoConfig(), onCall: (e) => events.push(e) }),
    close: () => Promise.resolve(),
  };
}

async function pickRoles(
  client: MarketoClient,
  onSandbox: boolean,
): Promise<[RoleWorkspacePair, RoleWorkspacePair]> {
  if (onSandbox) {
    return [
      { accessRoleId: 101, workspaceId: 1008 },
      { accessRoleId: 102, workspaceId: 1008 },
    ];
  }
  const env = process.env;
  const workspaces = await client.listWorkspaces();
  const workspaceId = env.MARKETO_CONTRACT_WORKSPACE_ID
    ? Number(env.MARKETO_CONTRACT_WORKSPACE_ID)
    : (workspaces.find((w) => w.id !== 0)?.id ?? 0);
  const roles = (await client.listRoles()).filter((r) => r.type === 'custom' && !r.onlyAllZones && !r.hidden);
  const first = env.MARKETO_CONTRACT_ROLE_ID ? Number(env.MARKETO_CONTRACT_ROLE_ID) : roles[0]?.id;
  const second = env.MARKETO_CONTRACT_EXTRA_ROLE_ID
    ? Number(env.MARKETO_CONTRACT_EXTRA_ROLE_ID)
    : roles.find((r) => r.id !== first)?.id;
  assert.ok(
    first !== undefined && second !== undefined,
    'need two custom roles (or MARKETO_CONTRACT_*_ROLE_ID)',
  );
  return [
    { accessRoleId: first, workspaceId },
    { accessRoleId: second, workspaceId },
  ];
}

/** The user with this email, waiting a little on a real instance where creation may take a moment. */
async function findByEmail(
  client: MarketoClient,
  email: string,
  onSandbox: boolean,
): Promise<MarketoUserSummary> {
  for (let attempt = 0; attempt < (onSandbox ? 1 : 10); attempt += 1) {
    for await (const user of client.allUsers()) {
      if (user.emailAddress.toLowerCase() === email.toLowerCase()) return user;
    }
    await sleep(1000);
  }
  assert.fail(`user ${email} did not appear in allusers.json`);
}

/** The suite both targets run. */
function contractSuite(kind: 'sandbox' | 'real', makeTarget: () => Promise<Target>): void {
  const onSandbox = kind === 'sandbox';
  let target: Target;
  let client: MarketoClient;
  let role: RoleWorkspacePair;
  let extraRole: RoleWorkspacePair;
  const email = uniqueEmail();
  let userid = email;
  const created = new Set<string>();

  before(async () => {
    target = await makeTarget();
    client = target.client;
    [role, extraRole] = await pickRoles(client, onSandbox);
  });

  after(async () => {
    if (!target) return;
    // Clean up whatever this run created, found by its unique prefix, even after a failed test.
    const leftovers: string[] = [];
    for await (const user of client.allUsers()) {
      if (user.emailAddress.startsWith(PREFIX) && user.apiOnly) leftovers.push(user.userid);
    }
    for (const id of new Set([...leftovers, ...created])) {
      await client.deleteUser(id).catch(() => undefined);
    }
    await target.close();
  });

  it('identity: the token scope is the email of the API-only user owning the service', async () => {
    const info = await client.getTokenInfo();
    assert.match(info.scope, /@/);
    assert.ok(info.expiresInSeconds > 60 && info.expiresInSeconds <= 3600, `${info.expiresInSeconds}`);
    if (target.sandbox) {
      const admin = target.sandbox.snapshot().services.find((s) => s.isAdmin);
      assert.equal(info.scope, admin?.ownerEmail);
    }
  });

  it('identity: a wrong secret is invalid_client, not retryable, and the secret is not shown', async () => {
    const wrong = `wrong-${RUN}-secret`;
    const error = await failure(client.verifyCredentials(client.clientId, wrong));
    assert.equal(error.code, 'invalid_client');
    assert.equal(error.retryable, false);
    assert.ok(!JSON.stringify(error).includes(wrong) && !error.message.includes(wrong));
  });

  it('roles.json lists roles with ids, names and types', async () => {
    const roles = await client.listRoles();
    assert.ok(roles.length > 0);
    assert.equal(new Set(roles.map((r) => r.id)).size, roles.length, 'ids are unique');
    if (onSandbox) {
      const byId = new Map(roles.map((r) => [r.id, r]));
      for (const [id, name] of [
        [1, 'Admin'],
        [2, 'Standard User'],
        [101, 'Analytics User'],
        [102, 'Marketing User'],
        [103, 'Web Designer'],
      ] as const) {
        assert.equal(byId.get(id)?.name, name);
      }
      assert.ok(byId.has(24) && byId.has(25));
      assert.equal(byId.get(1)?.onlyAllZones, true);
      assert.equal(byId.get(101)?.type, 'custom');
      assert.ok(byId.get(1)?.createdAt instanceof Date);
    }
  });

  it('workspaces.json lists workspaces', async () => {
    const workspaces = await client.listWorkspaces();
    assert.ok(workspaces.length > 0);
    if (onSandbox) {
      const names = new Map(workspaces.map((w) => [w.id, w.name]));
      assert.equal(names.get(0), 'AllZones');
      assert.equal(names.get(1008), 'World');
    }
  });

  it('allusers.json pages by offset: pages do not overlap and allUsers sees every user once', async () => {
    const first = await client.listUsers({ pageOffset: 0, pageSize: 2 });
    const second = await client.listUsers({ pageOffset: 2, pageSize: 2 });
    assert.ok(first.length <= 2 && second.length <= 2);
    const firstIds = new Set(first.map((u) => u.userid));
    assert.ok(
      second.every((u) => !firstIds.has(u.userid)),
      'pages overlap',
    );
    const everyone: string[] = [];
    for await (const user of client.allUsers()) everyone.push(user.userid);
    assert.equal(new Set(everyone).size, everyone.length, 'no user twice');
    assert.ok(first.every((u) => everyone.includes(u.userid)));
    if (target.sandbox) {
      assert.equal(everyone.length, target.sandbox.snapshot().users.length);
      const small: string[] = [];
      for await (const user of client.allUsers(2)) small.push(user.userid);
      assert.deepEqual(small, everyone, 'page size does not change the result');
    }
  });

  it('invites an API-only user with roles and an expiry; the user is usable at once', async () => {
    const expiresAt = new Date(Date.now() + 30 * 86_400_000);
    await client.inviteUser({
      emailAddress: email,
      firstName: 'Contract',
      lastName: `Run ${RUN}`,
      apiOnly: true,
      expiresAt,
      reason: 'marketo-api-users contract test',
      userRoleWorkspaces: [role],
    });
    const listed = await findByEmail(client, email, onSandbox);
    userid = listed.userid;
    created.add(userid);
    assert.equal(listed.apiOnly, true);
    const user = await client.getUser(userid);
    assert.equal(user.emailAddress.toLowerCase(), email.toLowerCase());
    assert.equal(user.apiOnly, true);
    assert.equal(user.firstName, 'Contract');
    assert.equal(user.isLocked, false);
    assert.ok(
      user.userRoleWorkspaces.some(
        (p) => p.accessRoleId === role.accessRoleId && p.workspaceId === role.workspaceId,
      ),
    );
    assert.ok(user.expiresAt instanceof Date);
    assert.ok(
      Math.abs(user.expiresAt.getTime() - expiresAt.getTime()) < 1000,
      `${user.expiresAt.toISOString()}`,
    );
  });

  it('refuses a second invite for the same email, not retryable', async () => {
    const error = await failure(
      client.inviteUser({
        emailAddress: email,
        firstName: 'Again',
        lastName: 'Again',
        apiOnly: true,
        userRoleWorkspaces: [role],
      }),
    );
    assert.equal(error.retryable, false);
    if (onSandbox) assert.equal(error.kind, 'conflict');
  });

  it('adds and removes roles', async () => {
    const afterAdd = await client.addUserRoles(userid, [extraRole]);
    const has = (list: RoleWorkspacePair[], pair: RoleWorkspacePair) =>
      list.some((p) => p.accessRoleId === pair.accessRoleId && p.workspaceId === pair.workspaceId);
    assert.ok(has(afterAdd, role) && has(afterAdd, extraRole), 'the whole list after adding');
    assert.ok(has(await client.getUserRoles(userid), extraRole));
    const afterRemove = await client.removeUserRoles(userid, [extraRole]);
    assert.ok(has(afterRemove, role) && !has(afterRemove, extraRole), 'the remaining pairs');
    const now = await client.getUserRoles(userid);
    assert.ok(has(now, role) && !has(now, extraRole));
  });

  it('updates attributes and returns the whole record', async () => {
    const updated = await client.updateUser(userid, { firstName: 'Renamed', lastName: 'Contract' });
    assert.equal(updated.firstName, 'Renamed');
    assert.equal(updated.userid, userid);
    assert.equal((await client.getUser(userid)).firstName, 'Renamed');
  });

  it('expiresAt set to now: the user locks (sandbox; a real instance may lag)', async () => {
    const now = new Date();
    const updated = await client.updateUser(userid, { expiresAt: now });
    assert.ok(updated.expiresAt instanceof Date);
    assert.ok(Math.abs(updated.expiresAt.getTime() - now.getTime()) < 1000);
    if (onSandbox) {
      await sleep(5);
      const user = await client.getUser(userid);
      assert.equal(user.isLocked, true);
      assert.ok(user.lockedReason);
    }
  });

  it('verifies a custom service of the user by its scope; deleting its owner is refused (611)', async (t: TestContext) => {
    if (!target.sandbox) {
      t.skip('custom services are created in the Marketo UI only');
      return;
    }
    await client.updateUser(userid, { expiresAt: new Date(Date.now() + 86_400_000) });
    const service = target.sandbox.operator.createService({ displayName: `contract ${RUN}`, userid });
    const info = await client.verifyCredentials(service.clientId, service.clientSecret);
    assert.equal(info.scope, email);
    assert.ok(info.expiresInSeconds > 0);
    const refused = await failure(client.deleteUser(userid));
    assert.equal(refused.code, '611');
    assert.equal(refused.retryable, false);
    assert.match(refused.hint, /LaunchPoint/);
    target.sandbox.operator.deleteService(service.clientId);
  });

  it('classifies an unknown user as not_found, not retryable', async () => {
    const missing = await failure(client.getUser(`${PREFIX}-missing@example.com`));
    assert.equal(missing.kind, 'not_found');
    assert.equal(missing.retryable, false);
    assert.equal(missing.endpoint, 'GET /userservice/management/v1/users/{userid}/user.json');
    const notPending = await failure(client.getInvitedUser(userid));
    assert.equal(notPending.kind, 'not_found');
  });

  it('deletes the user; afterwards it is gone', async () => {
    await client.deleteUser(userid);
    created.delete(userid);
    const gone = await failure(client.getUser(userid));
    assert.equal(gone.kind, 'not_found');
    for await (const user of client.allUsers()) assert.notEqual(user.userid, userid);
  });

  it('pending invitations: invite.json, invite/delete.json (sandbox only: no email is sent)', async (t: TestContext) => {
    if (!target.sandbox) {
      t.skip('a real instance would email the invitee');
      return;
    }
    const pendingEmail = uniqueEmail();
    await client.inviteUser({
      emailAddress: pendingEmail,
      firstName: 'P',
      lastName: 'Q',
      userRoleWorkspaces: [role],
    });
    const pending = await client.getInvitedUser(pendingEmail);
    assert.equal(pending.status, 'pending');
    assert.equal(pending.userid, pendingEmail);
    assert.ok(pending.createdAt instanceof Date);
    assert.equal((await failure(client.getUser(pendingEmail))).kind, 'not_found');
    await client.deleteInvite(pendingEmail);
    assert.equal((await failure(client.getInvitedUser(pendingEmail))).kind, 'not_found');
  });

  it('reports its figures', (t: TestContext) => {
    t.diagnostic(`${kind}: ${eventsSummary(target.events)}`);
    assert.ok(target.events.some((e) => e.kind === 'identity'));
    assert.ok(target.events.every((e) => !e.endpoint.includes('client_secret')));
  });
}

describe('contract: local Marketo sandbox', () => {
  contractSuite('sandbox', () => sandboxTarget({ seedUsers: 5 }));
});

describe(
  'contract: real Marketo instance',
  {
    skip: hasMarketoEnv()
      ? false
      : 'set MARKETO_BASE_URL, MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET to run the contract suite against a real instance',
  },
  () => {
    contractSuite('real', () => Promise.resolve(realTarget()));
  },
);

describe('contract: sandbox limits and faults, over real HTTP', () => {
  it('an expired token (602) costs one re-authentication and the call succeeds', async () => {
    const clock = { offset: 0 };
    const target = await sandboxTarget({ now: () => Date.now() + clock.offset });
    try {
      await target.client.listRoles();
      clock.offset = 3601_000; // the sandbox's token has expired; the client's clock says it has not
      await target.client.listRoles();
      assert.deepEqual(
        target.events.map((e) => [e.kind, e.status, e.code]),
        [
          ['identity', 200, undefined],
          ['user-management', 200, undefined],
          ['user-management', 401, '602'],
          ['identity', 200, undefined],
          ['user-management', 200, undefined],
        ],
      );
    } finally {
      await target.close();
    }
  });

  it('20 parallel calls meeting a token the server expired early: one re-authentication, all succeed', async () => {
    const clock = { offset: 0 };
    // Above the 20 in flight, so that 615 cannot stand in for the behaviour under test.
    const target = await sandboxTarget({ now: () => Date.now() + clock.offset, maxConcurrent: 25 });
    try {
      const roles = await target.client.listRoles();
      clock.offset = 3601_000; // the sandbox's token has expired; the client's clock says it has not
      const before = target.events.length;
      const results = await Promise.all(Array.from({ length: 20 }, () => target.client.listRoles()));
      for (const result of results) assert.deepEqual(result, roles);
      const after = target.events.slice(before);
      const count = (kind: string, status: number) =>
        after.filter((e) => e.kind === kind && e.status === status).length;
      assert.equal(count('identity', 200), 1, 'exactly one identity call for the 20 refusals');
      assert.equal(after.filter((e) => e.kind === 'identity').length, 1);
      assert.equal(count('user-management', 401), 20, 'every call met the expired token');
      assert.ok(
        after.filter((e) => e.status === 401).every((e) => e.code === '602' || e.code === '601'),
        JSON.stringify(after),
      );
      assert.equal(count('user-management', 200), 20);
      assert.equal(target.sandbox?.snapshot().counters.identity.tokensIssued, 2);
    } finally {
      await target.close();
    }
  });

  it('the call budget keeps the client under the rate limit; without it the sandbox answers 606', async () => {
    const rateLimit = { calls: 4, windowMs: 400 };
    const budgeted = await sandboxTarget({ rateLimit }, { budget: { ...rateLimit, maxConcurrent: 4 } });
    try {
      const started = Date.now();
      await Promise.all(Array.from({ length: 10 }, () => budgeted.client.listRoles()));
      assert.ok(Date.now() - started >= 2 * rateLimit.windowMs - 20, 'ten calls need three windows');
      assert.ok(
        budgeted.events.every((e) => e.code === undefined),
        eventsSummary(budgeted.events),
      );
    } finally {
      await budgeted.close();
    }
    const unlimited = await sandboxTarget({ rateLimit });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => unlimited.client.listRoles()),
      );
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      assert.ok(refused.length >= 6, `only ${refused.length} refused`);
      for (const error of refused) {
        assert.ok(error instanceof MarketoApiError);
        assert.equal(error.code, '606');
        assert.equal(error.retryable, true);
        assert.equal(error.retryAfterMs, rateLimit.windowMs, 'the window the server announced');
      }
    } finally {
      await unlimited.close();
    }
  });

  it('the daily quota answers 607, to be retried after midnight in Chicago', async () => {
    const target = await sandboxTarget({ dailyQuota: 2 });
    try {
      await target.client.listRoles();
      await target.client.listRoles();
      const error = await failure(target.client.listRoles());
      assert.equal(error.code, '607');
      assert.equal(error.kind, 'quota');
      assert.ok((error.retryAfterMs ?? 0) > 0 && (error.retryAfterMs ?? 0) <= 25 * 3_600_000);
    } finally {
      await target.close();
    }
  });

  it('too many concurrent calls answer 615 (retryable); the budget prevents it', async () => {
    const target = await sandboxTarget({ maxConcurrent: 1, latencyMs: 100 });
    try {
      await target.client.getTokenInfo();
      const results = await Promise.allSettled(Array.from({ length: 3 }, () => target.client.listRoles()));
      const codes = results.map((r) =>
        r.status === 'rejected' && r.reason instanceof MarketoApiError ? r.reason.code : 'ok',
      );
      assert.ok(codes.includes('615'), codes.join(','));
      assert.ok(results.every((r) => r.status === 'fulfilled' || (r.reason as MarketoApiError).retryable));
      const guarded = createMarketoClient({
        baseUrl: target.sandbox?.baseUrl ?? '',
        clientId: target.sandbox?.adminClientId ?? '',
        clientSecret: target.sandbox?.adminClientSecret ?? '',
        tokenCache: new TokenCache(),
        budget: { calls: 100, windowMs: 20_000, maxConcurrent: 1 },
      });
      await Promise.all(Array.from({ length: 3 }, () => guarded.listRoles()));
    } finally {
      await target.close();
    }
  });

  it('injected faults classify as the table says: 604 and 5xx gateways retryable, a dropped connection is network', async () => {
    const target = await sandboxTarget({ faults: { '604': 1 } });
    try {
      const timedOut = await failure(target.client.listRoles());
      assert.equal(timedOut.code, '604');
      assert.equal(timedOut.retryable, true);
      target.sandbox?.operator.setFaults({ '5xx': 1 });
      for (let i = 0; i < 6; i += 1) {
        const error = await failure(target.client.listRoles());
        assert.ok((error.httpStatus ?? 0) >= 500, `${error.httpStatus}`);
        // The three forms (502 HTML, 503 + 608, plain-text 500 without a code) are all transient.
        assert.equal(error.retryable, true, `${error.code}`);
      }
      target.sandbox?.operator.setFaults({ dropAfterCommit: 1 });
      const dropped = await failure(target.client.listRoles());
      assert.equal(dropped.code, 'network');
      assert.equal(dropped.retryable, true);
    } finally {
      await target.close();
    }
  });
});
