/**
 * Attack reproduction: `POST /sandbox/services` answers a repeated `Idempotency-Key` with the first service,
 * secret included (so that the product's retry after a lost answer still gets its secret). Anyone else who
 * learns or guesses the key must not get that secret. Against the real sandbox server over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { RunningSandbox } from '../../src/sandbox';
import {
  adminRequest,
  callUserManagement,
  inviteBody,
  request,
  requestToken,
  startTestSandbox,
} from '../helpers/sandbox';

const createdSchema = z.object({ clientId: z.string(), clientSecret: z.string().min(8) });

describe('a replayed Idempotency-Key on POST /sandbox/services', () => {
  let sandbox: RunningSandbox;
  const key = 'lifecycle-key-1';
  const owner = 'victim@example.com';
  const body = { displayName: 'victim service', email: owner };
  let secret: string;
  let clientId: string;
  before(async () => {
    sandbox = await startTestSandbox();
    const admin = (await requestToken(sandbox)).access_token;
    for (const email of [owner, 'attacker@example.com']) {
      const invited = await callUserManagement(sandbox, admin, 'POST', 'invite.json', inviteBody(email));
      assert.equal(invited.status, 200, invited.text);
    }
    const created = await adminRequest(sandbox, 'POST', '/sandbox/services', body, {
      'Idempotency-Key': key,
    });
    assert.equal(created.status, 201, created.text);
    ({ clientId, clientSecret: secret } = createdSchema.parse(created.json));
  });
  after(() => sandbox.close());

  it('gives no secret to a caller without the admin token', async () => {
    const replay = await request(sandbox, 'POST', '/sandbox/services', {
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify(body),
    });
    assert.equal(replay.status, 401, replay.text);
    assert.ok(!replay.text.includes(secret), 'the secret leaked');
  });

  it('gives no secret to a replay that asks for something else (another owner or name)', async () => {
    for (const other of [
      { displayName: 'victim service', email: 'attacker@example.com' },
      { displayName: 'another name', email: owner },
    ]) {
      const replay = await adminRequest(sandbox, 'POST', '/sandbox/services', other, {
        'Idempotency-Key': key,
      });
      assert.equal(replay.status, 409, replay.text);
      assert.ok(!replay.text.includes(secret), 'the secret leaked');
    }
    const owned = sandbox
      .snapshot()
      .services.filter((service) => service.ownerEmail === 'attacker@example.com');
    assert.deepEqual(owned, [], 'the refused replay made nothing');
  });

  it("still answers the product's own retry (same token, key and request) with its service and secret", async () => {
    const retry = await adminRequest(sandbox, 'POST', '/sandbox/services', body, { 'Idempotency-Key': key });
    assert.equal(retry.status, 200, retry.text);
    assert.deepEqual(createdSchema.parse(retry.json), { clientId, clientSecret: secret });
  });
});
