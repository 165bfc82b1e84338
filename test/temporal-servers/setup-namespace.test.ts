/**
 * `setup-namespace` on a namespace of a real cluster (a dev server started without the product's search
 * attributes): the first run adds them all, the next finds them all, and lifecycles' attributes are then usable in
 * a query; an attribute of the same name and another type is refused, with nothing added.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { LIFECYCLE_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes';
import { SearchAttributeConflictError } from '../../src/errors';
import { setupNamespace } from '../../src/namespace-setup';
import { ensureTemporalCli, toSdkExecutable } from '../../src/temporal-servers';
import { cliEnv, oneJson, runCli } from '../cli/support';
import { installQuietRuntime } from '../helpers/quiet-runtime';

const names = LIFECYCLE_SEARCH_ATTRIBUTES.map((k) => k.name).sort();
const reportSchema = z.object({
  namespace: z.string(),
  added: z.array(z.string()),
  found: z.array(z.string()),
});

describe('setup-namespace (dev server without the attributes)', () => {
  let env: TestWorkflowEnvironment;
  let dataDir: string;
  before(async () => {
    installQuietRuntime();
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: toSdkExecutable(ensureTemporalCli()),
        extraArgs: ['--search-attribute', 'MauRole=Text'],
      },
    });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-setup-ns-'));
  });
  after(async () => {
    await env?.teardown();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses an attribute registered with another type, adding nothing', async () => {
    await assert.rejects(setupNamespace(env.connection, 'default'), (error: unknown) => {
      assert.ok(error instanceof SearchAttributeConflictError);
      assert.match(error.problem, /MauRole is registered on namespace default as TEXT, not KEYWORD/);
      return true;
    });
    const listed = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    assert.ok(!('MauPhase' in (listed.customAttributes ?? {})), 'nothing was added');
  });

  it('adds what is missing, then finds it all (the CLI, as an operator runs it)', async () => {
    await env.connection.operatorService.removeSearchAttributes({
      namespace: 'default',
      searchAttributes: ['MauRole'],
    });
    const run = () =>
      runCli(['setup-namespace', '--json'], {
        env: cliEnv({
          TEMPORAL_ADDRESS: env.address,
          MARKETO_API_USERS_DATA_DIR: dataDir,
          MARKETO_BASE_URL: 'https://123-ABC-456.mktorest.com',
        }),
      });
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    const added = reportSchema.parse(oneJson(first));
    assert.deepEqual([added.namespace, added.added.slice().sort(), added.found], ['default', names, []]);
    const second = reportSchema.parse(oneJson(await run()));
    assert.deepEqual(second.added, []);
    assert.deepEqual(second.found.slice().sort(), names);
    const rows = await env.client.workflow.count(
      `MauPhase = 'active' AND MauExpiresAt <= '2030-01-01T00:00:00Z'`,
    );
    assert.equal(rows.count, 0, 'the attributes are usable in a query');
  });
});
