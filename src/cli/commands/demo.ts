import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { z } from 'zod';
import { LifecycleClient, type AuditEvent, type LifecycleStatus } from '../../client';
import { formatIssues } from '../../domain/lifecycle-request';
import { freePorts, startEmbeddedStack, type EmbeddedStack } from '../../app/embedded';
import { CredentialsUnavailableError, ProblemError } from '../../errors';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, UsageError } from '../errors';
import type { Output } from '../output';
import { auditTable } from './audit';
import { askForToken, describeSecret, type TokenAnswer } from './demo-integration';
import { describeStatus } from './format';
import { untilSignal } from '../signals';
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

/** The lifecycle records its end in the audit log just after its status says so: the demo waits this long for it. */
const AUDIT_WAIT_MS = 15_000;

/** Who acts on the sample, as the audit log shows it. */
const ACTOR = 'demo';

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

/** The demo could not show what it shows: `problem` says which step went wrong, `hint` where to look. */
class DemoError extends ProblemError {
  override readonly name = 'DemoError';
}

/** What every step of a running demo uses. */
interface Demo {
  output: Output;
  say: (text: string) => void;
  stack: EmbeddedStack;
  client: LifecycleClient;
  email: string;
}

/** What the integration keeps after the hand-over (the demo holds it only in memory). */
interface KeptCredentials {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

function describeToken(answer: TokenAnswer): string {
  return answer.granted
    ? `200: a ${answer.tokenType} token for ${answer.expiresInSeconds} s, scope ${answer.scope}`
    : `${answer.httpStatus} ${answer.error}: ${answer.description}`;
}

async function onboardSample(demo: Demo, lifetimeSeconds: number): Promise<void> {
  const { output, say, client, email } = demo;
  say(
    `Onboarding ${email}: role "Demo Read-Only", API-only user, custom service, access for ${lifetimeSeconds} s`,
  );
  const onboarded = await client.onboard(
    {
      email,
      firstName: 'Demo',
      lastName: 'Integration',
      role: { name: 'Demo Read-Only', permissions: ['Read-Only Lead', 'Read-Only Activity'], workspace: 0 },
      reason: 'marketo-api-users demo',
      actor: ACTOR,
      expiresIn: `${lifetimeSeconds}s`,
      policy: { reminderLeadsMs: ['10s'] },
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
}

/**
 * The hand-over the seed procedure ends with: the credentials read the way `credentials` reads them (audited),
 * then used by the integration for a token whose scope must be the API-only user. Returns the secret, which the
 * integration keeps; the demo tries it again after the expiry.
 */
async function handOver(demo: Demo): Promise<KeptCredentials> {
  const { output, say, client, email } = demo;
  say(
    'Handing the credentials to the integration: `credentials` (the client API call behind the command, audited)',
  );
  const credentials = await client.credentials(email, {
    actor: ACTOR,
    reason: 'hand the credentials to the demo integration',
  });
  output.line(`  client id ${credentials.clientId}, ${describeSecret(credentials.clientSecret)}`);
  output.line('  (the secret itself is printed nowhere; `credentials EMAIL` writes it for an integration)');
  say("The integration asks the sandbox's identity endpoint for a token with them");
  // Where to ask comes with the credentials, as it does for any integration.
  const baseUrl = credentials.marketoBaseUrl ?? demo.stack.marketoBaseUrl;
  const answer = await askForToken(baseUrl, credentials.clientId, credentials.clientSecret);
  output.line(`  ${describeToken(answer)} (the token itself is not shown)`);
  if (!answer.granted || answer.scope !== email) {
    throw new DemoError(
      `The handed-over credentials did not get a token scoped to ${email}: ${describeToken(answer)}.`,
      'The sandbox or the secret store disagrees with the lifecycle; see the worker output above.',
    );
  }
  return { baseUrl, clientId: credentials.clientId, clientSecret: credentials.clientSecret };
}

async function extendAndAwaitExpiry(demo: Demo): Promise<LifecycleStatus> {
  const { output, say, client, email } = demo;
  say('Extending access by 10 s (a Temporal update; it also moves expiresAt in Marketo)');
  const extended = await client.extend(email, { by: '10s', actor: ACTOR });
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
      return status;
    }
    if (Date.now() > giveUpAt) {
      throw new DemoError(
        `The demo user was still ${status.phase} ${DEMO_EXPIRY_WAIT_MS / 1000} s after the wait began (expiry ${status.expiresAt}).`,
        'The worker or the Temporal dev server is stuck or too slow; try again on a less loaded machine.',
      );
    }
    const left = Math.max(0, Math.round((Date.parse(status.expiresAt) - Date.now()) / 1000));
    output.progress(`${status.phase}, ${left} s left`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The user as Marketo would show it; false when it is not locked. */
function showLockedUser(demo: Demo): boolean {
  const { output, say, stack, email } = demo;
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
  return user?.isLocked === true;
}

/** After the expiry nothing is handed over, and what the integration kept gets no token. False if either is not so. */
async function showRefusals(demo: Demo, kept: KeptCredentials): Promise<boolean> {
  const { output, say, client, email } = demo;
  say('`credentials` again, after the expiry (the command exits 1 with this)');
  try {
    await client.credentials(email, { actor: ACTOR, reason: 'the integration asks again after the expiry' });
    output.line('  handed over after the expiry: something is wrong.');
    return false;
  } catch (error) {
    if (!(error instanceof CredentialsUnavailableError)) throw error;
    output.line(`  refused: ${error.problem}`);
    output.line(`  hint: ${error.hint}`);
  }
  say('The old secret at the identity endpoint (what the integration kept)');
  const answer = await askForToken(kept.baseUrl, kept.clientId, kept.clientSecret);
  output.line(`  ${describeToken(answer)}`);
  return !answer.granted;
}

/** The audit log of the sample, once it holds the end the status reported (the lifecycle records it just after). */
async function showAudit(demo: Demo, ended: LifecycleStatus): Promise<void> {
  const { output, say, client, email } = demo;
  say(`The audit log of ${email} (\`audit --email ${email}\`; never a secret)`);
  const cause = ended.deactivation?.cause;
  const giveUpAt = Date.now() + AUDIT_WAIT_MS;
  let events: AuditEvent[] = await client.audit({ email });
  while (cause && !events.some((e) => e.kind === cause) && Date.now() < giveUpAt) {
    await new Promise((r) => setTimeout(r, 250));
    events = await client.audit({ email });
  }
  for (const line of auditTable(events)) output.line(`  ${line}`);
}

async function runDemo(demo: Demo, lifetimeSeconds: number): Promise<boolean> {
  await onboardSample(demo, lifetimeSeconds);
  const kept = await handOver(demo);
  const ended = await extendAndAwaitExpiry(demo);
  const locked = showLockedUser(demo);
  const refused = await showRefusals(demo, kept);
  await showAudit(demo, ended);
  if (!locked) demo.output.line('The user is not locked: something is wrong.');
  if (!refused) demo.output.line('Access was not refused after the expiry: something is wrong.');
  return locked && refused;
}

export const demoCommand: Command = {
  help: `Usage: marketo-api-users demo [--expires-in-seconds N]

Brings up the embedded stack (Temporal dev server, Marketo sandbox, worker) in a temporary folder on free
ports, onboards a sample API-only user with a short expiry, shows its status, hands its credentials to the
integration through \`credentials\` (the secret shown only as its length and a SHA-256 prefix) and gets a token
with them, extends the access, waits for the expiry, shows the user locked in the sandbox, \`credentials\`
refused and the old secret refused a token, then the sample's audit log; shuts everything down and exits 0.
About a minute and a half. It ignores MARKETO_* and TEMPORAL_* settings (except TEMPORAL_CLI_PATH and
MARKETO_API_USERS_CACHE_DIR): it never touches a real Marketo instance or Temporal cluster. No --json: it
narrates for people (steps on stdout, progress on stderr).

  --expires-in-seconds N   the sample user's first lifetime, 60 to 120 (default 60)

Example:
  npm run demo
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const flags = lifetimeSchema.safeParse(values);
    if (!flags.success) throw new UsageError(formatIssues(flags.error));
    const output = makeOutput(false);
    const say = (text: string) => output.line(`\n▶ ${text}`);
    const env = demoEnv(process.env);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marketo-api-users-demo-'));
    let stack: EmbeddedStack | undefined;
    let client: LifecycleClient | undefined;
    let connection: Connection | undefined;
    const startedAt = Date.now();
    let interrupted = false;
    let stopped: Promise<void> | undefined;
    const stopStack = () =>
      (stopped ??= (async () => {
        output.done();
        await stack?.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      })());
    // Interrupted, the demo still takes its stack and folder along, then exits 130 (a second signal exits at
    // once; the orphan watchdog then stops its Temporal server). The Temporal connection stays open: a call
    // still retrying on a closed channel would throw from its timer and end the process before the clean-up.
    void untilSignal().then(async (signal) => {
      interrupted = true;
      process.stderr.write(`\n${signal}: stopping the demo's stack and removing its folder\n`);
      await stopStack();
      process.exit(EXIT_INTERRUPTED);
    });
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
      const ok = await runDemo({ output, say, stack, client, email }, flags.data['expires-in-seconds']);
      if (!ok) return EXIT_FAILURE;
      say(`Done in ${Math.round((Date.now() - startedAt) / 1000)} s. Shutting down.`);
      return EXIT_OK;
    } finally {
      if (!interrupted) {
        await client?.close();
        await connection?.close();
      }
      await stopStack();
    }
  },
};
