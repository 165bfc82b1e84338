import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import {
  LogNotifier,
  createNotifierFromEnv,
  maskEmail,
  maskEmailsIn,
  type LifecycleNotification,
} from '../../src/notifications';

const EMAIL = 'chaosuser-ab12cd-007@chaos-run.example.com';
const EVENT: LifecycleNotification = {
  kind: 'deactivated',
  workflowId: 'marketo-api-user-0123456789abcdef0123456789abcdef',
  email: EMAIL,
  at: '2030-01-02T03:04:05.000Z',
  // As the lifecycle builds them: the email inside the sentence, here in another case as well.
  message: `Access of ${EMAIL} ended (expired): locked; was ${EMAIL.toUpperCase()}`,
  details: {
    outcome: `locked ${EMAIL}`,
    drift: { marketoSaid: [`owner ${EMAIL}`, 'nothing personal'] },
    cc: 'Ops.Team+alerts@corp.example.org',
  },
};

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

async function logLine(event: LifecycleNotification): Promise<string> {
  const stream = new PassThrough();
  const output = collect(stream);
  await new LogNotifier(stream).notify(event);
  return output();
}

describe('maskEmail', () => {
  it('keeps the first character of the local part and the domain', () => {
    assert.equal(maskEmail('jane.doe@example.com'), 'j***@example.com');
    assert.equal(maskEmail(EMAIL), 'c***@chaos-run.example.com');
  });

  it('masks a short local part whole, and a malformed address entirely', () => {
    assert.equal(maskEmail('jo@example.com'), '***@example.com');
    assert.equal(maskEmail('@example.com'), '***');
    assert.equal(maskEmail('no-at-sign'), '***');
  });

  it('leaves an already masked address as it is', () => {
    assert.equal(maskEmail('j***@example.com'), 'j***@example.com');
    assert.equal(maskEmail('***@example.com'), '***@example.com');
  });
});

describe('maskEmailsIn', () => {
  it('masks the given email in any case, even one the loose pattern would miss', () => {
    const odd = '"jane doe"@example.com';
    assert.equal(
      maskEmailsIn(`to ${odd} and ${odd.toUpperCase()}`, odd),
      'to "***@example.com and "***@example.com',
    );
  });

  it('masks other email-shaped text too, Unicode included', () => {
    assert.equal(
      maskEmailsIn('cc jörg.müller@bücher.example, not an @ sign or a@b'),
      'cc j***@bücher.example, not an @ sign or a@b',
    );
  });
});

describe('LogNotifier masks personal data', () => {
  it('writes no clear email: not the address, not its local part, in no case', async () => {
    const text = await logLine(EVENT);
    for (const needle of [
      EMAIL,
      EMAIL.toUpperCase(),
      'chaosuser-ab12cd-007',
      'Ops.Team+alerts',
      'ops.team',
    ]) {
      assert.ok(!text.toLowerCase().includes(needle.toLowerCase()), `${needle} in ${text}`);
    }
  });

  it('keeps the line useful: workflow id, kind, masked email in every place it was', async () => {
    const line = JSON.parse(await logLine(EVENT)) as Record<string, unknown>;
    assert.equal(line.type, 'lifecycle-notification');
    assert.equal(line.kind, 'deactivated');
    assert.equal(line.workflowId, EVENT.workflowId);
    assert.equal(line.email, 'c***@chaos-run.example.com');
    assert.equal(
      line.message,
      'Access of c***@chaos-run.example.com ended (expired): locked; was c***@chaos-run.example.com',
    );
    assert.deepEqual(line.details, {
      outcome: 'locked c***@chaos-run.example.com',
      drift: { marketoSaid: ['owner c***@chaos-run.example.com', 'nothing personal'] },
      cc: 'O***@corp.example.org',
    });
  });

  it('masks an email in the message of an event that names none', async () => {
    const { email: _omitted, ...anonymous } = EVENT;
    const line = JSON.parse(await logLine({ ...anonymous, message: `sweep found ${EMAIL}` })) as Record<
      string,
      unknown
    >;
    assert.equal(line.email, undefined);
    assert.equal(line.message, 'sweep found c***@chaos-run.example.com');
  });

  it('a configured webhook still receives the email in clear while the log line masks it', async () => {
    const stream = new PassThrough();
    const output = collect(stream);
    const bodies: string[] = [];
    const fetchSpy: typeof fetch = (_input, init) => {
      bodies.push(typeof init?.body === 'string' ? init.body : '');
      return Promise.resolve(new Response('ok'));
    };
    const notifier = createNotifierFromEnv(
      { MARKETO_API_USERS_WEBHOOK_URL: 'https://hooks.example.com/ops' },
      { stream, fetch: fetchSpy },
    );
    await notifier.notify(EVENT);
    assert.ok(!output().includes(EMAIL));
    assert.equal((JSON.parse(bodies[0] ?? '{}') as { email?: string }).email, EMAIL);
  });
});
