/**
 * `up` as a person runs it in a terminal: Ctrl-C goes to the whole foreground process group, a second `up` on
 * the same folder is refused, a Temporal server that dies under it is reported, its Temporal server never
 * outlives it (SIGKILL, a crash, SIGHUP, SIGTERM, a second signal), one left behind anyway is stopped by the
 * next `up`, and bad ports are bad input.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isProcessRunning } from '../../src/app/process-liveness';
import {
  cliEnv,
  describeRun,
  eventually,
  freePorts,
  killAll,
  oneJson,
  processesMentioning,
  removeDir,
  runCli,
  startUp,
  tempDir,
  upArgsOnFreePorts,
  UpStartError,
  type UpProcess,
} from '../cli/support';

describe('up', () => {
  const dirs: string[] = [];
  const ups: UpProcess[] = [];
  const started = async (
    dataDir: string,
    env: NodeJS.ProcessEnv,
    attempts = 2,
    store?: 'file',
  ): Promise<UpProcess> => {
    const [port, uiPort, sandboxPort] = await freePorts(3);
    try {
      const up = await startUp({
        dataDir,
        port: port!,
        uiPort: uiPort!,
        sandboxPort: sandboxPort!,
        env,
        ...(store === undefined ? {} : { store }),
      });
      ups.push(up);
      return up;
    } catch (error) {
      // A port free a moment ago can be taken by a Temporal server's own random ports before up binds it.
      if (attempts > 1 && error instanceof UpStartError && /taken|in use/i.test(error.message))
        return started(dataDir, env, attempts - 1);
      throw error;
    }
  };
  const exitOf = (up: UpProcess) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      if (up.child.exitCode !== null || up.child.signalCode !== null)
        resolve({ code: up.child.exitCode, signal: up.child.signalCode });
      else up.child.once('exit', (code, signal) => resolve({ code, signal }));
    });

  after(async () => {
    for (const up of ups) await up.stop().catch(() => undefined);
    await killAll();
    // `up` puts Temporal in a group of its own: anything left of ours is found by its data folder.
    for (const dir of dirs) {
      for (const line of await processesMentioning(dir)) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      removeDir(dir);
    }
  });

  it('a bad --port is bad input in plain words (exit 2), before anything starts', async () => {
    const run = await runCli(['up', '--port', 'seven', '--sandbox-port', '70000'], { env: cliEnv() });
    assert.equal(run.code, 2, describeRun(run));
    assert.match(run.stderr, /^port: must be a port number, a whole number from 1 to 65535$/m);
    assert.match(run.stderr, /^sandbox-port: must be a port number, a whole number from 1 to 65535$/m);
    assert.doesNotMatch(run.stderr, /Invalid input|received NaN/);
  });

  it('lists nothing on a fresh stack; keeps secrets in MARKETO_API_USERS_SECRET_DIR (--store file); refuses a second up; exits 1 when Temporal dies', async () => {
    const dataDir = tempDir('up-robust');
    const secretDir = tempDir('up-secrets');
    dirs.push(dataDir, secretDir);
    const env = cliEnv({ MARKETO_API_USERS_SECRET_DIR: secretDir });
    const up = await started(dataDir, env, 2, 'file');
    assert.equal(up.info.store, 'file');
    const inDir = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir, MARKETO_API_USERS_SECRET_DIR: secretDir });

    const [human, json] = await Promise.all([
      runCli(['list'], { env: inDir }),
      runCli(['list', '--json'], { env: inDir }),
    ]);
    assert.equal(human.code, 0, describeRun(human));
    assert.equal(human.stdout, 'No lifecycles yet: start one with `marketo-api-users onboard`.\n');
    assert.equal(json.code, 0, describeRun(json));
    assert.deepEqual(oneJson(json), []);

    const onboard = await runCli(
      [
        'onboard',
        '--email',
        'secret-dir@example.com',
        '--first-name',
        'S',
        '--last-name',
        'D',
        '--role',
        'Secret Dir Role',
        '--permissions',
        'Read-Only Lead',
        '--expires-in',
        '1d',
        '--json',
      ],
      { env: inDir },
    );
    assert.equal(onboard.code, 0, describeRun(onboard));
    assert.equal((oneJson(onboard) as { phase: string }).phase, 'active');
    // The worker in `up` stored the secret where the CLI looks for it, not in the data folder.
    assert.ok(fs.readdirSync(secretDir).length > 0, 'the secret is in MARKETO_API_USERS_SECRET_DIR');
    assert.ok(
      !fs.existsSync(path.join(dataDir, 'secrets')) ||
        fs.readdirSync(path.join(dataDir, 'secrets')).length === 0,
    );

    const second = await runCli(await upArgsOnFreePorts(dataDir), { env, timeoutMs: 30_000 });
    assert.equal(second.code, 1, describeRun(second));
    const lines = second.stderr.trim().split('\n');
    assert.match(
      lines.at(-2) ?? '',
      new RegExp(`^error: Another \`up\` \\(pid ${up.child.pid}\\) is already running on `),
    );
    assert.match(lines.at(-1) ?? '', /^hint: .*--data-dir/);
    assert.equal(up.child.exitCode, null, 'the first up still runs');

    const temporal = await processesMentioning(path.join(fs.realpathSync(dataDir), 'temporal.db'));
    assert.equal(temporal.length, 1, temporal.join('\n'));
    const exited = exitOf(up);
    process.kill(Number(temporal[0]!.split(' ')[0]), 'SIGKILL');
    const { code } = await exited;
    assert.equal(code, 1, up.stderr());
    assert.match(up.stderr(), /^error: the Temporal dev server exited while `up` ran/m);
    assert.match(up.stderr(), /^hint: see .*temporal\.log/m);
  });

  /** The Temporal server of `dataDir`'s up: its pid, from the one process whose command line names the database. */
  const temporalOf = async (dataDir: string): Promise<number> => {
    const found = await processesMentioning(path.join(fs.realpathSync(dataDir), 'temporal.db'));
    assert.equal(found.length, 1, found.join('\n'));
    return Number(found[0]!.split(' ')[0]);
  };
  /** Watchdogs carry the server's database in their environment only; /proc tells which is whose. */
  const watchdogsOf = (dataDir: string): number[] =>
    fs
      .readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
          return environ.includes(`WATCHED_MARKER=${path.join(fs.realpathSync(dataDir), 'temporal.db')}`);
        } catch {
          return false;
        }
      })
      .map(Number)
      .filter(isProcessRunning);
  const goneWithin = async (pid: number, ms: number, what: string): Promise<number> => {
    const from = Date.now();
    await eventually(() => Promise.resolve(isProcessRunning(pid) ? undefined : true), ms, what, 50);
    return Date.now() - from;
  };

  it('an up killed with SIGKILL takes its Temporal server along within 10 s; the next up starts on the same ports', async () => {
    const dataDir = tempDir('up-killed');
    dirs.push(dataDir);
    const [port, uiPort, sandboxPort] = await freePorts(3);
    const ports = { port: port!, uiPort: uiPort!, sandboxPort: sandboxPort! };
    const first = await startUp({ dataDir, ...ports, env: cliEnv() });
    ups.push(first);
    const server = await temporalOf(dataDir);
    assert.equal(watchdogsOf(dataDir).length, 1, 'one watchdog for the server');
    const exited = exitOf(first);
    process.kill(first.child.pid!, 'SIGKILL'); // `kill -9` of up alone: nothing of up's own cleanup runs
    await exited;
    const ms = await goneWithin(server, 10_000, 'the Temporal server of the killed up stopped');
    console.log(`SIGKILL of up: its Temporal server gone ${ms} ms later`);
    const second = await startUp({ dataDir, ...ports, env: cliEnv() });
    ups.push(second);
    const { code } = await second.stop();
    assert.equal(code, 0, second.stderr());
    assert.deepEqual(watchdogsOf(dataDir), [], 'a clean stop takes the watchdog along');
  });

  it('a server left behind anyway (its watchdog killed too) is stopped by the next up on the folder', async () => {
    const dataDir = tempDir('up-left-behind');
    dirs.push(dataDir);
    const [port, uiPort, sandboxPort] = await freePorts(3);
    const ports = { port: port!, uiPort: uiPort!, sandboxPort: sandboxPort! };
    const first = await startUp({ dataDir, ...ports, env: cliEnv() });
    ups.push(first);
    const leftBehind = await temporalOf(dataDir);
    const watchdogs = watchdogsOf(dataDir);
    assert.equal(watchdogs.length, 1, 'its watchdog found');
    for (const pid of watchdogs) process.kill(pid, 'SIGKILL');
    const exited = exitOf(first);
    process.kill(first.child.pid!, 'SIGKILL');
    await exited;
    assert.ok(isProcessRunning(leftBehind), 'with no watchdog the server outlives the killed up');
    const second = await startUp({ dataDir, ...ports, env: cliEnv() });
    ups.push(second);
    assert.ok(!isProcessRunning(leftBehind), 'the Temporal server left behind was stopped');
    assert.notEqual(await temporalOf(dataDir), leftBehind);
    const list = await runCli(['list', '--json'], { env: cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir }) });
    assert.equal(list.code, 0, describeRun(list));
    const { code } = await second.stop();
    assert.equal(code, 0, second.stderr());
    assert.ok(!fs.existsSync(path.join(dataDir, 'temporal.pid')), 'the pid record goes with a clean stop');
  });

  it('a crash of up (SIGABRT: no cleanup of its own runs) leaves no Temporal server', async () => {
    const dataDir = tempDir('up-crash');
    dirs.push(dataDir);
    const up = await started(dataDir, cliEnv());
    const server = await temporalOf(dataDir);
    const exited = exitOf(up);
    process.kill(up.child.pid!, 'SIGABRT');
    assert.equal((await exited).signal, 'SIGABRT');
    await goneWithin(server, 10_000, 'the Temporal server of the crashed up stopped');
  });

  for (const signal of ['SIGHUP', 'SIGTERM'] as const) {
    it(`${signal} drains like Ctrl-C: exit 0, nothing left, within 5 s`, async () => {
      const dataDir = tempDir(`up-${signal.toLowerCase()}`);
      dirs.push(dataDir);
      const up = await started(dataDir, cliEnv());
      const exited = exitOf(up);
      const from = Date.now();
      process.kill(up.child.pid!, signal);
      const { code } = await exited;
      const ms = Date.now() - from;
      console.log(`${signal} with nothing in flight: up exited ${ms} ms later`);
      assert.equal(code, 0, `handled and drained, not the default death by ${signal}: ${up.stderr()}`);
      await eventually(
        async () => ((await processesMentioning(dataDir)).length === 0 ? true : undefined),
        10_000,
        'no process of this up left',
      );
      assert.deepEqual(watchdogsOf(dataDir), []);
    });
  }

  it('a second signal during the drain stops at once (exit 130), and the server still goes', async () => {
    const dataDir = tempDir('up-twice');
    dirs.push(dataDir);
    const up = await started(dataDir, cliEnv());
    const server = await temporalOf(dataDir);
    const exited = exitOf(up);
    process.kill(up.child.pid!, 'SIGINT');
    // Apart, so the kernel cannot merge them into one pending signal; the drain takes longer than this.
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(up.child.pid!, 'SIGINT');
    const { code } = await exited;
    assert.equal(code, 130, up.stderr());
    assert.match(up.stderr(), /SIGINT again: stopping at once/);
    await goneWithin(server, 10_000, 'the Temporal server stopped after the hard stop');
  });

  it('Ctrl-C in a terminal (SIGINT to the whole process group) stops everything cleanly: exit 0, nothing left', async () => {
    const dataDir = tempDir('up-sigint');
    dirs.push(dataDir);
    const up = await started(dataDir, cliEnv());
    assert.equal((await processesMentioning(dataDir)).length >= 2, true, 'up and its Temporal server run');
    const exited = exitOf(up);
    process.kill(-up.child.pid!, 'SIGINT'); // what a terminal does: the foreground group, not one process
    const { code, signal } = await exited;
    assert.equal(code, 0, `${signal ?? ''}\n${up.stderr()}`);
    await eventually(
      async () => ((await processesMentioning(dataDir)).length === 0 ? true : undefined),
      10_000,
      'no process of this up left',
    );
    assert.ok(!fs.existsSync(path.join(dataDir, 'stack.json')), 'stack.json removed on a clean stop');
  });
});
