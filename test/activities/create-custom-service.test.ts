/**
 * createCustomService against the sandbox over HTTP, when attempts overlap: Temporal retries an attempt it gave up
 * on (timeout, lost answer) while that attempt may still reach the admin console. Each lifecycle must end with
 * exactly one service, whose secret is the stored one.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAdminConsoleActivities } from '../../src/activities/admin-console';
import type { AdminConsole } from '../../src/marketo/admin-console';
import { sandboxAdminConsole } from '../../src/sandbox/admin-console-client';
import type { RunningSandbox } from '../../src/sandbox';
import { FileSecretStore, secretRefFor } from '../../src/security/secret-store';
import {
  callUserManagement,
  inviteBody,
  requestToken,
  startTestSandbox,
  userInState,
} from '../helpers/sandbox';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('createCustomService with overlapping attempts', () => {
  let sandbox: RunningSandbox;
  let dataDir: string;
  let admin: string;
  before(async () => {
    sandbox = await startTestSandbox({ mode: 'automatic' });
    admin = (await requestToken(sandbox)).access_token;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-service-'));
  });
  after(async () => {
    await sandbox.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function activitiesWith(adminConsole: AdminConsole) {
    const secrets = new FileSecretStore(path.join(dataDir, 'secrets'));
    const activities = createAdminConsoleActivities({ adminConsole, secrets });
    return { activities, secrets };
  }

  async function owner(email: string) {
    const invited = await callUserManagement(sandbox, admin, 'POST', 'invite.json', inviteBody(email));
    assert.equal(invited.status, 200, invited.text);
    return {
      displayName: `Service of ${email}`,
      description: 'test',
      ownerEmail: email,
      secretRef: secretRefFor(`lifecycle-${email.split('@')[0]}`),
      // As a workflow run makes it: one per creation, shared by that creation's attempts.
      idempotencyKey: `run-${randomUUID()}`,
    };
  }

  it('a first attempt that reaches the console after its retry finished makes no second service', async () => {
    const input = await owner('late-attempt@example.com');
    const real = sandboxAdminConsole(sandbox.baseUrl, sandbox.adminToken);
    const atConsole = deferred();
    const held = deferred();
    let creations = 0;
    // The first attempt's creation waits, as a request stuck behind a busy console would, until the retry is done.
    const slowFirst: AdminConsole = {
      ...real,
      createService: async (service) => {
        creations += 1;
        if (creations === 1) {
          atConsole.resolve();
          await held.promise;
        }
        return real.createService(service);
      },
    };
    const { activities, secrets } = activitiesWith(slowFirst);
    const first = activities.createCustomService(input);
    // The retry starts once the first attempt is held at the console: started together, the retry sometimes got
    // there first, became the held one, and waited for itself.
    await atConsole.promise;
    const retry = await activities.createCustomService(input);
    held.resolve();
    const late = await first;

    assert.equal(creations, 2, 'both attempts asked the console');
    assert.equal(late.clientId, retry.clientId, 'the late attempt got the same service');
    assert.deepEqual(
      userInState(sandbox, input.ownerEmail)?.services,
      [retry.clientId],
      'exactly one service',
    );
    const stored = await secrets.get(input.secretRef);
    assert.equal(stored?.clientId, retry.clientId);
    const token = await requestToken(sandbox, stored.clientId, stored.clientSecret);
    assert.equal(token.scope, input.ownerEmail, 'the stored secret is the live one');
  });

  it('a retry after a lost answer adopts nothing it cannot use and leaves one working service', async () => {
    const input = await owner('lost-answer@example.com');
    // A service made by an attempt so long ago that the console no longer remembers its key: its secret is lost.
    const stale = sandbox.operator.createService({
      displayName: input.displayName,
      description: input.description,
      email: input.ownerEmail,
    });
    const { activities, secrets } = activitiesWith(sandboxAdminConsole(sandbox.baseUrl, sandbox.adminToken));
    const result = await activities.createCustomService(input);
    assert.notEqual(result.clientId, stale.clientId);
    assert.deepEqual(
      userInState(sandbox, input.ownerEmail)?.services,
      [result.clientId],
      'the stale one removed',
    );
    const stored = await secrets.get(input.secretRef);
    assert.equal(stored?.clientId, result.clientId);

    // Retried once more (the answer above lost too): adopts what it stored, makes and removes nothing.
    const again = await activities.createCustomService(input);
    assert.equal(again.clientId, result.clientId);
    assert.deepEqual(userInState(sandbox, input.ownerEmail)?.services, [result.clientId]);
  });
});
