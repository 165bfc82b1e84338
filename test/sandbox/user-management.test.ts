import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseMarketoDate } from '../../src/marketo/datetime';
import type { RunningSandbox } from '../../src/sandbox';
import {
  callUserManagement,
  errorCode,
  inviteBody,
  ManualClock,
  request,
  requestToken,
  startTestSandbox,
  userInState,
} from '../helpers/sandbox';

const MARKETO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}t\+0000$/;

interface UserRecordReply {
  userid: string;
  emailAddress: string;
  firstName: string;
  lastName: string;
  isLocked: boolean;
  lockedReason: string | null;
  id: number;
  apiOnly: boolean;
  expiresAt: string | null;
  lastLoginAt: string | null;
  userRoleWorkspaces: {
    accessRoleId: number;
    accessRoleName: string;
    workspaceId: number;
    workspaceName: string;
  }[];
}

describe('User Management endpoints', () => {
  const clock = new ManualClock();
  let sandbox: RunningSandbox;
  let token: string;
  before(async () => {
    sandbox = await startTestSandbox({ now: clock.now });
    token = (await requestToken(sandbox)).access_token;
  });
  after(() => sandbox.close());

  const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    callUserManagement(sandbox, token, method, path, body);

  it('roles.json lists the seeded roles in the contract shape', async () => {
    const reply = await call('GET', 'roles.json');
    assert.equal(reply.status, 200);
    const roles = reply.json as {
      id: number;
      name: string;
      type: string;
      onlyAllZones: boolean;
      hidden: boolean;
      createdAt: string;
    }[];
    const byId = new Map(roles.map((role) => [role.id, role]));
    assert.deepEqual(
      [1, 2, 24, 25, 101, 102, 103].map((id) => byId.get(id)?.name),
      [
        'Admin',
        'Standard User',
        'RTP Launcher',
        'RTP Editor',
        'Analytics User',
        'Marketing User',
        'Web Designer',
      ],
    );
    assert.equal(byId.get(1)?.onlyAllZones, true);
    assert.equal(byId.get(1)?.type, 'system');
    assert.equal(byId.get(101)?.type, 'custom');
    assert.equal(byId.get(104)?.name, 'API User Management');
    for (const role of roles) {
      assert.equal(role.hidden, false);
      assert.match(role.createdAt, MARKETO_DATE);
      assert.ok(!('permissions' in role), 'Marketo does not expose permissions through roles.json');
    }
  });

  it('workspaces.json lists AllZones and World', async () => {
    const reply = await call('GET', 'workspaces.json');
    assert.equal(reply.status, 200);
    const workspaces = reply.json as { id: number; name: string; status: string }[];
    assert.deepEqual(
      workspaces.map((workspace) => [workspace.id, workspace.name, workspace.status]),
      [
        [0, 'AllZones', 'active'],
        [1008, 'World', 'active'],
      ],
    );
  });

  it('invite.json with apiOnly creates an active user at once and answers the literal true', async () => {
    const reply = await call(
      'POST',
      'invite.json',
      inviteBody('Api.Bot@Example.com', { expiresAt: '2031-12-31T23:59:59-05:00', reason: 'ticket 42' }),
    );
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'true');

    const user = await call('GET', 'api.bot@example.com/user.json');
    assert.equal(user.status, 200, 'userid lookup ignores case');
    const record = user.json as UserRecordReply;
    assert.equal(record.userid, 'Api.Bot@Example.com');
    assert.equal(record.apiOnly, true);
    assert.equal(record.isLocked, false);
    assert.equal(record.lockedReason, null);
    assert.equal(record.expiresAt, '2032-01-01T04:59:59.000t+0000');
    assert.equal(parseMarketoDate(record.expiresAt).toISOString(), '2032-01-01T04:59:59.000Z');
    assert.deepEqual(record.userRoleWorkspaces, [
      { accessRoleId: 102, accessRoleName: 'Marketing User', workspaceId: 1008, workspaceName: 'World' },
    ]);
    assert.equal((await call('GET', 'api.bot@example.com/invite.json')).status, 404, 'not pending');
  });

  it('invite.json without apiOnly creates a pending user, visible on invite.json only', async () => {
    const reply = await call('POST', 'invite.json', inviteBody('human@example.com', { apiOnly: undefined }));
    assert.equal(reply.status, 200);
    const pending = await call('GET', 'human@example.com/invite.json');
    assert.equal(pending.status, 200);
    const body = pending.json as Record<string, unknown>;
    assert.equal(body.status, 'pending');
    assert.equal(body.userid, 'human@example.com');
    assert.equal(body.expiresAt, null);
    assert.match(String(body.createdAt), MARKETO_DATE);
    assert.equal(typeof body.subscriptionId, 'string');
    const user = await call('GET', 'human@example.com/user.json');
    assert.equal(user.status, 404);
    assert.equal(errorCode(user), '1004');
  });

  it('invite/delete.json removes a pending invitation only', async () => {
    await call('POST', 'invite.json', inviteBody('withdrawn@example.com', { apiOnly: false }));
    const removed = await call('POST', 'withdrawn@example.com/invite/delete.json');
    assert.equal(removed.status, 200);
    assert.equal(removed.text, '');
    assert.equal(userInState(sandbox, 'withdrawn@example.com'), undefined);
    const again = await call('POST', 'withdrawn@example.com/invite/delete.json');
    assert.equal(again.status, 404);
    const active = await call('POST', 'api.bot@example.com/invite/delete.json');
    assert.equal(active.status, 404, 'an accepted user is not an invitation');
    assert.ok(userInState(sandbox, 'api.bot@example.com'));
  });

  it('invite.json takes an explicit userid and refuses a duplicate userid or email with 409', async () => {
    const created = await call(
      'POST',
      'invite.json',
      inviteBody('guid-owner@example.com', { userid: 'A1B2C3D4-guid' }),
    );
    assert.equal(created.status, 200, created.text);
    assert.equal(
      ((await call('GET', 'A1B2C3D4-guid/user.json')).json as UserRecordReply).emailAddress,
      'guid-owner@example.com',
    );
    const sameUserid = await call(
      'POST',
      'invite.json',
      inviteBody('other@example.com', { userid: 'a1b2c3d4-GUID' }),
    );
    assert.equal(sameUserid.status, 409);
    assert.equal(errorCode(sameUserid), '1005');
    const sameEmail = await call('POST', 'invite.json', inviteBody('GUID-OWNER@example.com'));
    assert.equal(sameEmail.status, 409);
    assert.equal(errorCode(sameEmail), '1005');
  });

  it('update.json changes fields and returns the full record', async () => {
    const reply = await call('POST', 'api.bot@example.com/update.json', {
      firstName: 'Grace',
      lastName: 'Hopper',
      emailAddress: 'grace@example.com',
      expiresAt: '2033-01-01T00:00:00Z',
    });
    assert.equal(reply.status, 200, reply.text);
    const record = reply.json as UserRecordReply;
    assert.equal(record.firstName, 'Grace');
    assert.equal(record.lastName, 'Hopper');
    assert.equal(record.emailAddress, 'grace@example.com');
    assert.equal(record.userid, 'Api.Bot@Example.com', 'the userid does not follow the email');
    assert.equal(record.expiresAt, '2033-01-01T00:00:00.000t+0000');
    assert.equal(record.userRoleWorkspaces.length, 1);
    const fetched = await call('GET', 'api.bot@example.com/user.json');
    assert.deepEqual(fetched.json, reply.json);
  });

  it('update.json accepts a charset parameter on application/json', async () => {
    const reply = await callUserManagement(sandbox, token, 'POST', 'api.bot@example.com/update.json');
    assert.equal(reply.status, 400, 'no body at all is not an update');
    const withCharset = await request(
      sandbox,
      'POST',
      '/userservice/management/v1/users/api.bot@example.com/update.json',
      {
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json; charset=UTF-8' },
        body: JSON.stringify({ lastName: 'Hopper' }),
      },
    );
    assert.equal(withCharset.status, 200, withCharset.text);
  });

  it('update.json refuses a pending user and an unknown user with 404', async () => {
    const pending = await call('POST', 'human@example.com/update.json', { firstName: 'X' });
    assert.equal(pending.status, 404);
    const unknown = await call('POST', 'nobody@example.com/update.json', { firstName: 'X' });
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), '1004');
  });

  it('roles.json, roles/create.json and roles/delete.json manage pairs, accepting both body shapes', async () => {
    const initial = await call('GET', 'api.bot@example.com/roles.json');
    assert.deepEqual(initial.json, [
      { accessRoleId: 102, accessRoleName: 'Marketing User', workspaceId: 1008, workspaceName: 'World' },
    ]);
    const added = await call('POST', 'api.bot@example.com/roles/create.json', [
      { accessRoleId: 101, workspaceId: 0 },
    ]);
    assert.equal(added.status, 200, added.text);
    const addedWrapped = await call('POST', 'api.bot@example.com/roles/create.json', {
      input: [
        { accessRoleId: 103, workspaceId: 1008 },
        { accessRoleId: 101, workspaceId: 0 },
      ],
    });
    assert.deepEqual(
      (addedWrapped.json as { accessRoleId: number; workspaceId: number }[]).map((p) => [
        p.accessRoleId,
        p.workspaceId,
      ]),
      [
        [102, 1008],
        [101, 0],
        [103, 1008],
      ],
      'the whole list, a pair already held is not added twice',
    );
    const removed = await call('POST', 'api.bot@example.com/roles/delete.json', {
      input: [{ accessRoleId: 102, workspaceId: 1008 }],
    });
    assert.equal(removed.status, 200);
    const removedBare = await call('POST', 'api.bot@example.com/roles/delete.json', [
      { accessRoleId: 103, workspaceId: 1008 },
    ]);
    assert.deepEqual(removedBare.json, [
      { accessRoleId: 101, accessRoleName: 'Analytics User', workspaceId: 0, workspaceName: 'AllZones' },
    ]);
    const last = await call('POST', 'api.bot@example.com/roles/delete.json', [
      { accessRoleId: 101, workspaceId: 0 },
    ]);
    assert.equal(last.status, 400, 'a user keeps at least one role');
    assert.equal((await call('GET', 'api.bot@example.com/roles.json')).text, removedBare.text);
  });

  it('an all-zones role only fits workspace 0', async () => {
    const reply = await call('POST', 'api.bot@example.com/roles/create.json', [
      { accessRoleId: 1, workspaceId: 1008 },
    ]);
    assert.equal(reply.status, 400);
    assert.equal(errorCode(reply), '1003');
    const fine = await call('POST', 'api.bot@example.com/roles/create.json', [
      { accessRoleId: 1, workspaceId: 0 },
    ]);
    assert.equal(fine.status, 200);
  });

  it('allusers.json pages with pageOffset (items) and pageSize, as a bare array', async () => {
    sandbox.operator.seedUsers({ count: 45 });
    const total = sandbox.snapshot().users.length;
    const seen: string[] = [];
    for (let offset = 0; ; offset += 20) {
      const reply = await call('GET', `allusers.json?pageOffset=${offset}&pageSize=20`);
      assert.equal(reply.status, 200);
      const page = reply.json as { userid: string; id: number; apiOnly: boolean; emailAddress: string }[];
      assert.ok(Array.isArray(page));
      seen.push(...page.map((user) => user.userid));
      if (page.length < 20) break;
    }
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total);
    const defaults = await call('GET', 'allusers.json');
    assert.equal((defaults.json as unknown[]).length, 20, 'default pageSize is 20');
    const big = await call('GET', 'allusers.json?pageSize=200');
    assert.equal((big.json as unknown[]).length, Math.min(200, total));
    const tooBig = await call('GET', 'allusers.json?pageSize=201');
    assert.equal(tooBig.status, 400);
    const pastEnd = await call('GET', `allusers.json?pageOffset=${total}`);
    assert.deepEqual(pastEnd.json, []);
  });

  it('delete.json deletes an accepted user for good', async () => {
    await call('POST', 'invite.json', inviteBody('leaver@example.com'));
    const reply = await call('POST', 'leaver@example.com/delete.json');
    assert.equal(reply.status, 200);
    assert.equal(reply.text, '');
    assert.equal((await call('GET', 'leaver@example.com/user.json')).status, 404);
    assert.equal((await call('POST', 'leaver@example.com/delete.json')).status, 404);
    const again = await call('POST', 'invite.json', inviteBody('leaver@example.com'));
    assert.equal(again.status, 200, 'the userid is free again');
  });

  it('delete.json refuses with 611 while the user owns a custom service', async () => {
    await call('POST', 'invite.json', inviteBody('service-owner@example.com'));
    const service = sandbox.operator.createService({
      displayName: 'owned',
      userid: 'service-owner@example.com',
    });
    const refused = await call('POST', 'service-owner@example.com/delete.json');
    assert.equal(refused.status, 409);
    assert.equal(errorCode(refused), '611');
    assert.match(
      (refused.json as { errors: { message: string }[] }).errors[0]?.message ?? '',
      /You cannot delete an API user that is being used in API service/,
    );
    assert.ok(userInState(sandbox, 'service-owner@example.com'));
    sandbox.operator.deleteService(service.clientId);
    assert.equal((await call('POST', 'service-owner@example.com/delete.json')).status, 200);
  });

  it('counts answers by code and calls by endpoint', () => {
    const { userManagement } = sandbox.snapshot().counters;
    assert.ok((userManagement.answersByCode['200'] ?? 0) > 10);
    assert.ok((userManagement.answersByCode['1004'] ?? 0) >= 3);
    assert.ok((userManagement.answersByCode['611'] ?? 0) >= 1);
    assert.ok((userManagement.byEndpoint['POST invite.json'] ?? 0) >= 5);
    assert.ok((userManagement.byEndpoint['GET {userid}/user.json'] ?? 0) >= 3);
    assert.equal(
      userManagement.charged,
      Object.values(userManagement.answersByCode).reduce((sum, n) => sum + n, 0),
      'every answered call here was charged',
    );
  });

  it('unknown paths answer 404 + 610 and wrong methods 405 + 605', async () => {
    const unknown = await call('GET', 'nope.json');
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), '610');
    const wrongMethod = await call('POST', 'roles.json', {});
    assert.equal(wrongMethod.status, 405);
    assert.equal(errorCode(wrongMethod), '605');
  });
});
