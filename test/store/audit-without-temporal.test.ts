/** A security team reads the audit log from the store alone: `audit` answers with no Temporal server anywhere. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FileStore } from '../../src/store/file-store';
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
});
