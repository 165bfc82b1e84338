/**
 * The verbs on the sweep's Temporal Schedule through the client API, on a real Temporal dev server: a daily
 * calendar time in a time zone, pause and resume with a note, trigger (a run and its outcome in describe),
 * input refused before anything is created, and a missing schedule's error naming the fix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, ScheduleNotFoundError } from '@temporalio/client';
import {
  InputError,
  LifecycleClient,
  SWEEP_SCHEDULE_ID,
  SweepScheduleNotFoundError,
  type SweepScheduleInput,
} from '../../src/client';
import { createDataConverter } from '../../src/security/data-converter';
import { eventually, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';

/** The wall-clock time `iso` shows in `timeZone`, as HH:MM. */
function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
}

describe('sweep schedule verbs', () => {
  let h: Harness;
  let lifecycles: LifecycleClient;
  let temporal: Client;

  withDevServerHarness(async (env, harness, { onClose }) => {
    h = harness;
    lifecycles = await LifecycleClient.connect({
      connection: env.connection,
      dataDir: h.dataDir,
      env: { MARKETO_BASE_URL: h.sandbox.baseUrl, MARKETO_API_USERS_TASK_QUEUE: h.taskQueue },
    });
    onClose(async () => {
      await lifecycles.deleteSweepSchedule().catch(() => undefined);
      await lifecycles.close();
    });
    // The product's codec: a schedule's action arguments are encrypted like any payload.
    temporal = new Client({ connection: env.connection, dataConverter: createDataConverter(h.keyring) });
  });

  const assertNoSchedule = () =>
    assert.rejects(temporal.schedule.getHandle(SWEEP_SCHEDULE_ID).describe(), ScheduleNotFoundError);

  it('each verb on a missing schedule is a SweepScheduleNotFoundError whose hint names the fix', async () => {
    await assertNoSchedule();
    const verbs: [string, () => Promise<unknown>][] = [
      ['describe', () => lifecycles.describeSweepSchedule()],
      ['pause', () => lifecycles.pauseSweepSchedule({ note: 'n' })],
      ['resume', () => lifecycles.resumeSweepSchedule()],
      ['trigger', () => lifecycles.triggerSweepSchedule()],
    ];
    for (const [verb, call] of verbs) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof SweepScheduleNotFoundError, `${verb}: ${String(error)}`);
        assert.match(error.problem, /no sweep schedule/, verb);
        assert.match(error.hint, /`schedule-sweep --every 1h`/, verb);
        return true;
      });
    }
    await assertNoSchedule();
  });

  it('bad calendar input is an InputError and creates nothing', async () => {
    const cases: [SweepScheduleInput, RegExp][] = [
      [{ at: '00:05', timezone: 'Mars/Olympus_Mons' }, /^timezone: must be an IANA time zone/],
      [{ at: '00:05', timezone: '+05:00' }, /^timezone: must be an IANA time zone/],
      [{ at: '24:00' }, /^at: must be a time of day as HH:MM/],
      [{ at: '7:5' }, /^at: must be a time of day as HH:MM/],
      [{ every: '1h', at: '00:05' }, /^every: give exactly one of every or at/],
      [{}, /^every: give exactly one of every or at/],
      [{ every: '1h', timezone: 'UTC' }, /^timezone: only with at/],
    ];
    for (const [input, problem] of cases) {
      await assert.rejects(lifecycles.scheduleSweep(input), (error: unknown) => {
        assert.ok(error instanceof InputError, `${JSON.stringify(input)}: ${String(error)}`);
        assert.ok(
          error.problems.some((p) => problem.test(p)),
          `${JSON.stringify(input)}: ${error.problems.join('; ')}`,
        );
        return true;
      });
    }
    await assertNoSchedule();
  });

  it('--at 00:05 in America/Chicago: the next 5 runs are 00:05 there, 05:05 or 06:05 UTC', async () => {
    const created = await lifecycles.scheduleSweep({ at: '00:05', timezone: 'america/chicago' });
    assert.deepEqual(created, {
      scheduleId: SWEEP_SCHEDULE_ID,
      created: true,
      at: '00:05',
      timezone: 'America/Chicago',
    });
    const d = await lifecycles.describeSweepSchedule();
    assert.deepEqual(d.spec, { at: '00:05', timezone: 'America/Chicago' });
    assert.equal(d.paused, false);
    assert.equal(d.nextRuns.length, 5);
    for (const run of d.nextRuns) {
      assert.equal(localTime(run, 'America/Chicago'), '00:05', run);
      assert.match(run, /T0[56]:05:00(\.000)?Z$/, `${run}: CST is UTC-6, CDT UTC-5`);
    }
    const days = d.nextRuns.map((run) => run.slice(0, 10));
    assert.equal(new Set(days).size, 5, `one run a day: ${days.join(', ')}`);
    assert.ok(
      Date.parse(d.nextRuns[0]!) > Date.now() && Date.parse(d.nextRuns[0]!) <= Date.now() + 86_400_000,
    );
    assert.deepEqual(d.policy, {
      maxLifetime: null,
      maxLifetimeFrom: 'first-seen',
      requireExpiry: 'report',
      grace: '7d',
      lockExpired: true,
      exempt: [],
      maxIdle: null,
    });
    assert.equal(d.overlap, 'skip');
    assert.deepEqual(d.recentRuns, []);
    assert.equal(d.lastRun, null);
  });

  it('pause with a note shows in describe; an update keeps it paused; resume replaces the note', async () => {
    await lifecycles.scheduleSweep({ every: '1h' });
    const paused = await lifecycles.pauseSweepSchedule({ note: '  Marketo maintenance until Monday ' });
    assert.deepEqual(paused, {
      scheduleId: SWEEP_SCHEDULE_ID,
      paused: true,
      note: 'Marketo maintenance until Monday',
      changed: true,
    });
    const again = await lifecycles.pauseSweepSchedule({ note: 'still maintenance' });
    assert.equal(again.changed, false, 'it already was paused');
    let d = await lifecycles.describeSweepSchedule();
    assert.equal(d.paused, true);
    assert.equal(d.note, 'still maintenance');

    const updated = await lifecycles.scheduleSweep({
      at: '23:30',
      policy: { requireExpiry: 'set', maxIdle: { lockAfterMs: '45d' } },
    });
    assert.equal(updated.created, false);
    d = await lifecycles.describeSweepSchedule();
    assert.equal(d.paused, true, 'updating the timing or policy does not resume the schedule');
    assert.deepEqual(d.spec, { at: '23:30', timezone: 'UTC' });
    assert.equal(d.policy?.requireExpiry, 'set');
    assert.deepEqual(d.policy?.maxIdle, { lockAfter: '45d', notifyAfter: '30d' });
    assert.equal(d.note, 'still maintenance');

    const resumed = await lifecycles.resumeSweepSchedule({ note: 'maintenance over' });
    assert.deepEqual(resumed, {
      scheduleId: SWEEP_SCHEDULE_ID,
      paused: false,
      note: 'maintenance over',
      changed: true,
    });
    d = await lifecycles.describeSweepSchedule();
    assert.equal(d.paused, false);
    assert.equal(d.note, 'maintenance over');
    assert.ok(
      d.nextRuns.every((run) => run.endsWith('T23:30:00.000Z')),
      d.nextRuns.join(', '),
    );

    await assert.rejects(lifecycles.pauseSweepSchedule({ note: 'two\nlines' }), InputError);
    assert.equal((await lifecycles.describeSweepSchedule()).paused, false, 'a refused note pauses nothing');
  });

  it('trigger while a sweep of the schedule still runs starts none and names the running one', async () => {
    await lifecycles.scheduleSweep({ every: '1h' });
    const schedule = temporal.schedule.getHandle(SWEEP_SCHEDULE_ID);
    // No worker polls the queue yet: the triggered sweep stays running, waiting for one.
    assert.equal((await lifecycles.triggerSweepSchedule()).triggered, true);
    const running = await eventually(async () => (await schedule.describe()).info.runningActions[0], 10_000);
    const runningId = running.workflow.workflowId;
    assert.deepEqual(await lifecycles.triggerSweepSchedule(), {
      scheduleId: SWEEP_SCHEDULE_ID,
      triggered: false,
      runningWorkflowId: runningId,
    });
    assert.equal((await schedule.describe()).info.recentActions.length, 1, 'no second sweep was started');
    const d = await lifecycles.describeSweepSchedule();
    assert.deepEqual(
      d.lastRun && { workflowId: d.lastRun.workflowId, status: d.lastRun.status, outcome: d.lastRun.outcome },
      { workflowId: runningId, status: 'running', outcome: null },
    );
    await temporal.workflow.getHandle(runningId).terminate('the test is done with it');
    await eventually(async () =>
      (await schedule.describe()).info.runningActions.length === 0 ? true : undefined,
    );
    assert.equal((await lifecycles.describeSweepSchedule()).lastRun?.status, 'terminated');
  });

  it('trigger runs a sweep now: describe lists it under recent runs with its outcome', async () => {
    h.sandbox.operator.seedUsers({ count: 2, prefix: 'trig' });
    await lifecycles.scheduleSweep({ every: '1h', policy: { requireExpiry: 'set' } });
    const last = await h.withWorkers(async () => {
      assert.deepEqual(await lifecycles.triggerSweepSchedule(), {
        scheduleId: SWEEP_SCHEDULE_ID,
        triggered: true,
        runningWorkflowId: null,
      });
      return eventually(async () => {
        const run = (await lifecycles.describeSweepSchedule()).lastRun;
        return run?.status === 'completed' ? run : undefined;
      }, 30_000);
    });
    assert.ok(last.workflowId.startsWith(`${SWEEP_SCHEDULE_ID}-`), last.workflowId);
    assert.ok(last.outcome, 'a completed sweep has its outcome');
    assert.ok(last.outcome.counts.expirySet >= 2, JSON.stringify(last.outcome.counts));
    assert.ok(Date.parse(last.outcome.finishedAt) >= Date.parse(last.startedAt));
    const d = await lifecycles.describeSweepSchedule();
    assert.ok(
      d.recentRuns.some((run) => run.workflowId === last.workflowId && run.outcome !== null),
      'the triggered run is among the recent runs',
    );
  });
});
