import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  createMarketoClient,
  MarketoApiError,
  TokenCache,
  type MarketoCallEvent,
  type MarketoClientOptions,
} from '../../src/marketo';
import {
  json,
  recordingFetch,
  startFakeMarketo,
  TOKEN_PATH,
  tokenReply,
  withIdentity,
  type FakeMarketo,
  type RecordedRequest,
  type Script,
  type ScriptedReply,
} from './support';

const SECRET = 'sec-R3t+/=&value';
const USERS = '/userservice/management/v1/users';

function clientFor(fake: { baseUrl: string }, extra: Partial<MarketoClientOptions> = {}) {
  return createMarketoClient({
    baseUrl: fake.baseUrl,
    clientId: 'cid',
    clientSecret: SECRET,
    tokenCache: new TokenCache(),
    budget: 'unlimited',
    ...extra,
  });
}

async function rejection(promise: Promise<unknown>): Promise<MarketoApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof MarketoApiError, `expected MarketoApiError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

function userRecord(userid: string, extra: Record<string, unknown> = {}) {
  return {
    userid,
    firstName: 'Ada',
    lastName: 'Lovelace',
    emailAddress: userid,
    optedIn: false,
    failedLogins: 0,
    failedDeviceCode: 0,
    isLocked: false,
    lockedReason: null,
    id: 77,
    apiOnly: true,
    userRoleWorkspaces: [
      { accessRoleId: '2', accessRoleName: 'Standard User', workspaceId: 0, workspaceName: 'AllZones' },
    ],
    expiresAt: '2026-12-31T08:00:00.000t+0000',
    lastLoginAt: null,
    ...extra,
  };
}

/** A scripted Marketo where each test installs its own answer for User Management calls. */
let fake: FakeMarketo;
let api: Script = () => ({ status: 500 });
before(async () => {
  fake = await startFakeMarketo(withIdentity((req) => api(req)));
});
after(async () => {
  await fake.close();
});
function lastApi(): RecordedRequest {
  const all = fake.apiRequests();
  const last = all[all.length - 1];
  assert.ok(last, 'no API request was made');
  return last;
}

describe('User Management endpoints over HTTP', () => {
  it('sends each endpoint to its path with a bearer header, the userid encoded, and never `//`', async () => {
    const seen: string[] = [];
    api = (req) => {
      seen.push(`${req.method} ${req.rawPath}`);
      assert.match(String(req.headers.authorization), /^Bearer tok-\d+:ab$/);
      assert.equal(req.query.get('access_token'), null);
      if (req.rawPath.endsWith('/invite.json') && req.method === 'GET')
        return {
          body: {
            id: 5,
            firstName: 'A',
            lastName: 'B',
            emailAddress: 'a+b@example.com',
            userId: 'a+b@example.com',
            subscriptionId: 3381,
            status: 'pending',
            expiresAt: '20200807T20:49:54.0t+0000',
            createdAt: '20200731T20:49:54.0t+0000',
            updatedAt: '20200731T20:49:54.0t+0000',
          },
        };
      if (req.rawPath.endsWith('/user.json') || req.rawPath.endsWith('/update.json'))
        return { body: userRecord('a+b@example.com') };
      if (req.rawPath.endsWith('roles.json') && req.rawPath.includes('%40')) return { body: [] };
      if (req.rawPath.includes('/roles/')) return { body: [{ accessRoleId: 2, workspaceId: 0 }] };
      if (req.rawPath.endsWith('/roles.json')) return { body: [] };
      if (req.rawPath.endsWith('/workspaces.json')) return { body: [] };
      if (req.rawPath.endsWith('/allusers.json')) return { body: [] };
      if (req.rawPath.endsWith('/invite.json')) return { body: 'true' };
      return { body: '' };
    };
    const client = clientFor(fake);
    const id = 'a+b@example.com';
    await client.listUsers({ pageOffset: 40, pageSize: 20 });
    assert.equal(lastApi().query.get('pageOffset'), '40');
    assert.equal(lastApi().query.get('pageSize'), '20');
    await client.inviteUser({
      emailAddress: id,
      firstName: 'A',
      lastName: 'B',
      apiOnly: true,
      userRoleWorkspaces: [{ accessRoleId: 2, workspaceId: 0 }],
    });
    const invited = await client.getInvitedUser(id);
    assert.equal(invited.userid, id, 'userId is read as userid');
    assert.equal(invited.subscriptionId, '3381');
    assert.equal(invited.expiresAt?.toISOString(), '2020-08-07T20:49:54.000Z');
    await client.deleteInvite(id);
    const user = await client.getUser(id);
    assert.equal(user.userRoleWorkspaces[0]?.accessRoleId, 2, 'numeric strings read as numbers');
    await client.updateUser(id, { firstName: 'C' });
    await client.deleteUser(id);
    await client.getUserRoles(id);
    await client.addUserRoles(id, [{ accessRoleId: 2, workspaceId: 0 }]);
    await client.removeUserRoles(id, [{ accessRoleId: 2, workspaceId: 0 }]);
    await client.listRoles();
    await client.listWorkspaces();
    const enc = 'a%2Bb%40example.com';
    assert.deepEqual(seen, [
      `GET ${USERS}/allusers.json`,
      `POST ${USERS}/invite.json`,
      `GET ${USERS}/${enc}/invite.json`,
      `POST ${USERS}/${enc}/invite/delete.json`,
      `GET ${USERS}/${enc}/user.json`,
      `POST ${USERS}/${enc}/update.json`,
      `POST ${USERS}/${enc}/delete.json`,
      `GET ${USERS}/${enc}/roles.json`,
      `POST ${USERS}/${enc}/roles/create.json`,
      `POST ${USERS}/${enc}/roles/delete.json`,
      `GET ${USERS}/roles.json`,
      `GET ${USERS}/workspaces.json`,
    ]);
    assert.ok(seen.every((line) => !line.includes('//')));
    assert.equal(fake.identityRequests().length >= 1, true);
  });

  it('sends documented bodies: invite dates without milliseconds, update dates in Marketo form, bare role arrays', async () => {
    const bodies: unknown[] = [];
    api = (req) => {
      bodies.push(JSON.parse(req.body));
      assert.equal(req.headers['content-type'], 'application/json');
      if (req.rawPath.endsWith('/update.json')) return { body: userRecord('u@example.com') };
      if (req.rawPath.includes('/roles/')) return { body: [{ accessRoleId: 101, workspaceId: 1008 }] };
      return { body: true };
    };
    const client = clientFor(fake);
    const expiresAt = new Date('2026-12-31T23:59:59.789Z');
    await client.inviteUser({
      emailAddress: 'u@example.com',
      firstName: 'U',
      lastName: 'V',
      apiOnly: true,
      expiresAt,
      reason: 'contract',
      userRoleWorkspaces: [{ accessRoleId: 101, workspaceId: 1008 }],
    });
    await client.updateUser('u@example.com', { expiresAt });
    await client.updateUser('u@example.com', { expiresAt: '2027-01-01T00:00:00-06:00' });
    const roles = await client.addUserRoles('u@example.com', [{ accessRoleId: 101, workspaceId: 1008 }]);
    assert.deepEqual(bodies, [
      {
        emailAddress: 'u@example.com',
        firstName: 'U',
        lastName: 'V',
        apiOnly: true,
        expiresAt: '2026-12-31T23:59:59+00:00',
        reason: 'contract',
        userRoleWorkspaces: [{ accessRoleId: 101, workspaceId: 1008 }],
      },
      { expiresAt: '2026-12-31T23:59:59.789t+0000' },
      { expiresAt: '2027-01-01T00:00:00-06:00' },
      [{ accessRoleId: 101, workspaceId: 1008 }],
    ]);
    assert.deepEqual(roles, [
      { accessRoleId: 101, accessRoleName: null, workspaceId: 1008, workspaceName: null },
    ]);
  });

  it('refuses bad input before sending anything', async () => {
    api = () => ({ body: [] });
    const client = clientFor(fake);
    const before = fake.requests.length;
    for (const attempt of [
      client.listUsers({ pageSize: 201 }),
      client.getUser(''),
      client.getUser('..'),
      client.addUserRoles('u@example.com', []),
      client.updateUser('u@example.com', {}),
      client.inviteUser({
        emailAddress: 'not-an-email',
        firstName: 'a',
        lastName: 'b',
        userRoleWorkspaces: [],
      }),
      client.updateUser('u@example.com', { expiresAt: 'tomorrow' }),
    ]) {
      const error = await rejection(attempt);
      assert.equal(error.code, 'invalid_argument');
      assert.equal(error.retryable, false);
    }
    assert.equal(fake.requests.length, before);
  });

  it('reads roles and workspaces tolerantly: isHidden/hidden, isOnlyAllZones/onlyAllZones, every date form', async () => {
    api = (req) =>
      req.rawPath.endsWith('/roles.json')
        ? {
            body: [
              {
                id: 1,
                name: 'Admin',
                description: 'All',
                type: 'system',
                hidden: false,
                onlyAllZones: true,
                createdAt: '20100327T18:27:42.0t+0000',
                updatedAt: '2018-04-23T02:33:29.000t+0000',
              },
              {
                id: '101',
                name: 'Analytics User',
                isHidden: true,
                isOnlyAllZones: false,
                createdAt: '2010-03-27T18:27:42Z',
                extra: { any: 1 },
              },
            ],
          }
        : {
            body: [
              {
                id: 1008,
                name: 'World',
                description: '',
                globalViz: 0,
                status: 'active',
                currencyInfo: null,
                createdAt: '20181119T21:59:36.0t+0000',
              },
            ],
          };
    const client = clientFor(fake);
    const roles = await client.listRoles();
    assert.deepEqual(
      roles.map((r) => [r.id, r.hidden, r.onlyAllZones, r.createdAt?.toISOString()]),
      [
        [1, false, true, '2010-03-27T18:27:42.000Z'],
        [101, true, false, '2010-03-27T18:27:42.000Z'],
      ],
    );
    assert.equal(roles[0]?.updatedAt?.toISOString(), '2018-04-23T02:33:29.000Z');
    const [world] = await client.listWorkspaces();
    assert.equal(world?.name, 'World');
    assert.equal(world?.createdAt?.toISOString(), '2018-11-19T21:59:36.000Z');
    assert.equal(world?.updatedAt, null);
  });

  it('pages allUsers until a short page, counting pageOffset in users', async () => {
    const everyone = Array.from({ length: 450 }, (_, i) => ({
      userid: `u${i}@example.com`,
      firstName: 'U',
      lastName: String(i),
      emailAddress: `u${i}@example.com`,
      id: i,
      apiOnly: i % 2 === 0,
    }));
    api = (req) => {
      const offset = Number(req.query.get('pageOffset'));
      const size = Number(req.query.get('pageSize'));
      return { body: everyone.slice(offset, offset + size) };
    };
    const client = clientFor(fake);
    const before = fake.apiRequests().length;
    const got: number[] = [];
    for await (const user of client.allUsers()) got.push(user.id ?? -1);
    assert.deepEqual(
      got,
      everyone.map((u) => u.id),
    );
    const pages = fake.apiRequests().slice(before);
    assert.deepEqual(
      pages.map((r) => [r.query.get('pageOffset'), r.query.get('pageSize')]),
      [
        ['0', '200'],
        ['200', '200'],
        ['400', '200'],
      ],
    );
  });

  it('stops with invalid_response when the server ignores the offset instead of looping forever', async () => {
    api = () => ({
      body: Array.from({ length: 5 }, (_, i) => ({
        userid: `x${i}`,
        emailAddress: `x${i}@e.com`,
        apiOnly: false,
      })),
    });
    const client = clientFor(fake);
    const iterate = async () => {
      for await (const _ of client.allUsers(5)) void _;
    };
    const error = await rejection(iterate());
    assert.equal(error.code, 'invalid_response');
  });
});

