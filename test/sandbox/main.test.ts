import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
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

    const tokenFile = /admin token: +in (\S+)/.exec(stdout)?.[1];
    assert.ok(tokenFile, stdout);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600, 'only its owner may read the admin token');
    const adminToken = readFileSync(tokenFile, 'utf8').trim();
    assert.ok(adminToken.length >= 32, 'a long random token');
    const state = (headers: Record<string, string>) => fetch(`${baseUrl}/sandbox/state`, { headers });
    assert.equal((await state({})).status, 401, 'the admin endpoints need the token');
    const operator = { Authorization: `Bearer ${adminToken}`, 'X-Sandbox-Operator': 'true' };
    assert.equal((await state(operator)).status, 200, await (await state(operator)).text());

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
    assert.ok(!stdout.includes(adminToken), 'the admin token is written to its file, never printed');
    assert.equal(existsSync(tokenFile), false, 'the token file goes with the sandbox');
  });
});

/** A sandbox that ignores its environment never exits on its own: fail, do not hang. */
const HANG_GUARD = { timeout: 30_000 };

describe('standalone sandbox: limits from the environment', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  /** The caller's environment without any MARKETO_SANDBOX_* of its own, plus `extra`. */
  function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('MARKETO_SANDBOX_')) delete env[name];
    return { ...env, MARKETO_SANDBOX_PORT: '0', MARKETO_SANDBOX_QUIET: '1', ...extra };
  }

  async function startMain(extra: Record<string, string>) {
    const started = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: cleanEnv(extra),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(started);
    let stdout = '';
    started.stdout?.setEncoding('utf8');
    started.stdout?.on('data', (chunk: string) => (stdout += chunk));
    const deadline = Date.now() + 20_000;
    while (!/client secret: \S+/.test(stdout)) {
      assert.ok(Date.now() < deadline, `no banner in time: ${stdout}`);
      assert.equal(started.exitCode, null, `exited early: ${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const baseUrl = /listening on (http:\/\/\S+)/.exec(stdout)?.[1] ?? '';
    const query = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: /client id: +(\S+)/.exec(stdout)?.[1] ?? '',
      client_secret: /client secret: +(\S+)/.exec(stdout)?.[1] ?? '',
    });
    const tokenReply = await fetch(`${baseUrl}/identity/oauth/token?${query.toString()}`);
    assert.equal(tokenReply.status, 200);
    const { access_token: token } = (await tokenReply.json()) as { access_token: string };
    const roles = async (): Promise<{ status: number; text: string }> => {
      const reply = await fetch(`${baseUrl}/userservice/management/v1/users/roles.json`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      return { status: reply.status, text: await reply.text() };
    };
    const stop = async () => {
      const exited = once(started, 'exit');
      started.kill('SIGTERM');
      await exited;
    };
    return { roles, stop };
  }

  it('MARKETO_SANDBOX_RATE_CALLS and _RATE_WINDOW_MS set the 606 window', HANG_GUARD, async () => {
    const main = await startMain({
      MARKETO_SANDBOX_RATE_CALLS: '2',
      MARKETO_SANDBOX_RATE_WINDOW_MS: '60000',
    });
    try {
      assert.equal((await main.roles()).status, 200);
      assert.equal((await main.roles()).status, 200);
      const third = await main.roles();
      assert.match(third.text, /"606"/);
      assert.match(third.text, /Max rate limit '2' exceeded with in '60' secs/);
    } finally {
      await main.stop();
    }
  });

  it(
    'MARKETO_SANDBOX_MAX_CONCURRENT sets the 615 cap, MARKETO_SANDBOX_DAILY_QUOTA the 607 quota',
    HANG_GUARD,
    async () => {
      const main = await startMain({
        MARKETO_SANDBOX_MAX_CONCURRENT: '1',
        MARKETO_SANDBOX_DAILY_QUOTA: '1',
        // Holds the first call in flight long enough for the second to meet it.
        MARKETO_SANDBOX_LATENCY_MS: '1000',
      });
      try {
        const both = await Promise.all([main.roles(), main.roles()]);
        assert.deepEqual(both.map((r) => r.status).sort(), [200, 429], JSON.stringify(both));
        assert.ok(
          both.some((r) => r.text.includes('"615"')),
          JSON.stringify(both),
        );
        const third = await main.roles();
        assert.match(third.text, /"607"/);
        assert.match(third.text, /Daily quota '1' reached/);
      } finally {
        await main.stop();
      }
    },
  );

  it('refuses a bad value with exit code 2 and names the variable', HANG_GUARD, async () => {
    const started = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: cleanEnv({ MARKETO_SANDBOX_MAX_CONCURRENT: 'ten', MARKETO_SANDBOX_RATE_WINDOW_MS: '0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(started);
    let stderr = '';
    started.stderr?.setEncoding('utf8');
    started.stderr?.on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(started, 'exit')) as [number | null];
    assert.equal(code, 2, stderr);
    assert.match(stderr, /MARKETO_SANDBOX_MAX_CONCURRENT/);
    assert.match(stderr, /MARKETO_SANDBOX_RATE_WINDOW_MS/);
  });
});
