import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../src/sandbox';
import {
  adminRequest,
  ManualClock,
  callUserManagement,
  inviteBody,
  requestToken,
  startTestSandbox,
  userInState,
} from '../helpers/sandbox';

describe('an admin unlocks an expired user by hand', () => {
  const clock = new ManualClock();
  let sandbox: RunningSandbox;
  let token: string;
  before(async () => {
    sandbox = await startTestSandbox({ now: clock.now });
    token = (await requestToken(sandbox, sandbox.adminClientId, sandbox.adminClientSecret)).access_token;
  });
  after(async () => {
    await sandbox?.close();
  });

  it('leaves it expired but not locked until its expiry is written again', async () => {
    const email = 'unlocked@example.com';
    const expiresAt = new Date(clock.millis + 60_000).toISOString();
    const invited = await callUserManagement(
      sandbox,
      token,
      'POST',
      'invite.json',
      inviteBody(email, { expiresAt }),
    );
    assert.equal(invited.status, 200, invited.text);
    clock.advance(120_000);
    assert.equal(userInState(sandbox, email)?.isLocked, true, 'locked once the expiry passed');

    const unlocked = await adminRequest(sandbox, 'POST', `/sandbox/users/${email}/unlock`);
    assert.equal(unlocked.status, 200, unlocked.text);
    const after = userInState(sandbox, email);
    assert.equal(after?.isLocked, false);
    assert.equal(after?.expiresAt, expiresAt, 'the expiry stays in the past');
    assert.equal(after?.pastLocks.length, 1);

    // Writing the expiry again (even the same past date) re-applies Marketo's lock.
    const rewritten = await callUserManagement(sandbox, token, 'POST', `${email}/update.json`, { expiresAt });
    assert.equal(rewritten.status, 200, rewritten.text);
    assert.equal(userInState(sandbox, email)?.isLocked, true);
  });

  it('refuses to unlock a user that does not exist', async () => {
    const reply = await adminRequest(sandbox, 'POST', '/sandbox/users/nobody@example.com/unlock');
    assert.equal(reply.status, 404);
  });
});
