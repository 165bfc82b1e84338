/**
 * The plan's decisions that need Marketo's side, without a server: adopting a hand-made user (and what it
 * changes), users protected by what Marketo says (the product's own user, system-role holders), and the
 * operator steps a real instance needs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffDesiredState } from '../../src/desired-state/diff';
import type { MarketoReading, MarketoUserSeen } from '../../src/desired-state/marketo-reading';
import type { ObservedLifecycle, Observation } from '../../src/desired-state/observation';
import { parseDesiredState } from '../../src/desired-state/parse-file';

const NOW = Date.parse('2027-01-10T00:00:00Z');

const entry = (email: string, extra = '    lifetime: 30d') =>
  [
    `  - email: ${email}`,
    '    firstName: Sync',
    '    lastName: Bot',
    '    role: { name: Data Sync, permissions: [Read-Only Lead] }',
    extra,
  ].join('\n');

const FILE = `users:
${entry('handmade@example.com', '    expiresAt: 2027-03-01T00:00:00Z')}
${entry('locked@example.com')}
${entry('human@example.com')}
${entry('self@example.com')}
${entry('admin@example.com')}
${entry('fresh@example.com')}
${entry('ended@example.com')}
`;

const ROLES: MarketoReading['roles'] = [
  { id: 1, name: 'Admin', type: 'system' },
  { id: 102, name: 'Marketing User', type: 'custom' },
  { id: 300, name: 'Data Sync', type: 'custom' },
];

function apiUser(email: string, id: number, detail: Partial<NonNullable<MarketoUserSeen['detail']>> = {}) {
  return {
    email,
    userid: email,
    apiOnly: true,
    detail: {
      id,
      firstName: 'Hand',
      lastName: 'Made',
      isLocked: false,
      lockedReason: null,
      expiresAt: null,
      roles: [{ accessRoleId: 102, workspaceId: 0 }],
      ...detail,
    },
  };
}

function reading(overrides: Partial<MarketoReading> = {}): MarketoReading {
  return {
    selfEmail: 'self@example.com',
    canCreateRoles: true,
    canCreateServices: true,
    roles: ROLES,
    pagesListed: 1,
    users: [
      apiUser('handmade@example.com', 2001),
      apiUser('locked@example.com', 2002, {
        isLocked: true,
        lockedReason: 'expired',
        expiresAt: '2026-12-01T00:00:00.000Z',
        roles: [{ accessRoleId: 300, workspaceId: 0 }],
      }),
      { email: 'human@example.com', userid: 'human@example.com', apiOnly: false, detail: null },
      apiUser('admin@example.com', 2004, { roles: [{ accessRoleId: 1, workspaceId: 0 }] }),
      apiUser('ended@example.com', 2005),
    ],
    ...overrides,
  };
}

const ended: ObservedLifecycle = {
  email: 'ended@example.com',
  workflowId: 'wf-ended',
  runId: 'r1',
  running: false,
  phase: 'deactivated',
  expiresAt: null,
  createdAt: null,
  marker: { firstAppliedAt: '2027-01-05T00:00:00.000Z' },
};

function plan(marketo: MarketoReading | undefined, observation?: Observation) {
  const parsed = parseDesiredState(FILE, 'users.yaml');
  return diffDesiredState({
    file: parsed.file,
    observation: observation ?? { byEmail: new Map([['ended@example.com', ended]]), unlisted: [] },
    nowMs: NOW,
    locate: (p) => parsed.locate(p),
    ...(marketo ? { marketo } : {}),
  });
}

describe('desired-state diff with Marketo read', () => {
  const actions = plan(reading());
  const of = (email: string) => actions.find((a) => a.email === email);

  it('adopts a hand-made API-only user by its Marketo id, saying that names, role, expiry and service change', () => {
    const adopt = of('handmade@example.com');
    assert.ok(adopt?.kind === 'adopt', JSON.stringify(adopt));
    assert.equal(adopt.marketoUserId, 2001);
    assert.equal(adopt.expiresAt, '2027-03-01T00:00:00.000Z');
    assert.equal(adopt.changes[0], 'names "Hand Made" → "Sync Bot"');
    assert.match(
      adopt.changes[1]!,
      /^role Marketing User → Data Sync: the user holds Marketing User, which the file does not name/,
    );
    assert.equal(adopt.changes[2], 'expiry never → 2027-03-01T00:00:00.000Z');
    assert.match(adopt.changes.at(-1)!, /a new custom service.*services the user has now are kept/);
    assert.equal(adopt.operatorSteps, undefined, 'software works the sandbox console: no operator steps');
  });

  it('explains that adopting a locked user lifts an expiry lock, and keeps a role the file names the same', () => {
    const adopt = of('locked@example.com');
    assert.ok(adopt?.kind === 'adopt', JSON.stringify(adopt));
    assert.ok(!adopt.changes.some((c) => c.startsWith('role')), adopt.changes.join('\n'));
    assert.ok(
      adopt.changes.includes('expiry 2026-12-01T00:00:00.000Z → 30d from this apply'),
      adopt.changes.join('\n'),
    );
    assert.ok(
      adopt.changes.some((c) => c.startsWith('locked now (expired): the new expiry lifts an expiry lock')),
    );
    assert.equal(adopt.lifetimeMs, 30 * 86_400_000);
  });

  it("refuses a user who is not API-only, the product's own user and a system-role holder, naming the line", () => {
    const human = of('human@example.com');
    assert.ok(human?.kind === 'refused' && /not API-only/.test(human.why), JSON.stringify(human));
    const self = of('self@example.com');
    assert.ok(
      self?.kind === 'refused' && /this product's own API-only user/.test(self.why),
      JSON.stringify(self),
    );
    assert.equal(self.at, 'users.yaml:17:12 users[3].email');
    const admin = of('admin@example.com');
    assert.ok(
      admin?.kind === 'refused' && /holds the system role Admin/.test(admin.why),
      JSON.stringify(admin),
    );
  });

  it('creates a user Marketo does not have, and takes back the user of an ended lifecycle (no adoption)', () => {
    assert.equal(of('fresh@example.com')?.kind, 'create');
    assert.equal(of('ended@example.com')?.kind, 'create');
  });

  it('without the Marketo read, the same entries plan as creations: the read is what finds them', () => {
    const blind = plan(undefined);
    assert.deepEqual(
      blind.filter((a) => a.kind !== 'create').map((a) => a.email),
      [],
    );
  });

  it('never revokes a protected user the file dropped: left alone, saying why', () => {
    const running = (email: string): ObservedLifecycle => ({
      ...ended,
      email,
      workflowId: `wf-${email}`,
      running: true,
      phase: 'active',
    });
    const observation = {
      byEmail: new Map(),
      unlisted: [running('admin@example.com'), running('self@example.com')],
    };
    const parsed = parseDesiredState('users: []\n', 'users.yaml');
    const unlisted = diffDesiredState({
      file: parsed.file,
      observation,
      nowMs: NOW,
      locate: (p) => parsed.locate(p),
      marketo: reading(),
    });
    assert.deepEqual(
      unlisted.map((a) => [a.kind, a.email]),
      [
        ['left-alone', 'admin@example.com'],
        ['left-alone', 'self@example.com'],
      ],
    );
    assert.match(
      unlisted[0]!.kind === 'left-alone' ? unlisted[0]!.why : '',
      /system role Admin in Marketo: never revoked/,
    );
  });

  it('on a real instance names the operator steps: create a missing role, confirm an existing one, a service each', () => {
    const real = plan(reading({ canCreateRoles: false, canCreateServices: false, roles: ROLES.slice(0, 2) }));
    const create = real.find((a) => a.email === 'fresh@example.com');
    assert.ok(create?.kind === 'create', JSON.stringify(create));
    assert.deepEqual(create.operatorSteps, [
      'create role "Data Sync" in Admin > Users & Roles > Roles > New Role with permissions: Read-Only Lead (once for every user of this role); then run: marketo-api-users complete-step fresh@example.com --step create-role',
      'create custom service "API access for fresh@example.com" for API-only user fresh@example.com in Admin > LaunchPoint > New Service (Custom); then run: marketo-api-users complete-step fresh@example.com --step create-service --client-id <Client Id> --secret-file <file>',
    ]);
    const withRole = plan(reading({ canCreateRoles: false, canCreateServices: false }));
    const adopt = withRole.find((a) => a.email === 'handmade@example.com');
    assert.ok(adopt?.kind === 'adopt', JSON.stringify(adopt));
    assert.match(
      adopt.operatorSteps![0]!,
      /^confirm role "Data Sync" \(id 300\) .* --step confirm-role --role-id 300$/,
    );
    assert.match(adopt.operatorSteps![1]!, /^create custom service "API access for handmade@example.com"/);
    const refused = withRole.find((a) => a.email === 'self@example.com');
    assert.ok(refused && !('operatorSteps' in refused), 'a refusal needs no operator');
  });
});
