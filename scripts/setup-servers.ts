/**
 * Provides the Temporal dev server (CLI) and the time-skipping test server from the registries this machine
 * reaches, pinned and cached outside the repo, and the initialised template the embedded database's data
 * folders are copied from. `npm test` runs it first; a cached re-run takes well under 2 s.
 *
 *   npm run setup                 provide both, print where they are
 *   npm run setup -- --measure    also time the test server's JVM start (the SDK allows it about 5 s)
 */
import { spawn } from 'node:child_process';
import { ensureTemplate } from '../src/store/postgres/embedded-template';
import { ensureTemporalCli, ensureTestServer, type ProvidedServer } from '../src/temporal-servers';
import { serverCacheDir } from '../src/temporal-servers/cache-dir';
import { freePort, portAnswers } from '../src/temporal-servers/local-ports';

function describe(name: string, server: ProvidedServer, ms: number): string {
  return server.kind === 'existing-path'
    ? `${name}: ${server.path} (${server.source}, ${ms} ms)`
    : `${name}: left to the SDK's own download (${server.reason}); this needs internet`;
}

/** Time from spawn until the test server accepts TCP connections: the window the SDK allows is about 5 s. */
async function measureStartMs(executable: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(executable, [String(port)], { stdio: 'ignore' });
  try {
    for (;;) {
      if (await portAnswers(port)) return Math.round(performance.now() - started);
      if (child.exitCode !== null)
        throw new Error(`test server exited with ${child.exitCode} before answering`);
      if (performance.now() - started > 30_000) throw new Error('test server did not answer within 30 s');
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const measure = process.argv.includes('--measure');
  const t0 = performance.now();
  const cli = ensureTemporalCli();
  const t1 = performance.now();
  const testServer = ensureTestServer();
  const t2 = performance.now();
  console.log(describe('temporal CLI (dev server)', cli, Math.round(t1 - t0)));
  console.log(describe('time-skipping test server', testServer, Math.round(t2 - t1)));
  const template = await ensureTemplate(serverCacheDir());
  console.log(`embedded database template: ${template} (${Math.round(performance.now() - t2)} ms)`);
  if (testServer.kind === 'existing-path' && (measure || testServer.source === 'built')) {
    const ms = await measureStartMs(testServer.path);
    console.log(`test server JVM start: ${ms} ms until its port answers (the SDK allows about 5000 ms)`);
  }
}

main().catch((error: unknown) => {
  console.error(`setup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
