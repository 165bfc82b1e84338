/**
 * The codec server over HTTP, as the Web UI and `temporal --codec-endpoint` call it: payloads encoded under an
 * old key id still decode, only configured origins get CORS answers (others 403 without them), the bearer
 * token when set, and bad or oversized bodies refused with a reason.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { startCodecServer, type RunningCodecServer } from '../../src/codec-server/server';
import { toJson } from '../../src/codec-server/protocol';
import { Keyring } from '../../src/security/keyring';
import { EncryptionCodec, METADATA_ENCRYPTION_KEY_ID } from '../../src/security/payload-codec';

const UI = 'http://127.0.0.1:8233';
const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const rotated = new Keyring(
  'k-new',
  new Map([
    ['k-new', newKey],
    ['k-old', oldKey],
  ]),
  undefined,
  'test',
);
const beforeRotation = new Keyring('k-old', new Map([['k-old', oldKey]]), undefined, 'test');

const plain = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const valueOf = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);

function fromJson(json: { metadata?: Record<string, string>; data?: string }): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(json.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(json.data ?? '', 'base64') };
}

describe('codec server', () => {
  let server: RunningCodecServer;
  let tokenServer: RunningCodecServer;
  const token = randomBytes(24).toString('hex');

  before(async () => {
    server = await startCodecServer({
      codec: new EncryptionCodec(rotated),
      origins: [UI],
      maxBodyBytes: 64 * 1024,
    });
    tokenServer = await startCodecServer({ codec: new EncryptionCodec(rotated), origins: [UI], token });
  });
  after(async () => {
    await server.close();
    await tokenServer.close();
  });

  const post = (
    base: string,
    path: string,
    body: string,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: UI, 'x-namespace': 'default', ...headers },
      body,
    });

  it('listens on loopback', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('decodes a payload encoded under an old key id still in the keyring', async () => {
    const [encoded] = await new EncryptionCodec(beforeRotation).encode([plain({ email: 'old@example.com' })]);
    const response = await post(server.url, '/decode', JSON.stringify({ payloads: [toJson(encoded!)] }));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), UI);
    const body = (await response.json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    assert.equal(body.payloads.length, 1);
    assert.deepEqual(valueOf(fromJson(body.payloads[0]!)), { email: 'old@example.com' });
  });

  it('encodes under the current key, and what it encodes decodes back', async () => {
    const request = JSON.stringify({ payloads: [toJson(plain('phase: active'))] });
    const encoded = (await (await post(server.url, '/encode', request)).json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    const keyId = Buffer.from(
      encoded.payloads[0]!.metadata[METADATA_ENCRYPTION_KEY_ID]!,
      'base64',
    ).toString();
    assert.equal(keyId, 'k-new');
    assert.doesNotMatch(Buffer.from(encoded.payloads[0]!.data, 'base64').toString('latin1'), /phase: active/);
    const decoded = await new EncryptionCodec(rotated).decode(encoded.payloads.map(fromJson));
    assert.equal(valueOf(decoded[0]!), 'phase: active');
  });

  it('hands plain payloads back as they are, and names a key id it lacks', async () => {
    const unchanged = await post(server.url, '/decode', JSON.stringify({ payloads: [toJson(plain(42))] }));
    const body = (await unchanged.json()) as { payloads: { data: string }[] };
    assert.equal(valueOf(fromJson(body.payloads[0]!)), 42);
    const foreign = new Keyring('k-gone', new Map([['k-gone', randomBytes(32)]]), undefined, 'test');
    const [encoded] = await new EncryptionCodec(foreign).encode([plain('x')]);
    const unknown = await post(server.url, '/decode', JSON.stringify({ payloads: [toJson(encoded!)] }));
    assert.equal(unknown.status, 422);
    assert.match(((await unknown.json()) as { error: string }).error, /"k-gone" is not in the keyring/);
  });

  it('answers a preflight from the configured origin with the UI headers', async () => {
    const response = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST' },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), UI);
    assert.equal(response.headers.get('access-control-allow-methods'), 'POST');
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['x-namespace', 'content-type', 'authorization'])
      assert.ok(allowed.includes(header));
  });

  it('refuses an origin that is not configured: 403 and no CORS header', async () => {
    const body = JSON.stringify({ payloads: [] });
    for (const origin of ['http://evil.example', 'http://127.0.0.1:8234', 'null']) {
      const response = await post(server.url, '/decode', body, { origin });
      assert.equal(response.status, 403, origin);
      assert.equal(response.headers.get('access-control-allow-origin'), null, origin);
      const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin } });
      assert.equal(preflight.status, 403, origin);
      assert.equal(preflight.headers.get('access-control-allow-origin'), null, origin);
    }
  });

  it('with a token, refuses a request without it or with another one (401), and serves the right one', async () => {
    const body = JSON.stringify({ payloads: [toJson(plain(1))] });
    const missing = await post(tokenServer.url, '/decode', body);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
    const wrong = await post(tokenServer.url, '/decode', body, {
      authorization: `Bearer ${token.slice(1)}x`,
    });
    assert.equal(wrong.status, 401);
    const right = await post(tokenServer.url, '/decode', body, { authorization: `Bearer ${token}` });
    assert.equal(right.status, 200);
  });

  it('refuses a body that is not the protocol with the reason (400)', async () => {
    const cases: [string, RegExp][] = [
      ['{"payloads":[{"data":123}]}', /payloads\.0\.data: .*expected string/],
      ['{"payloads":[{"data":"not base64!"}]}', /payloads\.0\.data: must be base64/],
      ['{"payload":[]}', /payloads: .*expected array/],
      ['not json', /body: is not JSON/],
    ];
    for (const [body, problem] of cases) {
      const response = await post(server.url, '/decode', body);
      assert.equal(response.status, 400, body);
      const answer = (await response.json()) as { problems: string[] };
      assert.ok(
        answer.problems.some((p) => problem.test(p)),
        `${body}: ${answer.problems.join('; ')}`,
      );
    }
    const text = await post(server.url, '/decode', '{"payloads":[]}', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
  });

  it('refuses a body over the cap (413) and stays up', async () => {
    const big = JSON.stringify({ payloads: [{ data: 'A'.repeat(100 * 1024) }] });
    const response = await post(server.url, '/decode', big);
    assert.equal(response.status, 413);
    assert.match(((await response.json()) as { error: string }).error, /larger than 64 KiB/);
    // Streamed, with no Content-Length to judge it by: cut off once past the cap.
    const chunks = [
      Buffer.from('{"payloads":[{"data":"'),
      Buffer.alloc(100 * 1024, 'A'),
      Buffer.from('"}]}'),
    ];
    const streamed = await fetch(`${server.url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: UI },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      }),
      duplex: 'half',
    });
    assert.equal(streamed.status, 413);
    const after = await post(server.url, '/decode', JSON.stringify({ payloads: [] }));
    assert.equal(after.status, 200);
  });

  it('decode-only: /encode is refused, /decode served', async () => {
    const decodeOnly = await startCodecServer({
      codec: new EncryptionCodec(rotated),
      origins: [UI],
      encode: false,
    });
    try {
      const body = JSON.stringify({ payloads: [toJson(plain('x'))] });
      const encode = await post(decodeOnly.url, '/encode', body);
      assert.equal(encode.status, 403);
      assert.match(((await encode.json()) as { error: string }).error, /only decodes/);
      assert.equal((await post(decodeOnly.url, '/decode', body)).status, 200);
    } finally {
      await decodeOnly.close();
    }
  });

  it('serves only POST /encode and /decode', async () => {
    assert.equal((await post(server.url, '/other', '{}')).status, 404);
    assert.equal((await fetch(`${server.url}/decode`, { headers: { origin: UI } })).status, 405);
  });
});
