import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadStateFile, StateFileWriter, type DurableFs } from '../../src/sandbox/persistence';
import { eventually } from '../cli/support';
import {
  callUserManagement,
  errorCode,
  inviteBody,
  request,
  requestToken,
  startTestSandbox,
  userInState,
} from '../helpers/sandbox';

describe('persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'marketo-sandbox-'));
  const stateFile = join(dir, 'nested', 'state.json');
  after(() => rmSync(dir, { recursive: true, force: true }));

  let serviceCredentials: { clientId: string; clientSecret: string };
  let adminCredentials: { clientId: string; clientSecret: string };
  let oldToken: string;

  it('writes the state atomically after changes, without tmp files, hashing service secrets', async () => {
    const sandbox = await startTestSandbox({ stateFile, seedUsers: 3 });
    try {
      adminCredentials = { clientId: sandbox.adminClientId, clientSecret: sandbox.adminClientSecret };
      oldToken = (await requestToken(sandbox)).access_token;
      await callUserManagement(
        sandbox,
        oldToken,
        'POST',
        'invite.json',
        inviteBody('kept@example.com', {
          expiresAt: '2001-01-01T00:00:00Z',
        }),
      );
      sandbox.operator.createRole({ name: 'Persisted Role', permissions: ['Access Users'] });
      const created = sandbox.operator.createService({ displayName: 'kept', email: 'kept@example.com' });
      serviceCredentials = { clientId: created.clientId, clientSecret: created.clientSecret };

      // The debounced write, without close(): polled for, since a loaded machine gets to it when it can.
      // The service was the last change, so once its hash is there the file holds every change.
      const secretHash = createHash('sha256').update(created.clientSecret).digest('hex');
      const text = await eventually(
        async () => {
          const written = await fsp.readFile(stateFile, 'utf8').catch(() => '');
          return written.includes(secretHash) ? written : undefined;
        },
        15_000,
        'the state file to hold the new service',
        20,
      );
      assert.ok(text.includes('kept@example.com'));
      assert.ok(!text.includes(created.clientSecret), 'service secret not in clear');
      assert.ok(!text.includes(oldToken), 'tokens are not persisted');
      assert.equal(statSync(stateFile).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(join(dir, 'nested')), ['state.json']);
    } finally {
      await sandbox.close();
    }
  });

  it('a restart on the same file keeps users, roles, services, locks and admin credentials', async () => {
    const sandbox = await startTestSandbox({ stateFile, seedUsers: 3 });
    try {
      assert.equal(sandbox.adminClientId, adminCredentials.clientId);
      assert.equal(sandbox.adminClientSecret, adminCredentials.clientSecret);
      const state = sandbox.snapshot();
      assert.equal(
        state.users.filter((user) => user.origin === 'seed').length,
        3,
        'seedUsers only seeds a fresh state',
      );
      assert.ok(state.roles.some((role) => role.name === 'Persisted Role'));
      assert.equal(userInState(sandbox, 'kept@example.com')?.isLocked, true);

      const stale = await callUserManagement(sandbox, oldToken, 'GET', 'roles.json');
      assert.equal(errorCode(stale), '601', 'tokens do not survive a restart');
      const admin = await requestToken(sandbox);
      assert.equal(
        (await callUserManagement(sandbox, admin.access_token, 'GET', 'kept@example.com/user.json')).status,
        200,
      );

      const locked = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: serviceCredentials.clientId,
        client_secret: serviceCredentials.clientSecret,
      });
      const reply = await request(sandbox, 'GET', `/identity/oauth/token?${locked.toString()}`);
      assert.equal(reply.status, 401, 'the restored service is still refused: its user is still locked');
      await callUserManagement(sandbox, admin.access_token, 'POST', 'kept@example.com/update.json', {
        expiresAt: '2099-01-01T00:00:00Z',
      });
      const token = await requestToken(sandbox, serviceCredentials.clientId, serviceCredentials.clientSecret);
      assert.equal(token.scope, 'kept@example.com', 'the hashed secret still verifies');
    } finally {
      await sandbox.close();
    }
  });

  it('admin credentials from the environment replace the stored ones', async () => {
    const env = {
      MARKETO_SANDBOX_ADMIN_CLIENT_ID: 'env-admin-id',
      MARKETO_SANDBOX_ADMIN_CLIENT_SECRET: 'env-admin-secret',
    };
    const sandbox = await startTestSandbox({ stateFile, env });
    try {
      assert.equal(sandbox.adminClientId, 'env-admin-id');
      const token = await requestToken(sandbox, 'env-admin-id', 'env-admin-secret');
      assert.equal(token.scope, 'orchestrator@sandbox.local');
      const old = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: adminCredentials.clientId,
        client_secret: adminCredentials.clientSecret,
      });
      assert.equal((await request(sandbox, 'GET', `/identity/oauth/token?${old.toString()}`)).status, 401);
      assert.equal(sandbox.snapshot().services.filter((service) => service.isAdmin).length, 1);
    } finally {
      await sandbox.close();
    }
    const restarted = await startTestSandbox({ stateFile });
    try {
      assert.equal(restarted.adminClientId, 'env-admin-id', 'the replacement was persisted');
    } finally {
      await restarted.close();
    }
  });

  it('refuses to start on a damaged state file instead of overwriting it', async () => {
    const damaged = join(dir, 'damaged.json');
    writeFileSync(damaged, '{"version":1,"users":');
    await assert.rejects(startTestSandbox({ stateFile: damaged }), /not JSON/);
    writeFileSync(damaged, JSON.stringify({ version: 2 }));
    await assert.rejects(startTestSandbox({ stateFile: damaged }), /unexpected shape/);
    assert.equal(readFileSync(damaged, 'utf8'), JSON.stringify({ version: 2 }));
  });
});

describe('state file durability', () => {
  const dir = mkdtempSync(join(tmpdir(), 'marketo-sandbox-durable-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('syncs the tmp file before the rename and the directory after it', async () => {
    const source = join(dir, 'source.json');
    const sandbox = await startTestSandbox({ stateFile: source, seedUsers: 1 });
    await sandbox.close();
    const state = loadStateFile(source);
    assert.ok(state);

    const target = join(dir, 'out', 'state.json');
    const steps: string[] = [];
    const name = (path: string) => (path === target ? 'state' : path.endsWith('.tmp') ? 'tmp' : path);
    const recording: DurableFs = {
      mkdir: (path, options) => fsp.mkdir(path, options),
      rm: (path, options) => fsp.rm(path, options),
      rename: async (from, to) => {
        steps.push(`rename ${name(from)} ${name(to)}`);
        await fsp.rename(from, to);
      },
      open: async (path, flags, mode) => {
        const handle = await fsp.open(path, flags, mode);
        const label = path === join(dir, 'out') ? 'dir' : name(path);
        steps.push(`open ${label}`);
        return {
          writeFile: async (text) => {
            steps.push(`write ${label}`);
            await handle.writeFile(text);
          },
          sync: async () => {
            steps.push(`sync ${label}`);
            await handle.sync();
          },
          close: async () => {
            steps.push(`close ${label}`);
            await handle.close();
          },
        };
      },
    };
    const writer = new StateFileWriter(target, () => state, assert.fail, recording);
    writer.markDirty();
    await writer.flush();
    assert.deepEqual(steps, [
      'open tmp',
      'write tmp',
      'sync tmp',
      'close tmp',
      'rename tmp state',
      'open dir',
      'sync dir',
      'close dir',
    ]);
    assert.deepEqual(loadStateFile(target), state);
    assert.equal(statSync(target).mode & 0o777, 0o600);
  });
});