describe('failures over HTTP', () => {
  it('404 with a quoted code is not_found and not retryable', async () => {
    api = () => ({ status: 404, body: { errors: [{ code: '1004', message: 'User not found' }] } });
    const error = await rejection(clientFor(fake).getUser('ghost@example.com'));
    assert.equal(error.code, '1004');
    assert.equal(error.kind, 'not_found');
    assert.equal(error.httpStatus, 404);
    assert.equal(error.retryable, false);
    assert.equal(error.endpoint, `GET ${USERS}/{userid}/user.json`);
    assert.match(error.message, /User not found/);
    assert.ok(!error.message.includes('ghost'), 'the endpoint is a template');
  });

  it('reads numeric and quoted codes alike (403 + 603 permission)', async () => {
    for (const code of [603, '603']) {
      api = () => ({ status: 403, body: { errors: [{ code, message: 'Access denied' }] } });
      const error = await rejection(clientFor(fake).listRoles());
      assert.equal(error.code, '603');
      assert.equal(error.kind, 'permission');
      assert.equal(error.retryable, false);
    }
  });

  it('treats a 200 with errors as a failure (606 waits for the window)', async () => {
    api = () => ({
      body: { errors: [{ code: 606, message: "Max rate limit '100' exceeded with in '20' secs" }] },
    });
    const error = await rejection(clientFor(fake).listRoles());
    assert.equal(error.code, '606');
    assert.equal(error.httpStatus, 200);
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterMs, 20_000);
  });

  it('treats a standard-REST `success: false` on 200 as a failure', async () => {
    api = () => ({
      body: { requestId: 'x', success: false, errors: [{ code: '611', message: 'System error' }] },
    });
    const error = await rejection(clientFor(fake).deleteUser('a@example.com'));
    assert.equal(error.code, '611');
    assert.equal(error.retryable, false);
    assert.match(error.hint, /LaunchPoint/);
  });

  it('names the endpoint and the field when the shape is wrong', async () => {
    api = () => ({ body: userRecord('a@example.com', { isLocked: 'nope' }) });
    const error = await rejection(clientFor(fake).getUser('a@example.com'));
    assert.equal(error.code, 'invalid_response');
    assert.equal(error.retryable, false);
    assert.match(error.message, /GET \/userservice\/management\/v1\/users\/\{userid\}\/user\.json/);
    assert.match(error.message, /field 'isLocked'/);
    api = () => ({ body: [{ id: 1, name: 'Admin', createdAt: 'yesterday' }] });
    const dateError = await rejection(clientFor(fake).listRoles());
    assert.match(dateError.message, /field '0\.createdAt'/);
    api = () => ({ body: '<html>gateway</html>' });
    assert.equal((await rejection(clientFor(fake).listRoles())).code, 'invalid_response');
  });

  it('5xx without a Marketo body is retryable, Retry-After is honoured', async () => {
    api = () => ({ status: 503, body: '<html>unavailable</html>', headers: { 'content-type': 'text/html' } });
    const error = await rejection(clientFor(fake).listRoles());
    assert.equal(error.code, 'http_503');
    assert.equal(error.kind, 'transient');
    assert.equal(error.retryable, true);
    api = () => ({ status: 429, headers: { 'retry-after': '7' } });
    const throttled = await rejection(clientFor(fake).listRoles());
    assert.equal(throttled.kind, 'throttled');
    assert.equal(throttled.retryAfterMs, 7000);
  });

  // The server never answers, so only the client's own timeout can end the call, however long the machine
  // stalls; a client that waited for the server would hang until the test's own timeout fails it. The token
  // is fetched first by a patient client, so the short timeout can only hit the user-management call.
  it('times out (retryable) and reports it to the hook', { timeout: 20_000 }, async () => {
    const tokenCache = new TokenCache();
    api = () => ({ body: [] });
    await clientFor(fake, { tokenCache }).listRoles();
    let release = (): void => undefined;
    const never = new Promise<ScriptedReply>((resolve) => {
      release = () => resolve({ body: [] });
    });
    api = () => never;
    const events: MarketoCallEvent[] = [];
    const client = clientFor(fake, { tokenCache, timeoutMs: 80, onCall: (e) => events.push(e) });
    try {
      const error = await rejection(client.listRoles());
      assert.equal(error.code, 'timeout');
      assert.equal(error.retryable, true);
      assert.match(error.message, /within 80 ms/);
    } finally {
      release();
    }
    assert.deepEqual(
      events.map((e) => [e.kind, e.code, e.status]),
      [['user-management', 'timeout', 0]],
    );
  });

  it('rejects with the caller’s own reason when the caller aborts', async () => {
    api = () => ({ delayMs: 300, body: [] });
    const controller = new AbortController();
    const pending = clientFor(fake).listRoles({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('activity cancelled')), 30);
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(!(error instanceof MarketoApiError));
      assert.match(String(error), /activity cancelled/);
      return true;
    });
  });

  it('network errors are retryable and carry no secret, even on the identity call', async () => {
    const dead = await startFakeMarketo(() => ({ body: [] }));
    await dead.close();
    const events: MarketoCallEvent[] = [];
    const error = await rejection(clientFor(dead, { onCall: (e) => events.push(e) }).listRoles());
    assert.equal(error.code, 'network');
    assert.equal(error.retryable, true);
    assert.equal(error.endpoint, 'POST /identity/oauth/token');
    const everything = [
      error.message,
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: 6 }),
      JSON.stringify(events),
    ];
    for (const text of everything) {
      assert.ok(!text.includes(SECRET) && !text.includes(encodeURIComponent(SECRET)), text);
      assert.ok(!text.includes('client_secret='.concat('s')), text);
    }
    assert.deepEqual(
      events.map((e) => [e.kind, e.code]),
      [['identity', 'network']],
    );
  });
});

