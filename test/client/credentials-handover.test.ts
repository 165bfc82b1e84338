/**
 * What `credentials` answers for each phase a lifecycle can be in, without Temporal: only an active lifecycle
 * whose secret is in the store hands anything over, every other answer says what happened and carries no
 * secret, and each read, refused or not, is in the audit log before the answer.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { handOverCredentials, auditFilterFrom } from '../../src/credentials-handover';
import type { LifecycleStatus } from '../../src/domain/lifecycle-status';
import { CredentialsUnavailableError } from '../../src/errors';
import { FileStore } from '../../src/store/file-store';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-handover-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SECRET = 's3cr3t-value-for-the-test';
const REF = 'file:lifecycle/wf-1/custom-service';

function status(overrides: Partial<LifecycleStatus>): LifecycleStatus {
  return {
    workflowId: 'wf-1',
    phase: 'active',
    email: 'crm@example.com',
    roleName: 'CRM',
    clientId: 'client-1',
    secretRef: REF,
    expiresAt: '2027-01-01T00:00:00.000Z',
    createdAt: '2026-12-01T00:00:00.000Z',
    extensions: 0,
    drift: [],
    timeline: [],
    ...overrides,
  };
}

async function storeWithSecret(name: string): Promise<FileStore> {
  const dataDir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const store = new FileStore({ dataDir, secretDir: path.join(dataDir, 'secrets') });
  await store.secrets.put(REF, { clientId: 'client-1', clientSecret: SECRET });
  return store;
}

const CASES: [string, Partial<LifecycleStatus>, RegExp][] = [
  [
    'revoked',
    {
      phase: 'deactivated',
      deactivation: { at: '2026-12-04T10:00:00Z', cause: 'revoked', outcome: 'locked', reason: 'offboarded' },
    },
    /was revoked at 2026-12-04T10:00:00Z \(offboarded\)/,
  ],
  [
    'expired',
    {
      phase: 'deactivated',
      deactivation: { at: '2026-12-04T10:00:00Z', cause: 'expired', outcome: 'locked' },
    },
    /expired at 2026-12-04T10:00:00Z/,
  ],
  [
    'awaiting the operator',
    {
      phase: 'awaiting-operator',
      pendingOperatorAction: { step: 'create-service', instructions: [], since: 'x', deadline: 'y' },
    },
    /awaiting the operator \(create-service\)/,
  ],
  ['provisioning', { phase: 'provisioning' }, /still being provisioned/],
  [
    'failed',
    { phase: 'failed', failure: { type: 'X', message: 'scope mismatch' } },
    /failed \(scope mismatch\)/,
  ],
];

describe('handOverCredentials', () => {
  it('hands over an active lifecycle’s credentials, recorded first with actor and reason', async () => {
    const store = await storeWithSecret('active');
    const deps = { secrets: store.secrets, audit: store.audit, marketoBaseUrl: 'https://x.mktorest.com' };
    const handed = await handOverCredentials(deps, status({}), { actor: 'ada', reason: 'deploy' });
    assert.equal(handed.clientSecret, SECRET);
    assert.equal(handed.marketoBaseUrl, 'https://x.mktorest.com');
    const [read] = await store.audit.query({});
    assert.deepEqual(
      [read?.kind, read?.actor, read?.reason, read?.detail.outcome],
      ['credentials-read', 'ada', 'deploy', 'handed over'],
    );
    assert.ok(!fs.readFileSync(store.audit.file, 'utf8').includes(SECRET));
  });

  for (const [name, overrides, problem] of CASES) {
    it(`refuses a lifecycle that is ${name}, says so, and records the refused read`, async () => {
      const store = await storeWithSecret(name.replaceAll(' ', '-'));
      const deps = { secrets: store.secrets, audit: store.audit, marketoBaseUrl: undefined };
      await assert.rejects(handOverCredentials(deps, status(overrides), {}), (error: unknown) => {
        assert.ok(error instanceof CredentialsUnavailableError);
        assert.match(error.problem, problem);
        assert.ok(error.hint.length > 0);
        assert.ok(!error.message.includes(SECRET));
        return true;
      });
      const reads = await store.audit.query({ kinds: ['credentials-read'] });
      assert.deepEqual(
        reads.map((r) => [r.actor, r.detail.outcome]),
        [['client-api', `refused: ${overrides.phase}`]],
      );
    });
  }

  it('refuses an active lifecycle whose secret is not in this store', async () => {
    const dataDir = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const store = new FileStore({ dataDir, secretDir: path.join(dataDir, 'secrets') });
    const deps = { secrets: store.secrets, audit: store.audit, marketoBaseUrl: undefined };
    await assert.rejects(handOverCredentials(deps, status({}), {}), /not in this machine's store/);
  });
});

describe('auditFilterFrom', () => {
  it('reads --since as a date, or as a duration back from now', () => {
    const now = Date.parse('2026-12-08T00:00:00Z');
    assert.equal(auditFilterFrom({ since: 7 * 86_400_000 }, now).since, '2026-12-01T00:00:00.000Z');
    assert.equal(auditFilterFrom({ since: '2026-12-02T00:00:00Z' }, now).since, '2026-12-02T00:00:00Z');
    assert.deepEqual(auditFilterFrom({}, now), {});
  });
});
