/**
 * `demo` as a newcomer runs it: one subprocess, its own stack on free ports in a temp folder, exit 0 with every
 * step narrated: the hand-over of the credentials (through `credentials`, used for a token), the expiry, the
 * user locked in the sandbox, `credentials` refused and the old secret refused a token, the audit log. The shell
 * here points at a Temporal cluster and a Marketo instance that do not answer: the demo must use neither.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { StoredSecretsWatch } from '../helpers/stored-secrets';
import {
  cliEnv,
  describeRun,
  eventually,
  killAll,
  processesMentioning,
  removeDir,
  runCli,
} from '../cli/support';

/** The lines of the step that starts with `heading`, up to the next step. */
function stepLines(stdout: string, heading: RegExp): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => heading.test(l));
  assert.ok(start >= 0, `no step ${heading}\n${stdout}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('▶ '));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => l.trim() !== '');
}

describe('demo', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-demo-test-'));
  after(async () => {
    await killAll();
    removeDir(tmp);
  });

  it('interrupted halfway (Ctrl-C while it waits for the expiry) it stops its stack, removes its folder, exits 130', async () => {
    // A folder of its own: what this run leaves is not confused with the next test's.
    const own = fs.mkdtempSync(path.join(tmp, 'interrupted-'));
    const run = await runCli(['demo'], {
      env: cliEnv({ TMPDIR: own }),
      interrupt: { stdout: /▶ Waiting for the expiry/, signal: 'SIGINT' },
      timeoutMs: 240_000,
    });
    assert.equal(run.code, 130, describeRun(run));
    assert.match(run.stderr, /SIGINT: stopping the demo's stack and removing its folder/);
    await eventually(
      async () => ((await processesMentioning('marketo-api-users-demo-')).length === 0 ? true : undefined),
      10_000,
      'nothing of the interrupted demo runs',
    );
    assert.deepEqual(
      fs.readdirSync(own).filter((n) => n.startsWith('marketo-api-users-demo-')),
      [],
      'its folder is removed (tsx keeps its cache here too)',
    );
  });

  it('hands the credentials over, shows them refused after the expiry, and exits 0', async () => {
    // The demo deletes its folder on the way out (and the lifecycle its secret at expiry): read while it runs.
    const watch = new StoredSecretsWatch(tmp, 'marketo-api-users-demo-');
    let watching = true;
    const watched = (async () => {
      while (watching) {
        await watch.poll();
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    const secrets = watch.seen;
    const startedAt = Date.now();
    const run = await runCli(['demo'], {
      env: cliEnv({
        // Its temporary folder lands here, where the watch above reads its secret store.
        TMPDIR: tmp,
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        TEMPORAL_NAMESPACE: 'not-the-demo',
        MARKETO_BASE_URL: 'http://127.0.0.1:1',
        MARKETO_CLIENT_ID: 'someone-elses',
        MARKETO_CLIENT_SECRET: 'someone-elses-secret',
      }),
      timeoutMs: 240_000, // a hang guard, not a speed requirement
    }).finally(async () => {
      watching = false;
      await watched;
      await watch.close();
    });
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    process.stdout.write(`# demo wall time: ${seconds} s\n`);
    assert.equal(run.code, 0, describeRun(run));
    const steps = run.stdout.split('\n').filter((line) => line.startsWith('▶ '));
    const expected = [
      /^▶ Starting the embedded stack/,
      /^▶ Onboarding demo-\S+@example\.com/,
      /^▶ Its status/,
      /^▶ Handing the credentials to the integration: `credentials`/,
      /^▶ The integration asks the sandbox's identity endpoint for a token/,
      /^▶ Extending access by 10 s/,
      /^▶ Waiting for the expiry/,
      /^▶ The user in the sandbox/,
      /^▶ `credentials` again, after the expiry/,
      /^▶ The old secret at the identity endpoint/,
      /^▶ The audit log of demo-\S+@example\.com/,
      /^▶ Done in \d+ s\. Shutting down\./,
    ];
    assert.equal(steps.length, expected.length, run.stdout);
    expected.forEach((pattern, i) => assert.match(steps[i]!, pattern));
    const onboarded = /^ {2}active: role \d+, user (demo-\S+), client id (\S+)$/m.exec(run.stdout);
    assert.ok(onboarded, run.stdout);
    const [, email, clientId] = onboarded as unknown as [string, string, string];
    assert.match(run.stdout, /^ {2}now expires at \S+Z$/m);
    assert.match(run.stdout, /^ {2}expired at \S+: (already )?locked$/m);
    assert.match(run.stdout, /^ {2}isLocked: true, lockedReason: .+, lockedAt: \S+$/m);

    // The hand-over: the client id shown, the secret only as its length and fingerprint.
    const handed = /^ {2}client id (\S+), secret of (\d+) characters, SHA-256 ([0-9a-f]{12})…/m.exec(
      run.stdout,
    );
    assert.ok(handed, run.stdout);
    assert.equal(handed[1], clientId);
    const secret = secrets.get(clientId);
    assert.ok(secret, `the demo's secret store never held ${clientId}: ${[...secrets.keys()].join(', ')}`);
    assert.equal(Number(handed[2]), secret.length);
    assert.equal(handed[3], createHash('sha256').update(secret).digest('hex').slice(0, 12));

    // The token's scope is the API-only user; the token itself is not printed.
    const token = stepLines(run.stdout, /^▶ The integration asks/);
    assert.match(token.join('\n'), new RegExp(`^ {2}200: a bearer token for \\d+ s, scope ${email}\\b`, 'm'));

    // After the expiry: the read refused with what happened, and the old secret refused a token.
    const refused = stepLines(run.stdout, /^▶ `credentials` again/).join('\n');
    assert.match(
      refused,
      new RegExp(`^ {2}refused: The access of ${email} expired at \\S+.*secret is deleted`, 'm'),
    );
    const oldSecret = stepLines(run.stdout, /^▶ The old secret/).join('\n');
    assert.match(oldSecret, /^ {2}401 invalid_client: .+$/m);

    // The audit log: onboarding, the read, the extension, the expiry and the refused read, in that order.
    const audit = stepLines(run.stdout, /^▶ The audit log/);
    assert.match(audit[0]!, /^ {2}AT +KIND +EMAIL +ACTOR +WHAT$/);
    const rows = audit.slice(1).map((l) => l.trim().split(/ {2,}/));
    assert.deepEqual(
      rows.map((r) => r[1]),
      ['onboarded', 'credentials-read', 'extended', 'expired', 'credentials-read'],
      audit.join('\n'),
    );
    assert.ok(rows.every((r) => r[2] === email));
    // Who: the demo, except the expiry, which the lifecycle's timer did.
    assert.deepEqual(
      rows.map((r) => r[3]),
      ['demo', 'demo', 'demo', 'lifecycle', 'demo'],
    );
    assert.match(audit[2]!, /outcome=handed over/);
    assert.match(audit[5]!, /outcome=refused: deactivated/);

    // No secret anywhere: the sample's, the shell's, nor a token (`<uuid>:<pod>`).
    const everything = run.stdout + run.stderr;
    assert.ok(!everything.includes(secret), 'the demo printed its secret');
    assert.doesNotMatch(everything, /someone-elses-secret/);
    assert.doesNotMatch(everything, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\w/);
    // Its Temporal dev server went with it, and so did its folder.
    assert.deepEqual(await processesMentioning('marketo-api-users-demo-'), []);
    assert.deepEqual(
      fs.readdirSync(tmp).filter((n) => n.startsWith('marketo-api-users-demo-')),
      [],
    );
  });
});