describe('re-authentication', () => {
  it('re-authenticates once on 601 and retries with the new token', async () => {
    const tokensSeen: string[] = [];
    let calls = 0;
    api = (req) => {
      tokensSeen.push(String(req.headers.authorization));
      calls += 1;
      return calls === 1
        ? { status: 401, body: { errors: [{ code: '601', message: 'Access token invalid' }] } }
        : { body: [] };
    };
    const before = fake.identityRequests().length;
    await clientFor(fake).listRoles();
    assert.equal(fake.identityRequests().length - before, 2);
    assert.equal(tokensSeen.length, 2);
    assert.notEqual(tokensSeen[0], tokensSeen[1]);
  });

  it('gives up after one re-authentication: 602 twice is a retryable 602, and no third attempt', async () => {
    let calls = 0;
    api = () => {
      calls += 1;
      return { status: 401, body: { errors: [{ code: 602, message: 'Access token expired' }] } };
    };
    const before = fake.identityRequests().length;
    const error = await rejection(clientFor(fake).getUser('a@example.com'));
    assert.equal(calls, 2);
    assert.equal(fake.identityRequests().length - before, 2);
    assert.equal(error.code, '602');
    assert.equal(error.kind, 'auth');
    assert.equal(error.retryable, true);
  });

  it('treats a bare 401 like 601, and does not re-authenticate on 603', async () => {
    let calls = 0;
    api = () => {
      calls += 1;
      return calls === 1 ? { status: 401 } : { body: [] };
    };
    await clientFor(fake).listWorkspaces();
    assert.equal(calls, 2);
    calls = 0;
    api = () => {
      calls += 1;
      return { status: 403, body: { errors: [{ code: '603', message: 'Access denied' }] } };
    };
    await rejection(clientFor(fake).listWorkspaces());
    assert.equal(calls, 1);
  });

  it('re-authenticates once on a 401 with an unknown code, and reports a persisting one as final', async () => {
    let calls = 0;
    api = () => {
      calls += 1;
      return calls === 1
        ? { status: 401, body: { errors: [{ code: '777', message: 'nope' }] } }
        : { body: [] };
    };
    await clientFor(fake).listWorkspaces();
    assert.equal(calls, 2, 'a 401 with an unknown code gets the one re-authentication');
    calls = 0;
    api = () => {
      calls += 1;
      return { status: 401 };
    };
    const before = fake.identityRequests().length;
    const error = await rejection(clientFor(fake).listWorkspaces());
    assert.equal(calls, 2);
    assert.equal(fake.identityRequests().length - before, 2);
    assert.equal(error.httpStatus, 401);
    assert.equal(error.kind, 'unauthorized');
    assert.equal(error.retryable, false, 'a fresh token refused too: retrying cannot help');
  });
});

