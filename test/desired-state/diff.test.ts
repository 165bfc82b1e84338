/**
 * The plan's decisions without a server: each entry against its observed lifecycle, and the lifecycles the
 * file no longer names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffDesiredState } from '../../src/desired-state/diff';
import { parseDesiredState } from '../../src/desired-state/parse-file';
import type { ObservedLifecycle, Observation } from '../../src/desired-state/observation';

const NOW = Date.parse('2027-01-10T00:00:00Z');
const DAY = 86_400_000;
const FIRST_APPLY = '2027-01-01T00:00:00.000Z';

const FILE = `users:
  - email: new@example.com
    firstName: New
    lastName: User
    role: { name: R, permissions: [Read-Only Lead] }
    lifetime: 30d
  - email: same@example.com
    firstName: Same
    lastName: User
    role: { name: R, permissions: [Read-Only Lead] }
    lifetime: 30d
  - email: later@example.com
    firstName: Later
    lastName: User
    role: { name: R, permissions: [Read-Only Lead] }
    expiresAt: 2027-03-01T00:00:00Z
  - email: earlier@example.com
    firstName: Earlier
    lastName: User
    role: { name: R, permissions: [Read-Only Lead] }
    expiresAt: 2027-01-20T00:00:00Z
  - email: renamed@example.com
    firstName: Renamed
    lastName: User
    role: { name: R, permissions: [Read-Only Lead] }
    lifetime: 30d
  - email: onboarded@example.com
    firstName: Hand
    lastName: Made
    role: { name: R }
    lifetime: 30d
  - email: boss@ops.example.com
    firstName: Boss
    lastName: Ops
    role: { name: R }
    lifetime: 30d
protected: ['*@ops.example.com', keep@example.com]
`;

function running(email: string, overrides: Partial<ObservedLifecycle> = {}): ObservedLifecycle {
  return {
    email,
    workflowId: `wf-${email}`,
    runId: 'r1',
    running: true,
    phase: 'active',
    expiresAt: new Date(Date.parse(FIRST_APPLY) + 30 * DAY).toISOString(),
    createdAt: FIRST_APPLY,
    request: {
      firstName: email.split('@')[0]!.replace(/^./, (c) => c.toUpperCase()),
      lastName: 'User',
      role: { name: 'r', permissions: ['Read-Only Lead'], workspace: 0 },
      service: {},
      policy: {
        reminderLeadsMs: [30 * DAY, 7 * DAY, DAY],
        maxLifetimeMs: 365 * DAY,
        operatorStepDeadlineMs: 7 * DAY,
        operatorReminderEveryMs: DAY,
        rotationOverlapMs: 7 * DAY,
        attestationWindowMs: 14 * DAY,
      },
    },
    marker: { firstAppliedAt: FIRST_APPLY },
    ...overrides,
  };
}

function plan(observation: Observation, text = FILE) {
  const parsed = parseDesiredState(text, 'users.yaml');
  return diffDesiredState({ file: parsed.file, observation, nowMs: NOW, locate: (p) => parsed.locate(p) });
}

describe('desired-state diff', () => {
  const byEmail = new Map<string, ObservedLifecycle>([
    ['same@example.com', running('same@example.com')],
    ['later@example.com', running('later@example.com')],
    ['earlier@example.com', running('earlier@example.com', { expiresAt: '2027-02-01T00:00:00.000Z' })],
    [
      'renamed@example.com',
      running('renamed@example.com', { request: { ...running('x@y.com').request!, firstName: 'Old' } }),
    ],
    ['onboarded@example.com', running('onboarded@example.com', { marker: undefined })],
  ]);
  const unlisted = [
    running('gone@example.com'),
    running('keep@example.com'),
    running('manual@example.com', { marker: undefined }),
  ];
  const actions = plan({ byEmail, unlisted });
  const of = (email: string) => actions.find((a) => a.email === email);

  it('creates a missing user, its lifetime counted from the apply', () => {
    assert.deepEqual(of('new@example.com'), {
      kind: 'create',
      email: 'new@example.com',
      entry: 0,
      lifetimeMs: 30 * DAY,
      why: 'for 30d from this apply',
    });
  });

  it('changes nothing when the lifetime, counted from the first apply, is the expiry', () => {
    assert.deepEqual(of('same@example.com'), { kind: 'no-change', email: 'same@example.com' });
  });

  it('extends to a later expiry and refuses an earlier one, naming the line', () => {
    assert.equal(of('later@example.com')?.kind, 'extend');
    const earlier = of('earlier@example.com');
    assert.equal(earlier?.kind, 'refused');
    assert.ok(
      earlier?.kind === 'refused' && earlier.at === 'users.yaml:21:16 users[3].expiresAt',
      JSON.stringify(earlier),
    );
    assert.match(earlier.why, /never moves its expiry earlier/);
  });

  it('replaces a lifecycle whose names changed, keeping the first apply as the lifetime anchor', () => {
    const renamed = of('renamed@example.com');
    assert.ok(renamed?.kind === 'replace', JSON.stringify(renamed));
    assert.deepEqual(renamed.changes, ['firstName "Old" → "Renamed"']);
    assert.equal(renamed.firstAppliedAt, FIRST_APPLY);
    assert.equal(renamed.expiresAt, '2027-01-31T00:00:00.000Z');
  });

  it('replaces a lifecycle whose service or policy changed, but not one whose reason alone changed', () => {
    const text = FILE.replace(
      'lifetime: 30d\n  - email: later',
      'lifetime: 30d\n    reason: new reason\n  - email: later',
    );
    const withReason = plan({ byEmail, unlisted: [] }, text).find((a) => a.email === 'same@example.com');
    assert.deepEqual(withReason, { kind: 'no-change', email: 'same@example.com' });
    const policy = FILE.replace(
      'lifetime: 30d\n  - email: later',
      'lifetime: 30d\n    policy: { reminderLeadsMs: [3d] }\n  - email: later',
    );
    const changed = plan({ byEmail, unlisted: [] }, policy).find((a) => a.email === 'same@example.com');
    assert.ok(changed?.kind === 'replace', JSON.stringify(changed));
    assert.deepEqual(changed.changes, ['policy.reminderLeadsMs "30d,7d,1d" → "3d"']);
  });

  it('reassigns in place a lifecycle whose owner or ticket changed, folding in an extension', () => {
    const text = FILE.replace(
      'lifetime: 30d\n  - email: later',
      'lifetime: 30d\n    owner: team@example.com\n    ticket: SEC-42\n  - email: later',
    );
    const changed = plan({ byEmail, unlisted: [] }, text).find((a) => a.email === 'same@example.com');
    assert.ok(changed?.kind === 'reassign', JSON.stringify(changed));
    assert.deepEqual(changed.owner, { from: null, to: 'team@example.com' });
    assert.deepEqual(changed.ticket, { from: null, to: 'SEC-42' });
    assert.equal(changed.extend, undefined);
    assert.equal(changed.workflowId, running('same@example.com').workflowId);
    const owned = new Map(byEmail);
    const request = {
      ...running('x@y.com').request!,
      firstName: 'Same',
      owner: 'team@example.com',
      ticket: 'SEC-42',
    };
    owned.set('same@example.com', running('same@example.com', { request }));
    const same = plan({ byEmail: owned, unlisted: [] }, text).find((a) => a.email === 'same@example.com');
    assert.deepEqual(same, { kind: 'no-change', email: 'same@example.com' });
    // The file drops the ticket and moves the expiry later: one reassign that clears it, then extends.
    const later = text
      .replace('    ticket: SEC-42\n', '')
      .replace(/(same@example\.com[\s\S]*?)lifetime: 30d/, '$1lifetime: 60d');
    const both = plan({ byEmail: owned, unlisted: [] }, later).find((a) => a.email === 'same@example.com');
    assert.ok(both?.kind === 'reassign', JSON.stringify(both));
    assert.equal(both.owner, undefined);
    assert.deepEqual(both.ticket, { from: 'SEC-42', to: null });
    assert.equal(both.extend?.to, '2027-03-02T00:00:00.000Z');
  });

  it('keeps an owner change in the why of a refused expiry, so one fix shows both', () => {
    const text = FILE.replace(
      /(email: earlier@example\.com[\s\S]*?\n)( {2}- email:)/,
      '$1    owner: team@example.com\n$2',
    );
    const refused = plan({ byEmail, unlisted: [] }, text).find((a) => a.email === 'earlier@example.com');
    assert.ok(refused?.kind === 'refused', JSON.stringify(refused));
    assert.match(
      refused.why,
      /never moves its expiry earlier.*\(the file also asks for owner undefined → "team@example\.com"\)$/,
    );
  });

  it('replaces a lifecycle whose names and owner changed, listing both', () => {
    const text = FILE.replace(
      'lifetime: 30d\n  - email: later',
      'lifetime: 30d\n    owner: team@example.com\n  - email: later',
    ).replace(/(email: same@example\.com\n\s+firstName: )Same/, '$1Renamed');
    const changed = plan({ byEmail, unlisted: [] }, text).find((a) => a.email === 'same@example.com');
    assert.ok(changed?.kind === 'replace', JSON.stringify(changed));
    assert.deepEqual(changed.changes, [
      'firstName "Same" → "Renamed"',
      'owner undefined → "team@example.com"',
    ]);
  });

  it('leaves alone what onboard started, listed or not, and never revokes it', () => {
    assert.equal(of('onboarded@example.com')?.kind, 'left-alone');
    assert.equal(of('manual@example.com')?.kind, 'left-alone');
  });

  it('revokes a removed entry that an apply started, but never a protected user', () => {
    assert.equal(of('gone@example.com')?.kind, 'revoke');
    const kept = of('keep@example.com');
    assert.ok(kept?.kind === 'left-alone' && /protected by keep@example.com/.test(kept.why));
    const boss = of('boss@ops.example.com');
    assert.ok(
      boss?.kind === 'refused' && /protected by \*@ops.example.com/.test(boss.why),
      JSON.stringify(boss),
    );
  });

  it('does not re-create a user whose lifetime, counted from the first apply, has ended', () => {
    const ended = new Map([
      [
        'same@example.com',
        {
          ...running('same@example.com'),
          running: false,
          marker: { firstAppliedAt: '2026-11-01T00:00:00.000Z' },
        },
      ],
    ]);
    const again = plan({ byEmail: ended, unlisted: [] }).find((a) => a.email === 'same@example.com');
    assert.equal(again?.kind, 'left-alone');
  });
});
