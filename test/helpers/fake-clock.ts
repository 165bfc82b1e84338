import type { TestContext } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';

type MockedTimer = 'setTimeout' | 'setInterval' | 'Date';

/**
 * node:test's fake timers for one test (undone when it ends), so "150 ms" is 150 ms of the test's clock
 * however slowly the shared machine runs it. `advance` moves time 1 ms at a time and lets promise callbacks
 * run in between: a callback that arms the next timer must see the time it ran at, not the end of the jump.
 * `setImmediate` stays real; it is how `advance` yields.
 */
export function fakeClock(t: TestContext, apis: MockedTimer[] = ['setTimeout', 'setInterval', 'Date']) {
  t.mock.timers.enable({ apis, now: 0 });
  return {
    async advance(ms: number): Promise<void> {
      for (let i = 0; i < ms; i++) {
        await turn();
        t.mock.timers.tick(1);
      }
      await turn();
    },
  };
}
