import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { z } from 'zod';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox';

export const UM = '/userservice/management/v1/users/';

/** A clock the test moves by hand, so expiry and rate windows need no real waiting. */
export class ManualClock {
  constructor(public millis = Date.parse('2030-06-15T12:00:00.000Z')) {}
  readonly now = (): number => this.millis;
  advance(ms: number): void {
    this.millis += ms;
  }
}

/** An in-process sandbox on a free port that ignores MARKETO_SANDBOX_* variables of the caller. */
export function startTestSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({ env: {}, faultSeed: 1, ...options });
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is empty or not JSON. */
  json: unknown;
}

async function toReply(response: Response): Promise<Reply> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export async function request(
  sandbox: RunningSandbox,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<Reply> {
  return toReply(
    await fetch(`${sandbox.baseUrl}${path}`, { method, headers: init.headers, body: init.body }),
  );
}

const tokenSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
});
export type TokenAnswer = z.infer<typeof tokenSchema>;

export async function requestToken(
  sandbox: RunningSandbox,
  clientId = sandbox.adminClientId,
  clientSecret = sandbox.adminClientSecret,
): Promise<TokenAnswer> {
  const query = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
  });
  const reply = await request(sandbox, 'GET', `/identity/oauth/token?${query.toString()}`);
  assert.equal(reply.status, 200, reply.text);
  return tokenSchema.parse(reply.json);
}

/** A User Management call with the token in the Authorization header and, given a body, JSON. */
export async function callUserManagement(
  sandbox: RunningSandbox,
  token: string,
  method: 'GET' | 'POST',
  pathUnderUsers: string,
  body?: unknown,
): Promise<Reply> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return request(sandbox, method, `${UM}${pathUnderUsers}`, {
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** `{errors:[{code,message}]}` with the first code. */
export function errorCode(reply: Reply): string {
  const parsed = z
    .object({
      errors: z.array(z.object({ code: z.union([z.string(), z.number()]), message: z.string() })).min(1),
    })
    .safeParse(reply.json);
  assert.ok(parsed.success, `expected an errors body, got ${reply.status} ${reply.text}`);
  return String(parsed.data.errors[0]?.code);
}

export function inviteBody(email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    emailAddress: email,
    firstName: 'Ada',
    lastName: 'Lovelace',
    apiOnly: true,
    userRoleWorkspaces: [{ accessRoleId: 102, workspaceId: 1008 }],
    ...extra,
  };
}

/** An API-only user with a custom service, made as an operator would; returns its credentials. */
export async function createApiUserWithService(
  sandbox: RunningSandbox,
  adminToken: string,
  email: string,
  extra: Record<string, unknown> = {},
): Promise<{ clientId: string; clientSecret: string }> {
  const invited = await callUserManagement(
    sandbox,
    adminToken,
    'POST',
    'invite.json',
    inviteBody(email, extra),
  );
  assert.equal(invited.status, 200, invited.text);
  const service = sandbox.operator.createService({ displayName: `svc ${email}`, email });
  return { clientId: service.clientId, clientSecret: service.clientSecret };
}

export function userInState(sandbox: RunningSandbox, userid: string) {
  return sandbox.snapshot().users.find((user) => user.userid.toLowerCase() === userid.toLowerCase());
}

/**
 * A `/sandbox/*` call as the operator: the sandbox's admin token and, for POST and DELETE, JSON (an empty
 * body stays empty). What the product's admin console and the tests that play the operator send.
 */
export async function adminRequest(
  sandbox: RunningSandbox,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const sent: Record<string, string> = { Authorization: `Bearer ${sandbox.adminToken}`, ...headers };
  if (method !== 'GET') sent['Content-Type'] ??= 'application/json';
  return request(sandbox, method, path, {
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * A request through `node:http`, which (unlike fetch) sends whatever `Host` it is given: what a browser
 * sends after DNS rebinding, or a cross-site form post.
 */
export function rawRequest(
  sandbox: RunningSandbox,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: sandbox.port,
        method,
        path,
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
