/**
 * `list` filtered by visibility against an in-process embedded stack (as `up` runs it): lifecycles on both sides
 * of a 14-day bound, one of another phase, and a role name that needs quoting. The same query answers through
 * `temporal workflow list --query`, so the Web UI and Temporal's CLI filter as `list` does.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { list, onboard, revoke, type OnboardInput } from '../../src';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/app/embedded';
import { listFilterSchema, listQuery } from '../../src/lifecycle-list';
import { ensureTemporalCli } from '../../src/temporal-servers';
import { cliEnv, freePorts, killAll, oneJson, removeDir, runCli, tempDir } from './support';

const DAY = 86_400_000;

const listedSchema = z.array(
  z.object({
    workflowId: z.string(),
    email: z.string().nullable(),
    phase: z.string(),
    expiresAt: z.string(),
  }),
);

describe('list from visibility (embedded stack)', () => {
  let stack: EmbeddedStack;
  let dataDir: string;
  const stamp = Date.now().toString(36);
  const oddRole = `O'Brien \\ "team" ${stamp}`;
  const input = (name: string, expiresIn: string, role = `List Role ${stamp}`): OnboardInput => ({
    email: `${name}-${stamp}@example.com`,
    firstName: 'List',
    lastName: 'Test',
    role: { name: role, permissions: ['Read-Only Lead'], workspace: 0 },
    expiresIn,
  });
  const soon = input('soon', '10d');
  const later = input('later', '20d');
  const ended = input('ended', '5d');
  const odd = input('odd', '12d', oddRole);

  before(async () => {
    for (const key of Object.keys(process.env)) {
      if (/^(MARKETO_|TEMPORAL_)/.test(key) && key !== 'MARKETO_API_USERS_CACHE_DIR') delete process.env[key];
    }
    const [temporalPort, uiPort, sandboxPort] = await freePorts(3);
    dataDir = tempDir('list');
    stack = await startEmbeddedStack({ dataDir, temporalPort, uiPort, sandboxPort, env: cliEnv() });
    const opts = { dataDir };
    for (const each of [soon, later, ended, odd]) await onboard(each, opts);
    await revoke(ended.email, { reason: 'list test' }, opts);
  });

  after(async () => {
    await killAll();
    await stack?.stop();
    removeDir(dataDir);
  });

  it('list --phase active --expiring-within 14d --json: the active ones inside the bound, with their emails', async () => {
    const run = await runCli(
      ['list', '--phase', 'active', '--expiring-within', '14d', '--json', '--data-dir', dataDir],
      { env: cliEnv() },
    );
    assert.equal(run.code, 0, run.stderr);
    const listed = listedSchema.parse(oneJson(run));
    assert.deepEqual(listed.map((l) => l.email).sort(), [odd.email, soon.email].sort());
    for (const l of listed) {
      assert.equal(l.phase, 'active');
      assert.ok(Date.parse(l.expiresAt) <= Date.now() + 14 * DAY);
    }
    const all = await list({ dataDir });
    assert.equal(all.find((l) => l.email === ended.email)?.phase, 'deactivated');
    assert.equal(all.find((l) => l.email === later.email)?.phase, 'active');
  });

  it('--role matches a name with quotes and a backslash exactly; --limit caps; bad filters are refused', async () => {
    assert.deepEqual(
      (await list({ dataDir }, { role: oddRole })).map((l) => l.email),
      [odd.email],
    );
    assert.deepEqual(await list({ dataDir }, { role: `O'Brien` }), [], 'a prefix is not the name');
    assert.equal((await list({ dataDir }, { limit: 2 })).length, 2);
    const bad = await runCli([
      'list',
      '--phase',
      'asleep',
      '--expiring-within',
      'soon',
      '--data-dir',
      dataDir,
    ]);
    assert.equal(bad.code, 2, bad.stdout);
    assert.match(bad.stderr, /phase/);
    assert.match(bad.stderr, /expiringWithin/);
  });

  it('the same filter through `temporal workflow list --query` finds the same lifecycles', () => {
    const cli = ensureTemporalCli();
    assert.equal(cli.kind, 'existing-path');
    const query = listQuery(listFilterSchema.parse({ phase: 'active', expiringWithin: '14d' }), Date.now());
    const out = execFileSync(
      cli.kind === 'existing-path' ? cli.path : 'temporal',
      ['workflow', 'list', '--address', stack.stack.temporalAddress, '--query', query, '--output', 'json'],
      { encoding: 'utf8', env: cliEnv() },
    );
    const ids = z
      .array(z.object({ execution: z.object({ workflowId: z.string() }) }))
      .parse(JSON.parse(out.trim() || '[]'))
      .map((e) => e.execution.workflowId);
    assert.equal(ids.length, 2, out);
    assert.ok(!out.includes(soon.email), 'visibility answers without an email in it');
  });
});
