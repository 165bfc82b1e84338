/**
 * The report as CSV for auditors (RFC 4180: CRLF line ends, a field with a comma, quote or line break in double
 * quotes, quotes doubled), defended against formula injection as OWASP advises: Marketo's names, role names
 * and owners are typed by people, and a spreadsheet would run a cell starting with = + - @ (or a tab or
 * carriage return) as a formula, so such a cell is prefixed with a single quote.
 */
import type { ReportRole, ReportRow } from './rows';

/** The CSV's columns, in order: the row's keys, with roles split into names and permissions. */
export const REPORT_CSV_COLUMNS = [
  'email',
  'userid',
  'marketoUserId',
  'name',
  'management',
  'workflowId',
  'phase',
  'owner',
  'ticket',
  'roles',
  'permissions',
  'expiresAt',
  'locked',
  'lockedReason',
  'lastUsedAt',
  'lastAttestedAt',
  'activatedAt',
  'lastRotatedAt',
  'rotationAgeDays',
] as const;
type CsvColumn = (typeof REPORT_CSV_COLUMNS)[number];

const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/** One field: neutralized if a spreadsheet would read it as a formula, then quoted where RFC 4180 needs it. */
export function csvField(value: string): string {
  const safe = value !== '' && FORMULA_START.has(value[0]!) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function roleLabel(role: ReportRole): string {
  const workspace = role.workspaceName ?? `workspace ${role.workspaceId}`;
  return `${role.roleName ?? `role ${role.roleId}`} (${role.roleId}) in ${workspace}`;
}

/** `Role: perm, perm` a role (` (requested)` when only the lifecycle's request tells), ` | ` between roles. */
function permissionsCell(roles: ReportRole[]): string {
  return roles
    .map((r) => {
      const listed = r.permissions ? r.permissions.join(', ') : 'unknown';
      const requested = r.permissionsSource === 'requested' ? ' (requested)' : '';
      return `${r.roleName ?? `role ${r.roleId}`}: ${listed}${requested}`;
    })
    .join(' | ');
}

function cell(row: ReportRow, column: CsvColumn): string {
  if (column === 'roles') return row.roles.map(roleLabel).join('; ');
  if (column === 'permissions') return permissionsCell(row.roles);
  const value = row[column];
  return value === null ? '' : String(value);
}

export function reportCsv(rows: ReportRow[]): string {
  const lines = [REPORT_CSV_COLUMNS.join(',')];
  for (const row of rows) lines.push(REPORT_CSV_COLUMNS.map((c) => csvField(cell(row, c))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
