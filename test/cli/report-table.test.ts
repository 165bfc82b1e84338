/** The report's table for people: a line break typed into a name or owner cannot forge a row. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportTable } from '../../src/cli/report-table';
import type { ReportRow } from '../../src/report/rows';

const row: ReportRow = {
  email: 'crm@example.com',
  userid: 'crm@example.com',
  marketoUserId: 7,
  name: 'CRM Sync',
  management: 'managed',
  workflowId: 'wf-1',
  phase: 'active',
  owner: 'team@example.com\nforged@example.com',
  ticket: null,
  roles: [
    {
      roleId: 102,
      roleName: 'Sync\r',
      workspaceId: 0,
      workspaceName: null,
      permissions: null,
      permissionsSource: null,
    },
  ],
  expiresAt: null,
  locked: false,
  lockedReason: null,
  lastUsedAt: null,
  lastAttestedAt: null,
  activatedAt: null,
  lastRotatedAt: null,
  rotationAgeDays: 12,
};

describe('the report table', () => {
  it('keeps one line a user, control characters shown as ?', () => {
    const lines = reportTable([row]);
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => !/[\r\n]/.test(line)));
    assert.match(reportTable([{ ...row, owner: 'x'.repeat(60) }])[1]!, / x{39}… /, 'a long cell is cut');
    assert.match(
      lines[1]!,
      /^crm@example\.com +active +team@example\.com\?forged@example\.com +Sync\? +- +no +- +- +12d$/,
    );
  });
});
