import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../src/sandbox';
import {
  callUserManagement,
  createApiUserWithService,
  errorCode,
  ManualClock,
  request,
  requestToken,
  startTestSandbox,
  UM,
} from '../helpers/sandbox';

const UUID_WITH_POD = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:sbx$/;

describe('identity: /identity/oauth/token', () => {
  const clock = new ManualClock();
  let sandbox: RunningSandbox;
  before(async () => {
    sandbox = await startTestSandbox({ now: clock.now, tokenLifetimeSeconds: 3600 });
  });
  after(() => sandbox.close());

  it('issues a bearer token scoped to the owning API-only user', async () => {
    const token = await requestToken(sandbox);
    assert.match(token.access_token, UUID_WITH_POD);
    assert.equal(token.token_type, 'bearer');
    assert.equal(token.scope, 'orchestrator@sandbox.local');
    assert.ok(token.expires_in > 0 && token.expires_in <= 3600);
  });

  it('returns the same token with its remaining lifetime until it expires, then a new one', async () => {
    const first = await requestToken(sandbox);
    clock.advance(1_000_000);
    const again = await requestToken(sandbox);
    assert.equal(again.access_token, first.access_token);
    assert.equal(again.expires_in, first.expires_in - 1000);
    clock.advance(again.expires_in * 1000 + 1000);
    const renewed = await requestToken(sandbox);
    assert.notEqual(renewed.access_token, first.access_token);
    assert.equal(renewed.expires_in, 3600);
  });

  it('accepts GET with query, POST with query and POST with a form-encoded body', async () => {
    const fields = {
      grant_type: 'client_credentials',
      client_id: sandbox.adminClientId,
      client_secret: sandbox.adminClientSecret,
    };
    const query = new URLSearchParams(fields).toString();
    const viaGet = await request(sandbox, 'GET', `/identity/oauth/token?${query}`);
    const viaPostQuery = await request(sandbox, 'POST', `/identity/oauth/token?${query}`);
    const viaForm = await request(sandbox, 'POST', '/identity/oauth/token', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: query,
    });
    for (const reply of [viaGet, viaPostQuery, viaForm]) assert.equal(reply.status, 200, reply.text);
    const tokens = [viaGet, viaPostQuery, viaForm].map(
      (reply) => (reply.json as { access_token: string }).access_token,
    );
    assert.equal(new Set(tokens).size, 1, 'one live token per service');
  });

  it('refuses bad credentials with 401 invalid_client', async () => {
    const badSecret = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sandbox.adminClientId,
      client_secret: `${sandbox.adminClientSecret}x`,
    });
    const unknownId = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'no-such-client',
      client_secret: sandbox.adminClientSecret,
    });
    for (const query of [badSecret, unknownId]) {
      const reply = await request(sandbox, 'GET', `/identity/oauth/token?${query.toString()}`);
      assert.equal(reply.status, 401);
      assert.deepEqual(reply.json, { error: 'invalid_client', error_description: 'Bad client credentials' });
    }
  });

  it('answers 400 for missing fields or another grant type, never 5xx', async () => {
    const missing = await request(sandbox, 'GET', `/identity/oauth/token?grant_type=client_credentials`);
    assert.equal(missing.status, 400);
    assert.equal((missing.json as { error: string }).error, 'invalid_request');
    const otherGrant = new URLSearchParams({
      grant_type: 'password',
      client_id: sandbox.adminClientId,
      client_secret: sandbox.adminClientSecret,
    });
    const wrongGrant = await request(sandbox, 'GET', `/identity/oauth/token?${otherGrant.toString()}`);
    assert.equal(wrongGrant.status, 400);
    assert.equal((wrongGrant.json as { error: string }).error, 'unsupported_grant_type');
  });

  it('counts identity answers by code and records the login on the user', async () => {
    const before = sandbox.snapshot().counters.identity;
    await requestToken(sandbox);
    await request(
      sandbox,
      'GET',
      '/identity/oauth/token?grant_type=client_credentials&client_id=x&client_secret=y',
    );
    const after = sandbox.snapshot();
    assert.equal(after.counters.identity.answersByCode['200'], (before.answersByCode['200'] ?? 0) + 1);
    assert.equal(
      after.counters.identity.answersByCode['invalid_client'],
      (before.answersByCode['invalid_client'] ?? 0) + 1,
    );
    assert.equal(after.counters.userManagement.charged, 0, 'identity calls are not charged');
    const orchestrator = after.users.find((user) => user.userid === 'orchestrator@sandbox.local');
    assert.equal(orchestrator?.lastLoginAt, new Date(clock.millis).toISOString());
  });
});

