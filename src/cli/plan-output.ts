/** A desired-state plan as people read it: one line per user, the changes first, then a count of each kind. */
import type { PlanSummary } from '../desired-state/plan';
import type { DesiredStatePlan, PlannedAction } from '../desired-state/plan-schema';
import type { Output } from './output';

const MARK: Record<PlannedAction['kind'], string> = {
  create: '+ create    ',
  adopt: '« adopt     ',
  extend: '~ extend    ',
  reassign: '~ reassign  ',
  replace: '± replace   ',
  revoke: '- revoke    ',
  refused: '! refused   ',
  'left-alone': '· left alone',
  'no-change': '= no change ',
};

function reassignDetail(action: Extract<PlannedAction, { kind: 'reassign' }>): string {
  const shown = (value: string | null) => value ?? 'none';
  const changes = [
    ...(action.owner ? [`owner ${shown(action.owner.from)} → ${shown(action.owner.to)}`] : []),
    ...(action.ticket ? [`ticket ${shown(action.ticket.from)} → ${shown(action.ticket.to)}`] : []),
    ...(action.extend ? [`expiry ${action.extend.from} → ${action.extend.to}`] : []),
  ];
  return `${changes.join(', ')}: ${action.why}`;
}

function detail(action: PlannedAction): string {
  switch (action.kind) {
    case 'extend':
      return `${action.from} → ${action.to}`;
    case 'reassign':
      return reassignDetail(action);
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

const stepsOf = (action: PlannedAction): string[] =>
  'operatorSteps' in action ? (action.operatorSteps ?? []) : [];

const ORDER: PlannedAction['kind'][] = [
  'refused',
  'create',
  'adopt',
  'replace',
  'reassign',
  'extend',
  'revoke',
  'left-alone',
  'no-change',
];

export function planLines(plan: DesiredStatePlan, summary: PlanSummary): string[] {
  const sorted = [...plan.actions].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  const lines = sorted.flatMap((a) => [
    `${MARK[a.kind]}  ${a.email}${detail(a) ? `  ${detail(a)}` : ''}`,
    ...(a.kind === 'adopt' ? a.changes.map((change) => `      changes: ${change}`) : []),
    ...stepsOf(a).map((step) => `      operator: ${step}`),
  ]);
  lines.push(
    '',
    `Plan for ${plan.source}: ${summary.create} to create, ${summary.adopt} to adopt, ${summary.replace} to replace, ` +
      `${summary.extend} to extend, ${summary.reassign} to reassign, ${summary.revoke} to revoke, ${summary.refused} refused, ${summary.leftAlone} left alone, ` +
      `${summary.unchanged} unchanged.`,
  );
  if (plan.actions.some((a) => stepsOf(a).length)) {
    lines.push(
      'Operator steps: this instance needs a person in the admin console for the steps above; apply reports those lifecycles as awaiting-operator, and `status EMAIL` prints each step again.',
    );
  }
  return lines;
}

export function printPlan(output: Output, plan: DesiredStatePlan, summary: PlanSummary): void {
  for (const line of planLines(plan, summary)) output.line(line);
}
