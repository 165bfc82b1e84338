/**
 * A new owner or ticket in place, with mocked activities on the time-skipping server: the user, its service and
 * its credentials stay; the timeline, the audit log, the memo `list` reads and the request the plan reads all
 * say the new owner; the next attestation asks the new owner; and what may not change is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OWNER_MEMO_FIELD, TICKET_MEMO_FIELD } from '../../../src/domain/search-attributes';
import { reassignUpdate, requestQuery, revokeUpdate } from '../../../src/workflows/messages';
import { eventually } from '../../helpers/lifecycle-harness';
import {
  DAY,
  inDays,
  mockActivities,
  refusalOf,
  request,
  start,
  startLifecycleTestEnv,
  statusWhen,
  type LifecycleTestEnv,
} from './support';

const OWNER = 'data-team@example.com';

const NEW_OWNER = 'platform-team@example.com';
const ATTESTED = { owner: OWNER, ticket: 'OPS-1234', policy: { attestEveryMs: '30d' } };

describe('reassign: a new owner or ticket in place (mocked activities, time-skipping)', () => {
  let t: LifecycleTestEnv;
  before(async () => {
    t = await startLifecycleTestEnv();
  });
  after(async () => {
    await t?.teardown();
  });

  it('keeps the user and its service, records the change, and the next attestation asks the new owner', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(100, await t.now()), ...ATTESTED }));
      const active = await statusWhen(handle, (s) => s.phase === 'active');
      const status = await handle.executeUpdate(reassignUpdate, {
        args: [{ owner: NEW_OWNER, ticket: 'OPS-9', actor: 'ops-lead', reason: 'team moved' }],
      });
      assert.equal(status.owner, NEW_OWNER);
      assert.equal(status.ticket, 'OPS-9');
      assert.equal(status.reassignments, 1);
      assert.equal(status.clientId, active.clientId, 'the same service and credentials');
      assert.equal(status.timeline.at(-1)?.event, 'reassigned');
      assert.equal(status.timeline.at(-1)?.detail, `owner ${OWNER} → ${NEW_OWNER}, ticket OPS-1234 → OPS-9`);
      const asked = await handle.query(requestQuery);
      assert.deepEqual([asked.owner, asked.ticket], [NEW_OWNER, 'OPS-9']);
      const { memo } = await handle.describe();
      assert.deepEqual([memo?.[OWNER_MEMO_FIELD], memo?.[TICKET_MEMO_FIELD]], [NEW_OWNER, 'OPS-9']);

      const again = await handle.executeUpdate(reassignUpdate, { args: [{ owner: NEW_OWNER }] });
      assert.equal(again.reassignments, 1, 'the same owner again changes nothing');

      await t.env.sleep(31 * DAY);
      await statusWhen(handle, (s) => s.attestation?.pending !== undefined);
      const [attestation] = mocks.of('attestation-requested');
      assert.equal(attestation?.details?.['owner'], NEW_OWNER);
      assert.match(attestation?.message ?? '', new RegExp(`^${NEW_OWNER}: `));
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'test over' }] });
      await handle.result();

      assert.deepEqual(mocks.names('createCustomService'), ['createCustomService'], 'no second service');
      const rows = mocks.audits.filter((a) => a.kind === 'reassigned');
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.actor, 'ops-lead');
      assert.equal(rows[0]!.reason, 'team moved');
      assert.deepEqual(rows[0]!.detail, {
        ownerFrom: OWNER,
        ownerTo: NEW_OWNER,
        ticketFrom: 'OPS-1234',
        ticketTo: 'OPS-9',
      });
    });
  });

  it('asks the new owner at once, with a full window, when an attestation was waiting for the old one', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const req = request({
        expiresAt: inDays(100, await t.now()),
        ...ATTESTED,
        policy: { attestEveryMs: '30d', attestationWindowMs: '14d' },
      });
      const handle = await start(t, queue, req);
      await statusWhen(handle, (s) => s.phase === 'active');
      await t.env.sleep(31 * DAY);
      const first = (await statusWhen(handle, (s) => s.attestation?.pending !== undefined)).attestation!
        .pending!;
      await t.env.sleep(12 * DAY);
      const moved = await handle.executeUpdate(reassignUpdate, { args: [{ owner: NEW_OWNER }] });
      const pending = moved.attestation?.pending;
      assert.ok(pending && Date.parse(pending.deadline) - Date.parse(pending.requestedAt) === 14 * DAY);
      assert.ok(Date.parse(pending.deadline) > Date.parse(first.deadline), 'a full window for the new owner');
      const askedNew = await eventually(() =>
        mocks.of('attestation-requested').find((ask) => ask.details?.['owner'] === NEW_OWNER),
      );
      assert.equal(askedNew.details?.['round'], 'request');
      assert.equal(askedNew.details?.['deadline'], pending.deadline);
      // Past the old owner's deadline: the new owner still has time, so the user stays active.
      await t.env.sleep(2 * DAY);
      assert.equal((await statusWhen(handle, () => true)).phase, 'active');
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'test over' }] });
      await handle.result();
      const requested = mocks.audits.filter((a) => a.kind === 'attestation-requested');
      assert.deepEqual(
        requested.map((a) => a.detail['owner']),
        [OWNER, NEW_OWNER],
      );
    });
  });

  it('clears a ticket, refuses to clear the owner under attestation, bad input, and an ended lifecycle', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(100, await t.now()), ...ATTESTED }));
      await statusWhen(handle, (s) => s.phase === 'active');
      const refusal = (input: object) =>
        refusalOf(handle.executeUpdate(reassignUpdate, { args: [input as never] }));
      assert.match(
        await refusal({ owner: null }),
        /^owner: cannot be cleared while the policy asks the owner to attest/,
      );
      assert.match(await refusal({ owner: 'not an email' }), /^owner: /);
      assert.match(await refusal({ ticket: 'free text' }), /^ticket: must be an issue key/);
      assert.match(await refusal({ actor: 'x' }), /^owner: give an owner or a ticket/);
      const cleared = await handle.executeUpdate(reassignUpdate, { args: [{ ticket: null }] });
      assert.equal(cleared.ticket, undefined);
      const { memo } = await handle.describe();
      assert.equal(memo?.[TICKET_MEMO_FIELD], undefined, 'cleared from the memo too');
      assert.equal(memo?.[OWNER_MEMO_FIELD], OWNER);
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'test over' }] });
      await handle.result();
      assert.equal(
        mocks.audits.filter((a) => a.kind === 'reassigned').length,
        1,
        'only the ticket was changed',
      );
      const ended = await handle.executeUpdate(reassignUpdate, { args: [{ owner: NEW_OWNER }] }).then(
        () => 'accepted',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
      assert.notEqual(ended, 'accepted', 'an ended lifecycle takes no new owner');
    });
  });
});
