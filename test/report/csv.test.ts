/** The report's CSV: what a spreadsheet reads back is exactly each value, and no cell runs as a formula. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField, REPORT_CSV_COLUMNS, reportCsv } from '../../src/report/csv';
import type { ReportRole, ReportRow } from '../../src/report/rows';
import { parseCsv } from './csv-parse';

const HOSTILE = '=HYPERLINK("https://evil.example","a, b")\nsecond line';

function row(overrides: Partial<ReportRow> = {}): ReportRow {
  return {
    email: 'crm@example.com',
    userid: 'crm@example.com',
    marketoUserId: 7,
    name: 'CRM Sync',
    management: 'hand-made',
    workflowId: null,
    phase: null,
    owner: null,
    ticket: null,
    roles: [
      {
        roleId: 102,
        roleName: 'Marketing User',
        workspaceId: 0,
        workspaceName: 'AllZones',
        permissions: null,
        permissionsSource: null,
      },
    ],
    expiresAt: '2030-01-01T00:00:00.000Z',
    locked: false,
    lockedReason: null,
    lastUsedAt: null,
    lastAttestedAt: null,
    activatedAt: null,
    lastRotatedAt: null,
    rotationAgeDays: null,
    ...overrides,
  };
}

describe('the report as CSV', () => {
  it('quotes a comma, a quote and a line break, and neutralizes a formula, as one field', () => {
    assert.equal(csvField(HOSTILE), `"'=HYPERLINK(""https://evil.example"",""a, b"")\nsecond line"`);
    const records = parseCsv(reportCsv([row({ name: HOSTILE, owner: '@team' })]));
    assert.equal(records.length, 2, 'a header and one record: the line break stays inside its field');
    const get = (column: (typeof REPORT_CSV_COLUMNS)[number]) =>
      records[1]![REPORT_CSV_COLUMNS.indexOf(column)];
    assert.equal(get('name'), `'${HOSTILE}`);
    assert.equal(get('owner'), "'@team");
    assert.equal(get('email'), 'crm@example.com');
  });

  it('prefixes every formula start OWASP names, and nothing else', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) {
      assert.equal(parseCsv(`${csvField(`${start}1+1`)}\r\n`)[0]![0], `'${start}1+1`, JSON.stringify(start));
    }
    for (const plain of ['1+1', 'a=b', "'quoted", '', '2030-01-01T00:00:00.000Z']) {
      assert.equal(csvField(plain), plain);
    }
  });

  it('has its documented header, empty cells for nulls, and roles with their permissions or unknown', () => {
    const roles: ReportRole[] = [
      {
        roleId: 101,
        roleName: 'Sync',
        workspaceId: 0,
        workspaceName: 'AllZones',
        permissions: ['Read-Only Lead'],
        permissionsSource: 'instance',
      },
      {
        roleId: 9,
        roleName: null,
        workspaceId: 1008,
        workspaceName: null,
        permissions: null,
        permissionsSource: null,
      },
      {
        roleId: 5,
        roleName: 'Asked',
        workspaceId: 0,
        workspaceName: 'AllZones',
        permissions: ['Read-Only Activity'],
        permissionsSource: 'requested',
      },
    ];
    const text = reportCsv([row({ roles, rotationAgeDays: 0, locked: true })]);
    assert.ok(text.startsWith(`${REPORT_CSV_COLUMNS.join(',')}\r\n`));
    const record = parseCsv(text)[1]!;
    const get = (column: (typeof REPORT_CSV_COLUMNS)[number]) => record[REPORT_CSV_COLUMNS.indexOf(column)];
    assert.equal(get('roles'), 'Sync (101) in AllZones; role 9 (9) in workspace 1008; Asked (5) in AllZones');
    assert.equal(
      get('permissions'),
      'Sync: Read-Only Lead | role 9: unknown | Asked: Read-Only Activity (requested)',
    );
    assert.deepEqual([get('workflowId'), get('locked'), get('rotationAgeDays')], ['', 'true', '0']);
  });
});
