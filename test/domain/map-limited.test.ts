/** The plan reads lifecycles a few at a time; a failure starts nothing new and leaves nothing in flight. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapLimited } from '../../src/domain/map-limited';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapLimited', () => {
  it('keeps the order of the items and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapLimited([5, 1, 4, 2, 3, 0], 2, async (ms) => {
      running++;
      peak = Math.max(peak, running);
      await tick(ms);
      running--;
      return ms * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30, 0]);
    assert.equal(peak, 2);
  });

  it('after a failure starts no new item, and throws once the calls in flight have settled', async () => {
    const started: number[] = [];
    let inFlight = 0;
    await assert.rejects(
      mapLimited([0, 1, 2, 3, 4, 5], 2, async (n) => {
        started.push(n);
        inFlight++;
        await tick(n === 0 ? 1 : 20);
        inFlight--;
        if (n === 0) throw new Error('first fails');
        return n;
      }),
      /first fails/,
    );
    assert.deepEqual(started, [0, 1]);
    assert.equal(inFlight, 0);
  });
});
