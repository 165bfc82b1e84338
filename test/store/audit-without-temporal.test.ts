/**
 * A security team reads the audit log from the store alone: `audit` answers with no Temporal server anywhere,
 * and with no `up` and no Marketo setting either (the embedded database of a stopped `up`'s folder).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadKeyring } from '../../src/security/keyring';
import { FileStore } from '../../src/store/file-store';
import { openStore } from '../../src/store/open';
import { auditEventsOf, cliEnv, describeRun, removeDir, runCli, tempDir } from '../cli/support';

describe('audit without Temporal', () => {
  const dataDir = tempDir('audit-no-temporal');
  after(() => removeDir(dataDir));

  it('lists the store’s events although no Temporal server answers', async () => {
    const store = new FileStore({ dataDir, secretDir: path.join(dataDir, 'secrets') });
    await store.audit.append({
      id: 'wf-1/run/onboarded',
      at: '2026-12-01T10:00:00.000Z',
      kind: 'onboarded',
      email: 'crm@example.com',
      workflowId: 'wf-1',
      actor: 'ada',
      reason: 'TICKET-1',
      detail: {},
    });
    await store.close();
    const run = await runCli(['audit', '--email', 'crm@example.com', '--json'], {
      env: cliEnv({
        MARKETO_API_USERS_DATA_DIR: dataDir,
        MARKETO_BASE_URL: 'https://123-abc-456.mktorest.com',
        TEMPORAL_ADDRESS: '127.0.0.1:1',
      }),
    });
    assert.equal(run.code, 0, describeRun(run));
    const events = auditEventsOf(run);
    assert.deepEqual(
      events.map((e) => [e.kind, e.actor, e.reason]),
      [['onboarded', 'ada', 'TICKET-1']],
    );
  });

  it('reads a stopped `up`’s embedded database with no Marketo setting and no Temporal', async () => {
    const folder = tempDir('audit-embedded');
    try {
      const settings = { dataDir: folder, secretDir: path.join(folder, 'secrets'), databaseUrl: undefined };
      const keyring = await loadKeyring({ env: {}, defaultKeyFile: path.join(folder, 'keys.json') });
      const store = await openStore({ ...settings, env: {}, embedded: true }, keyring);
      await store.audit.append({
        id: 'wf-2/run/revoked',
        at: '2026-12-02T10:00:00.000Z',
        kind: 'revoked',
        email: 'gone@example.com',
        workflowId: 'wf-2',
        actor: 'carol',
        reason: 'vendor offboarded',
        detail: {},
      });
      await store.close();
      const run = await runCli(['audit', '--json'], {
        env: cliEnv({ MARKETO_API_USERS_DATA_DIR: folder, TEMPORAL_ADDRESS: '127.0.0.1:1' }),
      });
      assert.equal(run.code, 0, describeRun(run));
      assert.deepEqual(
        auditEventsOf(run).map((e) => [e.kind, e.actor, e.reason]),
        [['revoked', 'carol', 'vendor offboarded']],
      );
    } finally {
      removeDir(folder);
    }
  });
});
