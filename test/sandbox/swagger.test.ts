/**
 * Checks the sandbox's 200 answers and its error bodies against Marketo's own Swagger files, with a small checker for the
 * JSON-schema subset they use (type, properties, items, required, enum, $ref). Where the Swagger and the
 * contract page disagree, the contract page wins; each such point is listed in DISAGREEMENTS (and in
 * src/sandbox/README.md), and the test proves the list is exact: validating against the unpatched
 * Swagger must fail at the listed places and nowhere else.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { RunningSandbox } from '../../src/sandbox';
import {
  callUserManagement,
  inviteBody,
  ManualClock,
  request,
  requestToken,
  startTestSandbox,
} from '../helpers/sandbox';

const SHARED = path.join(__dirname, '../../../shared/marketo-api');

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  $ref?: string;
  /** Swagger 2.0 vendor extension: null is allowed besides `type`. */
  'x-nullable'?: boolean;
}

const schemaShape: z.ZodType<Schema> = z.lazy(() =>
  z.looseObject({
    type: z.string().optional(),
    properties: z.record(z.string(), schemaShape).optional(),
    items: schemaShape.optional(),
    required: z.array(z.string()).optional(),
    enum: z.array(z.unknown()).optional(),
    $ref: z.string().optional(),
    'x-nullable': z.boolean().optional(),
  }),
);

const swaggerShape = z.object({
  paths: z.record(
    z.string(),
    z.record(
      z.string(),
      z.looseObject({ responses: z.record(z.string(), z.looseObject({ schema: schemaShape.optional() })) }),
    ),
  ),
  definitions: z.record(z.string(), schemaShape),
});
type Swagger = z.infer<typeof swaggerShape>;

function loadSwagger(file: string): Swagger {
  return swaggerShape.parse(JSON.parse(readFileSync(path.join(SHARED, file), 'utf8')));
}

interface Failure {
  /** `Definition.property` (or the endpoint for an inline schema), the unit a disagreement names. */
  where: string;
  problem: string;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function check(
  schema: Schema,
  value: unknown,
  definitions: Record<string, Schema>,
  where: string,
): Failure[] {
  if (schema.$ref !== undefined) {
    const name = schema.$ref.replace('#/definitions/', '');
    const target = definitions[name];
    if (!target) return [{ where, problem: `unresolved ${schema.$ref}` }];
    return check(target, value, definitions, name);
  }
  if (value === null && schema['x-nullable']) return [];
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const fits = actual === schema.type || (schema.type === 'number' && actual === 'integer');
    if (!fits)
      return [{ where, problem: `expected ${schema.type}, got ${actual} (${JSON.stringify(value)})` }];
  }
  if (schema.enum && !schema.enum.includes(value)) {
    return [
      { where, problem: `expected one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}` },
    ];
  }
  const failures: Failure[] = [];
  if (actual === 'array' && schema.items && Array.isArray(value)) {
    for (const item of value) failures.push(...check(schema.items, item, definitions, where));
  }
  if (actual === 'object' && typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      if (!(name in record))
        failures.push({ where: `${where}.${name}`, problem: 'required property missing' });
    }
    for (const [name, propertySchema] of Object.entries(schema.properties ?? {})) {
      if (name in record)
        failures.push(...check(propertySchema, record[name], definitions, `${where}.${name}`));
    }
  }
  return failures;
}

/**
 * Where Marketo's Swagger and the contract page disagree. `patch` makes the Swagger say what the contract
 * says; `where` lists the failures the unpatched Swagger must produce (empty for request-side points and
 * points no 200 body can show).
 */
interface Disagreement {
  point: string;
  where: string[];
  patch?: (swagger: Swagger) => void;
}

const USERS = '/userservice/management/v1/users';
const IDENTITY_401 = 'identity 401';

/** The contract page's identity refusal; Swagger has nothing to check it against (see DISAGREEMENTS). */
const OAUTH_ERROR: Schema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string', enum: ['invalid_client'] }, error_description: { type: 'string' } },
};

/**
 * The Swagger gives 4xx answers no schema; every success schema carries the same `errors` array of
 * `Error`, so an error body is checked as that array, taken from the Swagger itself.
 */
function errorEnvelope(s: Swagger): Schema {
  const errors = definition(s, 'ResponseOfUser').properties?.errors;
  assert.ok(errors, 'ResponseOfUser.errors not in the Swagger any more');
  return { type: 'object', required: ['errors'], properties: { errors } };
}

