/**
 * The lifecycle request's schema as the edge and the workflow both apply it: policy defaults, misspelt fields
 * refused (not silently defaulted), and one cap for durations however they are written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MS_PER_DAY } from '../../src/domain/durations';
import { formatIssues, lifecycleRequestSchema } from '../../src/domain/lifecycle-request';

const base = {
  email: 'svc@example.com',
  firstName: 'Ada',
  lastName: 'Integration',
  role: { name: 'Integration Read-Only' },
  expiresAt: '2030-01-01T00:00:00Z',
};

function problems(input: unknown): string[] {
  const parsed = lifecycleRequestSchema.safeParse(input);
  return parsed.success ? [] : formatIssues(parsed.error);
}

describe('lifecycle request schema', () => {
  it('defaults the policy: 7-day reminder lead, 7-day operator deadline, 365-day maximum lifetime', () => {
    for (const policy of [undefined, {}]) {
      const parsed = lifecycleRequestSchema.parse(policy === undefined ? base : { ...base, policy });
      assert.equal(parsed.policy.reminderLeadMs, 7 * MS_PER_DAY);
      assert.equal(parsed.policy.operatorStepDeadlineMs, 7 * MS_PER_DAY);
      assert.equal(parsed.policy.maxLifetimeMs, 365 * MS_PER_DAY);
      assert.equal(parsed.policy.operatorReminderEveryMs, MS_PER_DAY);
    }
  });

  it('refuses a misspelt policy, role or service field instead of defaulting it', () => {
    const policyTypo = problems({ ...base, policy: { reminderLead: '3d' } });
    assert.ok(
      policyTypo.some((p) => p.startsWith('policy:') && p.includes('reminderLead')),
      policyTypo.join('; '),
    );
    const roleTypo = problems({ ...base, role: { name: 'R', permision: ['Read-Only Lead'] } });
    assert.ok(
      roleTypo.some((p) => p.startsWith('role:') && p.includes('permision')),
      roleTypo.join('; '),
    );
    const serviceTypo = problems({ ...base, service: { displayname: 'X' } });
    assert.ok(
      serviceTypo.some((p) => p.startsWith('service:') && p.includes('displayname')),
      serviceTypo.join('; '),
    );
  });

  it('caps durations at 10 years whether given as text or as milliseconds', () => {
    assert.deepEqual(problems({ ...base, policy: { maxLifetimeMs: '3650d' } }), []);
    assert.deepEqual(problems({ ...base, policy: { maxLifetimeMs: 3650 * MS_PER_DAY } }), []);
    for (const tooLong of ['3651d', '999999d', 3651 * MS_PER_DAY]) {
      const found = problems({ ...base, policy: { maxLifetimeMs: tooLong } });
      assert.ok(
        found.some((p) => p.startsWith('policy.maxLifetimeMs:') && p.includes('10 years')),
        `${String(tooLong)}: ${found.join('; ')}`,
      );
    }
  });
});
