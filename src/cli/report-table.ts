/**
 * The compliance report as a table for people. Names, role names and owners are typed by people: control
 * characters (a line break would forge a row) are shown as `?`, and long cells are cut with an ellipsis.
 */
import type { ReportRow } from '../report/rows';

const MAX_CELL = 40;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function shown(text: string | null): string {
  if (text === null || text === '') return '-';
  const clean = text.replace(CONTROL, '?');
  return clean.length > MAX_CELL ? `${clean.slice(0, MAX_CELL - 1)}…` : clean;
}

function managedCell(row: ReportRow): string {
  return row.management === 'managed' ? (row.phase ?? 'managed') : row.management;
}

function rolesCell(row: ReportRow): string {
  return row.roles.map((r) => r.roleName ?? `role ${r.roleId}`).join(', ');
}

const COLUMNS: [string, (row: ReportRow) => string | null][] = [
  ['EMAIL', (r) => r.email],
  ['MANAGED', managedCell],
  ['OWNER', (r) => r.owner],
  ['ROLES', rolesCell],
  ['EXPIRES AT', (r) => r.expiresAt],
  ['LOCKED', (r) => (r.locked ? 'yes' : 'no')],
  ['LAST USED', (r) => r.lastUsedAt],
  ['LAST ATTESTED', (r) => r.lastAttestedAt],
  ['ROTATION AGE', (r) => (r.rotationAgeDays === null ? null : `${r.rotationAgeDays}d`)],
];

export function reportTable(rows: ReportRow[]): string[] {
  const cells = rows.map((row) => COLUMNS.map(([, value]) => shown(value(row))));
  const widths = COLUMNS.map(([title], i) => Math.max(title.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS.map(([title]) => title)), ...cells.map(line)];
}
