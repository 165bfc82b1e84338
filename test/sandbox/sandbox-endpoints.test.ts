import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox, ServiceSnapshot } from '../../src/sandbox';
import {
  adminRequest,
  callUserManagement,
  errorCode,
  inviteBody,
  request,
  requestToken,
  startTestSandbox,
  userInState,
} from '../helpers/sandbox';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

function postJson(
  sandbox: RunningSandbox,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return request(sandbox, 'POST', path, {
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${sandbox.adminToken}`, ...headers },
    body: JSON.stringify(body),
  });
}

describe('sandbox operator endpoints (automatic mode)', () => {
  let sandbox: RunningSandbox;
  let admin: string;
  before(async () => {
    sandbox = await startTestSandbox({ mode: 'automatic' });
    admin = (await requestToken(sandbox)).access_token;
  });
  after(() => sandbox.close());

  it('POST /sandbox/roles makes a custom role that roles.json then lists', async () => {
    const reply = await postJson(sandbox, '/sandbox/roles', {
      name: 'Lifecycle Bot',
      description: 'made by a test',
      permissions: ['Access User Management Api', 'Access Users', 'Read-Only Person'],
    });
    assert.equal(reply.status, 201, reply.text);
    const role = reply.json as { id: number; permissions: string[]; type: string };
    assert.equal(role.type, 'custom');
    assert.deepEqual(role.permissions, ['Access User Management Api', 'Access Users', 'Read-Only Lead']);
    const roles = (await callUserManagement(sandbox, admin, 'GET', 'roles.json')).json as {
      id: number;
      name: string;
    }[];
    assert.equal(roles.find((candidate) => candidate.id === role.id)?.name, 'Lifecycle Bot');
  });

  it('refuses an unknown permission (400) and a duplicate name (409)', async () => {
    const unknown = await postJson(sandbox, '/sandbox/roles', { name: 'Odd', permissions: ['Fly'] });
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /Fly/);
    const duplicate = await postJson(sandbox, '/sandbox/roles', {
      name: 'lifecycle bot',
      permissions: ['Access Users'],
    });
    assert.equal(duplicate.status, 409);
    const missing = await postJson(sandbox, '/sandbox/roles', { name: 'Empty', permissions: [] });
    assert.equal(missing.status, 400);
    assert.equal(
      sandbox.snapshot().roles.filter((role) => role.name === 'Odd' || role.name === 'Empty').length,
      0,
    );
  });

  it('POST /sandbox/services returns the secret once; the list and the state never show it', async () => {
    await callUserManagement(sandbox, admin, 'POST', 'invite.json', inviteBody('svc-owner@example.com'));
    const created = await postJson(sandbox, '/sandbox/services', {
      displayName: 'Pipeline',
      description: 'CI',
      email: 'svc-owner@example.com',
    });
    assert.equal(created.status, 201, created.text);
    const service = created.json as { clientId: string; clientSecret: string; ownerUserid: string };
    assert.equal(service.ownerUserid, 'svc-owner@example.com');
    const token = await requestToken(sandbox, service.clientId, service.clientSecret);
    assert.equal(token.scope, 'svc-owner@example.com');

    const list = await adminRequest(sandbox, 'GET', '/sandbox/services');
    const listed = (list.json as ServiceSnapshot[]).find((entry) => entry.clientId === service.clientId);
    assert.equal(listed?.displayName, 'Pipeline');
    assert.equal(listed?.liveTokens, 1);
    const state = await adminRequest(sandbox, 'GET', '/sandbox/state');
    for (const text of [list.text, state.text]) {
      assert.ok(!text.includes(service.clientSecret), 'no secret');
      assert.ok(!text.includes(sandbox.adminClientSecret), 'no admin secret');
      assert.ok(!text.includes(token.access_token), 'no token');
    }
    assert.deepEqual(userInState(sandbox, 'svc-owner@example.com')?.services, [service.clientId]);
  });

  it('POST /sandbox/services with an Idempotency-Key answers a repeat with the first service, never a second', async () => {
    await callUserManagement(sandbox, admin, 'POST', 'invite.json', inviteBody('keyed-owner@example.com'));
    const body = { displayName: 'Keyed', email: 'keyed-owner@example.com' };
    const key = { 'Idempotency-Key': 'file:keyed-lifecycle' };
    const first = await postJson(sandbox, '/sandbox/services', body, key);
    const again = await postJson(sandbox, '/sandbox/services', body, key);
    assert.equal(first.status, 201, first.text);
    assert.equal(again.status, 200, 'a repeat, not a creation');
    assert.deepEqual(again.json, first.json, 'the same service, with the same secret');
    assert.equal(userInState(sandbox, 'keyed-owner@example.com')?.services.length, 1);
    const other = await postJson(sandbox, '/sandbox/services', body, { 'Idempotency-Key': 'file:other' });
    assert.equal(other.status, 201);
    assert.equal(userInState(sandbox, 'keyed-owner@example.com')?.services.length, 2, 'another key, another');

    // Once the service is gone, the key makes a new one: a key never resurrects a deleted service.
    const { clientId } = first.json as { clientId: string };
    assert.equal((await adminRequest(sandbox, 'DELETE', `/sandbox/services/${clientId}`)).status, 200);
    const after = await postJson(sandbox, '/sandbox/services', body, key);
    assert.equal(after.status, 201);
    assert.notEqual((after.json as { clientId: string }).clientId, clientId);

    for (const bad of ['', 'k'.repeat(256)]) {
      const refused = await postJson(sandbox, '/sandbox/services', body, { 'Idempotency-Key': bad });
      assert.equal(refused.status, 400, `key of ${bad.length} characters`);
    }
    assert.equal(userInState(sandbox, 'keyed-owner@example.com')?.services.length, 2, 'refused: none made');
  });

  it("GET /sandbox/services?email= lists one owner's services only", async () => {
    const mine = await adminRequest(sandbox, 'GET', '/sandbox/services?email=KEYED-OWNER%40example.com');
    assert.equal(mine.status, 200);
    const listed = mine.json as ServiceSnapshot[];
    assert.equal(listed.length, 2);
    assert.ok(listed.every((service) => service.ownerEmail === 'keyed-owner@example.com'));
    const all = (await adminRequest(sandbox, 'GET', '/sandbox/services')).json as ServiceSnapshot[];
    assert.ok(all.length > listed.length, 'without the filter: every service');
    const nobody = await adminRequest(sandbox, 'GET', '/sandbox/services?email=nobody%40example.com');
    assert.deepEqual(nobody.json, []);
  });

  it('refuses a service for a missing, pending or non-API user', async () => {
    await callUserManagement(
      sandbox,
      admin,
      'POST',
      'invite.json',
      inviteBody('person@example.com', { apiOnly: false }),
    );
    const cases = [
      [{ displayName: 'x', email: 'nobody@example.com' }, 404],
      [{ displayName: 'x', userid: 'person@example.com' }, 400],
      [{ displayName: 'x' }, 400],
      [{ displayName: 'x', email: 'svc-owner@example.com', userid: 'svc-owner@example.com' }, 400],
    ] as const;
    for (const [body, status] of cases) {
      assert.equal((await postJson(sandbox, '/sandbox/services', body)).status, status, JSON.stringify(body));
    }
  });

  it('DELETE /sandbox/services/{clientId} removes a service; the admin service cannot go', async () => {
    const owner = sandbox.snapshot().users.find((user) => user.userid === 'svc-owner@example.com');
    const clientId = owner?.services[0] ?? '';
    assert.equal((await adminRequest(sandbox, 'DELETE', `/sandbox/services/${clientId}`)).status, 200);
    assert.equal((await adminRequest(sandbox, 'DELETE', `/sandbox/services/${clientId}`)).status, 404);
    assert.equal(
      (await adminRequest(sandbox, 'POST', `/sandbox/services/${sandbox.adminClientId}/delete`)).status,
      409,
    );
    const deleted = await callUserManagement(sandbox, admin, 'POST', 'svc-owner@example.com/delete.json');
    assert.equal(deleted.status, 200, 'without its service the user can be deleted');
  });

  it('DELETE /sandbox/roles/{id} refuses a role in use or a system role', async () => {
    const role = sandbox.snapshot().roles.find((candidate) => candidate.name === 'Lifecycle Bot');
    assert.ok(role);
    await callUserManagement(
      sandbox,
      admin,
      'POST',
      'invite.json',
      inviteBody('holder@example.com', {
        userRoleWorkspaces: [{ accessRoleId: role.id, workspaceId: 0 }],
      }),
    );
    assert.equal((await adminRequest(sandbox, 'DELETE', `/sandbox/roles/${role.id}`)).status, 409);
    assert.equal((await adminRequest(sandbox, 'DELETE', '/sandbox/roles/1')).status, 409);
    assert.equal((await adminRequest(sandbox, 'DELETE', '/sandbox/roles/abc')).status, 400);
    await callUserManagement(sandbox, admin, 'POST', 'holder@example.com/delete.json');
    assert.equal((await adminRequest(sandbox, 'POST', `/sandbox/roles/${role.id}/delete`)).status, 200);
    assert.equal(
      sandbox.snapshot().roles.some((candidate) => candidate.id === role.id),
      false,
    );
  });

  it('POST /sandbox/users/seed adds hand-made API-only users in bulk', async () => {
    const before = sandbox.snapshot().users.length;
    const reply = await postJson(sandbox, '/sandbox/users/seed', {
      count: 2500,
      expiresAt: '2031-01-01T00:00:00Z',
      prefix: 'bulk',
    });
    assert.equal(reply.status, 201, reply.text);
    assert.deepEqual(reply.json, {
      created: 2500,
      firstUserid: 'bulk-000001@sandbox.local',
      lastUserid: 'bulk-002500@sandbox.local',
    });
    const state = sandbox.snapshot();
    assert.equal(state.users.length, before + 2500);
    const seeded = state.users.filter((user) => user.origin === 'seed');
    assert.ok(seeded.every((user) => user.apiOnly && user.expiresAt === '2031-01-01T00:00:00.000Z'));
    const page = await callUserManagement(
      sandbox,
      admin,
      'GET',
      `allusers.json?pageOffset=${before}&pageSize=200`,
    );
    assert.equal((page.json as unknown[]).length, 200);
    assert.equal((await postJson(sandbox, '/sandbox/users/seed', { count: 0 })).status, 400);
  });

  it('POST /sandbox/users/{userid}/accept turns a pending invitation into a user', async () => {
    assert.equal(
      (await adminRequest(sandbox, 'POST', '/sandbox/users/person%40example.com/accept')).status,
      200,
    );
    assert.equal(
      (await callUserManagement(sandbox, admin, 'GET', 'person@example.com/user.json')).status,
      200,
    );
    assert.equal(
      (await adminRequest(sandbox, 'POST', '/sandbox/users/person%40example.com/accept')).status,
      404,
    );
  });

  it('unknown /sandbox paths answer 404', async () => {
    assert.equal((await adminRequest(sandbox, 'GET', '/sandbox/nothing')).status, 404);
    assert.equal((await request(sandbox, 'GET', '/elsewhere')).status, 404);
  });
});

describe('real-like mode', () => {
  let sandbox: RunningSandbox;
  before(async () => {
    sandbox = await startTestSandbox({ env: { MARKETO_SANDBOX_MODE: 'real-like' } });
  });
  after(() => sandbox.close());

  it('takes its mode from MARKETO_SANDBOX_MODE', () => {
    assert.equal(sandbox.mode, 'real-like');
    assert.equal(sandbox.snapshot().mode, 'real-like');
  });

  it('refuses every /sandbox call with the admin token but without X-Sandbox-Operator (403), except reading the state', async () => {
    const attempts = [
      adminRequest(sandbox, 'GET', '/sandbox/services'),
      postJson(sandbox, '/sandbox/roles', { name: 'Sneaky', permissions: ['Access Users'] }),
      postJson(sandbox, '/sandbox/services', { displayName: 'x', email: 'orchestrator@sandbox.local' }),
      postJson(sandbox, '/sandbox/faults', {}),
      postJson(sandbox, '/sandbox/users/seed', { count: 1 }),
      adminRequest(sandbox, 'POST', '/sandbox/reset-counters'),
      adminRequest(sandbox, 'GET', '/sandbox/nothing'),
      postJson(
        sandbox,
        '/sandbox/roles',
        { name: 'Sneaky', permissions: ['Access Users'] },
        { 'X-Sandbox-Operator': 'yes' },
      ),
    ];
    for (const reply of await Promise.all(attempts)) {
      assert.equal(reply.status, 403, reply.text);
      assert.equal(errorCode(reply), '603');
    }
    const state = await adminRequest(sandbox, 'GET', '/sandbox/state');
    assert.equal(state.status, 200);
    const snapshot = sandbox.snapshot();
    assert.equal(snapshot.counters.forbiddenSandboxCalls, attempts.length);
    assert.equal(
      snapshot.roles.some((role) => role.name === 'Sneaky'),
      false,
    );
    assert.equal(snapshot.services.length, 1);
  });

  it('lets the operator (header X-Sandbox-Operator: true) act', async () => {
    const operator = { 'X-Sandbox-Operator': 'true' };
    const role = await postJson(
      sandbox,
      '/sandbox/roles',
      { name: 'Operator Role', permissions: ['Access Users'] },
      operator,
    );
    assert.equal(role.status, 201);
    const services = await adminRequest(sandbox, 'GET', '/sandbox/services', undefined, operator);
    assert.equal(services.status, 200);
    assert.equal(
      sandbox.snapshot().counters.forbiddenSandboxCalls,
      8,
      'operator calls are not counted as forbidden',
    );
  });

  it('serves the Marketo API as usual', async () => {
    const { access_token: token } = await requestToken(sandbox);
    assert.equal((await callUserManagement(sandbox, token, 'GET', 'roles.json')).status, 200);
  });
});

describe('binding the sandbox to a non-loopback address', () => {
  it('warns loudly, and keeps quiet on loopback', async () => {
    const warnings: string[] = [];
    const exposed = await startTestSandbox({ host: '0.0.0.0', warn: (line) => warnings.push(line) });
    await exposed.close();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^WARNING: .*0\.0\.0\.0.*not a loopback address/);
    const local = await startTestSandbox({ host: '127.0.0.1', warn: (line) => warnings.push(line) });
    await local.close();
    assert.equal(warnings.length, 1);
  });
});
