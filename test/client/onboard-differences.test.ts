/**
 * onboardDifferences on its own: a list of reminder lead times compares by its values (the running request's
 * array is never the same object as the new one's), and a given owner or ticket that differs is a conflict.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lifecycleRequestSchema } from '../../src/domain/lifecycle-request';
import { onboardDifferences } from '../../src/onboard-conflict';

const base = {
  email: 'svc@example.com',
  firstName: 'Ada',
  lastName: 'Integration',
  role: { name: 'Integration Read-Only' },
  expiresAt: '2030-01-01T00:00:00Z',
};
const current = { createdAt: '2029-12-01T00:00:00Z', expiresAt: base.expiresAt };

function differences(running: object, asked: object) {
  const runningRequest = lifecycleRequestSchema.parse({ ...base, ...running });
  const request = lifecycleRequestSchema.parse({ ...base, ...asked });
  return onboardDifferences({ request, input: { role: {}, ...asked } }, runningRequest, current);
}

describe('onboard differences', () => {
  it('the same reminder lead times, in any order, are no difference; other ones are', () => {
    const leads = { policy: { reminderLeadsMs: ['30d', '7d'] } };
    assert.deepEqual(differences(leads, { policy: { reminderLeadsMs: ['7d', '30d'] } }), []);
    assert.deepEqual(differences(leads, { policy: { reminderLeadsMs: ['1d'] } }), [
      { field: 'policy.reminderLeadsMs', running: '30d,7d', requested: '1d' },
    ]);
  });

  it('an owner or ticket given and different is a difference; left out, it is not asked for', () => {
    const owned = { owner: 'team@example.com', ticket: 'OPS-1' };
    assert.deepEqual(differences(owned, {}), []);
    assert.deepEqual(differences(owned, { owner: 'Team@Example.com', ticket: 'OPS-1' }), []);
    assert.deepEqual(
      differences(owned, { owner: 'other@example.com', ticket: 'OPS-2' }).map((d) => d.field),
      ['owner', 'ticket'],
    );
  });
});
