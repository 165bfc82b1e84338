import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../src/sandbox';
import {
  adminRequest,
  callUserManagement,
  errorCode,
  inviteBody,
  request,
  requestToken,
  startTestSandbox,
  UM,
  userInState,
} from '../helpers/sandbox';

describe('bad input is refused with 4xx and stores nothing', () => {
  let sandbox: RunningSandbox;
  let token: string;
  let stateBefore: string;
  before(async () => {
    sandbox = await startTestSandbox();
    token = (await requestToken(sandbox)).access_token;
    const created = await callUserManagement(
      sandbox,
      token,
      'POST',
      'invite.json',
      inviteBody('target@example.com'),
    );
    assert.equal(created.status, 200);
    stateBefore = JSON.stringify(modelOf(sandbox));
  });
  after(async () => {
    assert.equal(JSON.stringify(modelOf(sandbox)), stateBefore, 'no bad request changed the model');
    const byStatus = sandbox.snapshot().counters.userManagement.answersByStatus;
    assert.deepEqual(
      Object.keys(byStatus).filter((status) => status.startsWith('5')),
      [],
      'no bad request was answered with 5xx',
    );
    assert.equal(sandbox.snapshot().counters.internalErrors, 0, 'no bad request reached the catch-all 500');
    await sandbox.close();
  });

  /** Users, roles and services without clocks or counters: what a bad request must not touch. */
  function modelOf(running: RunningSandbox): unknown {
    const { users, roles, services } = running.snapshot();
    return { users, roles, services };
  }

  const post = (path: string, body: string, contentType = 'application/json') =>
    request(sandbox, 'POST', `${UM}${path}`, {
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
      body,
    });

  it('malformed JSON: 400 + 609', async () => {
    for (const body of ['{', '{"emailAddress":', 'nope', '{"a":1}}']) {
      const reply = await post('invite.json', body);
      assert.equal(reply.status, 400, body);
      assert.equal(errorCode(reply), '609');
    }
  });

  it('empty body: 400 + 609', async () => {
    const reply = await post('invite.json', '');
    assert.equal(reply.status, 400);
    assert.equal(errorCode(reply), '609');
  });

  it('wrong or missing content type: 400 + 612', async () => {
    const body = JSON.stringify(inviteBody('ct@example.com'));
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const reply = await post('invite.json', body, contentType);
      assert.equal(reply.status, 400);
      assert.equal(errorCode(reply), '612');
    }
    const none = await request(sandbox, 'POST', `${UM}invite.json`, {
      headers: { Authorization: `Bearer ${token}` },
      body: new TextEncoder().encode(body),
    });
    assert.equal(none.status, 400);
    assert.equal(errorCode(none), '612');
  });

  it('missing fields, wrong types and bad emails: 400 + 1003 naming the field', async () => {
    const cases: [Record<string, unknown> | unknown[] | string | number | null, RegExp][] = [
      [
        { firstName: 'A', lastName: 'B', userRoleWorkspaces: [{ accessRoleId: 102, workspaceId: 0 }] },
        /emailAddress/,
      ],
      [inviteBody('x@example.com', { firstName: undefined }), /firstName/],
      [inviteBody('x@example.com', { lastName: '' }), /lastName/],
      [inviteBody('x@example.com', { userRoleWorkspaces: undefined }), /userRoleWorkspaces/],
      [inviteBody('x@example.com', { userRoleWorkspaces: [] }), /userRoleWorkspaces/],
      [
        inviteBody('x@example.com', { userRoleWorkspaces: [{ accessRoleId: '102', workspaceId: 0 }] }),
        /accessRoleId/,
      ],
      [inviteBody('x@example.com', { apiOnly: 'yes' }), /apiOnly/],
      [inviteBody('not-an-email'), /emailAddress/],
      [inviteBody('two@@example.com'), /emailAddress/],
      [inviteBody('x@example'), /emailAddress/],
      [inviteBody(`${'a'.repeat(300)}@example.com`), /emailAddress/],
      [inviteBody('x@example.com', { userid: 'has space' }), /userid/],
      [inviteBody('x@example.com', { userid: 'a/b' }), /userid/],
      [[], /body/],
      ['a string', /body/],
      [42, /body/],
      [null, /body/],
    ];
    for (const [body, field] of cases) {
      const reply = await post('invite.json', JSON.stringify(body));
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(errorCode(reply), '1003');
      assert.match(reply.text, field);
    }
  });

  it('expiresAt must be ISO-8601 with an offset', async () => {
    for (const expiresAt of [
      'tomorrow',
      '2030-01-01',
      '2030-01-01T00:00:00',
      '2030-02-30T00:00:00Z',
      1893456000000,
    ]) {
      const reply = await post('invite.json', JSON.stringify(inviteBody('when@example.com', { expiresAt })));
      assert.equal(reply.status, 400, String(expiresAt));
      assert.equal(errorCode(reply), '1003');
      assert.match(reply.text, /expiresAt/);
      const update = await post('target@example.com/update.json', JSON.stringify({ expiresAt }));
      assert.equal(update.status, 400, String(expiresAt));
    }
  });

  it('unknown role or workspace ids: 400 + 1003 on invite and on roles/create', async () => {
    const cases = [
      [{ accessRoleId: 9999, workspaceId: 0 }, /accessRoleId 9999/],
      [{ accessRoleId: 102, workspaceId: 4242 }, /workspaceId 4242/],
    ] as const;
    for (const [pair, message] of cases) {
      const invite = await post(
        'invite.json',
        JSON.stringify(inviteBody('roles@example.com', { userRoleWorkspaces: [pair] })),
      );
      assert.equal(invite.status, 400);
      assert.match(invite.text, message);
      const add = await post('target@example.com/roles/create.json', JSON.stringify([pair]));
      assert.equal(add.status, 400);
      assert.equal(errorCode(add), '1003');
      const mixed = await post(
        'target@example.com/roles/create.json',
        JSON.stringify({ input: [{ accessRoleId: 101, workspaceId: 0 }, pair] }),
      );
      assert.equal(mixed.status, 400, 'one bad pair refuses the whole request');
    }
  });

  it('update.json with nothing to update: 400', async () => {
    for (const body of ['{}', '{"unknownField":1}']) {
      const reply = await post('target@example.com/update.json', body);
      assert.equal(reply.status, 400);
      assert.equal(errorCode(reply), '1003');
    }
  });

  it('a body over 1 MB: 413, not 5xx, and the connection stays usable', async () => {
    const huge = JSON.stringify(inviteBody('huge@example.com', { reason: 'x'.repeat(1_200_000) }));
    const reply = await post('invite.json', huge);
    assert.equal(reply.status, 413);
    assert.equal(errorCode(reply), '1003');
    const identity = await request(sandbox, 'POST', '/identity/oauth/token', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&junk=${'y'.repeat(1_100_000)}`,
    });
    assert.equal(identity.status, 413);
    const after = await callUserManagement(sandbox, token, 'GET', 'roles.json');
    assert.equal(after.status, 200);
    assert.equal(userInState(sandbox, 'huge@example.com'), undefined);
  });

  it('odd userids in the raw request path are looked up safely, never routed elsewhere', async () => {
    // Sent with node:http, because fetch would resolve `..` and `%2e%2e` before the request left.
    const rawPaths = [
      '../../identity/oauth/token',
      '%2e%2e/%2e%2e/%2e%2e/sandbox/state',
      '../roles.json',
      '..%2F..%2Fsandbox%2Fstate/user.json',
      '/user.json',
      'a//user.json',
    ];
    for (const rawPath of rawPaths) {
      const reply = await rawGet(sandbox, `${UM}${rawPath}`, token);
      assert.ok(reply.status === 404 || reply.status === 400, `${rawPath} -> ${reply.status} ${reply.text}`);
      assert.ok(!reply.text.includes('access_token') && !reply.text.includes('"users"'), rawPath);
    }
    const paths = [
      '..%2F..%2Fidentity%2Foauth%2Ftoken/user.json',
      '%2e%2e/user.json',
      '../roles.json',
      '..%2Froles.json/user.json',
      'target%40example.com%2F/user.json',
      '%00/user.json',
      '%3Cscript%3E/user.json',
      `${'z'.repeat(5000)}/user.json`,
    ];
    for (const path of paths) {
      const reply = await callUserManagement(sandbox, token, 'GET', path);
      assert.ok(reply.status === 404 || reply.status === 400, `${path} -> ${reply.status}`);
      assert.ok(['1004', '610', '1003'].includes(errorCode(reply)), path);
    }
    const encoded = await callUserManagement(sandbox, token, 'GET', 'target%40example.com/user.json');
    assert.equal(encoded.status, 200, 'an encoded @ is still the same userid');
    const malformed = await callUserManagement(sandbox, token, 'GET', '%E0%A4%A/user.json');
    assert.equal(malformed.status, 400);
    const empty = await callUserManagement(sandbox, token, 'GET', '%20/user.json');
    assert.equal(empty.status, 400);
    const postOdd = await post('..%2Ftarget%40example.com/delete.json', '');
    assert.equal(postOdd.status, 404);
  });

  it('bad paging parameters: 400', async () => {
    for (const query of [
      'pageSize=0',
      'pageSize=-1',
      'pageSize=abc',
      'pageOffset=-5',
      'pageOffset=1.5',
      'pageSize=1e3',
    ]) {
      const reply = await callUserManagement(sandbox, token, 'GET', `allusers.json?${query}`);
      assert.equal(reply.status, 400, query);
      assert.equal(errorCode(reply), '1003');
    }
  });
});

function rawGet(
  sandbox: RunningSandbox,
  path: string,
  token: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(sandbox.baseUrl);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: 'GET',
        path,
        headers: { Authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the catch-all 500', () => {
  it('is counted in the state, so the assertion above can see it', async () => {
    // A clock that breaks on demand makes the handler throw the way a sandbox bug would.
    let broken = false;
    const sandbox = await startTestSandbox({
      now: () => {
        if (broken) throw new Error('clock broke');
        return Date.now();
      },
    });
    try {
      const token = (await requestToken(sandbox)).access_token;
      broken = true;
      const reply = await callUserManagement(sandbox, token, 'GET', 'roles.json');
      broken = false;
      assert.equal(reply.status, 500);
      assert.equal(sandbox.snapshot().counters.internalErrors, 1);
      const state = await adminRequest(sandbox, 'GET', '/sandbox/state');
      assert.match(state.text, /"internalErrors":1/);
    } finally {
      broken = false;
      await sandbox.close();
    }
  });
});
