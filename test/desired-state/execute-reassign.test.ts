/**
 * Apply's reassign step on its own, with a recording stand-in for the client: the extension goes first, so a
 * refused extension leaves the owner as it was and the next plan shows the whole change again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LifecycleClient } from '../../src/client';
import { executeChanges } from '../../src/desired-state/execute';
import type { PlannedAction } from '../../src/desired-state/plan-schema';
import type { DesiredStateFile } from '../../src/desired-state/file-schema';
import { LifecycleRefusedError } from '../../src/errors';

const ACTION: Extract<PlannedAction, { kind: 'reassign' }> = {
  kind: 'reassign',
  email: 'crm@example.com',
  workflowId: 'lifecycle-x',
  owner: { from: 'old@example.com', to: 'new@example.com' },
  extend: { from: '2027-01-01T00:00:00.000Z', to: '2027-02-01T00:00:00.000Z' },
  why: 'test',
};

function recordingClient(refuseExtension: boolean) {
  const calls: string[] = [];
  const status = { phase: 'active', expiresAt: ACTION.extend!.to, email: ACTION.email };
  const client = {
    extend: (email: string, options: { expiresAt?: string }) => {
      calls.push(`extend ${email} ${options.expiresAt}`);
      return refuseExtension
        ? Promise.reject(new LifecycleRefusedError('past the maximum lifetime'))
        : Promise.resolve(status);
    },
    reassign: (email: string, options: { owner?: string | null }) => {
      calls.push(`reassign ${email} ${String(options.owner)}`);
      return Promise.resolve(status);
    },
  };
  return { calls, client: client as unknown as LifecycleClient };
}

const FILE = { users: [], protected: [] } as unknown as DesiredStateFile;

describe('apply: reassign with an extension', () => {
  it('extends first, then moves the owner', async () => {
    const { calls, client } = recordingClient(false);
    const applied = await executeChanges(client, FILE, [ACTION], { actor: 'ci' });
    assert.deepEqual(calls, [
      'extend crm@example.com 2027-02-01T00:00:00.000Z',
      'reassign crm@example.com new@example.com',
    ]);
    assert.deepEqual(
      applied.map((a) => a.kind),
      ['reassign'],
    );
  });

  it('a refused extension stops there: the owner is not moved', async () => {
    const { calls, client } = recordingClient(true);
    await assert.rejects(executeChanges(client, FILE, [ACTION], { actor: 'ci' }), LifecycleRefusedError);
    assert.deepEqual(calls, ['extend crm@example.com 2027-02-01T00:00:00.000Z']);
  });
});