/** Failures of every observed error body: the User Management ones and identity's 401. */
function errorFailures(s: Swagger, errorsSeen: readonly Observed[], identity401: unknown): Failure[] {
  const envelope = errorEnvelope(s);
  const failures: Failure[] = [];
  for (const o of errorsSeen) {
    failures.push(...check(envelope, o.body, s.definitions, `${o.status} ${o.method} ${o.swaggerPath}`));
  }
  failures.push(...check(definition(s, 'Error'), identity401, s.definitions, IDENTITY_401));
  return failures;
}

const DISAGREEMENTS: Disagreement[] = [
  {
    point: 'roles.json: Swagger spells `isHidden`; the contract page and the docs example use `hidden`',
    where: ['ResponseOfRole.isHidden'],
    patch: (s) => renameProperty(s, 'ResponseOfRole', 'isHidden', 'hidden'),
  },
  {
    point:
      'roles.json: Swagger spells `isOnlyAllZones`; the contract page and the docs example use `onlyAllZones`',
    where: ['ResponseOfRole.isOnlyAllZones'],
    patch: (s) => renameProperty(s, 'ResponseOfRole', 'isOnlyAllZones', 'onlyAllZones'),
  },
  {
    point: 'UserRoleWorkspace.workspaceName: Swagger says integer; it is a name, a string ("AllZones")',
    where: ['UserRoleWorkspace.workspaceName'],
    patch: (s) => setProperty(s, 'UserRoleWorkspace', 'workspaceName', { type: 'string' }),
  },
  {
    point: 'invite.json: Swagger says the 200 body is a string; the contract says the literal `true`',
    where: [`POST ${USERS}/invite.json`],
    patch: (s) => {
      const response = s.paths[`${USERS}/invite.json`]?.post?.responses['200'];
      if (response) response.schema = { type: 'boolean', enum: [true] };
    },
  },
  {
    point:
      'user.json / update.json: `lockedReason` is required string in Swagger; null while not locked (docs example)',
    where: ['ResponseOfUser.lockedReason'],
    patch: (s) => setNullable(s, 'ResponseOfUser', 'lockedReason'),
  },
  {
    point:
      'user.json / update.json: `expiresAt` and `lastLoginAt` are required strings; null for "never expires" / "never logged in"',
    where: ['ResponseOfUser.expiresAt', 'ResponseOfUser.lastLoginAt'],
    patch: (s) => {
      setNullable(s, 'ResponseOfUser', 'expiresAt');
      setNullable(s, 'ResponseOfUser', 'lastLoginAt');
    },
  },
  {
    point: '{userid}/invite.json: `expiresAt` is a required string; null when the invitation has no expiry',
    where: ['ResponseOfInvitedUser.expiresAt'],
    patch: (s) => setNullable(s, 'ResponseOfInvitedUser', 'expiresAt'),
  },
  {
    point: 'Error.code: Swagger says integer; the sandbox sends quoted strings ("601"); clients accept both',
    where: ['Error.code'],
    patch: (s) => setProperty(s, 'Error', 'code', { type: 'string' }),
  },
  {
    point:
      "identity's 401: the contract page's OAuth body `{error, error_description}` is not Swagger's Error `{code, message}` (swagger-identity.json defines no error at all)",
    where: [`${IDENTITY_401}.code`, `${IDENTITY_401}.message`],
  },
  {
    point:
      'roles/create.json and roles/delete.json: Swagger takes `{input:[...]}`, the docs a bare array; both accepted',
    where: [],
  },
  { point: 'update.json: Swagger adds `apiOnly` to the documented fields; accepted', where: [] },
  {
    point: 'delete.json and invite/delete.json: no 200 schema; the sandbox answers 200 with an empty body',
    where: [],
  },
  { point: 'Swagger lists 201 Created for the POSTs; the sandbox, like the docs, answers 200', where: [] },
  { point: 'Swagger puts an `errors` property in success schemas; a 200 never carries `errors`', where: [] },
  {
    point:
      "Dates: the docs' prose says yyyyMMdd'T'HH:mm:ss.SSS't'+hhmm (no dashes), the examples use dashes; the sandbox emits the dashed form",
    where: [],
  },
  {
    point: 'identity: Swagger lists query parameters only; a form-encoded POST body is accepted as well',
    where: [],
  },
];

function definition(s: Swagger, name: string): Schema {
  const found = s.definitions[name];
  assert.ok(found, `Swagger has no definition ${name}`);
  return found;
}

function renameProperty(s: Swagger, name: string, from: string, to: string): void {
  const schema = definition(s, name);
  const property = schema.properties?.[from];
  assert.ok(property && schema.properties, `${name}.${from} not in the Swagger any more`);
  delete schema.properties[from];
  schema.properties[to] = property;
  schema.required = (schema.required ?? []).map((required) => (required === from ? to : required));
}

