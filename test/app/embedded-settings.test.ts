/** `up` against a real Marketo takes its call budget and timeout from the same MARKETO_* settings as the worker. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { secretDirFor } from '../../src/context';
import { realMarketoSettings } from '../../src/app/embedded';
import { createMarketoClient } from '../../src/marketo/client';
import { loadMarketoConfig } from '../../src/marketo/config';

const REAL = {
  MARKETO_BASE_URL: 'https://123-ABC-456.mktorest.com/rest',
  MARKETO_CLIENT_ID: 'id',
  MARKETO_CLIENT_SECRET: 'secret',
};

describe("up's settings for a real Marketo instance", () => {
  it('passes MARKETO_BUDGET_* and MARKETO_TIMEOUT_MS to the client and to the Marketo queue', () => {
    const settings = realMarketoSettings(
      loadMarketoConfig({
        ...REAL,
        MARKETO_BUDGET_CALLS: '20',
        MARKETO_BUDGET_WINDOW_MS: '10000',
        MARKETO_BUDGET_CONCURRENCY: '2',
        MARKETO_TIMEOUT_MS: '1234',
      }),
    );
    assert.deepEqual(settings.marketoBudget, { calls: 20, windowMs: 10_000, concurrency: 2 });
    const client = createMarketoClient(settings.client);
    assert.equal(client.timeoutMs, 1234);
    assert.deepEqual(client.budget.limits, { calls: 20, windowMs: 10_000, maxConcurrent: 2 });
    assert.equal(client.baseUrl, 'https://123-abc-456.mktorest.com');
  });

  it('MARKETO_BUDGET_CALLS=unlimited leaves the queue without a server-side limit', () => {
    const settings = realMarketoSettings(loadMarketoConfig({ ...REAL, MARKETO_BUDGET_CALLS: 'unlimited' }));
    assert.equal(settings.marketoBudget, undefined);
    assert.equal(createMarketoClient(settings.client).budget.limits, 'unlimited');
  });

  it('the defaults are what Marketo asks of an integration', () => {
    const settings = realMarketoSettings(loadMarketoConfig(REAL));
    assert.deepEqual(settings.marketoBudget, { calls: 50, windowMs: 20_000, concurrency: 5 });
  });

  it('the secret folder is MARKETO_API_USERS_SECRET_DIR for `up` as for the CLI, else DATA/secrets', () => {
    assert.equal(secretDirFor('/d', { MARKETO_API_USERS_SECRET_DIR: '/s' }), '/s');
    assert.equal(secretDirFor('/d', {}), path.join('/d', 'secrets'));
  });
});
