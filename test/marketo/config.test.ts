import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  createMarketoClient,
  hasMarketoEnv,
  loadMarketoConfig,
  MarketoConfigError,
  normalizeBaseUrl,
} from '../../src/marketo';

const SECRET = 'Zq8-very-secret-value';
const base = {
  MARKETO_BASE_URL: 'https://123-ABC-456.mktorest.com',
  MARKETO_CLIENT_ID: 'client-id-1',
  MARKETO_CLIENT_SECRET: SECRET,
};

function configError(fn: () => unknown): MarketoConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof MarketoConfigError, String(error));
    return error;
  }
  assert.fail('expected a MarketoConfigError');
}

describe('Marketo config', () => {
  it('reads the three variables and defaults the budget and timeout', () => {
    const config = loadMarketoConfig(base);
    assert.deepEqual(config, {
      baseUrl: 'https://123-abc-456.mktorest.com',
      clientId: 'client-id-1',
      clientSecret: SECRET,
      budget: { calls: 50, windowMs: 20_000, maxConcurrent: 5 },
      timeoutMs: 30_000,
    });
    assert.equal(hasMarketoEnv(base), true);
    assert.equal(hasMarketoEnv({ ...base, MARKETO_CLIENT_SECRET: '' }), false);
  });

  it('reads the budget variables, and unlimited', () => {
    const config = loadMarketoConfig({
      ...base,
      MARKETO_BUDGET_CALLS: '40',
      MARKETO_BUDGET_WINDOW_MS: '10000',
      MARKETO_BUDGET_CONCURRENCY: '3',
      MARKETO_TIMEOUT_MS: '5000',
    });
    assert.deepEqual(config.budget, { calls: 40, windowMs: 10_000, maxConcurrent: 3 });
    assert.equal(config.timeoutMs, 5000);
    assert.equal(loadMarketoConfig({ ...base, MARKETO_BUDGET_CALLS: 'unlimited' }).budget, 'unlimited');
  });

  it('accepts the endpoints Admin > Web Services shows, and never keeps a trailing slash', () => {
    assert.equal(normalizeBaseUrl('https://1-A-2.mktorest.com/rest/'), 'https://1-a-2.mktorest.com');
    assert.equal(normalizeBaseUrl('https://1-A-2.mktorest.com/identity'), 'https://1-a-2.mktorest.com');
    assert.equal(normalizeBaseUrl(' http://127.0.0.1:8080/ '), 'http://127.0.0.1:8080');
    assert.equal(normalizeBaseUrl('http://proxy.local/marketo//'), 'http://proxy.local/marketo');
    assert.throws(() => normalizeBaseUrl('ftp://x'));
    assert.throws(() => normalizeBaseUrl('https://x.com/?a=1'));
  });

  it('names every bad variable and never repeats a value', () => {
    const error = configError(() =>
      loadMarketoConfig({
        MARKETO_BASE_URL: `https://user:${SECRET}@x.mktorest.com`,
        MARKETO_CLIENT_SECRET: SECRET,
        MARKETO_BUDGET_CALLS: `${SECRET}`,
        MARKETO_BUDGET_CONCURRENCY: '-1',
      }),
    );
    assert.deepEqual([...error.settings].sort(), [
      'MARKETO_BUDGET_CALLS',
      'MARKETO_BUDGET_CONCURRENCY',
      'MARKETO_CLIENT_ID',
    ]);
    assert.ok(!error.message.includes(SECRET), error.message);
    const urlError = configError(() =>
      loadMarketoConfig({ ...base, MARKETO_BASE_URL: `https://user:${SECRET}@x.mktorest.com` }),
    );
    assert.deepEqual(urlError.settings, ['MARKETO_BASE_URL']);
    assert.match(urlError.message, /MARKETO_BASE_URL must not contain credentials/);
    assert.ok(!urlError.message.includes(SECRET));
    const missing = configError(() => loadMarketoConfig({ ...base, MARKETO_CLIENT_SECRET: undefined }));
    assert.match(missing.message, /MARKETO_CLIENT_SECRET is required/);
  });

  it('validates options given in code and keeps the secret out of the client object', () => {
    const error = configError(() =>
      createMarketoClient({ baseUrl: 'not a url', clientId: 'x', clientSecret: '' }),
    );
    assert.deepEqual([...error.settings].sort(), ['baseUrl', 'clientSecret']);
    const client = createMarketoClient({
      ...loadMarketoConfig(base),
      fetch: () => Promise.reject(new Error('no')),
    });
    assert.ok(!JSON.stringify(client).includes(SECRET));
    assert.ok(!inspect(client, { depth: 10, showHidden: true }).includes(SECRET));
    assert.equal(client.baseUrl, 'https://123-abc-456.mktorest.com', 'host names are case-insensitive');
    assert.deepEqual(client.budget.limits, { calls: 50, windowMs: 20_000, maxConcurrent: 5 });
  });
});
