/**
 * The sandbox on its own: `npm run sandbox`. Configuration comes from MARKETO_SANDBOX_* variables
 * (see README.md beside this file).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { writeAdminTokenFile } from './admin-guard';
import { DEFAULT_RATE_LIMIT, startSandbox } from './server';

const optionalInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((value) => value >= min && value <= max, `must be between ${min} and ${max}`)
    .optional();

const envSchema = z.object({
  MARKETO_SANDBOX_PORT: optionalInt(0, 65_535),
  MARKETO_SANDBOX_HOST: z.string().min(1).optional(),
  MARKETO_SANDBOX_STATE_FILE: z.string().min(1).optional(),
  MARKETO_SANDBOX_ADMIN_TOKEN_FILE: z.string().min(1).optional(),
  MARKETO_SANDBOX_TOKEN_LIFETIME_SECONDS: optionalInt(1, 86_400),
  MARKETO_SANDBOX_LATENCY_MS: optionalInt(0, 120_000),
  MARKETO_SANDBOX_FAULT_SEED: optionalInt(0, 2 ** 31),
  MARKETO_SANDBOX_SEED_USERS: optionalInt(0, 20_000),
  // Scale Marketo's instance limits for benchmarks and experiments: the product's own budget should still
  // keep under whatever is set here.
  MARKETO_SANDBOX_RATE_CALLS: optionalInt(1, 1_000_000),
  MARKETO_SANDBOX_RATE_WINDOW_MS: optionalInt(1, 86_400_000),
  MARKETO_SANDBOX_MAX_CONCURRENT: optionalInt(1, 10_000),
  MARKETO_SANDBOX_DAILY_QUOTA: optionalInt(1, 1_000_000_000),
  MARKETO_SANDBOX_QUIET: z.enum(['0', '1', 'true', 'false']).optional(),
});

const DEFAULT_PORT = 3070;

async function main(): Promise<void> {
  const blankless = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(blankless);
  if (!parsed.success) {
    process.stderr.write(`marketo sandbox: bad environment:\n${z.prettifyError(parsed.error)}\n`);
    process.exitCode = 2;
    return;
  }
  const env = parsed.data;
  const quiet = env.MARKETO_SANDBOX_QUIET === '1' || env.MARKETO_SANDBOX_QUIET === 'true';
  const rateLimit =
    env.MARKETO_SANDBOX_RATE_CALLS === undefined && env.MARKETO_SANDBOX_RATE_WINDOW_MS === undefined
      ? undefined
      : {
          calls: env.MARKETO_SANDBOX_RATE_CALLS ?? DEFAULT_RATE_LIMIT.calls,
          windowMs: env.MARKETO_SANDBOX_RATE_WINDOW_MS ?? DEFAULT_RATE_LIMIT.windowMs,
        };
  const sandbox = await startSandbox({
    port: env.MARKETO_SANDBOX_PORT ?? DEFAULT_PORT,
    host: env.MARKETO_SANDBOX_HOST,
    stateFile: env.MARKETO_SANDBOX_STATE_FILE,
    tokenLifetimeSeconds: env.MARKETO_SANDBOX_TOKEN_LIFETIME_SECONDS,
    latencyMs: env.MARKETO_SANDBOX_LATENCY_MS,
    faultSeed: env.MARKETO_SANDBOX_FAULT_SEED,
    seedUsers: env.MARKETO_SANDBOX_SEED_USERS,
    rateLimit,
    maxConcurrent: env.MARKETO_SANDBOX_MAX_CONCURRENT,
    dailyQuota: env.MARKETO_SANDBOX_DAILY_QUOTA,
    log: quiet ? undefined : (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
  });

  const tokenFile = adminTokenFile(env.MARKETO_SANDBOX_ADMIN_TOKEN_FILE);
  writeAdminTokenFile(tokenFile.path, sandbox.adminToken);

  process.stdout.write(
    [
      `Marketo sandbox listening on ${sandbox.baseUrl} (mode: ${sandbox.mode})`,
      `  identity:        ${sandbox.baseUrl}/identity/oauth/token`,
      `  user management: ${sandbox.baseUrl}/userservice/management/v1/users/`,
      `  sandbox state:   ${sandbox.baseUrl}/sandbox/state`,
      `  state file:      ${sandbox.stateFile ?? '(none: state is lost on exit)'}`,
      `  admin token:     in ${tokenFile.path} (mode 0600; /sandbox/* needs Authorization: Bearer <token>)`,
      '',
      // Printing a secret is normally wrong; this one is the sandbox's own local admin credential and the
      // operator needs it to configure the product, exactly once, at start.
      "Sandbox admin credentials (this local sandbox's own, shown once at start; never a real Marketo secret):",
      `  client id:     ${sandbox.adminClientId}`,
      `  client secret: ${sandbox.adminClientSecret}`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`marketo sandbox: second ${signal}, exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`marketo sandbox: ${signal}, shutting down\n`);
    tokenFile.remove();
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`marketo sandbox: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** The given file, or one in a fresh private temporary folder; removed again on shutdown (the token dies with the sandbox). */
function adminTokenFile(given: string | undefined): { path: string; remove(): void } {
  if (given !== undefined) return { path: given, remove: () => fs.rmSync(given, { force: true }) };
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marketo-sandbox-'));
  return {
    path: path.join(folder, 'admin-token'),
    remove: () => fs.rmSync(folder, { recursive: true, force: true }),
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`marketo sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