describe('identity through the client', () => {
  it('verifyCredentials returns scope and lifetime without touching the client’s own token', async () => {
    const fetcher = recordingFetch((url, init) => {
      if (url.pathname === TOKEN_PATH) {
        const form = new URLSearchParams(typeof init.body === 'string' ? init.body : '');
        const id = form.get('client_id');
        if (id === 'service-2' && form.get('client_secret') === 'other') {
          return json(tokenReply('svc-token:ab', 3599, 'mau-user@example.com').body);
        }
        if (id === 'cid') return json(tokenReply('own-token:ab', 3600, 'admin@example.com').body);
        return json({ error: 'invalid_client', error_description: 'Bad client credentials' }, 401);
      }
      return json([]);
    });
    const client = clientFor({ baseUrl: 'https://123-abc-456.mktorest.com' }, { fetch: fetcher.fetch });
    assert.deepEqual(await client.verifyCredentials('service-2', 'other'), {
      scope: 'mau-user@example.com',
      expiresInSeconds: 3599,
    });
    await client.listRoles();
    const auth = (fetcher.calls[fetcher.calls.length - 1]?.init.headers as Record<string, string>)
      .Authorization;
    assert.equal(auth, 'Bearer own-token:ab');
    assert.equal((await client.getTokenInfo()).scope, 'admin@example.com');
    const bad = await rejection(client.verifyCredentials('service-2', 'wrong-secret-value'));
    assert.equal(bad.code, 'invalid_client');
    assert.equal(bad.retryable, false);
    assert.equal(bad.httpStatus, 401);
    assert.ok(!JSON.stringify(bad).includes('wrong-secret-value'));
    assert.ok(!bad.message.includes('wrong-secret-value'));
    // The identity call is a POST of the three form fields to the normalized base, with no query string.
    const identityCall = new URL(fetcher.calls[0]?.url ?? '');
    assert.equal(identityCall.href, 'https://123-abc-456.mktorest.com/identity/oauth/token');
    const sent = fetcher.calls[0]?.init.body;
    const form = new URLSearchParams(typeof sent === 'string' ? sent : '');
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(fetcher.calls[0]?.init.method, 'POST');
  });

  it('reports each HTTP exchange to onCall without URLs or secrets', async () => {
    api = () => ({ body: [] });
    const events: MarketoCallEvent[] = [];
    const client = clientFor(fake, { onCall: (e) => events.push(e) });
    await client.listRoles();
    await client.listRoles();
    assert.deepEqual(
      events.map((e) => [e.kind, e.endpoint, e.status, e.code]),
      [
        ['identity', 'POST /identity/oauth/token', 200, undefined],
        ['user-management', `GET ${USERS}/roles.json`, 200, undefined],
        ['user-management', `GET ${USERS}/roles.json`, 200, undefined],
      ],
    );
    assert.ok(events.every((e) => e.durationMs >= 0));
    const throwing = clientFor(fake, {
      onCall: () => {
        throw new Error('metrics down');
      },
    });
    assert.deepEqual(await throwing.listRoles(), [], 'a throwing hook does not break the call');
  });

  it('applies the call budget to User Management calls only', async () => {
    const arrivals: number[] = [];
    api = () => {
      arrivals.push(Date.now());
      return { body: [] };
    };
    const client = clientFor(fake, { budget: { calls: 2, windowMs: 250, maxConcurrent: 1 } });
    const t0 = Date.now();
    await Promise.all([client.listRoles(), client.listRoles(), client.listRoles()]);
    const offsets = arrivals.map((t) => t - t0);
    assert.ok((offsets[1] ?? 999) < 150, `the identity call did not use a slot: ${offsets.join(',')}`);
    assert.ok((offsets[2] ?? 0) >= 240, `the third call waited for the window: ${offsets.join(',')}`);
  });
});
