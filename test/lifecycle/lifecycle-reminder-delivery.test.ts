/**
 * A reminder whose webhook fails for a while: retried until the receiver takes it, under one event id the
 * receiver can dedupe by, logged once, and recorded as sent only once it was delivered. Before, it was
 * recorded as sent before delivery, given up after 5 attempts, and logged once per attempt.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createNotifierFromEnv } from '../../src/notifications';
import { statusQuery } from '../../src/workflows/messages';
import { eventually, sampleRequest, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { statusWhen, withAlteredWorkers } from './support';

const FAILURES_BEFORE_ACCEPTING = 6;

interface Post {
  kind: string;
  eventId: unknown;
  header: string | undefined;
  answered: number;
}

/** Answers 503 to reminders until released (and at least N failed), then 200; everything else 200. */
async function startFlakyReceiver() {
  const posts: Post[] = [];
  let released = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kind: string; eventId?: unknown };
      const failed = posts.filter((p) => p.kind === 'reminder' && p.answered !== 200).length;
      const answered =
        body.kind === 'reminder' && (!released || failed < FAILURES_BEFORE_ACCEPTING) ? 503 : 200;
      const header = req.headers['idempotency-key'];
      posts.push({
        kind: body.kind,
        eventId: body.eventId,
        header: typeof header === 'string' ? header : undefined,
        answered,
      });
      res.writeHead(answered).end(answered === 200 ? 'ok' : 'try later');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    posts,
    release: () => {
      released = true;
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('a reminder through a failing webhook', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startFlakyReceiver>>;
  // Real time: on the time-skipping server the retries' backoff, the deadline and the expiry all skip ahead.
  withDevServerHarness(
    async (devServer, harness, { onClose }) => {
      env = devServer;
      h = harness;
      receiver = await startFlakyReceiver();
      onClose(() => receiver.close());
    },
    { sandbox: { rateLimit: { calls: 1000, windowMs: 20_000 } } },
  );

  it('is retried until delivered, with one event id, one log line, and "sent" only after delivery', async () => {
    const log = new PassThrough();
    const lines: string[] = [];
    log.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const notifier = createNotifierFromEnv({ MARKETO_API_USERS_WEBHOOK_URL: receiver.url }, { stream: log });
    // 15 minutes of access and a lead of 13.5: the reminder falls due about 90 s after the start (a lead falling
    // due within a minute of activation would be skipped).
    const request = sampleRequest({
      email: `reminder-delivery-${Date.now()}@example.com`,
      expiresAt: new Date(Math.floor((Date.now() + 15 * 60_000) / 1000) * 1000).toISOString(),
      policy: { reminderLeadsMs: [13.5 * 60_000] },
    });
    await withAlteredWorkers(
      env,
      h,
      (deps) => ({ ...deps, notifier }),
      async () => {
        const workflowId = await h.start(request);
        const handle = h.client.getHandle(workflowId);
        await statusWhen(handle, (s) => s.phase === 'active');

        const reminders = () => receiver.posts.filter((p) => p.kind === 'reminder');
        // Past the old limit of 5 attempts (about 31 s of backoff) it is still tried, and not called sent; the
        // first attempt comes about 90 s after the start.
        await eventually(() => (reminders().length >= FAILURES_BEFORE_ACCEPTING ? true : undefined), 180_000);
        const pending = await handle.query(statusQuery);
        assert.ok(
          !pending.timeline.some((e) => e.event === 'reminder sent'),
          JSON.stringify(pending.timeline),
        );

        receiver.release();
        const sent = await eventually(async () => {
          const status = await handle.query(statusQuery);
          return status.timeline.find((e) => e.event === 'reminder sent');
        }, 60_000);
        assert.match(sent.detail ?? '', new RegExp(request.expiresAt.slice(0, 10)));

        const posted = reminders();
        assert.equal(posted.filter((p) => p.answered === 200).length, 1, 'delivered once');
        const [first] = posted;
        assert.equal(typeof first?.eventId, 'string');
        assert.ok(String(first?.eventId).length >= 16);
        for (const post of posted) {
          assert.equal(post.eventId, first?.eventId, 'the same event id on every attempt');
          assert.equal(post.header, first?.eventId, 'and in the Idempotency-Key header');
        }
        const logged = lines.filter((line) => (JSON.parse(line) as { kind: string }).kind === 'reminder');
        assert.equal(logged.length, 1, `one log line for ${posted.length} attempts: ${logged.join('\n')}`);
        assert.equal((JSON.parse(logged[0] ?? '{}') as { eventId?: unknown }).eventId, first?.eventId);
        await handle.terminate('test done');
      },
    );
  });
});
