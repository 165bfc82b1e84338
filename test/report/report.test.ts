/**
 * The compliance report on the embedded stack, for a mixed instance: two users with lifecycles, one API-only
 * user made by hand straight in Marketo (with a name a spreadsheet would run as a formula), and one normal user,
 * who is no API user and must not appear. `report --json` must agree with the sandbox's own state.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { z } from 'zod';
import type { LifecycleClient } from '../../src';
import { REPORT_CSV_COLUMNS, reportRowSchema, type OnboardInput, type ReportRow } from '../../src';
import type { EmbeddedStack } from '../../src/app/embedded';
import { cliEnv, describeRun, inPairs, oneJson, runCli } from '../cli/support';
import { buildComplianceReport } from '../../src/report/build';
import { REPORT_PAGE_SIZE } from '../../src/report/marketo-read';
import { callUserManagement, inviteBody, requestToken } from '../helpers/sandbox';
import { parseCsv } from './csv-parse';
import { createMarketoClient } from '../../src/marketo';
import { marketoDayOf } from '../../src/domain/usage';
import { withEmbeddedStack } from '../helpers/embedded-stack';

const ROLE = {
  name: 'Report Sync',
  permissions: ['Read-Only Lead', 'Read-Only Activity'],
} satisfies OnboardInput['role'];
const HOSTILE_FIRST = '=HYPERLINK("https://evil.example/?a=1","Click, me")';
const HOSTILE_LAST = 'O"Brien';

const reportJsonSchema = z
  .object({
    generatedAt: z.string(),
    rows: z.array(reportRowSchema.strict()),
    statusesUnanswered: z.array(z.string()),
  })
  .strict();

describe('report on a mixed instance', () => {
  let stack: EmbeddedStack;
  let dataDir: string;
  let client: LifecycleClient;
  const stamp = Date.now().toString(36);
  const managed = [`report-a-${stamp}@example.com`, `report-b-${stamp}@example.com`];
  const handMade = `report-hand-${stamp}@example.com`;
  const late = `report-late-${stamp}-000001@sandbox.local`;
  let normal: string;
  const sandbox = () => stack.sandbox!;
  const cli =
    (...args: string[]) =>
    () =>
      runCli(['report', ...args, '--data-dir', dataDir], { env: cliEnv() });

  withEmbeddedStack('report', (ready) => {
    ({ stack, dataDir, client } = ready);
  });

  before(async () => {
    for (const email of managed) {
      const onboarded = await client.onboard({
        email,
        firstName: 'Report',
        lastName: 'Sync',
        role: ROLE,
        // Beyond the longest reminder lead (30d), so no reminder's drift check reads user.json during the report.
        expiresIn: '60d',
      });
      assert.equal(onboarded.phase, 'active');
    }
    const { access_token: token } = await requestToken(sandbox());
    const body = inviteBody(handMade, { firstName: HOSTILE_FIRST, lastName: HOSTILE_LAST });
    const invited = await callUserManagement(sandbox(), token, 'POST', 'invite.json', body);
    assert.equal(invited.status, 200, invited.text);
    normal = sandbox().operator.seedUsers({
      count: 1,
      apiOnly: false,
      prefix: `report-person-${stamp}`,
    }).firstUserid;
    // Enough normal users that the next API-only user is on the report's second allusers.json page.
    sandbox().operator.seedUsers({
      count: REPORT_PAGE_SIZE,
      apiOnly: false,
      prefix: `report-crowd-${stamp}`,
    });
    assert.equal(
      sandbox().operator.seedUsers({ count: 1, prefix: `report-late-${stamp}` }).firstUserid,
      late,
    );
  });

  it('report --json has one row per API-only user, as the sandbox has them, and no normal user', async () => {
    sandbox().operator.resetCounters();
    const run = await cli('--json')();
    assert.equal(run.code, 0, describeRun(run));
    const { rows, statusesUnanswered } = reportJsonSchema.parse(oneJson(run));
    assert.deepEqual(statusesUnanswered, []);
    const state = sandbox().snapshot();
    const apiOnly = state.users.filter((u) => u.apiOnly);
    assert.deepEqual(
      rows.map((r) => r.email).sort(),
      apiOnly.map((u) => u.emailAddress.toLowerCase()).sort(),
    );
    assert.ok(!rows.some((r) => r.email === normal.toLowerCase()), 'a normal user is no API user');
    const lateAt = state.users.findIndex((u) => u.emailAddress === late);
    assert.ok(lateAt >= REPORT_PAGE_SIZE, `on the second page: at ${lateAt} of ${state.users.length}`);
    assert.ok(
      rows.some((r) => r.email === late),
      'the second page is read',
    );
    const calls = state.counters.userManagement.byEndpoint;
    assert.equal(calls['GET allusers.json'], 2, `a listing page by page: ${JSON.stringify(calls)}`);
    assert.equal(calls['GET {userid}/user.json'], apiOnly.length, 'user.json for API-only users only');
    for (const user of apiOnly) {
      const row = rows.find((r) => r.email === user.emailAddress.toLowerCase())!;
      const where = `row of ${row.email}`;
      assert.equal(row.marketoUserId, user.id, where);
      assert.equal(row.locked, user.isLocked, where);
      assert.equal(
        row.expiresAt && Date.parse(row.expiresAt),
        user.expiresAt && Date.parse(user.expiresAt),
        where,
      );
      assert.deepEqual(
        row.roles.map((r) => [r.roleId, r.workspaceId, r.roleName]),
        user.userRoleWorkspaces.map((p) => [
          p.accessRoleId,
          p.workspaceId,
          state.roles.find((r) => r.id === p.accessRoleId)?.name,
        ]),
        where,
      );
    }
    for (const email of managed) assertManaged(rows.find((r) => r.email === email));
    const hand = rows.find((r) => r.email === handMade)!;
    assert.deepEqual(
      [hand.management, hand.workflowId, hand.phase, hand.name, hand.rotationAgeDays],
      ['hand-made', null, null, `${HOSTILE_FIRST} ${HOSTILE_LAST}`, null],
    );
    assert.equal(
      rows.filter((r) => r.management === 'this-product').length,
      1,
      "the product's own user is named",
    );
  });

  function assertManaged(row: ReportRow | undefined): void {
    assert.ok(row, 'a managed user has a row');
    assert.equal(row.management, 'managed');
    assert.equal(row.workflowId, client.context.workflowIdFor(row.email));
    assert.equal(row.phase, 'active');
    assert.equal(row.roles[0]?.roleName, ROLE.name);
    assert.deepEqual([...(row.roles[0]?.permissions ?? [])].sort(), [...ROLE.permissions].sort());
    assert.equal(row.roles[0]?.permissionsSource, 'instance', "the sandbox tells a role's permissions");
    assert.ok(
      row.activatedAt && Date.now() - Date.parse(row.activatedAt) < 10 * 60_000,
      'activated just now',
    );
    assert.deepEqual(
      [row.lastRotatedAt, row.rotationAgeDays],
      [null, 0],
      'never rotated: age since activation',
    );
  }

  it('report --csv quotes and neutralizes a hostile name; the table shows every API-only user', async () => {
    const [csv, table] = await inPairs([cli('--csv'), cli()]);
    assert.equal(csv!.code, 0, describeRun(csv!));
    const records = parseCsv(csv!.stdout);
    assert.deepEqual(records[0], [...REPORT_CSV_COLUMNS]);
    const nameAt = REPORT_CSV_COLUMNS.indexOf('name');
    const hand = records.find((r) => r[0] === handMade);
    assert.equal(hand?.[nameAt], `'${HOSTILE_FIRST} ${HOSTILE_LAST}`, 'a formula becomes text');
    assert.ok(csv!.stdout.includes(`"'=HYPERLINK(""https://evil.example/?a=1"",""Click, me"") O""Brien"`));
    assert.ok(
      records.every((r) => r.length === REPORT_CSV_COLUMNS.length),
      'every record has every column',
    );

    assert.equal(table!.code, 0, describeRun(table!));
    const lines = table!.stdout.trim().split('\n');
    assert.match(
      lines[0]!,
      /^EMAIL +MANAGED +OWNER +ROLES +EXPIRES AT +LOCKED +LAST USED +LAST ATTESTED +ROTATION AGE$/,
    );
    for (const email of [...managed, handMade])
      assert.ok(
        lines.some((l) => l.startsWith(`${email} `)),
        email,
      );
    assert.ok(!table!.stdout.includes(normal), 'no normal user');
    assert.match(table!.stderr, /reading Marketo/, 'progress on stderr');
  });

  it('fills lastUsedAt from the usage port the composition wires, for hand-made users too, with progress', async () => {
    const asked: string[][] = [];
    const progress: string[] = [];
    const { context } = client;
    const target = {
      workflows: client.workflows,
      taskQueue: context.taskQueue,
      workflowIdFor: (email: string) => context.workflowIdFor(email),
      lastUsedOf: (userids: string[]) => {
        asked.push(userids);
        return Promise.resolve((userid: string) => ({
          lastUsedAt: userid === handMade ? '2030-06-14' : null,
        }));
      },
    };
    const { rows } = await buildComplianceReport(target, { statusConcurrency: 2 }, (t) => progress.push(t));
    assert.equal(asked.length, 1, 'one lookup for the whole report');
    assert.deepEqual([...asked[0]!].sort(), rows.map((r) => r.userid).sort());
    assert.deepEqual(
      rows.filter((r) => r.lastUsedAt !== null).map((r) => [r.email, r.lastUsedAt]),
      [[handMade, '2030-06-14']],
    );
    assert.ok(progress.includes('reading Marketo: page 2, 4 API-only users so far'), progress.join('\n'));
    assert.ok(progress.includes('reading lifecycles: 2 of 2'), progress.join('\n'));
  });

  it('report shows the day a managed credential was last used, once the usage collector ran', async () => {
    const { clientId, clientSecret } = await client.credentials(managed[0]!);
    const app = createMarketoClient({
      baseUrl: sandbox().baseUrl,
      clientId,
      clientSecret,
      budget: 'unlimited',
    });
    await app.usage.dailyUsage();
    await client.collectUsage();
    const run = await cli('--json')();
    assert.equal(run.code, 0, describeRun(run));
    const { rows } = reportJsonSchema.parse(oneJson(run));
    const lastUsed = (email: string) => rows.find((r) => r.email === email)?.lastUsedAt;
    assert.equal(lastUsed(managed[0]!), marketoDayOf(Date.now()), 'the credential that called');
    assert.equal(lastUsed(managed[1]!), null, 'a credential that never called');
  });
});
