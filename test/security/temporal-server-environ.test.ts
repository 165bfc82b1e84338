/**
 * Attack: read the Temporal dev server's environment (/proc/<pid>/environ, a crash dump, a debug endpoint) to
 * find the credentials `up` was started with. `up` must hand the server only what it needs to run.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cliEnv, freePorts, killAll, removeDir, startUp, tempDir, type UpProcess } from '../cli/support';

/** /proc/<pid>/environ as name → value. */
function environOf(pid: number): Map<string, string> {
  const entries = fs
    .readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .filter(Boolean)
    .map((entry): [string, string] => [
      entry.slice(0, entry.indexOf('=')),
      entry.slice(entry.indexOf('=') + 1),
    ]);
  return new Map(entries);
}

describe('temporal server environ: `up` keeps its credentials from the Temporal server', () => {
  let dataDir: string | undefined;
  let up: UpProcess | undefined;
  after(async () => {
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
  });

  it(
    'the server process gets PATH, HOME and the like, none of the secrets in up’s environment',
    {
      skip: !fs.existsSync('/proc/self/environ') && 'needs /proc',
    },
    async () => {
      const canaries = {
        MARKETO_CLIENT_SECRET: `canary-client-secret-${randomBytes(8).toString('hex')}`,
        MARKETO_API_USERS_PAYLOAD_KEY: `k1:${randomBytes(32).toString('base64')}`,
        MARKETO_API_USERS_WEBHOOK_URL_TOKEN: `canary-token-${randomBytes(8).toString('hex')}`,
        AWS_SECRET_ACCESS_KEY: `canary-aws-${randomBytes(8).toString('hex')}`,
      };
      dataDir = tempDir('environ');
      const [port, uiPort, sandboxPort] = await freePorts(3);
      up = await startUp({
        dataDir,
        port: port!,
        uiPort: uiPort!,
        sandboxPort: sandboxPort!,
        env: cliEnv({ ...canaries, TZ: 'Europe/Berlin' }),
      });
      const pid = Number(fs.readFileSync(path.join(dataDir, 'temporal.pid'), 'utf8').trim());
      assert.ok(Number.isInteger(pid) && pid > 1, `temporal.pid holds ${pid}`);
      const environ = environOf(pid);
      const raw = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');

      assert.equal(environ.get('PATH'), process.env.PATH, 'the server still finds what is on PATH');
      assert.equal(environ.get('TZ'), 'Europe/Berlin', 'time zone passed on');
      for (const [name, value] of Object.entries(canaries)) {
        assert.ok(!environ.has(name), `${name} reached the Temporal server`);
        assert.ok(!raw.includes(value), `the value of ${name} reached the Temporal server`);
      }
      const allowed =
        /^(PATH|HOME|TMPDIR|TZ|LANG|LANGUAGE|LC_[A-Z_]+|TEMP|TMP|SYSTEMROOT|USERPROFILE|APPDATA|LOCALAPPDATA)$/i;
      const extra = [...environ.keys()].filter((name) => !allowed.test(name));
      assert.deepEqual(extra, [], 'only an allow-list of variables reaches the server');
    },
  );
});
