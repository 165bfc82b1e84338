import type { IncomingMessage } from 'node:http';
import { ApiError, ok, parseJsonBody, type Answer } from './http';
import type { SandboxOperator, SandboxRuntime } from './operator';

export const SANDBOX_PREFIX = '/sandbox/';
export const OPERATOR_HEADER = 'x-sandbox-operator';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * In real-like mode a request must also say it is the operator (`X-Sandbox-Operator: true`), so a test can
 * prove the product never reached for the operator endpoints; reading `/sandbox/state` needs only the token,
 * because that is how tests look. A marker for tests, not a credential: the admin token (admin-guard.ts) is.
 */
export function refusesSandboxCall(runtime: SandboxRuntime, req: IncomingMessage, path: string): boolean {
  if (runtime.mode !== 'real-like') return false;
  if (req.method === 'GET' && path === '/sandbox/state') return false;
  return req.headers[OPERATOR_HEADER]?.toString().trim().toLowerCase() !== 'true';
}

export function handleSandboxRequest(
  operator: SandboxOperator,
  req: IncomingMessage,
  path: string,
  body: Buffer,
): Answer {
  const segments = path.slice(SANDBOX_PREFIX.length).split('/');
  const method = req.method ?? 'GET';
  const json = (): unknown => parseJsonBody(req, body);
  const [resource, id, action] = segments;
  const route = `${method} ${resource ?? ''}${id === undefined ? '' : '/:id'}${action === undefined ? '' : `/${action}`}`;

  switch (route) {
    case 'GET state':
      return ok(operator.snapshot());
    case 'GET services': {
      const email = new URL(req.url ?? '/', 'http://sandbox').searchParams.get('email');
      return ok(operator.listServices(email ?? undefined));
    }
    case 'POST services': {
      const key = req.headers[IDEMPOTENCY_HEADER]?.toString().trim();
      if (key !== undefined && (key.length === 0 || key.length > 255)) {
        throw new ApiError(400, '1003', 'Invalid input: Idempotency-Key must be 1 to 255 characters');
      }
      const { answer, repeated } = operator.createServiceOnce(json(), key);
      return { status: repeated ? 200 : 201, body: answer };
    }
    case 'DELETE services/:id':
    case 'POST services/:id/delete':
      operator.deleteService(decodeSegment(id));
      return ok({ deleted: true });
    case 'GET roles/:id':
      return ok(operator.getRole(roleId(id)));
    case 'POST roles':
      return { status: 201, body: operator.createRole(json()) };
    case 'DELETE roles/:id':
    case 'POST roles/:id/delete':
      operator.deleteRole(roleId(id));
      return ok({ deleted: true });
    case 'GET faults':
      return ok(operator.getFaults());
    case 'POST faults':
      return ok(operator.setFaults(json()));
    case 'POST reset-counters':
      operator.resetCounters();
      return ok({ reset: true });
    case 'POST users/:id':
      if (id === 'seed') return { status: 201, body: operator.seedUsers(json()) };
      break;
    case 'POST users/:id/unlock':
      operator.unlockUser(decodeSegment(id));
      return ok({ unlocked: true });
    case 'POST users/:id/accept':
      operator.acceptInvitation(decodeSegment(id));
      return ok({ accepted: true });
  }
  throw new ApiError(404, '610', 'No such sandbox endpoint');
}

function decodeSegment(segment: string | undefined): string {
  try {
    return decodeURIComponent(segment ?? '');
  } catch {
    throw new ApiError(400, '1003', 'Invalid input: malformed percent-encoding in path');
  }
}

function roleId(segment: string | undefined): number {
  if (segment === undefined || !/^\d{1,9}$/.test(segment)) {
    throw new ApiError(400, '1003', 'Invalid input: role id must be a non-negative integer');
  }
  return Number(segment);
}
