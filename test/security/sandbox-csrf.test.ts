/**
 * Attack reproduction: a web page the developer visits drives the local sandbox's admin endpoints with
 * cross-site "simple" requests (text/plain POSTs need no CORS preflight), or after DNS rebinding (a foreign
 * Host), or any local process calls them without a credential. Against the real sandbox server over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../src/sandbox';
import {
  adminRequest,
  rawRequest,
  request,
  requestToken,
  startTestSandbox,
  userInState,
} from '../helpers/sandbox';

const EVIL_ORIGIN = 'https://evil.example';

describe('sandbox admin endpoints against cross-site requests, DNS rebinding and missing credentials', () => {
  let sandbox: RunningSandbox;
  let revoked: string;
  let roleId: number;
  before(async () => {
    sandbox = await startTestSandbox();
    const past = new Date(Date.now() - 60_000).toISOString();
    revoked = sandbox.operator.seedUsers({ count: 1, expiresAt: past, prefix: 'revoked' }).firstUserid;
    roleId = sandbox.operator.createRole({ name: 'Victim Role', permissions: ['Access Users'] }).id;
    await requestToken(sandbox); // something in the counters that a reset would wipe
  });
  after(() => sandbox.close());

  function assertUntouched(): void {
    assert.equal(userInState(sandbox, revoked)?.isLocked, true, 'the revoked user stays locked');
    assert.ok(
      sandbox.snapshot().roles.some((role) => role.id === roleId),
      'the role is still there',
    );
    assert.equal(sandbox.snapshot().counters.identity.requests, 1, 'the counters were not reset');
  }

  it('refuses a cross-site text/plain POST (what a form or no-cors fetch sends) and changes nothing', async () => {
    const crossSite = { Origin: EVIL_ORIGIN, 'Content-Type': 'text/plain' };
    const attempts = [
      `/sandbox/users/${encodeURIComponent(revoked)}/unlock`,
      `/sandbox/roles/${roleId}/delete`,
      '/sandbox/reset-counters',
    ];
    for (const path of attempts) {
      const reply = await request(sandbox, 'POST', path, { headers: crossSite, body: '{}' });
      assert.equal(reply.status, 403, `${path}: ${reply.text}`);
    }
    assertUntouched();
  });

  it('refuses a foreign Origin even with the admin token and JSON', async () => {
    const reply = await adminRequest(sandbox, 'POST', '/sandbox/reset-counters', undefined, {
      Origin: EVIL_ORIGIN,
    });
    assert.equal(reply.status, 403, reply.text);
    assertUntouched();
  });

  it('refuses a foreign Host (DNS rebinding) even with the admin token', async () => {
    const headers = {
      Host: `evil.example:${sandbox.port}`,
      Authorization: `Bearer ${sandbox.adminToken}`,
      'Content-Type': 'application/json',
    };
    const unlock = await rawRequest(
      sandbox,
      'POST',
      `/sandbox/users/${encodeURIComponent(revoked)}/unlock`,
      headers,
    );
    assert.equal(unlock.status, 403, unlock.text);
    const state = await rawRequest(sandbox, 'GET', '/sandbox/state', headers);
    assert.equal(state.status, 403, 'a rebound page cannot read the state either');
    assert.ok(!state.text.includes(revoked), state.text);
    assertUntouched();
  });

  it('answers 401 to a request without the admin token, or with a wrong one', async () => {
    const json = { 'Content-Type': 'application/json' };
    const missing = await request(sandbox, 'POST', `/sandbox/roles/${roleId}/delete`, { headers: json });
    assert.equal(missing.status, 401, missing.text);
    const wrong = await request(sandbox, 'POST', `/sandbox/users/${encodeURIComponent(revoked)}/unlock`, {
      headers: { ...json, Authorization: 'Bearer not-the-token' },
    });
    assert.equal(wrong.status, 401, wrong.text);
    const selfDeclared = await request(sandbox, 'POST', '/sandbox/reset-counters', {
      headers: { ...json, 'X-Sandbox-Operator': 'true' },
    });
    assert.equal(selfDeclared.status, 401, 'a self-declared operator header is no credential');
    assert.equal((await request(sandbox, 'GET', '/sandbox/state')).status, 401);
    assertUntouched();
  });

  it('answers 415 to the token holder sending anything but JSON, body or not', async () => {
    const withText = await adminRequest(sandbox, 'POST', '/sandbox/reset-counters', undefined, {
      'Content-Type': 'text/plain',
    });
    assert.equal(withText.status, 415, withText.text);
    const bodyless = await request(sandbox, 'POST', '/sandbox/reset-counters', {
      headers: { Authorization: `Bearer ${sandbox.adminToken}` },
    });
    assert.equal(bodyless.status, 415, bodyless.text);
    assertUntouched();
  });

  it('serves the token holder from a loopback Host', async () => {
    const unlocked = await adminRequest(
      sandbox,
      'POST',
      `/sandbox/users/${encodeURIComponent(revoked)}/unlock`,
    );
    assert.equal(unlocked.status, 200, unlocked.text);
    assert.equal(userInState(sandbox, revoked)?.isLocked, false);
    const viaLocalhost = await rawRequest(sandbox, 'GET', '/sandbox/state', {
      Host: `localhost:${sandbox.port}`,
      Authorization: `Bearer ${sandbox.adminToken}`,
    });
    assert.equal(viaLocalhost.status, 200, viaLocalhost.text);
  });
});
