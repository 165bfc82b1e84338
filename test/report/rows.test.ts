/** The report's join: which lifecycle manages a user, and how old its credentials are. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReportMarketoUser } from '../../src/report/marketo-read';
import { reportRow, type ManagedBy, type ReportStatus, type RowSources } from '../../src/report/rows';

const DAY = 86_400_000;
const NOW = Date.parse('2030-06-15T12:00:00.000Z');
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();

const user: ReportMarketoUser = {
  userid: 'CRM@example.com',
  id: 42,
  email: 'CRM@example.com',
  firstName: 'CRM',
  lastName: 'Sync',
  isLocked: false,
  lockedReason: null,
  expiresAt: null,
  roles: [{ accessRoleId: 101, workspaceId: 0 }],
};

function status(overrides: Partial<ReportStatus> = {}): ReportStatus {
  return {
    phase: 'active',
    createdAt: ago(100),
    timeline: [
      { at: ago(100), event: 'requested' },
      { at: ago(90), event: 'active' },
    ],
    ...overrides,
  };
}

function sources(managed?: ManagedBy, selfEmail = 'orchestrator@example.com'): RowSources {
  return {
    roles: new Map([[101, { id: 101, name: 'Sync', type: 'custom', permissions: ['Read-Only Lead'] }]]),
    workspaces: new Map([[0, 'AllZones']]),
    selfEmail,
    managedBy: (email) => (email === 'crm@example.com' ? managed : undefined),
    lastUsedAt: (userid) => (userid === 'CRM@example.com' ? '2030-06-14' : null),
    nowMs: NOW,
  };
}

const managedBy = (s: ReportStatus | null): ManagedBy => ({ workflowId: 'wf-1', phase: 'active', status: s });

describe('a report row', () => {
  it('counts rotation age from activation when never rotated', () => {
    const row = reportRow(user, sources(managedBy(status())));
    assert.deepEqual(
      [row.email, row.management, row.workflowId, row.activatedAt, row.lastRotatedAt, row.rotationAgeDays],
      ['crm@example.com', 'managed', 'wf-1', ago(90), null, 90],
    );
    assert.deepEqual(row.roles, [
      {
        roleId: 101,
        roleName: 'Sync',
        workspaceId: 0,
        workspaceName: 'AllZones',
        permissions: ['Read-Only Lead'],
        permissionsSource: 'instance',
      },
    ]);
    assert.equal(row.lastUsedAt, '2030-06-14');
  });

  it('counts it from the last completed rotation, even when a later one was abandoned', () => {
    const timeline = [...status().timeline, { at: ago(30), event: 'old credentials dead' }];
    const abandoned = { outcome: 'abandoned', at: ago(5) };
    const row = reportRow(user, sources(managedBy(status({ timeline, lastRotation: abandoned }))));
    assert.deepEqual([row.lastRotatedAt, row.rotationAgeDays], [ago(30), 30]);
    const completed = { outcome: 'completed', at: ago(3) };
    const later = reportRow(user, sources(managedBy(status({ timeline, lastRotation: completed }))));
    assert.deepEqual([later.lastRotatedAt, later.rotationAgeDays], [ago(3), 3]);
  });

  it('reads owner, ticket and last attestation where the status carries them', () => {
    const attested = status({
      owner: 'team@example.com',
      ticket: 'SEC-1',
      attestation: { last: { at: ago(10) } },
    });
    const row = reportRow(user, sources(managedBy(attested)));
    assert.deepEqual([row.owner, row.ticket, row.lastAttestedAt], ['team@example.com', 'SEC-1', ago(10)]);
  });

  it('keeps the phase from visibility when the status did not answer, and leaves the rest empty', () => {
    const row = reportRow(user, sources(managedBy(null)));
    assert.deepEqual(
      [row.management, row.phase, row.owner, row.rotationAgeDays],
      ['managed', 'active', null, null],
    );
  });

  it("names a hand-made user and this product's own user", () => {
    assert.equal(reportRow(user, sources()).management, 'hand-made');
    assert.equal(reportRow(user, sources(undefined, 'crm@example.com')).management, 'this-product');
    assert.equal(reportRow(user, sources()).rotationAgeDays, null);
  });

  it("falls back to the lifecycle's requested permissions for its own role where the instance does not tell", () => {
    const unknown = {
      ...sources(),
      roles: new Map([[101, { id: 101, name: 'Sync', type: 'custom', permissions: null }]]),
    };
    const managed = { ...managedBy(status({ roleId: 101 })), requestedPermissions: ['Read-Only Activity'] };
    const row = reportRow(user, { ...unknown, managedBy: () => managed });
    assert.deepEqual(
      row.roles.map((r) => [r.permissions, r.permissionsSource]),
      [[['Read-Only Activity'], 'requested']],
    );
    const otherRole = { ...managed, status: status({ roleId: 102 }) };
    const other = reportRow(user, { ...unknown, managedBy: () => otherRole });
    assert.deepEqual(
      other.roles.map((r) => [r.permissions, r.permissionsSource]),
      [[null, null]],
    );
  });
});
