/**
 * Attack: another local user reads the Temporal database and log (every workflow, the sandbox's state) from a
 * data folder `up` left open, or plants files in one they can write to. `up` creates the database and log
 * 0600, tightens a data folder it owns to 0700, never chmods through a symlink, and refuses a folder others
 * can write to.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  cliEnv,
  describeRun,
  freePorts,
  killAll,
  removeDir,
  runCli,
  startUp,
  tempDir,
  upArgsOnFreePorts,
  type UpProcess,
} from '../cli/support';

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;
const octal = (mode: number) => mode.toString(8).padStart(3, '0');

describe('data folder permissions: what `up` writes is for its user only', () => {
  const dirs: string[] = [];
  const ups: UpProcess[] = [];
  after(async () => {
    for (const up of ups) await up.stop().catch(() => undefined);
    await killAll();
    for (const dir of dirs) removeDir(dir);
  });

  async function upOn(dataDir: string): Promise<UpProcess> {
    const [port, uiPort, sandboxPort] = await freePorts(3);
    const up = await startUp({
      dataDir,
      port: port!,
      uiPort: uiPort!,
      sandboxPort: sandboxPort!,
      env: cliEnv(),
    });
    ups.push(up);
    return up;
  }

  it('tightens an existing 0755 data folder to 0700; temporal.db and temporal.log are 0600', async () => {
    const dataDir = tempDir('perm-owned');
    dirs.push(dataDir);
    fs.chmodSync(dataDir, 0o755);
    const up = await upOn(dataDir);
    assert.equal(octal(modeOf(dataDir)), '700', 'the data folder');
    const temporalFiles = fs.readdirSync(dataDir).filter((name) => /^temporal\.(db|log)/.test(name));
    assert.ok(
      temporalFiles.includes('temporal.db') && temporalFiles.includes('temporal.log'),
      temporalFiles.join(),
    );
    for (const name of temporalFiles) {
      assert.equal(octal(modeOf(path.join(dataDir, name))), '600', name);
    }
    await up.stop();
  });

  it('never chmods through a symlinked data folder', async () => {
    const real = tempDir('perm-real');
    dirs.push(real);
    fs.chmodSync(real, 0o755);
    const link = path.join(tempDir('perm-link'), 'data');
    dirs.push(path.dirname(link));
    fs.symlinkSync(real, link);
    const up = await upOn(link);
    assert.equal(octal(modeOf(real)), '755', 'the folder behind the symlink');
    assert.equal(octal(modeOf(path.join(real, 'temporal.db'))), '600', 'temporal.db');
    await up.stop();
  });

  it('refuses a data folder others can write to, before starting anything, and leaves it as it was', async () => {
    const dataDir = tempDir('perm-open');
    dirs.push(dataDir);
    fs.chmodSync(dataDir, 0o777);
    const run = await runCli(await upArgsOnFreePorts(dataDir), { env: cliEnv(), timeoutMs: 30_000 });
    assert.equal(run.code, 1, describeRun(run));
    const lines = run.stderr.trim().split('\n');
    assert.match(lines.at(-2) ?? '', /^error: The data folder .* has mode 777: others can write to it/);
    assert.match(lines.at(-1) ?? '', /^hint: .*chmod 700/);
    assert.equal(octal(modeOf(dataDir)), '777');
    assert.deepEqual(fs.readdirSync(dataDir), [], 'nothing written into the refused folder');
  });
});
