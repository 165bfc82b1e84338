/**
 * Attack: the identity call put the client secret in its URL's query string, where proxies, access logs,
 * and error texts that quote a URL keep it. It now travels in a form-encoded POST body.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMarketoClient, TokenCache, type FetchLike } from '../../src/marketo';
import type { RunningSandbox } from '../../src/sandbox';
import { startTestSandbox } from '../helpers/sandbox';
import { startFakeMarketo, TOKEN_PATH, tokenReply, type FakeMarketo } from '../marketo/support';

// Every character that encodes differently in a URL, a form body and JSON.
const SECRET = `s3cr!t'(x)~ y+z&k=v%41"\\end`;

describe('the identity request carries the client secret in its body, never its URL', () => {
  let fake: FakeMarketo;
  before(async () => {
    fake = await startFakeMarketo((req) => (req.rawPath === TOKEN_PATH ? tokenReply() : { body: [] }));
  });
  after(() => fake.close());

  it('POSTs client_id and client_secret form-encoded, with nothing secret in the URL', async () => {
    const client = createMarketoClient({
      baseUrl: fake.baseUrl,
      clientId: 'cid',
      clientSecret: SECRET,
      budget: 'unlimited',
      tokenCache: new TokenCache(),
    });
    await client.listUsers();
    const [identity] = fake.identityRequests();
    assert.ok(identity);
    assert.equal(identity.method, 'POST');
    assert.match(String(identity.headers['content-type']), /^application\/x-www-form-urlencoded/);
    assert.equal(identity.query.toString(), '', 'no query string at all');
    const form = new URLSearchParams(identity.body);
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('client_id'), 'cid');
    assert.equal(form.get('client_secret'), SECRET);
  });
});

describe('the sandbox accepts the POST form', () => {
  let sandbox: RunningSandbox;
  before(async () => {
    sandbox = await startTestSandbox();
  });
  after(() => sandbox.close());

  it('issues a token, and the URLs the client sent name no secret', async () => {
    const urls: string[] = [];
    const recording: FetchLike = (url, init) => {
      urls.push(url);
      return fetch(url, init);
    };
    const client = createMarketoClient({
      baseUrl: sandbox.baseUrl,
      clientId: sandbox.adminClientId,
      clientSecret: sandbox.adminClientSecret,
      budget: 'unlimited',
      tokenCache: new TokenCache(),
      fetch: recording,
    });
    const info = await client.getTokenInfo();
    assert.ok(info.expiresInSeconds > 0);
    assert.ok(urls.length > 0);
    for (const url of urls) {
      assert.ok(!url.includes('client_secret'), url);
      assert.ok(!url.includes(encodeURIComponent(sandbox.adminClientSecret)), url);
    }
  });
});
