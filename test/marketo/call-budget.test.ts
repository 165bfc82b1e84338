import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallBudget, DEFAULT_CALL_BUDGET, sharedCallBudget } from '../../src/marketo/call-budget';
import { fakeClock } from '../helpers/fake-clock';

describe('CallBudget', () => {
  it("defaults to Marketo's recommendation: 50 calls per 20 s, 5 concurrent", () => {
    assert.deepEqual(new CallBudget().limits, { calls: 50, windowMs: 20_000, maxConcurrent: 5 });
    assert.deepEqual(DEFAULT_CALL_BUDGET, { calls: 50, windowMs: 20_000, maxConcurrent: 5 });
    assert.throws(() => new CallBudget({ calls: 0 }));
  });

  it('lets at most `calls` requests run or complete in any window, the rest wait (sliding, not fixed)', async (t) => {
    const clock = fakeClock(t);
    const windowMs = 150;
    const budget = new CallBudget({ calls: 3, windowMs, maxConcurrent: 100 });
    const grants: number[] = [];
    const all = Promise.all(
      Array.from({ length: 7 }, async () => {
        const release = await budget.acquire();
        grants.push(Date.now());
        release();
      }),
    );
    await clock.advance(3 * windowMs);
    await all;
    assert.deepEqual(grants.slice(0, 3), [0, 0, 0], `first three at once: ${grants.join(',')}`);
    for (let i = 0; i + 3 < grants.length; i += 1) {
      const a = grants[i] ?? 0;
      const b = grants[i + 3] ?? 0;
      assert.ok(b - a >= windowMs, `grants ${i} and ${i + 3} only ${b - a} ms apart: ${grants.join(',')}`);
    }
    assert.ok((grants[6] ?? 0) >= 2 * windowMs, 'the seventh waited two windows');
    assert.ok((grants[6] ?? 0) <= 2 * windowMs + 5, `but no longer: ${grants.join(',')}`);
  });

  it('counts a call in the window until windowMs after it completes, whatever its latency', async (t) => {
    const clock = fakeClock(t);
    const budget = new CallBudget({ calls: 1, windowMs: 100, maxConcurrent: 10 });
    const slow = budget.run(() => sleep(150));
    const second = budget.acquire().then((release) => {
      release();
      return Date.now();
    });
    await clock.advance(300);
    await slow;
    // The server may have seen the slow call arrive as late as its completion (150 ms).
    const startedAt = await second;
    assert.ok(startedAt >= 250, `second call started after ${startedAt} ms`);
    assert.ok(startedAt <= 255, `but no later: ${startedAt} ms`);
  });

  it('caps concurrent requests and serves waiters first come, first served', async () => {
    const budget = new CallBudget({ calls: 1000, windowMs: 1000, maxConcurrent: 2 });
    let inFlight = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        budget.run(async () => {
          order.push(i);
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          assert.ok(budget.snapshot().inFlight <= 2);
          await sleep(20);
          inFlight -= 1;
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
    assert.equal(budget.snapshot().inFlight, 0);
    assert.equal(budget.snapshot().callsInWindow, 6);
  });

  it('gives the concurrency slot back when the task throws, and only once per release', async () => {
    const budget = new CallBudget({ calls: 100, windowMs: 1000, maxConcurrent: 1 });
    await assert.rejects(
      budget.run(() => Promise.reject(new Error('boom'))),
      /boom/,
    );
    const release = await budget.acquire();
    release();
    release();
    assert.equal(budget.snapshot().inFlight, 0);
    const a = await budget.acquire();
    assert.equal(budget.snapshot().inFlight, 1);
    a();
  });

  it('an aborted waiter leaves the queue with the abort reason and takes no slot', async () => {
    const budget = new CallBudget({ calls: 100, windowMs: 1000, maxConcurrent: 1 });
    const held = await budget.acquire();
    const controller = new AbortController();
    const aborted = budget.acquire(controller.signal);
    const next = budget.acquire();
    assert.equal(budget.snapshot().waiting, 2);
    controller.abort(new Error('cancelled by test'));
    await assert.rejects(aborted, /cancelled by test/);
    assert.equal(budget.snapshot().waiting, 1);
    held();
    const release = await next;
    assert.equal(budget.snapshot().inFlight, 1);
    release();
    await assert.rejects(budget.acquire(AbortSignal.abort(new Error('already'))), /already/);
  });

  it("'unlimited' never waits and counts nothing", async () => {
    const budget = CallBudget.unlimited();
    assert.equal(budget.isUnlimited, true);
    const releases = await Promise.all(Array.from({ length: 500 }, () => budget.acquire()));
    assert.deepEqual(budget.snapshot(), { inFlight: 0, callsInWindow: 0, waiting: 0 });
    releases.forEach((release) => release());
    assert.equal(new CallBudget('unlimited').limits, 'unlimited');
  });

  it('is shared per base URL by default', () => {
    assert.equal(sharedCallBudget('http://a.example'), sharedCallBudget('http://a.example'));
    assert.notEqual(sharedCallBudget('http://a.example'), sharedCallBudget('http://b.example'));
  });
});
