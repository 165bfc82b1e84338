import { serviceDescription, serviceDisplayName, type LifecycleRequest } from '../domain/lifecycle-request';
import type { OperatorStep } from '../domain/lifecycle-status';

/**
 * What an operator must do by hand on a real Marketo instance, whose API cannot create roles or custom
 * services. Exact names, so that the workflow's verification (by role name; by a token whose scope is the
 * user's email) finds what the operator made.
 */
export function operatorInstructions(
  step: OperatorStep,
  request: LifecycleRequest,
  workflowId: string,
): string[] {
  if (step === 'create-role') {
    const permissions = request.role.permissions.length
      ? request.role.permissions.join(', ')
      : 'the Access API permissions the integration needs';
    return [
      'In Marketo: Admin > Users & Roles > Roles > New Role.',
      `Role Name: ${request.role.name}`,
      `Permissions (Access API group): ${permissions}`,
      `Then run: marketo-api-users complete-step ${request.email} --step create-role`,
      `(lifecycle ${workflowId}; the workflow then finds the role by name through roles.json)`,
    ];
  }
  return [
    'In Marketo: Admin > LaunchPoint > New > New Service.',
    `Display Name: ${serviceDisplayName(request)}`,
    'Service: Custom',
    `Description: ${serviceDescription(request)}`,
    `API Only User: ${request.email}`,
    'Then open View Details, copy the Client Id, and save the Client Secret to a file (never paste it on a command line).',
    `Then run: marketo-api-users complete-step ${request.email} --step create-service --client-id <Client Id> --secret-file <file>`,
    `(lifecycle ${workflowId}; the workflow verifies by obtaining a token whose scope is ${request.email})`,
  ];
}
