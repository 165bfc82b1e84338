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
  it('defaults the policy: reminders 30, 7 and 1 day ahead, 7-day operator deadline, 365-day maximum lifetime', () => {
    for (const policy of [undefined, {}]) {
      const parsed = lifecycleRequestSchema.parse(policy === undefined ? base : { ...base, policy });
      assert.deepEqual(parsed.policy.reminderLeadsMs, [30 * MS_PER_DAY, 7 * MS_PER_DAY, MS_PER_DAY]);
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

  it('refuses names with bidi controls, line separators, or only blanks and zero-width characters', () => {
    const refused: [string, RegExp][] = [
      ['Ad\u202Ea', /bidirectional/], // RIGHT-TO-LEFT OVERRIDE
      ['Ad\u202Aa', /bidirectional/],
      ['Ad\u2066a', /bidirectional/],
      ['Ad\u2069a', /bidirectional/],
      ['Ad\u200Ea', /bidirectional/],
      ['Ad\u200Fa', /bidirectional/],
      ['Ad\u061Ca', /bidirectional/],
      ['Ad\u2028a', /line or paragraph separators/],
      ['Ad\u2029a', /line or paragraph separators/],
      ['\u200B', /must not be blank/],
      ['\u200B \u200C\u200D\u2060', /must not be blank/],
      ['\uFEFF\u200B', /must not be blank|must not be empty/],
    ];
    for (const [name, why] of refused) {
      for (const field of ['firstName', 'lastName'] as const) {
        const found = problems({ ...base, [field]: name });
        assert.ok(
          found.some((p) => p.startsWith(`${field}:`) && why.test(p)),
          `${JSON.stringify(name)} as ${field}: ${found.join('; ')}`,
        );
      }
    }
    const roleName = problems({ ...base, role: { name: 'Read\u202EOnly' } });
    assert.ok(
      roleName.some((p) => p.startsWith('role.name:')),
      roleName.join('; '),
    );
    // Letters of any script, and a joiner inside a word, stay fine.
    for (const name of ['Zoë', 'Łukasz', 'محمد', 'क्‍ष', "O'Brien-Smith"]) {
      assert.deepEqual(problems({ ...base, firstName: name }), [], name);
    }
  });

  it('refuses emails with a leading, trailing or double dot, a local part over 64, or a numeric top-level domain', () => {
    const refused: [string, RegExp][] = [
      ['a..b@example.com', /dot/],
      ['.ab@example.com', /dot/],
      ['ab.@example.com', /dot/],
      [`${'a'.repeat(65)}@example.com`, /64/],
      ['svc@127.0.0.1', /top-level domain/],
      ['svc@example.c', /top-level domain/],
    ];
    for (const [email, why] of refused) {
      const found = problems({ ...base, email });
      assert.ok(
        found.some((p) => p.startsWith('email:') && why.test(p)),
        `${email}: ${found.join('; ')}`,
      );
    }
    const longest = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    assert.equal(longest.length, 254);
    for (const email of ['a.b@example.com', `${'a'.repeat(64)}@example.com`, 'x@sandbox.local', longest]) {
      assert.deepEqual(problems({ ...base, email }), [], email);
    }
  });

  it('refuses a permission listed twice', () => {
    const found = problems({
      ...base,
      role: { name: 'R', permissions: ['Read-Only Lead', 'Read-Only Activity', 'Read-Only Lead'] },
    });
    assert.ok(
      found.some((p) => p.startsWith('role.permissions:') && p.includes('"Read-Only Lead" more than once')),
      found.join('; '),
    );
  });

  it('refuses one permission listed in both its spellings (Lead and Person)', () => {
    const found = problems({
      ...base,
      role: { name: 'R', permissions: ['Read-Only Lead', 'Read-Only Person'] },
    });
    assert.ok(
      found.some((p) => p.startsWith('role.permissions:') && p.includes('"Read-Only Person" more than once')),
      found.join('; '),
    );
  });

  it('takes reminder lead times in any order, longest first after parsing, and refuses repeats or none', () => {
    const parsed = lifecycleRequestSchema.parse({
      ...base,
      policy: { reminderLeadsMs: ['1d', '30d', '7d'] },
    });
    assert.deepEqual(parsed.policy.reminderLeadsMs, [30 * MS_PER_DAY, 7 * MS_PER_DAY, MS_PER_DAY]);
    assert.deepEqual(problems({ ...base, policy: { reminderLeadsMs: ['7d', '168h'] } }), [
      'policy.reminderLeadsMs: must not give the same lead time twice',
    ]);
    assert.deepEqual(problems({ ...base, policy: { reminderLeadsMs: [] } }), [
      'policy.reminderLeadsMs: give at least one lead time, like 30d,7d,1d',
    ]);
    assert.deepEqual(problems({ ...base, policy: { reminderLeadsMs: ['7x'] } }), [
      'policy.reminderLeadsMs.0: must be a duration like 30d, 12h, 90m or 45s',
    ]);
  });
});
