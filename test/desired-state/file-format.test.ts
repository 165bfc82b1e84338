/**
 * The desired-state file: YAML or JSON, read into the onboard input's fields, and every mistake reported at
 * once as `file:line:column field: problem`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDesiredState } from '../../src/desired-state/parse-file';
import { DesiredStateFileError } from '../../src/errors';
import { report } from '../../src/cli/errors';

const GOOD = `users:
  - email: CRM@Example.com
    firstName: CRM
    lastName: Sync
    role: { name: CRM Sync, permissions: [Read-Only Lead] }
    lifetime: 90d
  - email: bi@example.com
    firstName: BI
    lastName: Export
    role: { name: BI Export }
    expiresAt: 2027-06-30T00:00:00Z
    policy: { reminderLeadsMs: [3d] }
protected: ['*@ops.example.com']
`;

function problemsOf(text: string, source = 'users.yaml'): string[] {
  try {
    parseDesiredState(text, source);
  } catch (error) {
    assert.ok(error instanceof DesiredStateFileError, String(error));
    return error.problems;
  }
  assert.fail('the file was accepted');
}

describe('desired-state file format', () => {
  it('reads rotateEvery into the lifecycle policy, and refuses it given twice or too often', () => {
    const rotating = GOOD.replace('    lifetime: 90d\n', '    lifetime: 90d\n    rotateEvery: 30d\n');
    const { file } = parseDesiredState(rotating, 'users.yaml');
    assert.equal(file.users[0]!.policy.rotateEveryMs, 30 * 86_400_000);
    assert.equal(file.users[1]!.policy.rotateEveryMs, undefined);
    const twice = GOOD.replace(
      '    lifetime: 90d\n',
      '    lifetime: 90d\n    rotateEvery: 30d\n    policy: { rotateEveryMs: 10d }\n',
    );
    assert.deepEqual(problemsOf(twice), [
      'users.yaml:7:18 users[0].rotateEvery: give rotateEvery or policy.rotateEveryMs, not both',
    ]);
    const often = GOOD.replace('    lifetime: 90d\n', '    lifetime: 90d\n    rotateEvery: 5m\n');
    assert.deepEqual(problemsOf(often), ['users.yaml:7:18 users[0].rotateEvery: must be at least 1h']);
  });

  it('reads the attestEvery and remind shorthands into the policy, refused given twice or with nobody to ask', () => {
    const short = GOOD.replace(
      '    lifetime: 90d\n',
      '    lifetime: 90d\n    owner: team@example.com\n    attestEvery: 90d\n    remind: [1d, 14d]\n',
    );
    const { file } = parseDesiredState(short, 'users.yaml');
    assert.equal(file.users[0]!.policy.attestEveryMs, 90 * 86_400_000);
    assert.deepEqual(file.users[0]!.policy.reminderLeadsMs, [14 * 86_400_000, 86_400_000]);
    assert.ok(!('attestEvery' in file.users[0]!) && !('remind' in file.users[0]!));
    const twice = GOOD.replace(
      '    lifetime: 90d\n',
      '    lifetime: 90d\n    remind: [1d]\n    policy: { reminderLeadsMs: [2d] }\n',
    );
    assert.deepEqual(problemsOf(twice), [
      'users.yaml:7:13 users[0].remind: give remind or policy.reminderLeadsMs, not both',
    ]);
    const nobody = GOOD.replace('    lifetime: 90d\n', '    lifetime: 90d\n    attestEvery: 90d\n');
    assert.deepEqual(problemsOf(nobody), [
      'users.yaml:2:5 users[0].owner: required with policy.attestEveryMs (the address asked to attest)',
    ]);
  });

  it('reads owner, ticket and an attestation policy, and refuses attestation with nobody to ask', () => {
    const owned = GOOD.replace(
      '    lifetime: 90d\n',
      '    lifetime: 90d\n    owner: Team@Example.com\n    ticket: OPS-12\n    policy: { attestEveryMs: 90d }\n',
    );
    const { file } = parseDesiredState(owned, 'users.yaml');
    assert.equal(file.users[0]!.owner, 'team@example.com');
    assert.equal(file.users[0]!.ticket, 'OPS-12');
    assert.equal(file.users[0]!.policy.attestEveryMs, 90 * 86_400_000);
    assert.equal(file.users[0]!.policy.attestationWindowMs, 14 * 86_400_000);
    const nobody = GOOD.replace(
      '    lifetime: 90d\n',
      '    lifetime: 90d\n    policy: { attestEveryMs: 90d }\n',
    );
    assert.deepEqual(problemsOf(nobody), [
      'users.yaml:2:5 users[0].owner: required with policy.attestEveryMs (the address asked to attest)',
    ]);
    const badTicket = GOOD.replace('    lifetime: 90d\n', '    lifetime: 90d\n    ticket: see slack\n');
    assert.equal(problemsOf(badTicket).length, 1);
    assert.match(problemsOf(badTicket)[0]!, /users\[0\]\.ticket: must be an issue key like JIRA-123/);
  });

  it('reads YAML into onboard-like entries: lowercased email, lifetime and policy durations in ms', () => {
    const { file } = parseDesiredState(GOOD, 'users.yaml');
    assert.equal(file.users.length, 2);
    assert.equal(file.users[0]!.email, 'crm@example.com');
    assert.equal(file.users[0]!.lifetime, 90 * 86_400_000);
    assert.deepEqual(file.users[0]!.role, {
      name: 'CRM Sync',
      permissions: ['Read-Only Lead'],
      workspace: 0,
    });
    assert.deepEqual(file.users[1]!.policy.reminderLeadsMs, [3 * 86_400_000]);
    assert.deepEqual(file.protected, ['*@ops.example.com']);
  });

  it('accepts the same file as JSON', () => {
    const json = JSON.stringify({
      users: [
        {
          email: 'a@example.com',
          firstName: 'A',
          lastName: 'B',
          role: { name: 'R' },
          lifetime: '30d',
        },
      ],
    });
    assert.equal(parseDesiredState(json, 'users.json').file.users[0]!.lifetime, 30 * 86_400_000);
  });

  it('reports every mistake at once, in file order, each with its line, column and field', () => {
    const text = `users:
  - email: not-an-email
    firstName: Ada
    lastName: X
    role:
      name: R
      permisions: [Read-Only Lead]
    expiresAt: 2027-01-01T00:00:00Z
    lifetime: 3d
  - email: crm@example.com
    firstName: ""
    lastName: Y
    role: { name: R }
  - email: CRM@example.com
    firstName: C
    lastName: Y
    role: { name: R }
    lifetime: 1d
`;
    assert.deepEqual(problemsOf(text), [
      'users.yaml:2:12 users[0].email: must be a plain ASCII email address like name@example.com (no look-alike Unicode letters)',
      'users.yaml:7:7 users[0].role.permisions: is not a field of this file; check its spelling',
      'users.yaml:8:16 users[0].expiresAt: give exactly one of expiresAt or lifetime',
      'users.yaml:10:5 users[1].expiresAt: give exactly one of expiresAt or lifetime',
      'users.yaml:11:16 users[1].firstName: must not be empty',
      'users.yaml:14:12 users[2].email: crm@example.com is already listed as users[1]; list each user once',
    ]);
  });

  it('reports YAML syntax errors with their position, and a misspelt top-level field', () => {
    assert.deepEqual(problemsOf('users:\n  - email: a@b.com\n    email: c\n'), [
      'users.yaml:3:5 (file): Map keys must be unique (not valid YAML or JSON)',
    ]);
    assert.deepEqual(problemsOf('user: []\n'), [
      'users.yaml:1:1 users: Invalid input: expected array, received undefined',
      'users.yaml:1:1 user: is not a field of this file; check its spelling',
    ]);
  });

  it('is bad input for the CLI: exit 2 with every problem on its own line', () => {
    const error = new DesiredStateFileError(['f:1:1 a: x', 'f:2:1 b: y']);
    const reported = report(error);
    assert.equal(reported.exitCode, 2);
    assert.deepEqual(reported.lines.slice(0, 3), [
      'error: 2 problems in the desired-state file; nothing was changed',
      'f:1:1 a: x',
      'f:2:1 b: y',
    ]);
  });
});
