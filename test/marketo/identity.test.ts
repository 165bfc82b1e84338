import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createMarketoClient,
  MarketoApiError,
  TokenCache,
  type MarketoClientOptions,
} from '../../src/marketo';
import { startFakeMarketo, TOKEN_PATH, tokenReply, type FakeMarketo, type ScriptedReply } from './support';

const HOUR_S = 3600;

/** A Marketo identity that behaves like the real one: the same token until it expires, on the test's clock. */
function identityServer(clock: { now: number }) {
  let issued = 0;
  let current: { token: string; expiresAt: number } | undefined;
  let lifetimeS = HOUR_S;
  let failNext: ScriptedReply | undefined;
  return {
    setLifetime(seconds: number) {
      lifetimeS = seconds;
    },
    failNext(reply: ScriptedReply) {
      failNext = reply;
    },
    issued: () => issued,
    reply(): ScriptedReply {
      if (failNext) {
        const reply = failNext;
        failNext = undefined;
        return reply;
      }
      if (!current || clock.now >= current.expiresAt) {
        issued += 1;
        current = { token: `token-${issued}:ab`, expiresAt: clock.now + lifetimeS * 1000 };
      }
      return tokenReply(
        current.token,
        Math.floor((current.expiresAt - clock.now) / 1000),
        'admin@example.com',
      );
    },
  };
}

describe('token cache and refresh', () => {
  const clock = { now: Date.UTC(2030, 0, 1) };
  const identity = identityServer(clock);
  let fake: FakeMarketo;
  const tokensUsed: string[] = [];
  before(async () => {
    fake = await startFakeMarketo((req) => {
      if (req.rawPath === TOKEN_PATH) return identity.reply();
      tokensUsed.push(String(req.headers.authorization));
      // Slow enough that the parallel callers really overlap.
      return { body: [], delayMs: 5 };
    });
  });
  after(async () => {
    await fake.close();
  });

  function client(extra: Partial<MarketoClientOptions> = {}) {
    return createMarketoClient({
      baseUrl: fake.baseUrl,
      clientId: 'cid',
      clientSecret: 'secret-1',
      budget: 'unlimited',
      now: () => clock.now,
      tokenCache: new TokenCache(),
      ...extra,
    });
  }

  it('20 parallel calls on a cold cache make exactly one identity call', async () => {
    const c = client();
    const before = fake.identityRequests().length;
    await Promise.all(Array.from({ length: 20 }, () => c.listRoles()));
    assert.equal(fake.identityRequests().length - before, 1);
  });

  it('20 parallel calls at token expiry make exactly one identity call, and all use the new token', async () => {
    const c = client();
    await c.listRoles();
    const before = fake.identityRequests().length;
    // The real server's token expired; our cache still holds it (refresh window has passed too).
    clock.now += HOUR_S * 1000 + 1000;
    tokensUsed.length = 0;
    await Promise.all(Array.from({ length: 20 }, () => c.listRoles()));
    assert.equal(fake.identityRequests().length - before, 1);
    assert.equal(new Set(tokensUsed).size, 1);
    assert.equal(tokensUsed[0], `Bearer token-${identity.issued()}:ab`);
  });

  it('reuses a token within its lifetime and refreshes it when less than 60 s are left', async () => {
    const c = client();
    await c.listRoles();
    const before = fake.identityRequests().length;
    clock.now += 30 * 60 * 1000;
    await c.listRoles();
    await c.listRoles();
    assert.equal(fake.identityRequests().length - before, 0, 'no identity call with 30 min left');
    const info = await c.getTokenInfo();
    assert.ok(info.expiresInSeconds > 1700 && info.expiresInSeconds <= 1800, `${info.expiresInSeconds}`);
    assert.equal(info.scope, 'admin@example.com');
    clock.now += 29 * 60 * 1000 + 10_000; // 50 s left
    await c.listRoles();
    assert.equal(fake.identityRequests().length - before, 1, 'refreshed with < 60 s left');
  });

  it('uses a token that arrives with < 60 s left until it expires, instead of asking again on every call', async () => {
    const c = client();
    // Let the server's current token run down to 30 s, then start a fresh cache on it.
    await c.listRoles();
    const info = await c.getTokenInfo();
    clock.now += (info.expiresInSeconds - 30) * 1000;
    const late = client();
    const before = fake.identityRequests().length;
    await late.listRoles();
    clock.now += 10_000;
    await late.listRoles();
    clock.now += 10_000;
    await late.listRoles();
    assert.equal(fake.identityRequests().length - before, 1, 'one identity call for three API calls');
    clock.now += 11_000; // now expired
    tokensUsed.length = 0;
    await late.listRoles();
    assert.equal(fake.identityRequests().length - before, 2);
    assert.equal(tokensUsed[0], `Bearer token-${identity.issued()}:ab`);
  });

  it('shares a cache among clients of the same credentials, but not with a different secret', async () => {
    const cache = new TokenCache();
    const a = client({ tokenCache: cache });
    const b = client({ tokenCache: cache });
    const before = fake.identityRequests().length;
    await a.listRoles();
    await b.listRoles();
    assert.equal(fake.identityRequests().length - before, 1);
    await client({ tokenCache: cache, clientSecret: 'secret-2' }).listRoles();
    assert.equal(fake.identityRequests().length - before, 2);
    assert.equal(cache.size, 2);
  });

  it('a failed identity call is shared by its waiters and not cached', async () => {
    const c = client();
    identity.failNext({
      status: 401,
      body: { error: 'invalid_client', error_description: 'Bad client credentials' },
    });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => c.listRoles()));
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      const reason: unknown = result.status === 'rejected' ? result.reason : undefined;
      assert.ok(reason instanceof MarketoApiError);
      assert.equal(reason.code, 'invalid_client');
      assert.equal(reason.retryable, false);
    }
    await c.listRoles();
  });

  it('identity 5xx is transient, a token body without scope is invalid_response', async () => {
    identity.failNext({ status: 502, body: 'bad gateway' });
    const c = client();
    const transient = await c.listRoles().catch((e: unknown) => e);
    assert.ok(transient instanceof MarketoApiError);
    assert.equal(transient.code, 'http_502');
    assert.equal(transient.retryable, true);
    identity.failNext({ body: { access_token: 'x:ab', expires_in: 10 } });
    const shape = await c.listRoles().catch((e: unknown) => e);
    assert.ok(shape instanceof MarketoApiError);
    assert.equal(shape.code, 'invalid_response');
    assert.match(shape.message, /field 'scope'/);
    assert.ok(!shape.message.includes('x:ab'));
  });
});
