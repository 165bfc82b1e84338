import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LifecycleClient } from '../../client';
import { freePort, startEmbeddedStack, type EmbeddedStack } from '../../embedded';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { EXIT_FAILURE, EXIT_OK } from '../errors';
import { describeStatus } from './format';
import type { Command } from './types';

const OPTIONS = { help: COMMON_OPTIONS.help, 'expires-in-seconds': { type: 'string' } } as const;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the whole product in one command, on a throwaway embedded stack',
  help: `Usage: marketo-api-users demo

Brings up the embedded stack (Temporal dev server, Marketo sandbox, worker) in a temporary folder on free
ports, onboards a sample API-only user with a short expiry, shows its status, extends it, waits for the
expiry, shows the user locked in the sandbox, shuts everything down and exits 0. About a minute.

Example:
  npm run demo
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const output = makeOutput(false);
    const lifetimeSeconds = Number(values['expires-in-seconds'] ?? 20);
    const say = (text: string) => output.line(`\n▶ ${text}`);
    // The demo always runs on the sandbox, whatever real instance this shell is configured for.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('MARKETO_')),
    );
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marketo-api-users-demo-'));
    let stack: EmbeddedStack | undefined;
    let client: LifecycleClient | undefined;
    const startedAt = Date.now();
    try {
      say('Starting the embedded stack: Temporal dev server (SQLite), Marketo sandbox, worker');
      const [temporalPort, uiPort, sandboxPort] = [await freePort(), await freePort(), await freePort()];
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
      client = await LifecycleClient.connect({ dataDir, env });

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
      for (;;) {
        const status = await client.status(email);
        if (status.phase === 'deactivated') {
          output.done();
          output.line(
            `  ${status.deactivation?.cause} at ${status.deactivation?.at}: ${status.deactivation?.outcome}`,
          );
          break;
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
      await stack?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
