/**
 * Attack: a hostile (or hijacked) Marketo base URL or webhook receiver answers with a body that never ends,
 * or declares 200 MB. Before the cap, the client buffered all of it in the worker's memory.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createMarketoClient, MarketoApiError, TokenCache } from '../../src/marketo';
import { WebhookNotifier, WebhookError, type LifecycleNotification } from '../../src/notifications';

const CHUNK = Buffer.alloc(64 * 1024, 'a');
const MiB = 1024 * 1024;
const SENT_AT_MOST = 32 * MiB;
const TOKEN = JSON.stringify({
  access_token: 't:ab',
  token_type: 'bearer',
  expires_in: 3600,
  scope: 'a@b.co',
});

interface Hostile {
  baseUrl: string;
  /** Declare a 200 MB Content-Length instead of sending chunks without one. */
  declare: boolean;
  /** Bytes the server managed to write before the client hung up, per request path. */
  written: Map<string, number>;
  close(): Promise<void>;
}

/** Answers every call but identity with 200 and chunks until the client goes away. */
async function startHostile(): Promise<Hostile> {
  const written = new Map<string, number>();
  const hostile = { declare: false };
  const server = http.createServer((req, res) => {
    req.resume();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/identity/oauth/token') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(TOKEN);
      return;
    }
    written.set(path, 0);
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(hostile.declare ? { 'content-length': String(200 * 1024 * 1024) } : {}),
    });
    let total = 0;
    const pump = (): void => {
      while (!res.destroyed && total < SENT_AT_MOST) {
        total += CHUNK.length;
        written.set(path, total);
        if (!res.write(CHUNK)) {
          res.once('drain', pump);
          return;
        }
      }
      // Enough to show the cap, small enough that an uncapped client fails fast rather than swapping.
      if (hostile.declare) res.destroy();
      else res.end();
    };
    res.on('close', () => written.set(path, total));
    pump();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return Object.assign(hostile, {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    written,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  });
}

const EVENT: LifecycleNotification = {
  kind: 'reminder',
  workflowId: 'marketo-api-user-0123456789abcdef0123456789abcdef',
  at: '2030-01-02T03:04:05.000Z',
  message: 'expires soon',
};

describe('a hostile server sending a huge or endless body', () => {
  let hostile: Hostile;
  before(async () => {
    hostile = await startHostile();
  });
  after(() => hostile.close());

  for (const declare of [false, true]) {
    const what = declare ? 'a declared 200 MB' : 'an endless';
    it(`Marketo client: ${what} body stops at 10 MiB with a non-retryable error`, async () => {
      hostile.declare = declare;
      hostile.written.clear();
      const client = createMarketoClient({
        baseUrl: hostile.baseUrl,
        clientId: 'cid',
        clientSecret: 'secret-1',
        budget: 'unlimited',
        timeoutMs: 60_000,
        tokenCache: new TokenCache(),
      });
      const error = await client.listUsers().then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof MarketoApiError, String(error));
      assert.equal(error.code, 'response_too_large');
      assert.equal(error.retryable, false);
      assert.match(error.message, /10 MiB/);
      const served = hostile.written.get('/userservice/management/v1/users/allusers.json');
      assert.ok(served !== undefined, 'the list call reached the server');
      // The cap plus what loopback socket buffers hold: a client reading everything would take all 32 MiB.
      assert.ok(served < 16 * MiB, `the server wrote ${served} bytes before the client hung up`);
    });

    it(`webhook: ${what} response stops at 64 KiB with a non-retryable error`, async () => {
      hostile.declare = declare;
      hostile.written.clear();
      const notifier = new WebhookNotifier(`${hostile.baseUrl}/hook`, { timeoutMs: 60_000 });
      const error = await notifier.notify(EVENT).then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof WebhookError, String(error));
      assert.equal(error.retryable, false);
      assert.match(error.message, /64 KiB/);
      const served = hostile.written.get('/hook');
      assert.ok(served !== undefined, 'the webhook reached the server');
      // 64 KiB plus the socket buffers, far below a cap that had been set in MiB.
      assert.ok(served < 8 * MiB, `the server wrote ${served} bytes before the client hung up`);
    });
  }
});
