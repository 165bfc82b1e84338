import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const MAIN = join(__dirname, '../../src/sandbox/main.ts');

describe('standalone sandbox (src/sandbox/main.ts)', () => {
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('prints its URL and admin credentials, serves, and stops cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MARKETO_SANDBOX_PORT: '0',
      MARKETO_SANDBOX_MODE: 'real-like',
    };
    delete env.MARKETO_SANDBOX_ADMIN_CLIENT_ID;
    delete env.MARKETO_SANDBOX_ADMIN_CLIENT_SECRET;
    delete env.MARKETO_SANDBOX_STATE_FILE;
    const started = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let stdout = '';
    started.stdout?.setEncoding('utf8');
    started.stdout?.on('data', (chunk: string) => (stdout += chunk));

    const deadline = Date.now() + 20_000;
    while (!/client secret: \S+/.test(stdout)) {
      assert.ok(Date.now() < deadline, `no banner in time: ${stdout}`);
      assert.equal(started.exitCode, null, `exited early: ${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const baseUrl = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
    const clientId = /client id: +(\S+)/.exec(stdout)?.[1];
    const clientSecret = /client secret: +(\S+)/.exec(stdout)?.[1];
    assert.ok(baseUrl && clientId && clientSecret, stdout);
    assert.match(stdout, /mode: real-like/);

    const query = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    const reply = await fetch(`${baseUrl}/identity/oauth/token?${query.toString()}`);
    assert.equal(reply.status, 200);
    const { access_token: token } = (await reply.json()) as { access_token: string };
    const roles = await fetch(`${baseUrl}/userservice/management/v1/users/roles.json`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(roles.status, 200);

    const exited = once(started, 'exit');
    started.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    assert.match(stdout, /GET \/identity\/oauth\/token 200/, 'requests are logged');
    const afterBanner = stdout.slice(
      stdout.indexOf('client secret:') + 'client secret:'.length + clientSecret.length + 2,
    );
    assert.ok(!afterBanner.includes(clientSecret), 'the secret is printed once, in the banner only');
    assert.ok(!stdout.includes(token), 'tokens are never logged');
  });
});
