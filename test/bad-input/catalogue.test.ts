/**
 * The bad-input catalogue: one table of bad inputs across every surface, each with the clear error it must
 * get and the proof that nothing was created.
 *
 * One `up` (child process, free ports, temp folder) serves every layer:
 *   cli       the command as a subprocess: exit 2, `error: bad input, nothing was changed`, `field: problem`
 *   client    LifecycleClient in this process: InputError with `field: problem` lines (or, for what only
 *             Marketo can tell, a lifecycle that fails with InvalidInput before any user exists)
 *   workflow  lifecycleWorkflow started directly with bad input: fails with InvalidInput before any activity
 *   update    extend / revoke / completeOperatorStep with bad payloads: refused by the validator, nothing changed
 *   sandbox   the Marketo sandbox's HTTP surface: 4xx with `{errors:[{code,message}]}` (identity: OAuth's
 *             `{error, error_description}`), never 5xx
 * and after every case the sandbox's own state (`GET /sandbox/state`: users, roles, workspaces, services) is
 * what it was before, no workflow was started where none should be, and the anchor lifecycle (the target of
 * extend/revoke/complete-step) is unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Client,
  Connection,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { InputError, LifecycleClient, LifecycleRefusedError, type OnboardResult } from '../../src/client';
import type { LifecycleStatus } from '../../src/domain/lifecycle-status';
import { createDataConverter } from '../../src/security/data-converter';
import { secretRefFor, type StoredServiceCredentials } from '../../src/security/secret-store';
import { openStore } from '../../src/store/open';
import type { Store } from '../../src/store/types';
import { lifecycleWorkflow } from '../../src/workflows';
import { completeOperatorStepUpdate, extendUpdate, revokeUpdate } from '../../src/workflows/messages';
import {
  cliEnv,
  freePorts,
  killAll,
  removeDir,
  runCli,
  sandboxAdminHeaders,
  startUp,
  tempDir,
  type CliRun,
  type UpProcess,
} from '../cli/support';
import {
  assertCliBadInput,
  assertSameModel,
  chainText,
  CRLF_HEADER,
  CYRILLIC_A,
  errorChain,
  FULLWIDTH_AT,
  GREEK_OMICRON,
  historyFacts,
  JNDI,
  lifecycleIds,
  longEmail,
  sandboxModel,
  SCRIPT,
  SQL,
  TRAVERSAL,
  workflowAbsent,
  type SandboxModel,
} from './support';

const DAY = 86_400_000;
const stamp = Date.now().toString(36);
const ANCHOR = `anchor-${stamp}@example.com`;
const ANCHOR_ROLE = `Anchor Role ${stamp}`;
const fresh = (tag: string) => `bad-${tag}-${stamp}@example.com`;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();
const UM = '/userservice/management/v1/users/';

// ---- the catalogue ----------------------------------------------------------------------------------------

type Layer = 'cli' | 'client' | 'workflow' | 'update' | 'sandbox';

interface CaseBase {
  label: string;
  /** Set where the case shows a bug in src/: the reason, and the case runs as a todo. */
  todo?: string;
}

interface CliCase extends CaseBase {
  layer: 'cli';
  input: { args: string[]; stdin?: string };
  expect: { exit: 2; problem: RegExp; startsWorkflow?: true; secretUnchanged?: true };
}

type ClientCall =
  | { op: 'onboard'; input: unknown }
  | { op: 'extend' | 'revoke' | 'completeStep'; email: string; input: unknown }
  | { op: 'status'; email: string };

interface ClientCase extends CaseBase {
  layer: 'client';
  input: ClientCall;
  expect:
    | { inputError: RegExp }
    | { refused: RegExp; secretUnchanged?: true }
    | { failsInWorkflow: 'InvalidInput' | 'RoleRefused'; message: RegExp };
}

interface WorkflowCase extends CaseBase {
  layer: 'workflow';
  /** The workflow's one argument, exactly as a starter would send it. */
  input: unknown;
  expect: { invalidInput: RegExp };
}

interface UpdateCase extends CaseBase {
  layer: 'update';
  input: { update: 'extend' | 'revoke' | 'completeOperatorStep'; payload: unknown };
  expect: { rejected: RegExp };
}

interface SandboxCase extends CaseBase {
  layer: 'sandbox';
  input: {
    method: 'GET' | 'POST' | 'DELETE';
    /** Under the User Management prefix unless it starts with `/`. */
    path: string;
    auth?: boolean;
    contentType?: string;
    body?: string;
  };
  expect: { status: number; code?: string; oauthError?: string };
}

type Case = CliCase | ClientCase | WorkflowCase | UpdateCase | SandboxCase;

/** `onboard` flags that are all fine, with some replaced (null drops a flag). */
function onboardArgs(tag: string, overrides: Record<string, string | null> = {}): string[] {
  const flags: Record<string, string | null> = {
    email: fresh(tag),
    'first-name': 'Bad',
    'last-name': 'Input',
    role: `Bad Role ${stamp}`,
    permissions: 'Read-Only Lead',
    'expires-in': '1d',
    ...overrides,
  };
  const args = ['onboard'];
  for (const [flag, value] of Object.entries(flags)) if (value !== null) args.push(`--${flag}`, value);
  return args;
}

/** A client-API onboard input that is fine, with some fields replaced. */
function onboardInput(tag: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    email: fresh(tag),
    firstName: 'Bad',
    lastName: 'Input',
    role: { name: `Bad Role ${stamp}`, permissions: ['Read-Only Lead'], workspace: 0 },
    expiresIn: '10d',
    reason: 'bad-input catalogue',
    ...overrides,
  };
}

/** A lifecycle request as the workflow takes it, fine, with some fields replaced. */
function workflowInput(
  tag: string,
  request: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    request: {
      email: fresh(tag),
      firstName: 'Bad',
      lastName: 'Input',
      role: { name: `Bad Role ${stamp}`, permissions: ['Read-Only Lead'], workspace: 0 },
      expiresAt: inDays(10),
      ...request,
    },
    ...extra,
  };
}

function inviteJson(email: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    emailAddress: email,
    firstName: 'Bad',
    lastName: 'Input',
    apiOnly: true,
    userRoleWorkspaces: [{ accessRoleId: 102, workspaceId: 1008 }],
    ...extra,
  });
}

const LOOK_ALIKE = /^email: .*look-alike/;
const ISO = /must be an ISO-8601 date and time with a zone/;

