/**
 * `npx tsx bench/embedded-postgres-candidates.ts [--runs 3] [--from <dir>]`: the two candidates for the embedded
 * default (issue 14), side by side in one run so machine load hits both alike. PGlite (WASM PostgreSQL, the one
 * wired in src/store/postgres/embedded.ts) against the `embedded-postgres` npm binaries (native PostgreSQL):
 * cold start (fresh data folder, initdb included) and warm start until a query answers, memory of the server,
 * 10 clients each doing 200 INSERT-then-SELECT round trips at once, and a cold start from a copied,
 * pre-initialised template folder. Prints JSON and writes bench/results/embedded-postgres-candidates.json
 * (bench/results/embedded-postgres.md quotes a run).
 *
 * `embedded-postgres` is deliberately not a dependency: install it in a scratch folder and pass `--from`. Without
 * it the script says how and exits 0. PGlite runs in a child process of its own (`--pglite-serve`) so its memory
 * is the server's alone; the binaries run as their own processes, whose RSS and PSS are summed from /proc.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { z } from 'zod';
import { startEmbeddedPostgres } from '../src/store/postgres';
import { freePort } from '../src/temporal-servers/local-ports';

const MiB = 1024 * 1024;
const CLIENTS = 10;
const ROUND_TRIPS = 200;
const SCRATCH_HINT =
  'mkdir -p /tmp/embedded-postgres-scratch && cd /tmp/embedded-postgres-scratch && npm init -y && ' +
  'npm install embedded-postgres';

const argValue = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const round = (n: number): number => Math.round(n * 10) / 10;
const ms = (since: number): number => Math.round(performance.now() - since);
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// ---- memory from /proc ------------------------------------------------------------------------------------

const memorySchema = z.object({ rssMiB: z.number(), pssMiB: z.number(), processes: z.number() });
type Memory = z.infer<typeof memorySchema>;

function kibField(file: string, field: string): number {
  const line = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN);
}

/**
 * RSS counts shared pages (PostgreSQL's shared buffers, the binary's text) once per process, so a sum over a
 * postmaster and its children overstates; PSS splits shared pages between their users and sums honestly.
 */
function memoryOf(pids: number[]): Memory {
  let rss = 0;
  let pss = 0;
  let processes = 0;
  for (const pid of pids) {
    try {
      const r = kibField(`/proc/${pid}/status`, 'VmRSS');
      const p = kibField(`/proc/${pid}/smaps_rollup`, 'Pss');
      rss += r;
      pss += p;
      processes++;
    } catch {
      // gone between listing and reading (a backend that just exited)
    }
  }
  return { rssMiB: round(rss / 1024), pssMiB: round(pss / 1024), processes };
}

function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The postmaster (first line of postmaster.pid) and every process it forked. */
function postgresPids(dataDir: string): number[] {
  const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return parentOf(pid) === postmaster;
      } catch {
        return false;
      }
    });
  return [postmaster, ...children];
}

function sizeOnDisk(dir: string): { apparentMiB: number; allocatedMiB: number; files: number } {
  let apparent = 0;
  let allocated = 0;
  let files = 0;
  const walk = (at: string): void => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const stat = fs.statSync(full);
        apparent += stat.size;
        allocated += stat.blocks * 512;
        files++;
      }
    }
  };
  walk(dir);
  return { apparentMiB: round(apparent / MiB), allocatedMiB: round(allocated / MiB), files };
}

// ---- a query that answers, and the concurrency figure -----------------------------------------------------

interface Server {
  databaseUrl: string;
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

async function serverVersion(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}

/**
 * `CLIENTS` connections at once, each doing `ROUND_TRIPS` times an INSERT then a SELECT that must see it. The
 * time runs from all connected to all done; the server's memory is read then, the clients still connected.
 * `syncCommitOff` sets synchronous_commit off in every session: the binaries otherwise wait for a WAL flush per
 * commit, which PGlite's file system does not do alike.
 */
async function concurrency(server: Server, syncCommitOff: boolean): Promise<{ ms: number; memory: Memory }> {
  const { databaseUrl } = server;
  const run = randomBytes(4).toString('hex');
  const clients = Array.from({ length: CLIENTS }, () => new pg.Client({ connectionString: databaseUrl }));
  await Promise.all(clients.map((c) => c.connect()));
  try {
    await clients[0]?.query(
      'CREATE TABLE IF NOT EXISTS bench_round_trip (id bigserial PRIMARY KEY, run text, client int, n int)',
    );
    if (syncCommitOff) await Promise.all(clients.map((c) => c.query('SET synchronous_commit TO off')));
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (client, id) => {
        for (let n = 0; n < ROUND_TRIPS; n++) {
          await client.query('INSERT INTO bench_round_trip (run, client, n) VALUES ($1, $2, $3)', [
            run,
            id,
            n,
          ]);
          const seen = await client.query<{ count: string }>(
            'SELECT count(*) FROM bench_round_trip WHERE run = $1 AND client = $2',
            [run, id],
          );
          if (Number(seen.rows[0]?.count) !== n + 1) throw new Error(`client ${id} lost a row at ${n}`);
        }
      }),
    );
    return { ms: ms(t0), memory: await server.memory() };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

async function queryAnswers(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT 1');
  } finally {
    await client.end();
  }
}

