import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../src/sandbox';
import {
  adminRequest,
  callUserManagement,
  createApiUserWithService,
  errorCode,
  ManualClock,
  request,
  requestToken,
  startTestSandbox,
  userInState,
} from '../helpers/sandbox';

/** The lock's user needs the User Management role so its own token can be exercised on the API. */
const MANAGER_ROLE = { userRoleWorkspaces: [{ accessRoleId: 104, workspaceId: 0 }] };

describe('locking at expiry', () => {
  const clock = new ManualClock();
  let sandbox: RunningSandbox;
  let admin: string;
  before(async () => {
    sandbox = await startTestSandbox({ now: clock.now, tokenLifetimeSeconds: 3600 });
    admin = (await requestToken(sandbox)).access_token;
  });
  after(() => sandbox.close());

  const userJson = async (userid: string) => {
    const reply = await callUserManagement(sandbox, admin, 'GET', `${userid}/user.json`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json as { isLocked: boolean; lockedReason: string | null; expiresAt: string | null };
  };

  it('locks a user the moment its expiresAt passes, on user.json and in /sandbox/state', async () => {
    const expiresAt = new Date(clock.millis + 60_000);
    await createApiUserWithService(sandbox, admin, 'expiring@example.com', {
      expiresAt: expiresAt.toISOString(),
    });
    clock.advance(59_999);
    assert.equal((await userJson('expiring@example.com')).isLocked, false);
    assert.equal(userInState(sandbox, 'expiring@example.com')?.isLocked, false);
    clock.advance(1);
    const record = await userJson('expiring@example.com');
    assert.equal(record.isLocked, true);
    assert.equal(record.lockedReason, 'Access expired');
    const state = userInState(sandbox, 'expiring@example.com');
    assert.equal(state?.isLocked, true);
    assert.equal(state?.lockedAt, expiresAt.toISOString());
    const overHttp = await adminRequest(sandbox, 'GET', '/sandbox/state');
    const viaHttp = (overHttp.json as { users: { userid: string; isLocked: boolean }[] }).users.find(
      (user) => user.userid === 'expiring@example.com',
    );
    assert.equal(viaHttp?.isLocked, true);
  });

  it("a locked user's service gets no token, and the token it had stops working (601)", async () => {
    const credentials = await createApiUserWithService(sandbox, admin, 'worker@example.com', {
      ...MANAGER_ROLE,
      expiresAt: new Date(clock.millis + 10_000).toISOString(),
    });
    const { access_token: token } = await requestToken(
      sandbox,
      credentials.clientId,
      credentials.clientSecret,
    );
    assert.equal((await callUserManagement(sandbox, token, 'GET', 'roles.json')).status, 200);
    clock.advance(10_000);
    const use = await callUserManagement(sandbox, token, 'GET', 'roles.json');
    assert.equal(use.status, 401);
    assert.equal(errorCode(use), '601');
    const query = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
    });
    const refused = await request(sandbox, 'GET', `/identity/oauth/token?${query.toString()}`);
    assert.equal(refused.status, 401);
    assert.equal((refused.json as { error: string }).error, 'invalid_client');
  });

  it('setting expiresAt to now (or the past) locks at once, from the moment of the write', async () => {
    await createApiUserWithService(sandbox, admin, 'revoked@example.com');
    const writeAt = clock.millis;
    const past = new Date(writeAt - 3_600_000).toISOString();
    const reply = await callUserManagement(sandbox, admin, 'POST', 'revoked@example.com/update.json', {
      expiresAt: past,
    });
    assert.equal(reply.status, 200);
    assert.equal(
      (reply.json as { isLocked: boolean }).isLocked,
      true,
      'the returned record already shows the lock',
    );
    const state = userInState(sandbox, 'revoked@example.com');
    assert.equal(
      state?.lockedAt,
      new Date(writeAt).toISOString(),
      'a lock cannot predate the write that caused it',
    );
    assert.equal(state?.expiresAt, past);
  });

  it('a future expiresAt unlocks; old tokens stay dead, new ones work', async () => {
    const credentials = await createApiUserWithService(sandbox, admin, 'extended@example.com', {
      ...MANAGER_ROLE,
      expiresAt: new Date(clock.millis + 5_000).toISOString(),
    });
    const { access_token: oldToken } = await requestToken(
      sandbox,
      credentials.clientId,
      credentials.clientSecret,
    );
    clock.advance(6_000);
    assert.equal((await userJson('extended@example.com')).isLocked, true);
    const lockedAt = userInState(sandbox, 'extended@example.com')?.lockedAt;

    const extended = await callUserManagement(sandbox, admin, 'POST', 'extended@example.com/update.json', {
      expiresAt: new Date(clock.millis + 86_400_000).toISOString(),
    });
    assert.equal((extended.json as { isLocked: boolean }).isLocked, false);
    const state = userInState(sandbox, 'extended@example.com');
    assert.equal(state?.isLocked, false);
    assert.deepEqual(state?.pastLocks, [{ lockedAt, unlockedAt: new Date(clock.millis).toISOString() }]);

    assert.equal(errorCode(await callUserManagement(sandbox, oldToken, 'GET', 'roles.json')), '601');
    const fresh = await requestToken(sandbox, credentials.clientId, credentials.clientSecret);
    assert.notEqual(fresh.access_token, oldToken);
    assert.equal((await callUserManagement(sandbox, fresh.access_token, 'GET', 'roles.json')).status, 200);
  });

  it('a locked user can still be read, updated and (without a service) deleted by an admin', async () => {
    await callUserManagement(sandbox, admin, 'POST', 'invite.json', {
      emailAddress: 'gone@example.com',
      firstName: 'Gone',
      lastName: 'Soon',
      apiOnly: true,
      expiresAt: new Date(clock.millis - 1000).toISOString(),
      userRoleWorkspaces: [{ accessRoleId: 101, workspaceId: 0 }],
    });
    assert.equal((await userJson('gone@example.com')).isLocked, true);
    const deleted = await callUserManagement(sandbox, admin, 'POST', 'gone@example.com/delete.json');
    assert.equal(deleted.status, 200);
    assert.equal(userInState(sandbox, 'gone@example.com'), undefined);
  });
});