const CASES: Case[] = [
  // ---- cli: the command as a person types it --------------------------------------------------------------
  {
    layer: 'cli',
    label: 'homoglyph email (Greek ο)',
    input: { args: onboardArgs('x', { email: `svc-${GREEK_OMICRON}ps-${stamp}@example.com` }) },
    expect: { exit: 2, problem: LOOK_ALIKE },
  },
  {
    layer: 'cli',
    label: 'homoglyph email (Cyrillic а in the domain)',
    input: { args: onboardArgs('x', { email: `svc-${stamp}@ex${CYRILLIC_A}mple.com` }) },
    expect: { exit: 2, problem: LOOK_ALIKE },
  },
  {
    layer: 'cli',
    label: 'full-width @ in the email',
    input: { args: onboardArgs('x', { email: `svc-${stamp}${FULLWIDTH_AT}example.com` }) },
    expect: { exit: 2, problem: LOOK_ALIKE },
  },
  {
    layer: 'cli',
    label: 'email of 255 characters',
    input: { args: onboardArgs('x', { email: longEmail(255) }) },
    expect: { exit: 2, problem: /^email: must be at most 254 characters/ },
  },
  {
    layer: 'cli',
    label: 'first name of 65 characters',
    input: { args: onboardArgs('first', { 'first-name': 'F'.repeat(65) }) },
    expect: { exit: 2, problem: /^first-name: must be at most 64 characters/ },
  },
  {
    layer: 'cli',
    label: 'reason of 501 characters',
    input: { args: onboardArgs('reason', { reason: 'r'.repeat(501) }) },
    expect: { exit: 2, problem: /^reason: must be at most 500 characters/ },
  },
  {
    layer: 'cli',
    label: 'expiry in the past',
    input: { args: onboardArgs('past', { 'expires-in': null, 'expires-at': '2020-01-01T00:00:00Z' }) },
    expect: { exit: 2, problem: /^expires-at: must be in the future/ },
  },
  {
    layer: 'cli',
    label: 'expiry past the maximum lifetime (2099)',
    input: { args: onboardArgs('far', { 'expires-in': null, 'expires-at': '2099-01-01T00:00:00Z' }) },
    expect: { exit: 2, problem: /^expires-at: must be within the maximum lifetime/ },
  },
  {
    layer: 'cli',
    label: 'malformed date (31/12/2027)',
    input: { args: onboardArgs('slash', { 'expires-in': null, 'expires-at': '31/12/2027' }) },
    expect: { exit: 2, problem: new RegExp(`^expires-at: ${ISO.source}`) },
  },
  {
    layer: 'cli',
    label: 'impossible date (2027-02-30)',
    input: { args: onboardArgs('feb30', { 'expires-in': null, 'expires-at': '2027-02-30T00:00:00Z' }) },
    expect: { exit: 2, problem: new RegExp(`^expires-at: ${ISO.source}`) },
  },
  {
    layer: 'cli',
    label: 'duration without a unit (--expires-in 30)',
    input: { args: onboardArgs('unitless', { 'expires-in': '30' }) },
    expect: { exit: 2, problem: /^expires-in: must be a duration/ },
  },
  {
    layer: 'cli',
    label: 'unknown permission name',
    input: { args: onboardArgs('perm', { permissions: 'Read-Only Lead,Root Access' }) },
    expect: { exit: 2, problem: /^permissions: / },
  },
  {
    layer: 'cli',
    label: 'CRLF header injection in the email',
    input: { args: onboardArgs('x', { email: `crlf-${stamp}@example.com${CRLF_HEADER}` }) },
    expect: { exit: 2, problem: LOOK_ALIKE },
  },
  {
    layer: 'cli',
    label: "SQL injection as the email ('; DROP TABLE users; --)",
    input: { args: onboardArgs('x', { email: SQL }) },
    expect: { exit: 2, problem: LOOK_ALIKE },
  },
  {
    layer: 'cli',
    label: 'path traversal as the email (../../etc/passwd)',
    input: { args: onboardArgs('x', { email: TRAVERSAL }) },
    expect: { exit: 2, problem: LOOK_ALIKE },
  },
  {
    layer: 'cli',
    label: 'JNDI lookup in the email (${jndi:ldap://…})',
    input: { args: onboardArgs('x', { email: `${JNDI}@example.com` }) },
    expect: { exit: 2, problem: LOOK_ALIKE },
  },
  {
    layer: 'cli',
    label: '<script> as the role name',
    input: { args: onboardArgs('script', { role: SCRIPT }) },
    expect: { exit: 2, problem: /^role: must not contain control characters or < >/ },
  },
  {
    layer: 'cli',
    label: 'markup in the service name',
    input: { args: onboardArgs('svcname', { 'service-name': '<img src=x onerror=alert(1)>' }) },
    expect: { exit: 2, problem: /^service-name: must not contain/ },
  },
  {
    layer: 'cli',
    label: 'CRLF in the last name',
    input: { args: onboardArgs('crlfname', { 'last-name': `Input${CRLF_HEADER}` }) },
    expect: { exit: 2, problem: /^last-name: must not contain control characters/ },
  },
  {
    layer: 'cli',
    label: 'extend --expires-at tomorrow (not a date)',
    input: { args: ['extend', ANCHOR, '--expires-at', 'tomorrow'] },
    expect: { exit: 2, problem: new RegExp(`^expires-at: ${ISO.source}`) },
  },
  {
    layer: 'cli',
    label: 'extend --by=-1d (negative duration)',
    input: { args: ['extend', ANCHOR, '--by=-1d'] },
    expect: { exit: 2, problem: /^by: must be a duration/ },
  },
  {
    layer: 'cli',
    label: 'extend to a date in the past (refused by the workflow)',
    input: { args: ['extend', ANCHOR, '--expires-at', '2020-01-01T00:00:00Z'] },
    expect: { exit: 2, problem: /^expires-at: must be later than the current expiry/ },
  },
  {
    layer: 'cli',
    label: 'revoke --reason <script>',
    input: { args: ['revoke', ANCHOR, '--reason', SCRIPT] },
    expect: { exit: 2, problem: /^reason: must not contain/ },
  },
  {
    layer: 'cli',
    label: 'status of ../../etc/passwd',
    input: { args: ['status', TRAVERSAL] },
    expect: { exit: 2, problem: /^email: must be a plain ASCII email/ },
  },
  {
    layer: 'cli',
    label: 'complete-step --client-id with a space (secret on stdin) leaves the live secret alone',
    input: {
      args: ['complete-step', ANCHOR, '--step', 'create-service', '--client-id', 'a b'],
      stdin: 'not-the-real-secret\n',
    },
    expect: { exit: 2, problem: /^client-id: must be a Marketo client id/, secretUnchanged: true },
  },
  {
    layer: 'cli',
    label: 'workspace name that does not exist',
    input: { args: onboardArgs('ws-cli', { workspace: 'Nowhere' }) },
    expect: { exit: 2, problem: /^workspace: no workspace named "Nowhere"/, startsWorkflow: true },
  },

  {
    layer: 'cli',
    label: 'bidi override (U+202E) in the first name',
    input: { args: onboardArgs('bidi', { 'first-name': 'Ad\u202Ea' }) },
    expect: { exit: 2, problem: /^first-name: must not contain bidirectional text controls/ },
  },
  {
    layer: 'cli',
    label: 'last name of zero-width spaces only',
    input: { args: onboardArgs('zw', { 'last-name': '\u200B\u200B' }) },
    expect: { exit: 2, problem: /^last-name: must not be blank/ },
  },
  {
    layer: 'cli',
    label: 'line separator (U+2028) in the role name',
    input: { args: onboardArgs('ls', { role: 'Read\u2028Only' }) },
    expect: { exit: 2, problem: /^role: must not contain line or paragraph separators/ },
  },
  {
    layer: 'cli',
    label: 'email with two dots in a row (a..b@)',
    input: { args: onboardArgs('x', { email: `a..b-${stamp}@example.com` }) },
    expect: { exit: 2, problem: /^email: the part before @ must not start or end with a dot/ },
  },
  {
    layer: 'cli',
    label: 'email starting with a dot (.ab@)',
    input: { args: onboardArgs('x', { email: `.ab-${stamp}@example.com` }) },
    expect: { exit: 2, problem: /^email: the part before @ must not start or end with a dot/ },
  },
  {
    layer: 'cli',
    label: 'email whose local part has 65 characters',
    input: { args: onboardArgs('x', { email: `${'l'.repeat(65)}@example.com` }) },
    expect: { exit: 2, problem: /^email: the part before @ must be at most 64 characters/ },
  },
  {
    layer: 'cli',
    label: 'the same permission twice',
    input: { args: onboardArgs('dup', { permissions: 'Read-Only Lead,Read-Only Lead' }) },
    expect: { exit: 2, problem: /^permissions: lists "Read-Only Lead" more than once/ },
  },
  {
    layer: 'cli',
    label: '--expires-in 30s (under the one-minute floor)',
    input: { args: onboardArgs('short', { 'expires-in': '30s' }) },
    expect: { exit: 2, problem: /^expires-in: must be at least 1m/ },
  },
  {
    layer: 'cli',
    label: 'a flag given twice (--role twice)',
    input: { args: [...onboardArgs('twice'), '--role', 'Admin'] },
    expect: { exit: 2, problem: /^role: given more than once/ },
  },
  {
    layer: 'cli',
    label: 'revoke --reason --help (a flag where the value goes)',
    input: { args: ['revoke', ANCHOR, '--reason', '--help'] },
    expect: { exit: 2, problem: /^reason: missing value/ },
  },
  {
    layer: 'cli',
    label: 'schedule-sweep --every 30s (under the one-minute floor)',
    input: { args: ['schedule-sweep', '--every', '30s'] },
    expect: { exit: 2, problem: /^every: must be at least 1m/ },
  },

  // ---- client: LifecycleClient in this process -------------------------------------------------------------
  {
    layer: 'client',
    label: 'homoglyph email (Greek ο)',
    input: {
      op: 'onboard',
      input: onboardInput('x', { email: `api-${GREEK_OMICRON}-${stamp}@example.com` }),
    },
    expect: { inputError: LOOK_ALIKE },
  },
  {
    layer: 'client',
    label: 'full-width @ in the email',
    input: { op: 'onboard', input: onboardInput('x', { email: `api-${stamp}${FULLWIDTH_AT}example.com` }) },
    expect: { inputError: LOOK_ALIKE },
  },
  {
    layer: 'client',
    label: 'email of 255 characters',
    input: { op: 'onboard', input: onboardInput('x', { email: longEmail(255) }) },
    expect: { inputError: /^email: must be at most 254 characters/ },
  },
  {
    layer: 'client',
    label: 'last name of 65 characters',
    input: { op: 'onboard', input: onboardInput('last', { lastName: 'L'.repeat(65) }) },
    expect: { inputError: /^lastName: must be at most 64 characters/ },
  },
  {
    layer: 'client',
    label: 'reason of 501 characters',
    input: { op: 'onboard', input: onboardInput('reason', { reason: 'r'.repeat(501) }) },
    expect: { inputError: /^reason: must be at most 500 characters/ },
  },
  {
    layer: 'client',
    label: 'role name of 101 characters',
    input: {
      op: 'onboard',
      input: onboardInput('rolename', { role: { name: 'R'.repeat(101), permissions: ['Read-Only Lead'] } }),
    },
    expect: { inputError: /^role\.name: must be at most 100 characters/ },
  },
  {
    layer: 'client',
    label: 'expiry in the past',
    input: {
      op: 'onboard',
      input: onboardInput('past', { expiresIn: undefined, expiresAt: '2020-01-01T00:00:00Z' }),
    },
    expect: { inputError: /^expiresAt: must be in the future/ },
  },
  {
    layer: 'client',
    label: 'expiry past the maximum lifetime (expiresIn 400d)',
    input: { op: 'onboard', input: onboardInput('far', { expiresIn: '400d' }) },
    expect: { inputError: /^expiresAt: must be within the maximum lifetime/ },
  },
  {
    layer: 'client',
    label: 'malformed date (month 13)',
    input: {
      op: 'onboard',
      input: onboardInput('m13', { expiresIn: undefined, expiresAt: '2027-13-01T00:00:00Z' }),
    },
    expect: { inputError: new RegExp(`^expiresAt: ${ISO.source}`) },
  },
  {
    layer: 'client',
    label: 'date without a time or zone (2027-12-31)',
    input: {
      op: 'onboard',
      input: onboardInput('dateonly', { expiresIn: undefined, expiresAt: '2027-12-31' }),
    },
    expect: { inputError: new RegExp(`^expiresAt: ${ISO.source}`) },
  },
  {
    layer: 'client',
    label: 'unknown permission name',
    input: {
      op: 'onboard',
      input: onboardInput('perm', { role: { name: 'X', permissions: ['Read-Only Lead', 'Root Access'] } }),
    },
    expect: { inputError: /^role\.permissions\.1: / },
  },
  {
    layer: 'client',
    label: 'CRLF header injection in the email',
    input: { op: 'onboard', input: onboardInput('x', { email: `crlf-${stamp}@example.com${CRLF_HEADER}` }) },
    expect: { inputError: LOOK_ALIKE },
  },
  {
    layer: 'client',
    label: 'JNDI lookup as the email',
    input: { op: 'onboard', input: onboardInput('x', { email: `${JNDI}@example.com` }) },
    expect: { inputError: LOOK_ALIKE },
  },
  {
    layer: 'client',
    label: 'NUL byte in the first name',
    input: { op: 'onboard', input: onboardInput('nul', { firstName: 'Ada\u0000' }) },
    expect: { inputError: /^firstName: must not contain control characters/ },
  },
  {
    layer: 'client',
    label: '<script> as the service display name',
    input: { op: 'onboard', input: onboardInput('svc', { service: { displayName: SCRIPT } }) },
    expect: { inputError: /^service\.displayName: must not contain/ },
  },
  {
    layer: 'client',
    label: 'number as a string (expiresIn "2592000000")',
    input: { op: 'onboard', input: onboardInput('numstr', { expiresIn: '2592000000' }) },
    expect: { inputError: /^expiresIn: must be a duration/ },
  },
  {
    layer: 'client',
    label: 'number as a string (policy.maxLifetimeMs "31536000000")',
    input: { op: 'onboard', input: onboardInput('policy', { policy: { maxLifetimeMs: '31536000000' } }) },
    expect: { inputError: /^policy\.maxLifetimeMs: must be a duration/ },
  },
  {
    layer: 'client',
    label: 'null instead of an object',
    input: { op: 'onboard', input: null },
    expect: { inputError: /^input: .*expected object/ },
  },
  {
    layer: 'client',
    label: 'an array instead of an object',
    input: { op: 'onboard', input: [onboardInput('array')] },
    expect: { inputError: /^input: .*expected object/ },
  },
  {
    layer: 'client',
    label: 'extend to "soon"',
    input: { op: 'extend', email: ANCHOR, input: { expiresAt: 'soon' } },
    expect: { inputError: new RegExp(`^expiresAt: ${ISO.source}`) },
  },
  {
    layer: 'client',
    label: 'extend by -5d',
    input: { op: 'extend', email: ANCHOR, input: { by: '-5d' } },
    expect: { inputError: /^by: must be a duration/ },
  },
  {
    layer: 'client',
    label: 'extend with an unknown key',
    input: { op: 'extend', email: ANCHOR, input: { by: '1d', force: true } },
    expect: { inputError: /^input: Unrecognized key: "force"/ },
  },
  {
    layer: 'client',
    label: 'revoke with a CRLF reason',
    input: { op: 'revoke', email: ANCHOR, input: { reason: `done${CRLF_HEADER}` } },
    expect: { inputError: /^reason: must not contain control characters/ },
  },
  {
    layer: 'client',
    label: 'revoke with a reason of 501 characters',
    input: { op: 'revoke', email: ANCHOR, input: { reason: 'r'.repeat(501) } },
    expect: { inputError: /^reason: must be at most 500 characters/ },
  },
  {
    layer: 'client',
    label: 'status of ../../etc/passwd',
    input: { op: 'status', email: TRAVERSAL },
    expect: { inputError: /^email: must be a plain ASCII email/ },
  },
  {
    layer: 'client',
    label: 'completeStep with an unknown step',
    input: { op: 'completeStep', email: ANCHOR, input: { step: 'create-everything' } },
    expect: { inputError: /^step: / },
  },
  {
    layer: 'client',
    label: 'completeStep create-service on an active lifecycle leaves its live secret alone',
    input: {
      op: 'completeStep',
      email: ANCHOR,
      input: { step: 'create-service', clientId: 'attacker-client', clientSecret: 'attacker-secret' },
    },
    expect: { refused: /No operator step is pending/, secretUnchanged: true },
  },
  {
    layer: 'client',
    label: 'workspace name that does not exist (fails before a user exists)',
    input: {
      op: 'onboard',
      input: onboardInput('ws-name', {
        role: { name: `Bad Role ${stamp}`, permissions: ['Read-Only Lead'], workspace: TRAVERSAL },
      }),
    },
    expect: {
      failsInWorkflow: 'InvalidInput',
      message: /role\.workspace: no workspace named "\.\.\/\.\.\/etc\/passwd"/,
    },
  },
  {
    layer: 'client',
    label: 'role that does not exist, without permissions to create it',
    input: {
      op: 'onboard',
      input: onboardInput('no-perms', { role: { name: `Missing Role ${stamp}` } }),
    },
    expect: { failsInWorkflow: 'InvalidInput', message: /role\.permissions: the role .* does not exist/ },
  },
  {
    layer: 'client',
    label: 'the built-in Admin role by name (refused before a user exists)',
    input: {
      op: 'onboard',
      input: onboardInput('admin-role', { role: { name: 'admin', permissions: ['Read-Only Lead'] } }),
    },
    expect: { failsInWorkflow: 'RoleRefused', message: /role\.name: "Admin" is a Marketo system role/ },
  },
  {
    layer: 'client',
    label: 'completeStep confirm-role with a fractional role id',
    input: { op: 'completeStep', email: ANCHOR, input: { step: 'confirm-role', roleId: 1.5 } },
    expect: { inputError: /^roleId: / },
  },
  {
    layer: 'client',
    label: 'workspace id that does not exist (fails before a role or user exists)',
    input: {
      op: 'onboard',
      input: onboardInput('ws-id', {
        role: { name: `Bad Role ${stamp}`, permissions: ['Read-Only Lead'], workspace: 4242 },
      }),
    },
    expect: { failsInWorkflow: 'InvalidInput', message: /role\.workspace: / },
  },

  {
    layer: 'client',
    label: 'bidi isolate (U+2066) in the first name',
    input: { op: 'onboard', input: onboardInput('bidi', { firstName: 'Ad\u2066a' }) },
    expect: { inputError: /^firstName: must not contain bidirectional text controls/ },
  },
  {
    layer: 'client',
    label: 'last name of a zero-width joiner and a space',
    input: { op: 'onboard', input: onboardInput('zw', { lastName: '\u200D \u200D' }) },
    expect: { inputError: /^lastName: must not be blank/ },
  },
  {
    layer: 'client',
    label: 'paragraph separator (U+2029) in the service name',
    input: { op: 'onboard', input: onboardInput('ps', { service: { displayName: 'Sync\u2029Now' } }) },
    expect: { inputError: /^service\.displayName: must not contain line or paragraph separators/ },
  },
  {
    layer: 'client',
    label: 'email ending its local part with a dot (ab.@)',
    input: { op: 'onboard', input: onboardInput('x', { email: `ab-${stamp}.@example.com` }) },
    expect: { inputError: /^email: the part before @ must not start or end with a dot/ },
  },
  {
    layer: 'client',
    label: 'email whose local part has 65 characters',
    input: { op: 'onboard', input: onboardInput('x', { email: `${'m'.repeat(65)}@example.com` }) },
    expect: { inputError: /^email: the part before @ must be at most 64 characters/ },
  },
  {
    layer: 'client',
    label: 'the same permission twice',
    input: {
      op: 'onboard',
      input: onboardInput('dup', {
        role: { name: `Bad Role ${stamp}`, permissions: ['Read-Only Lead', 'Read-Only Lead'] },
      }),
    },
    expect: { inputError: /^role\.permissions: lists "Read-Only Lead" more than once/ },
  },
  {
    layer: 'client',
    label: 'operatorReminderEveryMs 1s (under the one-minute floor)',
    input: { op: 'onboard', input: onboardInput('remind', { policy: { operatorReminderEveryMs: '1s' } }) },
    expect: { inputError: /^policy\.operatorReminderEveryMs: must be at least 1m/ },
  },
  {
    layer: 'client',
    label: 'expiresIn 1000 (one second)',
    input: { op: 'onboard', input: onboardInput('1s', { expiresIn: 1000 }) },
    expect: { inputError: /^expiresIn: must be at least 1m/ },
  },

  // ---- workflow: lifecycleWorkflow started directly ----------------------------------------------------------
  {
    layer: 'workflow',
    label: 'homoglyph email (Cyrillic а)',
    input: workflowInput('x', { email: `wf-${CYRILLIC_A}dmin-${stamp}@example.com` }),
    expect: { invalidInput: /request\.email: must be a plain ASCII email/ },
  },
  {
    layer: 'workflow',
    label: 'homoglyph email (Greek ο)',
    input: workflowInput('x', { email: `wf-${GREEK_OMICRON}-${stamp}@example.com` }),
    expect: { invalidInput: /request\.email: must be a plain ASCII email/ },
  },
  {
    layer: 'workflow',
    label: 'full-width @ in the email',
    input: workflowInput('x', { email: `wf-${stamp}${FULLWIDTH_AT}example.com` }),
    expect: { invalidInput: /request\.email: must be a plain ASCII email/ },
  },
  {
    layer: 'workflow',
    label: 'email of 255 characters',
    input: workflowInput('x', { email: longEmail(255) }),
    expect: { invalidInput: /request\.email: must be at most 254 characters/ },
  },
  {
    layer: 'workflow',
    label: 'first name of 65 characters',
    input: workflowInput('first', { firstName: 'F'.repeat(65) }),
    expect: { invalidInput: /request\.firstName: must be at most 64 characters/ },
  },
  {
    layer: 'workflow',
    label: 'reason of 501 characters',
    input: workflowInput('reason', { reason: 'r'.repeat(501) }),
    expect: { invalidInput: /request\.reason: must be at most 500 characters/ },
  },
  {
    layer: 'workflow',
    label: 'expiry in the past',
    input: workflowInput('past', { expiresAt: '2020-01-01T00:00:00Z' }),
    expect: { invalidInput: /expiresAt: must be in the future/ },
  },
  {
    layer: 'workflow',
    label: 'expiry past the maximum lifetime',
    input: workflowInput('far', { expiresAt: '2099-01-01T00:00:00Z' }),
    expect: { invalidInput: /expiresAt: must be within the maximum lifetime/ },
  },
  {
    layer: 'workflow',
    label: 'malformed date (25 o’clock)',
    input: workflowInput('h25', { expiresAt: '2027-01-01T25:00:00Z' }),
    expect: { invalidInput: /request\.expiresAt: must be an ISO-8601/ },
  },
  {
    layer: 'workflow',
    label: 'unknown permission name',
    input: workflowInput('perm', {
      role: { name: 'X', permissions: ['Read-Only Lead', 'Root Access'], workspace: 0 },
    }),
    expect: { invalidInput: /request\.role\.permissions\.1: / },
  },
  {
    layer: 'workflow',
    label: 'NUL byte in the last name',
    input: workflowInput('nul', { lastName: 'In\u0000put' }),
    expect: { invalidInput: /request\.lastName: must not contain control characters/ },
  },
  {
    layer: 'workflow',
    label: '<script> as the role name',
    input: workflowInput('script', { role: { name: SCRIPT, permissions: ['Read-Only Lead'], workspace: 0 } }),
    expect: { invalidInput: /request\.role\.name: must not contain/ },
  },
  {
    layer: 'workflow',
    label: 'CRLF header injection in the email',
    input: workflowInput('x', { email: `crlf-${stamp}@example.com${CRLF_HEADER}` }),
    expect: { invalidInput: /request\.email: must be a plain ASCII email/ },
  },
  {
    layer: 'workflow',
    label: 'null request',
    input: { request: null, secretRef: 'file:bad-input/null' },
    expect: { invalidInput: /request: / },
  },
  {
    layer: 'workflow',
    label: 'null input',
    input: null,
    expect: { invalidInput: /input: / },
  },
  {
    layer: 'workflow',
    label: 'number as a string (continueAsNewAfterEvents "2000")',
    input: workflowInput('can', {}, { continueAsNewAfterEvents: '2000' }),
    expect: { invalidInput: /continueAsNewAfterEvents: / },
  },
  {
    layer: 'workflow',
    label: 'number as a string (policy.maxLifetimeMs "365")',
    input: workflowInput('policy', { policy: { maxLifetimeMs: '365' } }),
    expect: { invalidInput: /request\.policy\.maxLifetimeMs: must be a duration/ },
  },
  {
    layer: 'workflow',
    label: 'empty secretRef',
    input: workflowInput('secretref', {}, { secretRef: '' }),
    expect: { invalidInput: /secretRef: / },
  },
  {
    layer: 'workflow',
    label: 'unknown key in the request (expiresIn, which only the client takes)',
    input: workflowInput('key', { expiresIn: '30d' }),
    expect: { invalidInput: /request: Unrecognized key: "expiresIn"/ },
  },

  {
    layer: 'workflow',
    label: 'bidi override in the first name',
    input: workflowInput('bidi', { firstName: 'Ad\u202Ea' }),
    expect: { invalidInput: /request\.firstName: must not contain bidirectional text controls/ },
  },
  {
    layer: 'workflow',
    label: 'email with two dots in a row',
    input: workflowInput('x', { email: `a..b-${stamp}@example.com` }),
    expect: { invalidInput: /request\.email: the part before @ must not start or end with a dot/ },
  },
  {
    layer: 'workflow',
    label: 'the same permission twice',
    input: workflowInput('dup', {
      role: { name: `Bad Role ${stamp}`, permissions: ['Read-Only Lead', 'Read-Only Lead'], workspace: 0 },
    }),
    expect: { invalidInput: /request\.role\.permissions: lists "Read-Only Lead" more than once/ },
  },

  // ---- update: the anchor lifecycle's Updates with bad payloads --------------------------------------------
  {
    layer: 'update',
    label: 'extend to "not-a-date"',
    input: { update: 'extend', payload: { expiresAt: 'not-a-date' } },
    expect: { rejected: new RegExp(`^expiresAt: ${ISO.source}`) },
  },
  {
    layer: 'update',
    label: 'extend to a date in the past',
    input: { update: 'extend', payload: { expiresAt: '2020-01-01T00:00:00Z' } },
    expect: { rejected: /^expiresAt: must be later than the current expiry/ },
  },
  {
    layer: 'update',
    label: 'extend past the maximum lifetime',
    input: { update: 'extend', payload: { expiresAt: '2099-01-01T00:00:00Z' } },
    expect: { rejected: /expiresAt: must be within the maximum lifetime/ },
  },
  {
    layer: 'update',
    label: 'extend with a number (epoch ms) as the date',
    input: { update: 'extend', payload: { expiresAt: Date.now() + 60 * DAY } },
    expect: { rejected: /^expiresAt: / },
  },
  {
    layer: 'update',
    label: 'extend with null',
    input: { update: 'extend', payload: null },
    expect: { rejected: /^input: / },
  },
  {
    layer: 'update',
    label: 'extend with an unknown key',
    input: { update: 'extend', payload: { expiresAt: inDays(40), by: '1d' } },
    expect: { rejected: /Unrecognized key: "by"/ },
  },
  {
    layer: 'update',
    label: 'completeOperatorStep with an unknown step',
    input: { update: 'completeOperatorStep', payload: { step: 'create-everything' } },
    expect: { rejected: /^step: / },
  },
  {
    layer: 'update',
    label: 'completeOperatorStep with an SQL-injection client id',
    input: {
      update: 'completeOperatorStep',
      payload: { step: 'create-service', clientId: SQL, secretRef: 'file:x/y' },
    },
    expect: { rejected: /clientId: must be a Marketo client id/ },
  },
  {
    layer: 'update',
    label: 'completeOperatorStep with an empty secretRef',
    input: {
      update: 'completeOperatorStep',
      payload: { step: 'create-service', clientId: 'abc', secretRef: '' },
    },
    expect: { rejected: /secretRef: / },
  },
  {
    layer: 'update',
    label: 'completeOperatorStep with a client id of 201 characters',
    input: {
      update: 'completeOperatorStep',
      payload: { step: 'create-service', clientId: 'c'.repeat(201), secretRef: 'file:x/y' },
    },
    expect: { rejected: /clientId: / },
  },
  {
    layer: 'update',
    label: 'completeOperatorStep confirm-role without the role id',
    input: { update: 'completeOperatorStep', payload: { step: 'confirm-role' } },
    expect: { rejected: /^roleId: / },
  },
  {
    layer: 'update',
    label: 'completeOperatorStep when no step is pending',
    input: { update: 'completeOperatorStep', payload: { step: 'create-role' } },
    expect: { rejected: /No operator step is pending for this lifecycle/ },
  },
  {
    layer: 'update',
    label: 'revoke with a <script> reason',
    input: { update: 'revoke', payload: { reason: SCRIPT } },
    expect: { rejected: /^reason: must not contain/ },
  },
  {
    layer: 'update',
    label: 'revoke with a reason of 501 characters',
    input: { update: 'revoke', payload: { reason: 'r'.repeat(501) } },
    expect: { rejected: /^reason: must be at most 500 characters/ },
  },

  // ---- sandbox: the Marketo sandbox's HTTP surface ---------------------------------------------------------
  {
    layer: 'sandbox',
    label: 'invite: homoglyph email (Cyrillic а inside)',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`adm${CYRILLIC_A}in@example.com`),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: homoglyph email (Cyrillic а as the first character)',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`${CYRILLIC_A}dmin@example.com`),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: NUL byte as the first character of the email',
    input: { method: 'POST', path: 'invite.json', auth: true, body: inviteJson('\u0000nul@example.com') },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: full-width @',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`fw${FULLWIDTH_AT}example.com`),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: email of 255 characters',
    input: { method: 'POST', path: 'invite.json', auth: true, body: inviteJson(longEmail(255)) },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: first name of 256 characters',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`long-${stamp}@example.com`, { firstName: 'F'.repeat(256) }),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: reason of 2001 characters',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`reason-${stamp}@example.com`, { reason: 'r'.repeat(2001) }),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: impossible expiresAt (2027-02-30)',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`feb30-${stamp}@example.com`, { expiresAt: '2027-02-30T00:00:00Z' }),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: expiresAt without an offset',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`nozone-${stamp}@example.com`, { expiresAt: '2027-01-01T00:00:00' }),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: expiresAt whose instant lands in year 10000',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`y10k-${stamp}@example.com`, { expiresAt: '9999-12-31T23:59:59-14:00' }),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: unknown role id',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`role-${stamp}@example.com`, {
        userRoleWorkspaces: [{ accessRoleId: 999_999, workspaceId: 1008 }],
      }),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: unknown workspace id',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`ws-${stamp}@example.com`, {
        userRoleWorkspaces: [{ accessRoleId: 102, workspaceId: 4242 }],
      }),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: numbers as strings ("102", "1008")',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`numstr-${stamp}@example.com`, {
        userRoleWorkspaces: [{ accessRoleId: '102', workspaceId: '1008' }],
      }),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: JSON array instead of an object',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: `[${inviteJson(`arr-${stamp}@example.com`)}]`,
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: JSON null',
    input: { method: 'POST', path: 'invite.json', auth: true, body: 'null' },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: empty body (0 bytes)',
    input: { method: 'POST', path: 'invite.json', auth: true, body: '' },
    expect: { status: 400, code: '609' },
  },
  {
    layer: 'sandbox',
    label: 'invite: truncated JSON',
    input: { method: 'POST', path: 'invite.json', auth: true, body: '{"emailAddress":' },
    expect: { status: 400, code: '609' },
  },
  {
    layer: 'sandbox',
    label: 'invite: 2 MiB body',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`huge-${stamp}@example.com`, { reason: 'x'.repeat(2 * 1024 * 1024) }),
    },
    expect: { status: 413, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: text/plain content type',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      contentType: 'text/plain',
      body: inviteJson(`text-${stamp}@example.com`),
    },
    expect: { status: 400, code: '612' },
  },
  {
    layer: 'sandbox',
    label: 'invite: form-encoded body',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      contentType: 'application/x-www-form-urlencoded',
      body: `emailAddress=form-${stamp}%40example.com&firstName=A&lastName=B`,
    },
    expect: { status: 400, code: '612' },
  },
  {
    layer: 'sandbox',
    label: 'invite: duplicate keys (the last emailAddress is bad)',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body:
        `{"emailAddress":"dup-${stamp}@example.com","firstName":"Bad","lastName":"Input","apiOnly":true,` +
        `"userRoleWorkspaces":[{"accessRoleId":102,"workspaceId":1008}],"emailAddress":"${SCRIPT}"}`,
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: CRLF header injection in the email',
    input: {
      method: 'POST',
      path: 'invite.json',
      auth: true,
      body: inviteJson(`crlf-${stamp}@example.com${CRLF_HEADER}`),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: SQL injection as the email',
    input: { method: 'POST', path: 'invite.json', auth: true, body: inviteJson(`${SQL}@example.com`) },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'invite: JNDI lookup as the email',
    input: { method: 'POST', path: 'invite.json', auth: true, body: inviteJson(`${JNDI}@example.com`) },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'update.json of ../../etc/passwd (path traversal in the userid)',
    input: {
      method: 'POST',
      path: `${encodeURIComponent(TRAVERSAL)}/update.json`,
      auth: true,
      body: JSON.stringify({ firstName: 'Mallory' }),
    },
    expect: { status: 404, code: '1004' },
  },
  {
    layer: 'sandbox',
    label: 'update.json of the anchor user with null',
    input: { method: 'POST', path: `${encodeURIComponent(ANCHOR)}/update.json`, auth: true, body: 'null' },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'update.json of the anchor user with a malformed expiresAt',
    input: {
      method: 'POST',
      path: `${encodeURIComponent(ANCHOR)}/update.json`,
      auth: true,
      body: JSON.stringify({ expiresAt: '2027-12-31 23:59' }),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'roles/create.json with numbers as strings',
    input: {
      method: 'POST',
      path: `${encodeURIComponent(ANCHOR)}/roles/create.json`,
      auth: true,
      body: JSON.stringify([{ accessRoleId: '102', workspaceId: '1008' }]),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'POST /sandbox/roles with an unknown permission',
    input: {
      method: 'POST',
      path: '/sandbox/roles',
      body: JSON.stringify({ name: `Rogue ${stamp}`, permissions: ['Read-Only Lead', 'Root Access'] }),
    },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'POST /sandbox/roles with a JSON array',
    input: { method: 'POST', path: '/sandbox/roles', body: '[]' },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'POST /sandbox/services for ../../etc/passwd',
    input: {
      method: 'POST',
      path: '/sandbox/services',
      body: JSON.stringify({ displayName: 'x', email: TRAVERSAL }),
    },
    expect: { status: 404, code: '1004' },
  },
  {
    layer: 'sandbox',
    label: 'POST /sandbox/users/seed with the count as a string',
    input: { method: 'POST', path: '/sandbox/users/seed', body: JSON.stringify({ count: '5' }) },
    expect: { status: 400, code: '1003' },
  },
  {
    layer: 'sandbox',
    label: 'token endpoint with a JSON body',
    input: {
      method: 'POST',
      path: '/identity/oauth/token',
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'a', client_secret: 'b' }),
    },
    expect: { status: 400, oauthError: 'invalid_request' },
  },
  {
    layer: 'sandbox',
    label: 'token endpoint with a 2 MiB form body',
    input: {
      method: 'POST',
      path: '/identity/oauth/token',
      contentType: 'application/x-www-form-urlencoded',
      body: `grant_type=client_credentials&client_id=${'x'.repeat(2 * 1024 * 1024)}`,
    },
    expect: { status: 413, oauthError: 'invalid_request' },
  },
  {
    layer: 'sandbox',
    label: 'token endpoint with a JNDI lookup as the client id',
    input: {
      method: 'GET',
      path: `/identity/oauth/token?${new URLSearchParams({ grant_type: 'client_credentials', client_id: JNDI, client_secret: SQL }).toString()}`,
    },
    expect: { status: 401, oauthError: 'invalid_client' },
  },
];

