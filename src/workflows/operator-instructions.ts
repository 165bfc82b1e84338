import {
  rotatedServiceDisplayName,
  serviceDescription,
  serviceDisplayName,
  type LifecycleRequest,
} from '../domain/lifecycle-request';
import type { OperatorStep, Rotation } from '../domain/lifecycle-status';

/**
 * What an operator must do by hand on a real Marketo instance, whose API cannot create roles or custom
 * services. Exact names, so that the workflow's verification (by role name; by a token whose scope is the
 * user's email) finds what the operator made. `existingRoleId`: the role a `confirm-role` step is about.
 */
export function operatorInstructions(
  step: OperatorStep,
  request: LifecycleRequest,
  workflowId: string,
  existingRoleId?: number,
): string[] {
  if (step === 'confirm-role') return confirmRoleInstructions(request, workflowId, existingRoleId);
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

/**
 * The API-only user gets every permission of its role, and a real instance's roles.json does not list them:
 * a person must look, and confirm by the role's id that they are exactly the requested ones.
 */
function confirmRoleInstructions(
  request: LifecycleRequest,
  workflowId: string,
  roleId: number | undefined,
): string[] {
  const id = roleId === undefined ? '<its id>' : String(roleId);
  return [
    `A role named "${request.role.name}" already exists in this Marketo instance (role id ${id}), and ` +
      "Marketo's roles.json does not list a role's permissions, so the software cannot check them.",
    'In Marketo: Admin > Users & Roles > Roles, open that role and look at its permissions.',
    `They must be exactly: ${request.role.permissions.join(', ')} (no more: the API-only user gets every permission of its role).`,
    `Only if they are, run: marketo-api-users complete-step ${request.email} --step confirm-role --role-id ${id}`,
    `If they are not, run: marketo-api-users revoke ${request.email}, then onboard again with another role name.`,
    `(lifecycle ${workflowId}; nothing has been created for it yet)`,
  ];
}

/** A rotation's second service: the same user, a name of its own, and the working service left alone. */
export function rotationServiceInstructions(
  request: LifecycleRequest,
  workflowId: string,
  rotation: Pick<Rotation, 'number' | 'retiring'>,
): string[] {
  return [
    `Rotation ${rotation.number}: a SECOND custom service for the same API-only user; keep the current one ` +
      `(Client Id ${rotation.retiring.clientId}), it serves until the overlap ends.`,
    'In Marketo: Admin > LaunchPoint > New > New Service.',
    `Display Name: ${rotatedServiceDisplayName(request, rotation.number)}`,
    'Service: Custom',
    `Description: ${serviceDescription(request)}`,
    `API Only User: ${request.email}`,
    'Then open View Details, copy the Client Id, and save the Client Secret to a file (never paste it on a command line).',
    `Then run: marketo-api-users complete-step ${request.email} --step create-service --client-id <Client Id> --secret-file <file>`,
    `(lifecycle ${workflowId}; if nobody does this by the deadline, the rotation is abandoned and the current service kept)`,
  ];
}

/** The overlap is over: the old service must go, and the workflow proves it with the old credentials. */
export function retireServiceInstructions(
  request: LifecycleRequest,
  workflowId: string,
  rotation: Pick<Rotation, 'number' | 'retiring'>,
  keepClientId: string,
): string[] {
  return [
    `Rotation ${rotation.number}: the overlap is over; the old custom service of ${request.email} must be deleted.`,
    `In Marketo: Admin > LaunchPoint, select the service whose Client Id is ${rotation.retiring.clientId}, then Delete.`,
    `Do NOT delete the service whose Client Id is ${keepClientId}: it is the one in use now.`,
    `Then run: marketo-api-users complete-step ${request.email} --step retire-service`,
    `(lifecycle ${workflowId}; the workflow proves the deletion: the old client id must be refused a token)`,
  ];
}
