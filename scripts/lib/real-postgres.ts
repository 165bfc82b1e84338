/**
 * A real PostgreSQL for tests and scripts (the store tests, `bench/`, the chaos run): a throwaway cluster (initdb in a temp folder) on a free loopback port, its
 * unix socket in the same folder, trust auth. Debian's binaries are found under /usr/lib/postgresql/<v>/bin
 * or on PATH. PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` user
 * and every server command runs through runuser. Missing binaries fail with how to install them. The server
 * commands run asynchronously: the chaos run restarts the server while its in-process sandbox must keep
 * answering.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/temporal-servers/local-ports';

export interface RealPostgres {
  databaseUrl: string;
  /** The cluster's folder (data, socket, server.log): kept by `stop`, removed by `destroy`. */
  dir: string;
  /** Stops the server, keeping its files: `start` brings the same cluster back (a restart). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes the cluster. */
  destroy(): Promise<void>;
}

const INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH; ' +
  'install them: apt-get install -y postgresql (the store tests run against a real server and skip nothing)';

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir !== '' && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The folder holding initdb and pg_ctl: the newest Debian version, else whatever PATH has. */
export function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] !== undefined) return path.join(root, versions[0], 'bin');
  const initdb = onPath('initdb');
  if (initdb && onPath('pg_ctl')) return path.dirname(fs.realpathSync(initdb));
  throw new Error(INSTALL_HINT);
}

const asRoot = process.getuid?.() === 0;

function run(bin: string, args: string[]): Promise<void> {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd: os.tmpdir() }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const detail = String(stderr).trim() || error.message;
      reject(new Error(`${path.basename(bin)} ${args[0] ?? ''} failed: ${detail}`));
    });
  });
}

export async function startRealPostgres(): Promise<RealPostgres> {
  const bin = findPostgresBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-pg-'));
  if (asRoot) execFileSync('chown', ['postgres:', dir]);
  const data = path.join(dir, 'data');
  await run(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const port = await freePort();
  const log = path.join(dir, 'server.log');
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  let running = false;
  const start = async (): Promise<void> => {
    await run(path.join(bin, 'pg_ctl'), ['start', '-D', data, '-l', log, '-w', '-t', '60', '-o', options]);
    running = true;
  };
  const stop = async (): Promise<void> => {
    await run(path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']);
    running = false;
  };
  await start();
  let destroyed = false;
  return {
    databaseUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dir,
    start,
    stop,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        if (running) await stop();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
