/**
 * `npx tsx bench/embedded-postgres.ts [--runs 3] [--secrets 1000]`: what the embedded default costs next to a
 * real PostgreSQL. Start time and RSS of the embedded PGlite server (cold: a fresh data folder, PGlite's own
 * initdb; warm: the same folder again), each in a child process of its own so the figure is the server's
 * alone, and a put/get round trip of N secrets through the store on PGlite and on a real server (a throwaway
 * cluster, as in the tests), one at a time and 10 in flight. Prints JSON and writes
 * bench/results/embedded-postgres.json (the note beside it, embedded-postgres.md, quotes a run).
 *
 * The child mode (`--serve <dataDir>`) starts the server, reports its timings and RSS on stdout as one JSON
 * line, serves until its stdin closes and reports its RSS again.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { mapLimit } from '../scripts/lib/script-support';
import { Keyring } from '../src/security/keyring';
import { openPostgresStore, startEmbeddedPostgres } from '../src/store/postgres';
import { startRealPostgres } from '../test/helpers/postgres';

const MiB = 1024 * 1024;
const argValue = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};

interface ServeReport {
  databaseUrl: string;
  startMs: number;
  rssMiB: number;
}

async function serve(dataDir: string): Promise<void> {
  const t0 = performance.now();
  const server = await startEmbeddedPostgres({ dataDir });
  const report: ServeReport = {
    databaseUrl: server.databaseUrl,
    startMs: Math.round(performance.now() - t0),
    rssMiB: round(process.memoryUsage().rss / MiB),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.on('end', resolve));
  process.stdout.write(`${JSON.stringify({ rssMiBAfter: round(process.memoryUsage().rss / MiB) })}\n`);
  await server.stop();
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface ServerChild {
  report: ServeReport;
  spawnToReadyMs: number;
  /** Closes the child's stdin; resolves with its RSS after the work. */
  finish(): Promise<number>;
}

async function spawnServer(dataDir: string): Promise<ServerChild> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--serve', dataDir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('embedded server child exited before it was ready');
  const report = JSON.parse(first.value) as ServeReport;
  const spawnToReadyMs = Math.round(performance.now() - t0);
  return {
    report,
    spawnToReadyMs,
    async finish() {
      child.stdin.end();
      const last = await lines.next();
      await new Promise<void>((resolve) =>
        child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
      );
      return last.done ? Number.NaN : (JSON.parse(last.value) as { rssMiBAfter: number }).rssMiBAfter;
    },
  };
}

interface RoundTrip {
  putMs: number;
  getMs: number;
  putPerSecond: number;
  getPerSecond: number;
}

async function roundTrip(databaseUrl: string, n: number, inFlight: number): Promise<RoundTrip> {
  const keyring = new Keyring('bench', new Map([['bench', randomBytes(32)]]), undefined, 'bench keyring');
  const store = await openPostgresStore({ databaseUrl, keyring });
  try {
    const tag = randomBytes(4).toString('hex');
    const items = Array.from({ length: n }, (_, i) => ({
      ref: `file:lifecycle/bench-${tag}-${i}/custom-service`,
      value: { clientId: `client-${i}`, clientSecret: randomBytes(24).toString('base64url') },
    }));
    const t0 = performance.now();
    await mapLimit(items, inFlight, (item) => store.secrets.put(item.ref, item.value));
    const t1 = performance.now();
    await mapLimit(items, inFlight, async (item) => {
      const got = await store.secrets.get(item.ref);
      if (got?.clientSecret !== item.value.clientSecret) throw new Error(`${item.ref} came back wrong`);
    });
    const t2 = performance.now();
    return {
      putMs: Math.round(t1 - t0),
      getMs: Math.round(t2 - t1),
      putPerSecond: Math.round((n / (t1 - t0)) * 1000),
      getPerSecond: Math.round((n / (t2 - t1)) * 1000),
    };
  } finally {
    await store.close();
  }
}

async function startTimes(root: string, runs: number) {
  const cold: ServerChild[] = [];
  const warm: ServerChild[] = [];
  const afterWork: number[] = [];
  for (let run = 0; run < runs; run++) {
    const dataDir = path.join(root, `pglite-${run}`);
    const first = await spawnServer(dataDir);
    cold.push(first);
    await first.finish();
    const again = await spawnServer(dataDir);
    warm.push(again);
    await roundTrip(again.report.databaseUrl, 200, 1);
    afterWork.push(await again.finish());
  }
  return { cold, warm, afterWork };
}

async function main(): Promise<void> {
  const runs = argValue('--runs', 3);
  const n = argValue('--secrets', 1000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-bench-pg-'));
  const started = new Date().toISOString();
  try {
    const { cold, warm, afterWork } = await startTimes(root, runs);
    const embedded = await spawnServer(path.join(root, 'pglite-roundtrip'));
    const t0 = performance.now();
    const real = await startRealPostgres();
    const realStartMs = Math.round(performance.now() - t0);
    const results = {
      at: started,
      runs,
      secrets: n,
      loadAverage: os.loadavg().map(round),
      embeddedColdStartMs: median(cold.map((c) => c.report.startMs)),
      embeddedColdSpawnToReadyMs: median(cold.map((c) => c.spawnToReadyMs)),
      embeddedWarmStartMs: median(warm.map((c) => c.report.startMs)),
      embeddedWarmSpawnToReadyMs: median(warm.map((c) => c.spawnToReadyMs)),
      embeddedRssMiBAtStart: median(warm.map((c) => c.report.rssMiB)),
      embeddedRssMiBAfter200Secrets: median(afterWork),
      realInitdbAndStartMs: realStartMs,
      roundTrip: {
        embeddedSequential: await roundTrip(embedded.report.databaseUrl, n, 1),
        realSequential: await roundTrip(real.databaseUrl, n, 1),
        embedded10InFlight: await roundTrip(embedded.report.databaseUrl, n, 10),
        real10InFlight: await roundTrip(real.databaseUrl, n, 10),
      },
      embeddedRssMiBAfterRoundTrips: 0,
      raw: { cold: cold.map((c) => c.report.startMs), warm: warm.map((c) => c.report.startMs) },
    };
    results.embeddedRssMiBAfterRoundTrips = await embedded.finish();
    await real.destroy();
    console.log(JSON.stringify(results, null, 2));
    const out = path.join(__dirname, 'results', 'embedded-postgres.json');
    fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const fail = (error: unknown): void => {
  console.error(error);
  process.exitCode = 1;
};
if (process.argv[2] === '--serve') serve(process.argv[3] ?? '').catch(fail);
else main().catch(fail);
