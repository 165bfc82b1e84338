import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunningSandbox } from '../../src/sandbox';
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

describe('fault injection through POST /sandbox/faults', () => {
  let sandbox: RunningSandbox;
  let token: string;
  before(async () => {
    // A roomy rate limit so that only injected faults shape the answers here.
    sandbox = await startTestSandbox({ rateLimit: { calls: 10_000, windowMs: 20_000 } });
    token = (await requestToken(sandbox)).access_token;
  });
  after(() => sandbox.close());
  beforeEach(async () => {
    await setFaults({});
    sandbox.operator.resetCounters();
  });

  async function setFaults(config: Record<string, unknown>): Promise<void> {
    const reply = await adminRequest(sandbox, 'POST', '/sandbox/faults', config);
    assert.equal(reply.status, 200, reply.text);
  }

  it('5xx: answers a server error (HTML or JSON), counted as injected, and changes nothing', async () => {
    await setFaults({ '5xx': 1 });
    const statuses = new Set<number>();
    for (let i = 0; i < 12; i += 1) {
      const reply = await callUserManagement(
        sandbox,
        token,
        'POST',
        'invite.json',
        inviteBody(`five-${i}@example.com`),
      );
      assert.ok([500, 502, 503].includes(reply.status), String(reply.status));
      statuses.add(reply.status);
      assert.equal(userInState(sandbox, `five-${i}@example.com`), undefined);
    }
    assert.ok(statuses.size > 1, 'more than one kind of server error');
    const { counters } = sandbox.snapshot();
    assert.equal(counters.injected['5xx'], 12);
    assert.deepEqual(counters.userManagement.answersByCode, {}, 'injected answers are not genuine answers');
  });

  it('606, 615 and 604: the Marketo error each stands for', async () => {
    const expected = [
      ['606', 429],
      ['615', 429],
      ['604', 504],
    ] as const;
    for (const [kind, status] of expected) {
      await setFaults({ [kind]: 1 });
      const reply = await callUserManagement(sandbox, token, 'GET', 'roles.json');
      assert.equal(reply.status, status, kind);
      assert.equal(errorCode(reply), kind);
      assert.equal(sandbox.snapshot().counters.injected[kind], 1);
    }
    assert.equal(sandbox.snapshot().counters.userManagement.charged, 0, 'injected refusals are not charged');
  });

  it('latency: stalls the answer by latencyMs', async () => {
    await setFaults({ latencyMs: 300, latencyProbability: 1 });
    const started = performance.now();
    const reply = await callUserManagement(sandbox, token, 'GET', 'roles.json');
    const elapsed = performance.now() - started;
    assert.equal(reply.status, 200);
    assert.ok(elapsed >= 290, `took ${elapsed} ms`);
    assert.equal(sandbox.snapshot().counters.injected.latency, 1);
  });

  it('tokenExpiry: the presented token expires early (602, then 601) and identity issues a new one', async () => {
    const { access_token: victim } = await requestToken(sandbox);
    await setFaults({ tokenExpiry: 1 });
    const first = await callUserManagement(sandbox, victim, 'GET', 'roles.json');
    assert.equal(first.status, 401);
    assert.equal(errorCode(first), '602');
    await setFaults({});
    assert.equal(errorCode(await callUserManagement(sandbox, victim, 'GET', 'roles.json')), '601');
    const fresh = await requestToken(sandbox);
    assert.notEqual(fresh.access_token, victim);
    assert.equal((await callUserManagement(sandbox, fresh.access_token, 'GET', 'roles.json')).status, 200);
    token = fresh.access_token;
  });

  it('dropAfterCommit: the change is made, then the socket closes without an answer', async () => {
    await setFaults({ dropAfterCommit: 1 });
    await assert.rejects(
      callUserManagement(sandbox, token, 'POST', 'invite.json', inviteBody('committed@example.com')),
      TypeError,
    );
    assert.equal(userInState(sandbox, 'committed@example.com')?.status, 'active');
    assert.equal(sandbox.snapshot().counters.injected.dropAfterCommit, 1);
    await setFaults({});
    const retry = await callUserManagement(
      sandbox,
      token,
      'POST',
      'invite.json',
      inviteBody('committed@example.com'),
    );
    assert.equal(retry.status, 409, 'a blind retry finds the user already there');
  });

  it('identity5xx: the token endpoint fails with a server error', async () => {
    await setFaults({ identity5xx: 1 });
    const query = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sandbox.adminClientId,
      client_secret: sandbox.adminClientSecret,
    });
    const reply = await request(sandbox, 'GET', `/identity/oauth/token?${query.toString()}`);
    assert.ok(reply.status >= 500, String(reply.status));
    assert.equal(sandbox.snapshot().counters.injected.identity5xx, 1);
  });

  it('refuses invalid fault settings with 400 and keeps the previous ones', async () => {
    await setFaults({ '606': 0.25 });
    const overOne = { '5xx': 0.6, '606': 0.3, latencyMs: 1, latencyProbability: 0.2 };
    for (const body of [{ '5xx': 2 }, { '606': -0.1 }, { surprise: 1 }, { latencyMs: 'slow' }, [], overOne]) {
      const reply = await adminRequest(sandbox, 'POST', '/sandbox/faults', body);
      assert.equal(reply.status, 400, JSON.stringify(body));
    }
    const current = await adminRequest(sandbox, 'GET', '/sandbox/faults');
    assert.deepEqual((current.json as { config: unknown }).config, { '606': 0.25 });
  });

  it('strikes each kind at its configured rate when all are on at once', async () => {
    // One draw per request against cumulative probabilities; checked in turn with a draw each, the later
    // kinds fired on only the requests the earlier ones spared (604 at ~6.6%, dropAfterCommit at ~5.9%).
    await setFaults({
      tokenExpiry: 0.1,
      '5xx': 0.1,
      '606': 0.1,
      '615': 0.1,
      '604': 0.1,
      latencyMs: 1,
      latencyProbability: 0.1,
      dropAfterCommit: 0.1,
      seed: 4242,
    });
    const requests = 2000;
    for (let i = 0; i < requests; i += 1) {
      const reply = await callUserManagement(sandbox, token, 'GET', 'roles.json').catch(() => undefined);
      if (reply?.status === 401) token = (await requestToken(sandbox)).access_token;
    }
    const { injected } = sandbox.snapshot().counters;
    for (const kind of ['tokenExpiry', '5xx', '606', '615', '604', 'latency', 'dropAfterCommit'] as const) {
      const rate = injected[kind] / requests;
      // About 3.7 standard deviations of a binomial(2000, 0.1) either side.
      assert.ok(rate > 0.075 && rate < 0.125, `${kind} at ${(rate * 100).toFixed(1)}%`);
    }
  });

  it('strikes the admin stand-ins that create things only when adminStandIns is on', async () => {
    const createRole = (name: string) =>
      adminRequest(sandbox, 'POST', '/sandbox/roles', { name, permissions: ['Read-Only Lead'] });
    const roleNamed = (name: string) => sandbox.snapshot().roles.find((role) => role.name === name);

    await setFaults({ '5xx': 1 });
    assert.equal((await createRole('Fault Role Off')).status, 201, 'not without adminStandIns');

    await setFaults({ '5xx': 1, adminStandIns: true });
    const failed = await createRole('Fault Role 5xx');
    assert.ok([500, 502, 503].includes(failed.status), String(failed.status));
    assert.equal(roleNamed('Fault Role 5xx'), undefined, 'a 5xx creates nothing');
    assert.equal(
      (await adminRequest(sandbox, 'GET', '/sandbox/faults')).status,
      200,
      'the controls stay usable',
    );

    await setFaults({ dropAfterCommit: 1, adminStandIns: true });
    await assert.rejects(createRole('Fault Role Dropped'), TypeError);
    assert.ok(roleNamed('Fault Role Dropped'), 'the role is made, the answer lost');

    const { injected } = sandbox.snapshot().counters;
    assert.equal(injected['5xx'], 1);
    assert.equal(injected.dropAfterCommit, 1);
  });

  it('is reproducible from its seed', async () => {
    const run = async (): Promise<number[]> => {
      await setFaults({ '5xx': 0.3, '606': 0.2, seed: 12345 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i += 1)
        statuses.push((await callUserManagement(sandbox, token, 'GET', 'roles.json')).status);
      return statuses;
    };
    const first = await run();
    const second = await run();
    assert.deepEqual(second, first);
    assert.ok(
      first.includes(200) && first.includes(429) && first.some((status) => status >= 500),
      first.join(','),
    );
    assert.equal(sandbox.snapshot().faults.seed, 12345);
  });
});