const LAYERS: Layer[] = ['workflow', 'update', 'client', 'cli', 'sandbox'];
const byLayer = <L extends Layer>(layer: L) =>
  CASES.filter((c): c is Extract<Case, { layer: L }> => c.layer === layer);
const caseName = (c: Case, i: number, of: number) =>
  `${c.layer} ${String(i + 1).padStart(2, '0')}/${of}: ${c.label}`;

// ---- the run ------------------------------------------------------------------------------------------------

describe(`bad-input catalogue: ${CASES.length} cases (${LAYERS.map((l) => `${l} ${byLayer(l).length}`).join(', ')})`, () => {
  let dataDir: string;
  let up: UpProcess | undefined;
  let sandboxUrl: string;
  let env: NodeJS.ProcessEnv;
  let lifecycles: LifecycleClient;
  let store: Store;
  let connection: Connection;
  let temporalClient: Client;
  let anchor: OnboardResult;
  let anchorHandle: WorkflowHandle<typeof lifecycleWorkflow>;
  let anchorSecretRef: string;
  let anchorSecret: StoredServiceCredentials | undefined;
  let lifecyclesBefore: Set<string>;
  /** Workflows the catalogue starts on purpose: the direct starts and the workflow-side refusals. */
  const startedOnPurpose = new Set<string>();
  /** As the client API starts lifecycles: with its workflow-id key's fingerprint, so only the bad field differs. */
  const withOwnKeyFingerprint = (input: unknown): unknown =>
    input !== null && typeof input === 'object' && !('workflowIdKeyFingerprint' in input)
      ? { ...input, workflowIdKeyFingerprint: lifecycles.context.workflowIdKeyFingerprint }
      : input;

  before(async () => {
    assert.ok(CASES.length >= 40, `the catalogue has ${CASES.length} cases`);
    const [temporalPort, uiPort, sandboxPort] = await freePorts(3);
    dataDir = tempDir('bad-input');
    up = await startUp({ dataDir, port: temporalPort!, uiPort: uiPort!, sandboxPort: sandboxPort! });
    sandboxUrl = up.info.sandboxUrl!;
    env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
    lifecycles = await LifecycleClient.connect({ dataDir, env });
    // The store the workers of that `up` use (its embedded database), to check the anchor's secret directly.
    store = await openStore(lifecycles.context.storeSettings, lifecycles.context.keyring);
    connection = await Connection.connect(lifecycles.context.temporal.connectionOptions);
    temporalClient = new Client({
      connection,
      namespace: lifecycles.context.temporal.namespace,
      dataConverter: createDataConverter(lifecycles.context.keyring),
    });
    anchor = await lifecycles.onboard({
      email: ANCHOR,
      firstName: 'Anchor',
      lastName: 'Lifecycle',
      role: { name: ANCHOR_ROLE, permissions: ['Read-Only Lead'], workspace: 0 },
      expiresIn: '30d',
      reason: 'target of the bad-input catalogue',
    });
    assert.equal(anchor.phase, 'active', JSON.stringify(anchor));
    anchorHandle = temporalClient.workflow.getHandle<typeof lifecycleWorkflow>(anchor.workflowId);
    anchorSecretRef = secretRefFor(anchor.workflowId);
    assert.equal(anchor.secretRef, anchorSecretRef);
    anchorSecret = await store.secrets.get(anchorSecretRef);
    assert.ok(anchorSecret, 'the anchor has its service secret in the store');
    lifecyclesBefore = await lifecycleIds(temporalClient);
  });

  after(async () => {
    await store?.close().catch(() => undefined);
    await lifecycles?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
  });

  const anchorStatus = () => lifecycles.status(ANCHOR);

  /** The anchor lifecycle is as onboarded: active, same expiry, no extension, no revoke, no new Update. */
  async function assertAnchorUnchanged(label: string, before?: LifecycleStatus): Promise<void> {
    const now = await anchorStatus();
    if (before) assert.deepEqual(now, before, `${label}: the anchor lifecycle changed`);
    assert.equal(now.phase, 'active', `${label}: the anchor lifecycle is ${now.phase}`);
    assert.equal(now.expiresAt, anchor.expiresAt, `${label}: the anchor's expiry moved`);
    assert.equal(now.extensions, 0, `${label}: the anchor was extended`);
  }

  async function assertSecretUnchanged(label: string): Promise<void> {
    const now = await store.secrets.get(anchorSecretRef);
    try {
      assert.deepEqual(now, anchorSecret, `${label}: the anchor's stored service secret was overwritten`);
    } finally {
      // Put the real one back, so that a failure here does not spill into the cases after it.
      if (anchorSecret) await store.secrets.put(anchorSecretRef, anchorSecret);
    }
  }

  /** No sandbox user with this email and no workflow for it. */
  async function assertNothingFor(email: string, label: string): Promise<void> {
    const model = await sandboxModel(sandboxUrl);
    const lower = email.trim().toLowerCase();
    assert.equal(
      model.users.find((u) => u.emailAddress.toLowerCase() === lower || u.userid.toLowerCase() === lower),
      undefined,
      `${label}: a sandbox user exists for ${JSON.stringify(email)}`,
    );
    assert.ok(
      await workflowAbsent(temporalClient, lifecycles.context.workflowIdFor(lower)),
      `${label}: a lifecycle was started for ${JSON.stringify(email)}`,
    );
  }

  // ---- workflow -------------------------------------------------------------------------------------------
  describe(`workflow: lifecycleWorkflow started directly fails with InvalidInput before any activity (${byLayer('workflow').length} cases)`, () => {
    const cases = byLayer('workflow');
    cases.forEach((c, i) => {
      it(caseName(c, i, cases.length), { todo: c.todo }, async () => {
        const modelBefore = await sandboxModel(sandboxUrl);
        const workflowId = `bad-input-workflow-${stamp}-${i + 1}`;
        startedOnPurpose.add(workflowId);
        const handle = await temporalClient.workflow.start(lifecycleWorkflow, {
          taskQueue: lifecycles.context.taskQueue,
          workflowId,
          args: [withOwnKeyFingerprint(c.input) as Parameters<typeof lifecycleWorkflow>[0]],
          workflowExecutionTimeout: '1 minute',
        });
        const error = await handle.result().then(
          (result) => assert.fail(`${c.label}: the workflow completed: ${JSON.stringify(result)}`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof WorkflowFailedError, `${c.label}: ${chainText(error)}`);
        const invalid = errorChain(error).find(
          (e): e is ApplicationFailure => e instanceof ApplicationFailure && e.type === 'InvalidInput',
        );
        assert.ok(invalid, `${c.label}: no InvalidInput in ${chainText(error)}`);
        assert.ok(invalid.nonRetryable, `${c.label}: InvalidInput must not be retried`);
        assert.match(invalid.message, /^The request was refused before anything was created: /);
        assert.match(invalid.message, c.expect.invalidInput, `${c.label}: ${invalid.message}`);
        const facts = await historyFacts(temporalClient, workflowId);
        assert.ok(facts.closed, `${c.label}: the workflow is closed`);
        assert.deepEqual(facts.activitiesScheduled, [], `${c.label}: activities were scheduled`);
        assertSameModel(await sandboxModel(sandboxUrl), modelBefore, c.label);
      });
    });
  });

  // ---- update ---------------------------------------------------------------------------------------------
  describe(`update: the anchor's Updates refuse bad payloads in their validators (${byLayer('update').length} cases)`, () => {
    const cases = byLayer('update');
    cases.forEach((c, i) => {
      it(caseName(c, i, cases.length), { todo: c.todo }, async () => {
        const modelBefore = await sandboxModel(sandboxUrl);
        const statusBefore = await anchorStatus();
        const historyBefore = await historyFacts(temporalClient, anchor.workflowId);
        const definition = {
          extend: extendUpdate,
          revoke: revokeUpdate,
          completeOperatorStep: completeOperatorStepUpdate,
        }[c.input.update];
        const error = await anchorHandle
          .executeUpdate(definition as typeof extendUpdate, { args: [c.input.payload as never] })
          .then(
            (result) => assert.fail(`${c.label}: accepted: ${JSON.stringify(result)}`),
            (e: unknown) => e,
          );
        assert.ok(error instanceof WorkflowUpdateFailedError, `${c.label}: ${chainText(error)}`);
        const reason = error.cause instanceof Error ? error.cause.message : error.message;
        assert.match(reason, c.expect.rejected, `${c.label}: ${chainText(error)}`);
        await assertAnchorUnchanged(c.label, statusBefore);
        const historyAfter = await historyFacts(temporalClient, anchor.workflowId);
        assert.equal(
          historyAfter.updatesAccepted,
          historyBefore.updatesAccepted,
          `${c.label}: an Update was accepted`,
        );
        assert.deepEqual(
          historyAfter.activitiesScheduled,
          historyBefore.activitiesScheduled,
          `${c.label}: activities ran`,
        );
        assertSameModel(await sandboxModel(sandboxUrl), modelBefore, c.label);
      });
    });
  });

  // ---- client ---------------------------------------------------------------------------------------------
  describe(`client: LifecycleClient answers InputError with field: problem lines (${byLayer('client').length} cases)`, () => {
    const cases = byLayer('client');

    function call(input: ClientCall): Promise<unknown> {
      switch (input.op) {
        case 'onboard':
          return lifecycles.onboard(input.input as never, { timeoutMs: 60_000 });
        case 'extend':
          return lifecycles.extend(input.email, input.input as never);
        case 'revoke':
          return lifecycles.revoke(input.email, input.input as never);
        case 'completeStep':
          return lifecycles.completeStep(input.email, input.input as never);
        case 'status':
          return lifecycles.status(input.email);
      }
    }

    cases.forEach((c, i) => {
      it(caseName(c, i, cases.length), { todo: c.todo }, async () => {
        const modelBefore = await sandboxModel(sandboxUrl);
        const statusBefore = await anchorStatus();
        const outcome = await call(c.input).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        const expect = c.expect;
        const onboarded = c.input.op === 'onboard' ? (c.input.input as { email?: unknown } | null) : null;
        const email = typeof onboarded?.email === 'string' ? onboarded.email : undefined;

        if ('inputError' in expect) {
          assert.ok('error' in outcome, `${c.label}: accepted: ${JSON.stringify(outcome)}`);
          const error = outcome.error;
          assert.ok(error instanceof InputError, `${c.label}: ${chainText(error)}`);
          assert.ok(error.problems.length > 0, `${c.label}: no problems`);
          for (const p of error.problems)
            assert.match(p, /^[\w.]+: \S/, `${c.label}: not "field: problem": ${p}`);
          assert.ok(
            error.problems.some((p) => expect.inputError.test(p)),
            `${c.label}: no problem matching ${String(expect.inputError)} in ${error.problems.join(' | ')}`,
          );
          if (email) await assertNothingFor(email, c.label);
        } else if ('refused' in expect) {
          try {
            assert.ok('error' in outcome, `${c.label}: accepted: ${JSON.stringify(outcome)}`);
            assert.ok(
              outcome.error instanceof LifecycleRefusedError,
              `${c.label}: ${chainText(outcome.error)}`,
            );
            assert.match(outcome.error.message, expect.refused);
          } finally {
            if (expect.secretUnchanged) await assertSecretUnchanged(c.label);
          }
        } else {
          // Only Marketo knows its workspaces and roles: the workflow refuses, before any user exists.
          assert.ok('value' in outcome, `${c.label}: ${'error' in outcome ? chainText(outcome.error) : ''}`);
          const result = outcome.value as OnboardResult;
          startedOnPurpose.add(result.workflowId);
          assert.equal(result.phase, 'failed', `${c.label}: ${JSON.stringify(result)}`);
          assert.equal(result.userId, null);
          assert.equal(result.clientId, null);
          const status = await lifecycles.status(result.email);
          assert.deepEqual(
            status.timeline.filter((e) => /created|adopted/.test(e.event)).map((e) => e.event),
            [],
            `${c.label}: something was created on the way: ${JSON.stringify(status.timeline)}`,
          );
          assert.equal(
            result.failure?.type,
            expect.failsInWorkflow,
            `${c.label}: ${JSON.stringify(result.failure)}`,
          );
          assert.match(result.failure?.message ?? '', expect.message);
          const model = await sandboxModel(sandboxUrl);
          assert.equal(
            model.users.find((u) => u.emailAddress === result.email),
            undefined,
            `${c.label}: the user exists`,
          );
        }
        await assertAnchorUnchanged(c.label, statusBefore);
        assertSameModel(await sandboxModel(sandboxUrl), modelBefore, c.label);
      });
    });
  });

  // ---- cli ------------------------------------------------------------------------------------------------
  describe(`cli: the command exits 2 with field: problem lines (${byLayer('cli').length} cases, two at a time)`, () => {
    const cases = byLayer('cli');
    let modelBefore: SandboxModel;
    let runs: Promise<{ run: CliRun } | { error: unknown }>[] = [];

    /** Starts every run, two at a time (two cores); each case awaits its own. */
    function startRuns(): void {
      let next = 0;
      const results = cases.map(() => {
        let settle!: (value: { run: CliRun } | { error: unknown }) => void;
        const promise = new Promise<{ run: CliRun } | { error: unknown }>((resolve) => (settle = resolve));
        return { promise, settle };
      });
      const worker = async (): Promise<void> => {
        while (next < cases.length) {
          const i = next++;
          const c = cases[i]!;
          await runCli(c.input.args, {
            env,
            timeoutMs: 90_000,
            ...(c.input.stdin !== undefined ? { input: c.input.stdin } : {}),
          }).then(
            (run) => results[i]!.settle({ run }),
            (error: unknown) => results[i]!.settle({ error }),
          );
        }
      };
      void Promise.all([worker(), worker()]);
      runs = results.map((r) => r.promise);
    }

    before(async () => {
      modelBefore = await sandboxModel(sandboxUrl);
      startRuns();
    });

    cases.forEach((c, i) => {
      it(caseName(c, i, cases.length), { todo: c.todo }, async () => {
        const outcome = await runs[i]!;
        if ('error' in outcome) throw outcome.error;
        const { run } = outcome;
        try {
          if (c.expect.startsWorkflow) {
            const email = c.input.args[c.input.args.indexOf('--email') + 1]!;
            startedOnPurpose.add(lifecycles.context.workflowIdFor(email.toLowerCase()));
          }
          assertCliBadInput(run, c.expect.problem, c.label);
          const emailAt = c.input.args.indexOf('--email');
          if (c.input.args[0] === 'onboard' && emailAt >= 0 && !c.expect.startsWorkflow) {
            await assertNothingFor(c.input.args[emailAt + 1]!, c.label);
          }
        } finally {
          if (c.expect.secretUnchanged) await assertSecretUnchanged(c.label);
        }
        await assertAnchorUnchanged(c.label);
        assertSameModel(await sandboxModel(sandboxUrl), modelBefore, c.label);
      });
    });
  });

  // ---- sandbox --------------------------------------------------------------------------------------------
  describe(`sandbox: 4xx with an errors body, never 5xx, nothing stored (${byLayer('sandbox').length} cases)`, () => {
    const cases = byLayer('sandbox');
    let token: string;

    before(async () => {
      const query = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: up!.info.adminClientId!,
        client_secret: up!.info.adminClientSecret!,
      });
      const answer = await fetch(`${sandboxUrl}/identity/oauth/token?${query.toString()}`);
      assert.equal(answer.status, 200);
      token = ((await answer.json()) as { access_token: string }).access_token;
    });

    cases.forEach((c, i) => {
      it(caseName(c, i, cases.length), { todo: c.todo }, async () => {
        const modelBefore = await sandboxModel(sandboxUrl);
        const { method, path, auth, body } = c.input;
        // The sandbox's own admin routes need its admin token; the catalogue tests what comes after that check.
        const headers: Record<string, string> = path.startsWith('/sandbox/')
          ? sandboxAdminHeaders(sandboxUrl)
          : {};
        if (auth) headers['Authorization'] = `Bearer ${token}`;
        if (body !== undefined) headers['content-type'] = c.input.contentType ?? 'application/json';
        const response = await fetch(`${sandboxUrl}${path.startsWith('/') ? path : `${UM}${path}`}`, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
        });
        const text = await response.text();
        const shown = `${response.status} ${text.slice(0, 300)}`;
        assert.ok(response.status < 500, `${c.label}: a server error: ${shown}`);
        assert.equal(response.status, c.expect.status, `${c.label}: ${shown}`);
        assert.match(
          response.headers.get('content-type') ?? '',
          /^application\/json/,
          `${c.label}: ${shown}`,
        );
        const json = JSON.parse(text) as Record<string, unknown>;
        if (c.expect.oauthError !== undefined) {
          assert.equal(json['error'], c.expect.oauthError, `${c.label}: ${shown}`);
          assert.equal(typeof json['error_description'], 'string', `${c.label}: ${shown}`);
        } else {
          const errors = json['errors'] as { code: unknown; message: unknown }[] | undefined;
          assert.ok(Array.isArray(errors) && errors.length > 0, `${c.label}: no errors array: ${shown}`);
          assert.equal(typeof errors[0]!.message, 'string');
          assert.ok((errors[0]!.message as string).length > 0);
          if (c.expect.code !== undefined)
            assert.equal(String(errors[0]!.code), c.expect.code, `${c.label}: ${shown}`);
        }
        assertSameModel(await sandboxModel(sandboxUrl), modelBefore, c.label);
      });
    });
  });

  // ---- across the catalogue -------------------------------------------------------------------------------
  describe('afterwards', () => {
    it('no case started a lifecycle, except the direct starts and the refusals only the workflow can make', async () => {
      let extra: string[] = [];
      const deadline = Date.now() + 15_000;
      for (;;) {
        const now = await lifecycleIds(temporalClient);
        extra = [...now].filter((id) => !lifecyclesBefore.has(id) && !startedOnPurpose.has(id));
        const missing = [...startedOnPurpose].filter((id) => !now.has(id));
        if (extra.length === 0 && missing.length === 0) break;
        if (Date.now() > deadline) {
          assert.deepEqual(extra, [], 'lifecycles nobody should have started');
          break; // a purposeful start not yet visible is visibility lag, not a bad-input failure
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    });

    it('the anchor lifecycle is still active and unchanged, and the sandbox answered nothing with 5xx', async () => {
      await assertAnchorUnchanged('afterwards');
      const response = await fetch(`${sandboxUrl}/sandbox/state`, {
        headers: sandboxAdminHeaders(sandboxUrl),
      });
      const state = (await response.json()) as {
        counters: { userManagement: { answersByStatus: Record<string, number> } };
      };
      assert.deepEqual(
        Object.keys(state.counters.userManagement.answersByStatus).filter((s) => s.startsWith('5')),
        [],
      );
    });
  });
});