function setProperty(s: Swagger, name: string, property: string, replacement: Schema): void {
  const schema = definition(s, name);
  assert.ok(schema.properties?.[property], `${name}.${property} not in the Swagger any more`);
  schema.properties[property] = replacement;
}

function setNullable(s: Swagger, name: string, property: string): void {
  const schema = definition(s, name);
  const target = schema.properties?.[property];
  assert.ok(target, `${name}.${property} not in the Swagger any more`);
  target['x-nullable'] = true;
}

interface Observed {
  swaggerPath: string;
  method: string;
  status: number;
  body: unknown;
  text: string;
}

describe('sandbox answers against the Swagger files', () => {
  const clock = new ManualClock();
  let sandbox: RunningSandbox;
  const observed: Observed[] = [];
  const errorsSeen: Observed[] = [];
  let identityBody: unknown;
  let identity401: { status: number; body: unknown };

  before(async () => {
    sandbox = await startTestSandbox({ now: clock.now });
    const token = (await requestToken(sandbox)).access_token;
    const record = async (
      method: 'GET' | 'POST',
      swaggerPath: string,
      concretePath: string,
      body?: unknown,
    ) => {
      const reply = await callUserManagement(sandbox, token, method, concretePath, body);
      observed.push({
        swaggerPath: `${USERS}/${swaggerPath}`,
        method: method.toLowerCase(),
        status: reply.status,
        body: reply.json,
        text: reply.text,
      });
    };
    const query = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sandbox.adminClientId,
      client_secret: sandbox.adminClientSecret,
    });
    identityBody = (await request(sandbox, 'POST', `/identity/oauth/token?${query.toString()}`)).json;

    // A user that never expires and never logged in (nulls), and one locked and logged in (strings).
    await record('POST', 'invite.json', 'invite.json', inviteBody('plain@example.com'));
    await record('POST', 'invite.json', 'invite.json', inviteBody('pending@example.com', { apiOnly: false }));
    await record(
      'POST',
      'invite.json',
      'invite.json',
      inviteBody('pending-dated@example.com', {
        apiOnly: false,
        expiresAt: '2031-01-01T00:00:00Z',
      }),
    );
    await callUserManagement(
      sandbox,
      token,
      'POST',
      'invite.json',
      inviteBody('locked@example.com', {
        expiresAt: new Date(clock.millis + 1000).toISOString(),
      }),
    );
    const service = sandbox.operator.createService({ displayName: 'login', email: 'locked@example.com' });
    await requestToken(sandbox, service.clientId, service.clientSecret);
    clock.advance(2000);

    await record('GET', 'allusers.json', 'allusers.json?pageSize=200');
    await record('GET', 'roles.json', 'roles.json');
    await record('GET', 'workspaces.json', 'workspaces.json');
    await record('GET', '{userid}/user.json', 'plain@example.com/user.json');
    await record('GET', '{userid}/user.json', 'locked@example.com/user.json');
    await record('GET', '{userid}/invite.json', 'pending@example.com/invite.json');
    await record('GET', '{userid}/invite.json', 'pending-dated@example.com/invite.json');
    await record('POST', '{userid}/update.json', 'plain@example.com/update.json', { firstName: 'Changed' });
    await record('GET', '{userid}/roles.json', 'plain@example.com/roles.json');
    await record('POST', '{userid}/roles/create.json', 'plain@example.com/roles/create.json', {
      input: [{ accessRoleId: 101, workspaceId: 0 }],
    });
    await record('POST', '{userid}/roles/delete.json', 'plain@example.com/roles/delete.json', [
      { accessRoleId: 101, workspaceId: 0 },
    ]);
    await record('POST', '{userid}/invite/delete.json', 'pending@example.com/invite/delete.json');
    await record('POST', '{userid}/delete.json', 'plain@example.com/delete.json');

    // One of each error family: validation (400), unknown user (404), bad token (401 + 601), and the
    // refusal to delete a user that owns a service (611).
    const recordError = async (
      method: 'GET' | 'POST',
      concretePath: string,
      body?: unknown,
      bearer = token,
    ) => {
      const reply = await callUserManagement(sandbox, bearer, method, concretePath, body);
      errorsSeen.push({
        swaggerPath: `${USERS}/${concretePath}`,
        method: method.toLowerCase(),
        status: reply.status,
        body: reply.json,
        text: reply.text,
      });
    };
    await recordError('POST', 'invite.json', inviteBody('not-an-email'));
    await recordError('GET', 'nobody@example.com/user.json');
    await recordError('GET', 'roles.json', undefined, 'not-a-token');
    await recordError('POST', 'locked@example.com/delete.json');
    const badQuery = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sandbox.adminClientId,
      client_secret: 'wrong-secret',
    });
    const refused = await request(sandbox, 'POST', `/identity/oauth/token?${badQuery.toString()}`);
    identity401 = { status: refused.status, body: refused.json };
  });
  after(() => sandbox.close());

  it('exercised every path and method of swagger-user.json, each with 200', () => {
    const swagger = loadSwagger('swagger-user.json');
    const documented = Object.entries(swagger.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m} ${p}`),
    );
    const exercised = new Set(observed.map((o) => `${o.method} ${o.swaggerPath}`));
    assert.deepEqual([...exercised].sort(), documented.sort());
    for (const o of observed) assert.equal(o.status, 200, `${o.method} ${o.swaggerPath}: ${o.text}`);
  });

  it('every 200 body fits the Swagger once the contract-page corrections are applied', () => {
    const swagger = loadSwagger('swagger-user.json');
    for (const disagreement of DISAGREEMENTS) disagreement.patch?.(swagger);
    for (const o of observed) {
      const schema = swagger.paths[o.swaggerPath]?.[o.method]?.responses['200']?.schema;
      if (!schema) {
        assert.equal(o.text, '', `${o.method} ${o.swaggerPath} has no 200 schema: the sandbox sends no body`);
        continue;
      }
      assert.deepEqual(
        check(schema, o.body, swagger.definitions, `${o.method.toUpperCase()} ${o.swaggerPath}`),
        [],
        o.swaggerPath,
      );
      assert.ok(!JSON.stringify(o.body).includes('"errors"'), 'a 200 never carries errors');
    }
  });

  it('every error body fits the Swagger Error once the contract-page corrections are applied', () => {
    assert.deepEqual(
      errorsSeen.map((o) => `${o.status} ${o.method} ${o.swaggerPath}`),
      [
        `400 post ${USERS}/invite.json`,
        `404 get ${USERS}/nobody@example.com/user.json`,
        `401 get ${USERS}/roles.json`,
        `409 post ${USERS}/locked@example.com/delete.json`,
      ],
      'each refusal has the status the contract gives it',
    );
    assert.deepEqual(
      errorsSeen.map(
        (o) => z.object({ errors: z.array(z.object({ code: z.string() })) }).parse(o.body).errors[0]?.code,
      ),
      ['1003', '1004', '601', '611'],
    );
    const swagger = loadSwagger('swagger-user.json');
    for (const disagreement of DISAGREEMENTS) disagreement.patch?.(swagger);
    const envelope = errorEnvelope(swagger);
    for (const o of errorsSeen) {
      assert.deepEqual(check(envelope, o.body, swagger.definitions, o.swaggerPath), [], o.text);
      assert.ok(Array.isArray((o.body as { errors?: unknown }).errors), o.text);
    }
    assert.equal(identity401.status, 401);
    assert.deepEqual(check(OAUTH_ERROR, identity401.body, swagger.definitions, IDENTITY_401), []);
  });

  it('the unpatched Swagger fails exactly at the listed disagreements', () => {
    const swagger = loadSwagger('swagger-user.json');
    const failures = new Set<string>(
      errorFailures(swagger, errorsSeen, identity401.body).map((f) => f.where),
    );
    for (const o of observed) {
      const schema = swagger.paths[o.swaggerPath]?.[o.method]?.responses['200']?.schema;
      if (!schema) continue;
      for (const failure of check(
        schema,
        o.body,
        swagger.definitions,
        `${o.method.toUpperCase()} ${o.swaggerPath}`,
      )) {
        failures.add(failure.where);
      }
    }
    const listed = new Set(DISAGREEMENTS.flatMap((disagreement) => disagreement.where));
    assert.deepEqual([...failures].sort(), [...listed].sort());
  });

  it('the identity answer fits swagger-identity.json', () => {
    const swagger = loadSwagger('swagger-identity.json');
    const schema = swagger.paths['/identity/oauth/token']?.post?.responses['200']?.schema;
    assert.ok(schema);
    assert.deepEqual(check(schema, identityBody, swagger.definitions, 'identity'), []);
  });

  it('the checker itself catches wrong types, missing fields and bad enums', () => {
    const definitions = {
      Thing: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'integer' }, kind: { type: 'string', enum: ['a'] } },
      },
    };
    const schema: Schema = { type: 'array', items: { $ref: '#/definitions/Thing' } };
    assert.deepEqual(check(schema, [{ id: 1, kind: 'a' }], definitions, 'x'), []);
    assert.deepEqual(
      check(schema, [{ id: 1.5 }, { kind: 'b' }, 'no'], definitions, 'x').map((f) => f.where),
      ['Thing.id', 'Thing.id', 'Thing.kind', 'Thing'],
    );
  });
});
