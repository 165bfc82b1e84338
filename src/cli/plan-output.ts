/** A desired-state plan as people read it: one line per user, the changes first, then a count of each kind. */
import type { PlanSummary } from '../desired-state/plan';
import type { DesiredStatePlan, PlannedAction } from '../desired-state/plan-schema';
import type { Output } from './output';

const MARK: Record<PlannedAction['kind'], string> = {
  create: '+ create    ',
  extend: '~ extend    ',
  replace: '± replace   ',
  revoke: '- revoke    ',
  refused: '! refused   ',
  'left-alone': '· left alone',
  'no-change': '= no change ',
};

function detail(action: PlannedAction): string {
  switch (action.kind) {
    case 'extend':
      return `${action.from} → ${action.to}`;
    case 'replace':
      return `${action.changes.join(', ')}; until ${action.expiresAt}: ${action.why}`;
    case 'refused':
      return `${action.at}: ${action.why}`;
    case 'no-change':
      return '';
    default:
      return action.why;
  }
}

const ORDER: PlannedAction['kind'][] = [
  'refused',
  'create',
  'replace',
  'extend',
  'revoke',
  'left-alone',
  'no-change',
];

export function planLines(plan: DesiredStatePlan, summary: PlanSummary): string[] {
  const sorted = [...plan.actions].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  const lines = sorted.map((a) => `${MARK[a.kind]}  ${a.email}${detail(a) ? `  ${detail(a)}` : ''}`);
  lines.push(
    '',
    `Plan for ${plan.source}: ${summary.create} to create, ${summary.replace} to replace, ${summary.extend} to extend, ` +
      `${summary.revoke} to revoke, ${summary.refused} refused, ${summary.leftAlone} left alone, ${summary.unchanged} unchanged.`,
  );
  if (summary.create + summary.replace > 0) {
    lines.push(
      "Operator steps: where Marketo's admin console is worked by a person, each new lifecycle waits for an operator to create its role (when missing) and its custom service; apply reports those as awaiting-operator and `status EMAIL` prints the instructions.",
    );
  }
  return lines;
}

export function printPlan(output: Output, plan: DesiredStatePlan, summary: PlanSummary): void {
  for (const line of planLines(plan, summary)) output.line(line);
}