describe('token use on User Management', () => {
  const clock = new ManualClock();
  let sandbox: RunningSandbox;
  before(async () => {
    sandbox = await startTestSandbox({ now: clock.now, tokenLifetimeSeconds: 60 });
  });
  after(() => sandbox.close());

  it('takes the token only from the Authorization header', async () => {
    const { access_token: token } = await requestToken(sandbox);
    const viaQuery = await request(
      sandbox,
      'GET',
      `${UM}roles.json?access_token=${encodeURIComponent(token)}`,
    );
    assert.equal(viaQuery.status, 401);
    assert.equal(errorCode(viaQuery), '601');
    const missing = await request(sandbox, 'GET', `${UM}roles.json`);
    assert.equal(missing.status, 401);
    assert.equal(errorCode(missing), '600');
    const lowerCaseScheme = await request(sandbox, 'GET', `${UM}roles.json`, {
      headers: { authorization: `bearer ${token}` },
    });
    assert.equal(lowerCaseScheme.status, 200);
  });

  it('answers 601 for an unknown token', async () => {
    const reply = await callUserManagement(
      sandbox,
      '00000000-0000-4000-8000-000000000000:sbx',
      'GET',
      'roles.json',
    );
    assert.equal(reply.status, 401);
    assert.equal(errorCode(reply), '601');
  });

  it('answers 602 on the first use after expiry, then 601, and a new token works', async () => {
    const { access_token: token } = await requestToken(sandbox);
    assert.equal((await callUserManagement(sandbox, token, 'GET', 'roles.json')).status, 200);
    clock.advance(61_000);
    const first = await callUserManagement(sandbox, token, 'GET', 'roles.json');
    assert.equal(first.status, 401);
    assert.equal(errorCode(first), '602');
    const second = await callUserManagement(sandbox, token, 'GET', 'roles.json');
    assert.equal(errorCode(second), '601');
    const fresh = await requestToken(sandbox);
    assert.notEqual(fresh.access_token, token);
    assert.equal((await callUserManagement(sandbox, fresh.access_token, 'GET', 'roles.json')).status, 200);
  });

  it('answers 403 + 603 when the service user lacks the User Management permissions', async () => {
    const { access_token: admin } = await requestToken(sandbox);
    const credentials = await createApiUserWithService(sandbox, admin, 'marketing-bot@example.com');
    const { access_token: token, scope } = await requestToken(
      sandbox,
      credentials.clientId,
      credentials.clientSecret,
    );
    assert.equal(scope, 'marketing-bot@example.com');
    const reply = await callUserManagement(sandbox, token, 'GET', 'allusers.json');
    assert.equal(reply.status, 403);
    assert.equal(errorCode(reply), '603');
    const granted = await callUserManagement(
      sandbox,
      admin,
      'POST',
      'marketing-bot@example.com/roles/create.json',
      [{ accessRoleId: 104, workspaceId: 0 }],
    );
    assert.equal(granted.status, 200, granted.text);
    assert.equal((await callUserManagement(sandbox, token, 'GET', 'allusers.json')).status, 200);
  });

  it("invalidates a deleted service's token and refuses its credentials", async () => {
    const { access_token: admin } = await requestToken(sandbox);
    const credentials = await createApiUserWithService(sandbox, admin, 'short-lived@example.com', {
      userRoleWorkspaces: [{ accessRoleId: 104, workspaceId: 0 }],
    });
    const { access_token: token } = await requestToken(
      sandbox,
      credentials.clientId,
      credentials.clientSecret,
    );
    assert.equal((await callUserManagement(sandbox, token, 'GET', 'roles.json')).status, 200);
    sandbox.operator.deleteService(credentials.clientId);
    const reply = await callUserManagement(sandbox, token, 'GET', 'roles.json');
    assert.equal(errorCode(reply), '601');
    const query = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
    });
    assert.equal((await request(sandbox, 'GET', `/identity/oauth/token?${query.toString()}`)).status, 401);
  });
});
