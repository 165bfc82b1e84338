import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CallBudget, createMarketoClient, isMarketoApiError, type MarketoClient } from '../../src/marketo';
import type { RunningSandbox } from '../../src/sandbox';
import { createApiUserWithService, requestToken, startTestSandbox } from '../helpers/sandbox';
import { json, recordingFetch } from './support';

function clientOf(
  baseUrl: string,
  clientId: string,
  clientSecret: string,
  budget?: CallBudget,
): MarketoClient {
  return createMarketoClient({ baseUrl, clientId, clientSecret, budget: budget ?? 'unlimited' });
}

describe('Usage API client against the sandbox', () => {
  let sandbox: RunningSandbox;
  let admin: MarketoClient;
  let app: MarketoClient;
  before(async () => {
    sandbox = await startTestSandbox();
    const adminToken = (await requestToken(sandbox)).access_token;
    const credentials = await createApiUserWithService(sandbox, adminToken, 'reader.app@example.com');
    admin = clientOf(sandbox.baseUrl, sandbox.adminClientId, sandbox.adminClientSecret);
    app = clientOf(sandbox.baseUrl, credentials.clientId, credentials.clientSecret);
  });
  after(() => sandbox.close());

  it('reads per-user counts of the calls the app credentials made', async () => {
    await app.usage.dailyUsage();
    await app.usage.dailyErrors();
    const [today] = await admin.usage.last7DaysUsage();
    assert.ok(today);
    assert.equal(today.users.find((user) => user.userId === 'reader.app@example.com')?.count, 2);
    const errors = await admin.usage.last7DaysErrors();
    assert.deepEqual(errors, [], 'no call failed');
  });

  it('each read takes one slot of the call budget', async () => {
    const budget = new CallBudget({ calls: 50, windowMs: 60_000, maxConcurrent: 2 });
    const counted = clientOf(sandbox.baseUrl, sandbox.adminClientId, sandbox.adminClientSecret, budget);
    await counted.usage.dailyUsage();
    await counted.usage.last7DaysUsage();
    assert.equal(budget.snapshot().callsInWindow, 2);
  });
});

describe('Usage API client: answers it refuses', () => {
  const identity = { access_token: 'tok:ab', token_type: 'bearer', expires_in: 3600, scope: 'a@example.com' };

  function scripted(body: unknown): MarketoClient {
    const { fetch } = recordingFetch((url) => json(url.pathname.startsWith('/identity') ? identity : body));
    return createMarketoClient({
      baseUrl: 'https://123-abc-456.mktorest.com',
      clientId: 'id',
      clientSecret: 'secret',
      budget: 'unlimited',
      fetch,
    });
  }

  it('a standard REST failure (200, success false) is a Marketo error with its code', async () => {
    const client = scripted({ success: false, errors: [{ code: '606', message: 'rate' }] });
    await assert.rejects(
      client.usage.dailyUsage(),
      (error) => isMarketoApiError(error) && error.code === '606',
    );
  });

  it('a malformed day is an invalid response, not data', async () => {
    const client = scripted({ success: true, result: [{ date: 'June 15', total: 1, users: [] }] });
    await assert.rejects(client.usage.dailyUsage(), /'result.0.date': expected a YYYY-MM-DD day/);
  });

  it('numeric strings and an absent users list are read as Marketo sends them', async () => {
    const client = scripted({ success: true, result: [{ date: '2030-06-15', total: '0' }] });
    assert.deepEqual(await client.usage.dailyUsage(), [{ date: '2030-06-15', total: 0, users: [] }]);
  });
});
