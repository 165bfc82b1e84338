/**
 * The first-seen record, which starts the maxLifetime clock: a dry run must not write it (a dry run changes
 * nothing), and `maxLifetimeFrom: creation`, which Marketo cannot serve (its user record has no creation date),
 * says in the report for how many users first sight stood in.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { runSweep } from './support';

describe('sweep first sight', () => {
  let h: Harness;
  let recordFile: string;

  withDevServerHarness((_, harness) => {
    h = harness;
    h.sandbox.operator.seedUsers({ count: 3, prefix: 'fresh' });
    recordFile = path.join(h.dataDir, 'sweep-first-seen.json');
  });

  it('a dry run records no first sighting; the real sweep after it does', async () => {
    const policy = { maxLifetimeMs: '90d', requireExpiry: 'report' } as const;
    const dry = await runSweep(h, { policy, dryRun: true }, 'dry-first-seen');
    assert.equal(dry.counts.scanned, 4);
    assert.equal(fs.existsSync(recordFile), false, 'the dry run wrote the first-seen record');
    await runSweep(h, { policy }, 'real-first-seen');
    const recorded = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as Record<string, string>;
    assert.equal(Object.keys(recorded).length, 4, 'every API-only user, the orchestrator included');
  });

  it('maxLifetimeFrom creation: the report counts the users with no creation date', async () => {
    const report = await runSweep(
      h,
      {
        policy: { maxLifetimeMs: '90d', maxLifetimeFrom: 'creation', requireExpiry: 'report' },
        dryRun: true,
      },
      'creation',
    );
    assert.equal(report.noCreationDate, report.counts.scanned, 'the sandbox, like Marketo, gives none');
    assert.ok(report.counts.scanned > 0);
    const firstSeen = await runSweep(h, { policy: { maxLifetimeMs: '90d' }, dryRun: true }, 'first-seen');
    assert.equal(firstSeen.noCreationDate, undefined, 'only reported when creation was asked for');
  });
});
