/**
 * The bin loads a command's code only when that command runs: `status --help` must not load the embedded stack,
 * the worker, the sandbox or even the Temporal client, and the command list no command at all. Each run lists,
 * at exit, the modules its process loaded (the bin runs the sources through CommonJS, so `require.cache` holds
 * every one of them).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliEnv, REPO_ROOT } from './support';

const BIN = path.join(REPO_ROOT, 'bin', 'marketo-api-users.cjs');

/** Runs the bin with `args` in-process after a hook that prints the loaded module paths, relative to the repo. */
const SCRIPT = `
const path = require('node:path');
process.on('exit', () => {
  const loaded = Object.keys(require.cache).map((file) => path.relative(${JSON.stringify(REPO_ROOT)}, file));
  process.stderr.write('LOADED ' + JSON.stringify(loaded) + '\\n');
});
process.argv = [process.argv[0], ${JSON.stringify(BIN)}, ...JSON.parse(process.env.CLI_ARGS)];
require(${JSON.stringify(BIN)});
`;

interface Loaded {
  code: number;
  stdout: string;
  modules: string[];
}

function loadedBy(args: string[]): Promise<Loaded> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['-e', SCRIPT],
      { cwd: REPO_ROOT, env: cliEnv({ CLI_ARGS: JSON.stringify(args) }), timeout: 60_000 },
      (error, stdout, stderr) => {
        const line = /^LOADED (.*)$/m.exec(stderr);
        if (!line) return reject(new Error(`no module list: ${error?.message ?? ''}\n${stderr}`));
        resolve({ code: error ? Number(error.code) : 0, stdout, modules: JSON.parse(line[1]!) as string[] });
      },
    ),
  );
}

/** What only `up`, `demo`, `worker` and `sandbox` need, wherever the composition root puts it. */
function heavy(modules: string[]): string[] {
  return modules.filter(
    (m) =>
      /^src\/(.*\/)?(embedded|worker)\.ts$/.test(m) ||
      m.startsWith('src/sandbox/') ||
      m.startsWith('src/temporal-servers/') ||
      m.includes('node_modules/@temporalio/worker/'),
  );
}

describe('the CLI loads a command only when it runs', () => {
  it('status --help loads neither the embedded stack, the worker, the sandbox nor the Temporal client', async () => {
    const run = await loadedBy(['status', '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: marketo-api-users status EMAIL/);
    assert.ok(run.modules.includes('src/cli/commands/status.ts'), 'the command itself is loaded');
    assert.deepEqual(heavy(run.modules), []);
    const otherCommands = run.modules.filter(
      (m) => m.startsWith('src/cli/commands/') && !/\/(status|format|types)\.ts$/.test(m),
    );
    assert.deepEqual(otherCommands, []);
    // Its help is decided by its own flag parse, before it needs the client API and the Temporal client.
    assert.deepEqual(
      run.modules.filter((m) => m === 'src/client.ts' || m.includes('node_modules/@temporalio/')),
      [],
    );
  });

  it('the command list loads no command and no Temporal package', async () => {
    const run = await loadedBy([]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^ {2}status {2,}show a lifecycle's phase/m);
    assert.deepEqual(
      run.modules.filter((m) => m.startsWith('src/cli/commands/') || m.includes('node_modules/@temporalio/')),
      [],
    );
  });
});
