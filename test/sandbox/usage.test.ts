import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { RunningSandbox } from '../../src/sandbox';
import {
  callUserManagement,
  createApiUserWithService,
  ManualClock,
  request,
  requestToken,
  startTestSandbox,
} from '../helpers/sandbox';

const DAY_MS = 86_400_000;

const usageBody = z.object({
  requestId: z.string(),
  success: z.literal(true),
  result: z.array(
    z.object({
      date: z.string(),
      total: z.number(),
      users: z.array(z.object({ userId: z.string(), count: z.number() })),
    }),
  ),
});
const errorsBody = z.object({
  success: z.literal(true),
  result: z.array(
    z.object({
      date: z.string(),
      total: z.number(),
      errors: z.array(z.object({ errorCode: z.string(), count: z.number() })),
    }),
  ),
});

async function stats(sandbox: RunningSandbox, token: string, path: string): Promise<unknown> {
  const reply = await request(sandbox, 'GET', `/rest/v1/stats/${path}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(reply.status, 200, reply.text);
  return reply.json;
}

describe('Usage API', () => {
  // Noon UTC is 07:00 in Chicago (CDT): the whole test stays inside Chicago days it names.
  const clock = new ManualClock(Date.parse('2030-06-15T12:00:00.000Z'));
  let sandbox: RunningSandbox;
  let adminToken: string;
  let apiToken: string;
  before(async () => {
    sandbox = await startTestSandbox({ now: clock.now, tokenLifetimeSeconds: 30 * 86_400 });
    adminToken = (await requestToken(sandbox)).access_token;
    const credentials = await createApiUserWithService(sandbox, adminToken, 'usage.app@example.com');
    apiToken = (await requestToken(sandbox, credentials.clientId, credentials.clientSecret)).access_token;
  });
  after(() => sandbox.close());

  it('counts the calls each API user made today, itself included, and errors by code', async () => {
    const refused = await callUserManagement(sandbox, apiToken, 'GET', 'roles.json');
    assert.equal(refused.status, 403, 'the app user lacks User Management permissions');
    await callUserManagement(sandbox, 'not-a-token', 'GET', 'roles.json');
    const today = usageBody.parse(await stats(sandbox, apiToken, 'usage.json'));
    assert.equal(today.result.length, 1);
    assert.equal(today.result[0]?.date, '2030-06-15');
    // The admin's invite, the app's refused call and this read; the call with a bad token has no user.
    assert.deepEqual(today.result[0]?.users, [
      { userId: 'orchestrator@sandbox.local', count: 1 },
      { userId: 'usage.app@example.com', count: 2 },
    ]);
    assert.equal(today.result[0]?.total, 3);
    const errors = errorsBody.parse(await stats(sandbox, apiToken, 'errors.json'));
    assert.deepEqual(errors.result[0]?.errors, [
      { errorCode: '601', count: 1 },
      { errorCode: '603', count: 1 },
    ]);
  });

  it('keeps the last 7 days only, one entry per day with calls, oldest first', async () => {
    for (let day = 1; day <= 7; day += 1) {
      clock.advance(DAY_MS);
      if (day === 3) continue;
      await callUserManagement(sandbox, adminToken, 'GET', 'roles.json');
    }
    const week = usageBody.parse(await stats(sandbox, adminToken, 'usage/last7days.json'));
    assert.deepEqual(
      week.result.map((entry) => entry.date),
      ['2030-06-16', '2030-06-17', '2030-06-19', '2030-06-20', '2030-06-21', '2030-06-22'],
      'June 15 fell out of the window and June 18 saw no call',
    );
    assert.deepEqual(week.result.at(-1)?.users, [{ userId: 'orchestrator@sandbox.local', count: 2 }]);
    const errorWeek = errorsBody.parse(await stats(sandbox, adminToken, 'errors/last7days.json'));
    assert.deepEqual(errorWeek.result, [], 'the only errors were on June 15');
  });

  it('answers the usage of today with the reading call alone, and an error-free day with one empty entry', async () => {
    clock.advance(DAY_MS);
    const reply = usageBody.parse(await stats(sandbox, adminToken, 'usage.json'));
    assert.deepEqual(reply.result[0]?.users, [{ userId: 'orchestrator@sandbox.local', count: 1 }]);
    const errors = errorsBody.parse(await stats(sandbox, adminToken, 'errors.json'));
    assert.deepEqual(errors.result, [{ date: '2030-06-23', total: 0, errors: [] }]);
  });

  it('refuses a missing token and an unknown path the standard REST way: 200 with success false', async () => {
    const missing = await request(sandbox, 'GET', '/rest/v1/stats/usage.json');
    assert.equal(missing.status, 200);
    assert.deepEqual(z.object({ success: z.boolean() }).passthrough().parse(missing.json).success, false);
    assert.match(missing.text, /"code":"600"/);
    const unknown = await request(sandbox, 'GET', '/rest/v1/stats/other.json', {
      headers: { Authorization: `Bearer ${adminToken}` },
    });
    assert.match(unknown.text, /"success":false.*"code":"610"/);
  });
});