// ---- PGlite, in a child process of its own ----------------------------------------------------------------

const readySchema = z.object({
  databaseUrl: z.string(),
  copyMs: z.number(),
  startMs: z.number(),
  nodeFloor: memorySchema,
  ready: memorySchema,
});
type PgliteReady = z.infer<typeof readySchema>;

/** Child mode: (copy the template,) start PGlite, report; answer `memory` lines; stop when stdin closes. */
async function pgliteServe(dataDir: string, template: string | undefined): Promise<void> {
  const nodeFloor = memoryOf([process.pid]);
  const t0 = performance.now();
  if (template) fs.cpSync(template, dataDir, { recursive: true });
  const copyMs = ms(t0);
  const server = await startEmbeddedPostgres({ dataDir });
  await queryAnswers(server.databaseUrl);
  const ready: PgliteReady = {
    databaseUrl: server.databaseUrl,
    copyMs,
    startMs: ms(t0) - copyMs,
    nodeFloor,
    ready: memoryOf([process.pid]),
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line === 'memory') process.stdout.write(`${JSON.stringify(memoryOf([process.pid]))}\n`);
  }
  await server.stop();
}

async function spawnPglite(dataDir: string, template?: string): Promise<Server & { ready: PgliteReady }> {
  const args = ['--import', 'tsx', __filename, '--pglite-serve', dataDir];
  const child = spawn(process.execPath, template ? [...args, '--template', template] : args, {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<unknown> => {
    const line = await lines.next();
    if (line.done) throw new Error('the PGlite child exited before it answered');
    return JSON.parse(line.value) as unknown;
  };
  const ready = readySchema.parse(await nextLine());
  return {
    ready,
    databaseUrl: ready.databaseUrl,
    async memory() {
      child.stdin.write('memory\n');
      return memorySchema.parse(await nextLine());
    },
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.end();
      await exited;
    },
  };
}

// ---- the embedded-postgres binaries -----------------------------------------------------------------------

interface BinariesOptions {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  authMethod: 'scram-sha-256';
  persistent: boolean;
  postgresFlags: string[];
  onLog(message: string): void;
  onError(error: unknown): void;
}
interface BinariesInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type Binaries = new (options: BinariesOptions) => BinariesInstance;

/** One for every cluster of the run (template copies keep theirs); never printed. */
const PASSWORD = randomBytes(18).toString('base64url');

const binariesModule = z.object({
  default: z.custom<Binaries>((value) => typeof value === 'function', 'a class'),
});

interface LoadedBinaries {
  Binaries: Binaries;
  version: string;
  packageDir: string;
  binariesDir: string;
}

/** embedded-postgres from this repository's node_modules (it is not a dependency) or from `--from <dir>`. */
async function loadBinaries(): Promise<LoadedBinaries | undefined> {
  const bases = [__dirname, argValue('--from')].filter((b): b is string => b !== undefined);
  for (const base of bases) {
    let entry: string;
    try {
      entry = createRequire(path.join(path.resolve(base), 'package.json')).resolve('embedded-postgres');
    } catch {
      continue;
    }
    const packageDir = path.resolve(path.dirname(entry), '..');
    const manifest = z
      .object({ version: z.string() })
      .parse(JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')));
    const loaded = binariesModule.parse(await import(pathToFileURL(entry).href));
    const binariesDir = path.join(
      packageDir,
      '..',
      '@embedded-postgres',
      `${process.platform}-${process.arch}`,
    );
    return { Binaries: loaded.default, version: manifest.version, packageDir, binariesDir };
  }
  return undefined;
}

/**
 * One start of the binaries on `dataDir` (initdb first when `fresh`), timed until a query answers. As root,
 * embedded-postgres runs initdb and postgres as the `postgres` system user when one exists (uid and gid on
 * spawn), and refuses otherwise unless told to create that user (`createPostgresUser`: groupadd and useradd).
 */
async function startBinaries(
  Binaries: Binaries,
  dataDir: string,
  fresh: boolean,
): Promise<Server & { startMs: number }> {
  const port = await freePort();
  const instance = new Binaries({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Loopback TCP only, as the PGlite server: no unix socket in a system folder.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => undefined,
    onError: (error) => console.error(error),
  });
  const databaseUrl = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const t0 = performance.now();
  if (fresh) await instance.initialise();
  await instance.start();
  await queryAnswers(databaseUrl);
  return {
    databaseUrl,
    startMs: ms(t0),
    memory: () => Promise.resolve(memoryOf(postgresPids(dataDir))),
    stop: () => instance.stop(),
  };
}

// ---- the run ----------------------------------------------------------------------------------------------

const asRoot = process.getuid?.() === 0;
const uptime = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim();

function giveToPostgresUser(dir: string): void {
  if (asRoot) execFileSync('chown', ['-R', 'postgres:', dir]);
}

/** Cold then warm start of each candidate, alternating so load hits both alike. */
async function starts(root: string, binaries: LoadedBinaries, runs: number) {
  const figures = { pgliteCold: [] as number[], pgliteWarm: [] as number[] };
  const more = { binariesCold: [] as number[], binariesWarm: [] as number[] };
  const memory = {
    pgliteNodeFloor: [] as Memory[],
    pgliteWarm: [] as Memory[],
    binariesWarm: [] as Memory[],
  };
  for (let run = 0; run < runs; run++) {
    const pgliteDir = path.join(root, `pglite-${run}`);
    const cold = await spawnPglite(pgliteDir);
    figures.pgliteCold.push(cold.ready.startMs);
    await cold.stop();
    const warm = await spawnPglite(pgliteDir);
    figures.pgliteWarm.push(warm.ready.startMs);
    memory.pgliteNodeFloor.push(warm.ready.nodeFloor);
    memory.pgliteWarm.push(warm.ready.ready);
    await warm.stop();

    const binariesDir = path.join(root, `binaries-${run}`);
    const first = await startBinaries(binaries.Binaries, binariesDir, true);
    more.binariesCold.push(first.startMs);
    await first.stop();
    const again = await startBinaries(binaries.Binaries, binariesDir, false);
    more.binariesWarm.push(again.startMs);
    memory.binariesWarm.push(await again.memory());
    await again.stop();
  }
  return { ...figures, ...more, memory };
}

/** Cold start from a copied, pre-initialised template folder: copy (and chown, for the binaries) plus start. */
async function fromTemplates(root: string, binaries: LoadedBinaries, runs: number) {
  const pgliteTemplate = path.join(root, 'pglite-template');
  await (await spawnPglite(pgliteTemplate)).stop();
  const binariesTemplate = path.join(root, 'binaries-template');
  await (await startBinaries(binaries.Binaries, binariesTemplate, true)).stop();
  const pglite: { copyMs: number; startMs: number }[] = [];
  const native: number[] = [];
  for (let run = 0; run < runs; run++) {
    const server = await spawnPglite(path.join(root, `pglite-copy-${run}`), pgliteTemplate);
    pglite.push({ copyMs: server.ready.copyMs, startMs: server.ready.startMs });
    await server.stop();
    const dir = path.join(root, `binaries-copy-${run}`);
    const t0 = performance.now();
    fs.cpSync(binariesTemplate, dir, { recursive: true });
    giveToPostgresUser(dir);
    const copyMs = ms(t0);
    const started = await startBinaries(binaries.Binaries, dir, false);
    native.push(copyMs + started.startMs);
    await started.stop();
  }
  return {
    pglite,
    pgliteTotalMs: pglite.map((p) => p.copyMs + p.startMs),
    binariesCopyChownAndStartMs: native,
    pgliteTemplateSize: sizeOnDisk(pgliteTemplate),
    binariesTemplateSize: sizeOnDisk(binariesTemplate),
  };
}

/** Both servers warm on folders of the starts above; the round trips alternate between them. */
async function roundTrips(root: string, binaries: LoadedBinaries, runs: number) {
  const pglite = await spawnPglite(path.join(root, 'pglite-0'));
  const native = await startBinaries(binaries.Binaries, path.join(root, 'binaries-0'), false);
  try {
    const versions = {
      pglite: await serverVersion(pglite.databaseUrl),
      binaries: await serverVersion(native.databaseUrl),
    };
    const trips = { pglite: [] as number[], binaries: [] as number[] };
    const tripsSyncCommitOff = { pglite: [] as number[], binaries: [] as number[] };
    const memoryDuring = { pglite: [] as Memory[], binaries: [] as Memory[] };
    for (let run = 0; run < runs; run++) {
      for (const [name, server] of [
        ['pglite', pglite],
        ['binaries', native],
      ] as const) {
        const measured = await concurrency(server, false);
        trips[name].push(measured.ms);
        memoryDuring[name].push(measured.memory);
        tripsSyncCommitOff[name].push((await concurrency(server, true)).ms);
      }
    }
    return { versions, trips, tripsSyncCommitOff, memoryDuring };
  } finally {
    await pglite.stop();
    await native.stop();
  }
}

function installSizes(binaries: LoadedBinaries) {
  const entry = require.resolve('@electric-sql/pglite');
  const scope = entry.slice(0, entry.indexOf('@electric-sql') + '@electric-sql'.length);
  return {
    embeddedPostgresPackage: sizeOnDisk(binaries.packageDir),
    embeddedPostgresBinaries: sizeOnDisk(binaries.binariesDir),
    electricSqlScope: sizeOnDisk(scope),
  };
}

async function main(): Promise<void> {
  const binaries = await loadBinaries();
  if (!binaries) {
    console.log(
      'embedded-postgres is not installed (on purpose: it is not a dependency of this product), so there is ' +
        `nothing to compare. To measure it, install it in a scratch folder:\n  ${SCRATCH_HINT}\n` +
        'then run: npx tsx bench/embedded-postgres-candidates.ts --from /tmp/embedded-postgres-scratch',
    );
    return;
  }
  const runs = Number(argValue('--runs') ?? 3);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-bench-candidates-'));
  giveToPostgresUser(root);
  const uptimeBefore = uptime();
  try {
    const startFigures = await starts(root, binaries, runs);
    const template = await fromTemplates(root, binaries, runs);
    const trips = await roundTrips(root, binaries, runs);
    const results = summarise({ binaries, runs, uptimeBefore, startFigures, template, trips });
    console.log(JSON.stringify(results, null, 2));
    const out = path.join(__dirname, 'results', 'embedded-postgres-candidates.json');
    fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

interface Collected {
  binaries: LoadedBinaries;
  runs: number;
  uptimeBefore: string;
  startFigures: Awaited<ReturnType<typeof starts>>;
  template: Awaited<ReturnType<typeof fromTemplates>>;
  trips: Awaited<ReturnType<typeof roundTrips>>;
}

function summarise({ binaries, runs, uptimeBefore, startFigures: s, template: t, trips }: Collected) {
  const mid = (values: Memory[]) => ({
    rssMiB: median(values.map((m) => m.rssMiB)),
    pssMiB: median(values.map((m) => m.pssMiB)),
    processes: median(values.map((m) => m.processes)),
  });
  return {
    at: new Date().toISOString(),
    runs,
    uptimeBefore,
    uptimeAfter: uptime(),
    asRoot,
    embeddedPostgresVersion: binaries.version,
    serverVersions: trips.versions,
    installSizes: installSizes(binaries),
    medians: {
      coldStartMs: { pglite: median(s.pgliteCold), binaries: median(s.binariesCold) },
      warmStartMs: { pglite: median(s.pgliteWarm), binaries: median(s.binariesWarm) },
      templateCopyAndStartMs: {
        pglite: median(t.pgliteTotalMs),
        binaries: median(t.binariesCopyChownAndStartMs),
      },
      concurrencyMs: { pglite: median(trips.trips.pglite), binaries: median(trips.trips.binaries) },
      concurrencySyncCommitOffMs: {
        pglite: median(trips.tripsSyncCommitOff.pglite),
        binaries: median(trips.tripsSyncCommitOff.binaries),
      },
      memoryWarm: { pglite: mid(s.memory.pgliteWarm), binaries: mid(s.memory.binariesWarm) },
      memoryDuringConcurrency: {
        pglite: mid(trips.memoryDuring.pglite),
        binaries: mid(trips.memoryDuring.binaries),
      },
      pgliteNodeFloor: mid(s.memory.pgliteNodeFloor),
    },
    templates: { pglite: t.pgliteTemplateSize, binaries: t.binariesTemplateSize },
    raw: { starts: s, template: t.pglite, binariesTemplate: t.binariesCopyChownAndStartMs, trips },
  };
}

const fail = (error: unknown): void => {
  console.error(error);
  process.exitCode = 1;
};
if (process.argv[2] === '--pglite-serve')
  pgliteServe(process.argv[3] ?? '', argValue('--template')).catch(fail);
else main().catch(fail);
