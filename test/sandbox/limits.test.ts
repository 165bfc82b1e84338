import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../src/sandbox';
import {
  callUserManagement,
  errorCode,
  ManualClock,
  requestToken,
  startTestSandbox,
  UM,
} from '../helpers/sandbox';

describe('rate limit (606), scaled to 5 calls per 500 ms', () => {
  const clock = new ManualClock();
  let sandbox: RunningSandbox;
  let token: string;
  before(async () => {
    sandbox = await startTestSandbox({ now: clock.now, rateLimit: { calls: 5, windowMs: 500 } });
    token = (await requestToken(sandbox)).access_token;
  });
  after(() => sandbox.close());

  it('answers 429 + 606 past the limit, with Marketo wording, and recovers after the window', async () => {
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await callUserManagement(sandbox, token, 'GET', 'roles.json')).status, 200, `call ${i}`);
      clock.advance(50);
    }
    const refused = await callUserManagement(sandbox, token, 'GET', 'roles.json');
    assert.equal(refused.status, 429);
    assert.equal(errorCode(refused), '606');
    assert.match(refused.text, /Max rate limit '5' exceeded with in '0.5' secs/);

    assert.equal((await requestToken(sandbox)).access_token, token, 'identity is not rate limited');

    clock.advance(251); // the first call (t=0) has left the sliding window, the rest are still in it
    assert.equal((await callUserManagement(sandbox, token, 'GET', 'roles.json')).status, 200);
    assert.equal((await callUserManagement(sandbox, token, 'GET', 'roles.json')).status, 429);
    clock.advance(500);
    assert.equal((await callUserManagement(sandbox, token, 'GET', 'roles.json')).status, 200);
  });

  it('counts charged calls and refusals separately', () => {
    const { userManagement, identity } = sandbox.snapshot().counters;
    assert.equal(userManagement.charged, 7, 'refused calls take nothing from the window');
    assert.equal(userManagement.answersByCode['606'], 2);
    assert.equal(userManagement.answersByStatus['429'], 2);
    assert.equal(identity.answersByCode['200'], 2);
  });
});

describe('daily quota (607)', () => {
  // 05:00 UTC is still the previous day in Chicago; 06:00 UTC (CDT, UTC-5) is a new Chicago day.
  const clock = new ManualClock(Date.parse('2030-06-15T04:00:00.000Z'));
  let sandbox: RunningSandbox;
  before(async () => {
    sandbox = await startTestSandbox({ now: clock.now, dailyQuota: 3, tokenLifetimeSeconds: 86_400 });
  });
  after(() => sandbox.close());

  it('answers 429 + 607 when the quota is used, and resets at midnight US Central', async () => {
    const { access_token: token } = await requestToken(sandbox);
    for (let i = 0; i < 3; i += 1) {
      assert.equal((await callUserManagement(sandbox, token, 'GET', 'workspaces.json')).status, 200);
    }
    const refused = await callUserManagement(sandbox, token, 'GET', 'workspaces.json');
    assert.equal(refused.status, 429);
    assert.equal(errorCode(refused), '607');
    for (let i = 0; i < 5; i += 1) await requestToken(sandbox);
    assert.equal(sandbox.snapshot().limits.quotaUsedToday, 3, 'identity calls take no quota');

    clock.advance(60 * 60 * 1000); // 05:00 UTC = 00:00 CDT
    assert.equal((await callUserManagement(sandbox, token, 'GET', 'workspaces.json')).status, 200);
    assert.equal(sandbox.snapshot().limits.quotaUsedToday, 1);
  });
});

describe('concurrency (615)', () => {
  let sandbox: RunningSandbox;
  before(async () => {
    sandbox = await startTestSandbox({ maxConcurrent: 3, latencyMs: 300 });
  });
  after(() => sandbox.close());

  it('answers 429 + 615 to requests beyond the concurrent limit', async () => {
    const { access_token: token } = await requestToken(sandbox);
    sandbox.operator.resetCounters();
    const replies = await Promise.all(
      Array.from({ length: 7 }, () => callUserManagement(sandbox, token, 'GET', 'roles.json')),
    );
    const statuses = replies.map((reply) => reply.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429, 429]);
    for (const reply of replies.filter((r) => r.status === 429)) assert.equal(errorCode(reply), '615');
    const state = sandbox.snapshot();
    assert.ok(state.limits.peakInFlight >= 4, 'the refused requests were in flight too');
    assert.equal(state.limits.inFlight, 0);
    assert.equal(state.counters.userManagement.answersByCode['615'], 4);
    assert.equal(state.counters.userManagement.charged, 3);
    const later = await callUserManagement(sandbox, token, 'GET', 'roles.json');
    assert.equal(later.status, 200, 'slots free up once answers are sent');
  });
});

describe('concurrency (615) against connections that promise a body and never send it', () => {
  let sandbox: RunningSandbox;
  const idle: Socket[] = [];
  before(async () => {
    sandbox = await startTestSandbox();
  });
  after(async () => {
    for (const socket of idle) socket.destroy();
    await sandbox.close();
  });

  it('keeps serving others while ten such connections hang (they are not in flight until their body is read)', async () => {
    const { access_token: token } = await requestToken(sandbox);
    for (let i = 0; i < sandbox.snapshot().limits.maxConcurrent; i += 1) {
      const socket = connect(sandbox.port, '127.0.0.1');
      idle.push(socket);
      await once(socket, 'connect');
      // Even with a valid token: nothing is counted before the whole request has arrived.
      socket.write(
        `POST ${UM}invite.json HTTP/1.1\r\nHost: 127.0.0.1:${sandbox.port}\r\n` +
          `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
      );
    }
    // Let the server parse every set of headers before the honest call arrives.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const honest = await callUserManagement(sandbox, token, 'GET', 'roles.json');
    assert.equal(honest.status, 200, honest.text);
    assert.equal(sandbox.snapshot().limits.inFlight, 0);
  });
});
