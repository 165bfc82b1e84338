/**
 * The Marketo sandbox for fuzzing: started in-process on 127.0.0.1 (port from MARKETO_SANDBOX_PORT, default a
 * free one), with the User Management rate limit and quota raised so that generated requests reach the
 * handlers instead of stopping at 429. Prints one JSON line `{baseUrl, adminClientId, adminClientSecret}`,
 * then reports on stderr every request the sandbox could not handle ("unexpected failure", answered 500).
 * Stops on SIGTERM/SIGINT, printing a JSON summary line on stdout: the answers by status and the count of
 * unexpected failures. FUZZ_SANDBOX_FAULTS (JSON, as for `POST /sandbox/faults`) switches faults on, to check
 * that the fuzzing run notices 5xx answers at all.
 *
 *   node --import tsx scripts/fuzz/start-sandbox.ts
 */
import { startSandbox, type FaultConfig } from '../../src/sandbox';

async function main(): Promise<void> {
  const port = Number(process.env.MARKETO_SANDBOX_PORT ?? '0');
  let unexpected = 0;
  const faults = process.env.FUZZ_SANDBOX_FAULTS
    ? (JSON.parse(process.env.FUZZ_SANDBOX_FAULTS) as FaultConfig)
    : undefined;
  const sandbox = await startSandbox({
    port: Number.isInteger(port) && port >= 0 && port <= 65_535 ? port : 0,
    host: '127.0.0.1',
    env: {},
    faultSeed: 1,
    rateLimit: { calls: 1_000_000, windowMs: 1_000 },
    dailyQuota: 100_000_000,
    maxConcurrent: 64,
    ...(faults ? { faults } : {}),
    log: (line) => {
      // The request log is one line per request; only the sandbox's own failures matter here.
      if (line.startsWith('sandbox: unexpected failure')) {
        unexpected += 1;
        process.stderr.write(`${line}\n`);
      }
    },
  });
  process.stdout.write(
    `${JSON.stringify({
      baseUrl: sandbox.baseUrl,
      adminClientId: sandbox.adminClientId,
      adminClientSecret: sandbox.adminClientSecret,
    })}\n`,
  );

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const counters = sandbox.snapshot().counters;
    const summary = {
      unexpectedFailures: unexpected,
      userManagementByStatus: counters.userManagement.answersByStatus,
      identityByCode: counters.identity.answersByCode,
      unknownPaths: counters.unknownPaths,
    };
    sandbox.close().then(
      () => {
        process.stdout.write(`${JSON.stringify({ summary })}\n`);
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`fuzz sandbox: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`fuzz sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
