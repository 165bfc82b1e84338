/**
 * The client API checks owner, ticket, attestation policy and attest input before it connects: InputError with
 * `field: problem`, whether or not anything runs (no Temporal is started here).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attest, InputError, onboard, type OnboardInput } from '../../src';

const base: OnboardInput = {
  email: 'svc@example.com',
  firstName: 'Ada',
  lastName: 'Integration',
  role: { name: 'Integration Read-Only' },
  expiresIn: '30d',
};

async function problems(call: () => Promise<unknown>): Promise<string[]> {
  const error = await call().then(
    () => assert.fail('accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InputError, String(error));
  return error.problems;
}

describe('attestation input at the client API', () => {
  it('refuses a bad owner or ticket, and attestation without an owner or with too long a window', async () => {
    assert.match(
      (await problems(() => onboard({ ...base, owner: 'ops team' })))[0]!,
      /^owner: must be a plain/,
    );
    assert.match(
      (await problems(() => onboard({ ...base, ticket: '123' })))[0]!,
      /^ticket: must be an issue key/,
    );
    assert.deepEqual(await problems(() => onboard({ ...base, policy: { attestEveryMs: '30d' } })), [
      'owner: required with policy.attestEveryMs (the address asked to attest)',
    ]);
    const window = { attestEveryMs: '30d', attestationWindowMs: '30d' };
    assert.deepEqual(await problems(() => onboard({ ...base, owner: 'o@example.com', policy: window })), [
      'policy.attestationWindowMs: must be shorter than policy.attestEveryMs (30d)',
    ]);
  });

  it('refuses an attestation without a name, with markup in its note, or with an unknown decision', async () => {
    assert.match((await problems(() => attest('svc@example.com', { by: '' })))[0]!, /^by: /);
    assert.match((await problems(() => attest('svc@example.com', { by: 'a', note: '<b>' })))[0]!, /^note: /);
    const maybe = { by: 'a', decision: 'maybe' } as unknown as Parameters<typeof attest>[1];
    assert.match((await problems(() => attest('svc@example.com', maybe)))[0]!, /^decision: /);
  });
});
