import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { z } from 'zod';
import { LifecycleClient } from '../../client';
import { formatIssues } from '../../domain/lifecycle-request';
import { freePorts, startEmbeddedStack, type EmbeddedStack } from '../../app/embedded';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import { describeStatus } from './format';
import type { Command } from './types';

const OPTIONS = { help: COMMON_OPTIONS.help, 'expires-in-seconds': { type: 'string' } } as const;

/**
 * At least the product's shortest access (a minute: the demo goes through the same client API as everyone),
 * and short enough that the demo stays around a minute and a half.
 */
const lifetimeSchema = z.object({
  'expires-in-seconds': z
    .string()
    .regex(/^\d+$/, 'must be a whole number of seconds from 60 to 120')
    .transform(Number)
    .pipe(z.number().min(60, 'must be at least 60').max(120, 'must be at most 120'))
    .default(60),
});

/** The expiry wait gives up after this: a demo that hangs tells nobody anything. */
export const DEMO_EXPIRY_WAIT_MS = 150_000;

/**
 * The demo runs on its own sandbox and its own Temporal whatever this shell is configured for; it keeps only
 * where the Temporal binary comes from (setup's cache, or an explicit path).
 */
const KEPT_ENV = new Set(['MARKETO_API_USERS_CACHE_DIR', 'TEMPORAL_CLI_PATH']);

export function demoEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(
      ([key]) => KEPT_ENV.has(key) || !(key.startsWith('MARKETO_') || key.startsWith('TEMPORAL_')),
    ),
  );
}

class DemoTimeoutError extends Error {
  override readonly name = 'DemoTimeoutError';
}

export const demoCommand: Command = {
  help: `Usage: marketo-api-users demo [--expires-in-seconds N]

Brings up the embedded stack (Temporal dev server, Marketo sandbox, worker) in a temporary folder on free
ports, onboards a sample API-only user with a short expiry, shows its status, extends it, waits for the
expiry, shows the user locked in the sandbox, shuts everything down and exits 0. About a minute and a half.
It ignores MARKETO_* and TEMPORAL_* settings (except TEMPORAL_CLI_PATH and MARKETO_API_USERS_CACHE_DIR):
it never touches a real Marketo instance or Temporal cluster. No --json: it narrates for people.

  --expires-in-seconds N   the sample user's first lifetime, 60 to 120 (default 60)

Example:
  npm run demo
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const flags = lifetimeSchema.safeParse(values);
    if (!flags.success) throw new UsageError(formatIssues(flags.error));
    const lifetimeSeconds = flags.data['expires-in-seconds'];
    const output = makeOutput(false);
    const say = (text: string) => output.line(`\n▶ ${text}`);
    const env = demoEnv(process.env);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marketo-api-users-demo-'));
    let stack: EmbeddedStack | undefined;
    let client: LifecycleClient | undefined;
    let connection: Connection | undefined;
    const startedAt = Date.now();
    try {
      say('Starting the embedded stack: Temporal dev server (SQLite), Marketo sandbox, worker');
      const [temporalPort, uiPort, sandboxPort] = await freePorts(3);
      stack = await startEmbeddedStack({
        dataDir,
        temporalPort,
        uiPort,
        sandboxPort,
        env,
        log: (l) => output.progress(l),
      });
      output.done();
      output.line(`  Temporal ${stack.temporalAddress}, UI ${stack.uiUrl}, sandbox ${stack.marketoBaseUrl}`);
      // Its own stack, named outright: nothing in the environment may send the demo to another cluster.
      connection = await Connection.connect({ address: stack.temporalAddress });
      client = await LifecycleClient.connect({
        dataDir,
        env: { ...env, TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_NAMESPACE: stack.stack.namespace },
        connection,
      });

      const email = `demo-${Date.now().toString(36)}@example.com`;
      say(
        `Onboarding ${email}: role "Demo Read-Only", API-only user, custom service, access for ${lifetimeSeconds} s`,
      );
      const onboarded = await client.onboard(
        {
          email,
          firstName: 'Demo',
          lastName: 'Integration',
          role: {
            name: 'Demo Read-Only',
            permissions: ['Read-Only Lead', 'Read-Only Activity'],
            workspace: 0,
          },
          reason: 'marketo-api-users demo',
          expiresIn: `${lifetimeSeconds}s`,
          policy: { reminderLeadMs: '10s' },
        },
        { onProgress: (s) => output.progress(`phase: ${s.phase}`) },
      );
      output.done();
      output.line(
        `  ${onboarded.phase}: role ${onboarded.roleId}, user ${onboarded.userId}, client id ${onboarded.clientId}`,
      );
      output.line(`  the client secret went straight to the secret store: ${onboarded.secretRef}`);

      say('Its status (a Temporal query)');
      for (const line of describeStatus(await client.status(email), 6)) output.line(`  ${line}`);

      say('Extending access by 10 s (a Temporal update; it also moves expiresAt in Marketo)');
      const extended = await client.extend(email, { by: '10s' });
      output.line(`  now expires at ${extended.expiresAt}`);

      say('Waiting for the expiry: a durable timer in the workflow, then Marketo locks the user');
      const giveUpAt = Date.now() + DEMO_EXPIRY_WAIT_MS;
      for (;;) {
        const status = await client.status(email);
        if (status.phase === 'deactivated') {
          output.done();
          output.line(
            `  ${status.deactivation?.cause} at ${status.deactivation?.at}: ${status.deactivation?.outcome}`,
          );
          break;
        }
        if (Date.now() > giveUpAt) {
          throw new DemoTimeoutError(
            `The demo user was still ${status.phase} ${DEMO_EXPIRY_WAIT_MS / 1000} s after the wait began (expiry ${status.expiresAt}); the worker or the Temporal dev server is stuck or too slow.`,
          );
        }
        const left = Math.max(0, Math.round((Date.parse(status.expiresAt) - Date.now()) / 1000));
        output.progress(`${status.phase}, ${left} s left`);
        await new Promise((r) => setTimeout(r, 500));
      }

      say('The user in the sandbox (what Marketo would show)');
      const user = stack.sandbox?.snapshot().users.find((u) => u.emailAddress === email);
      output.line(
        `  isLocked: ${user?.isLocked}, lockedReason: ${user?.lockedReason}, lockedAt: ${user?.lockedAt}`,
      );
      const reminders = fs
        .readFileSync(stack.notificationsFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"kind":"reminder"')).length;
      output.line(`  notifications sent: ${reminders} reminder(s), see ${stack.notificationsFile}`);
      if (!user?.isLocked) {
        output.line('The user is not locked: something is wrong.');
        return EXIT_FAILURE;
      }
      say(`Done in ${Math.round((Date.now() - startedAt) / 1000)} s. Shutting down.`);
      return EXIT_OK;
    } finally {
      output.done();
      await client?.close();
      await connection?.close();
      await stack?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
