/**
 * The first-seen record keeps any userid as a plain key: names an object inherits (`constructor`, `toString`,
 * `hasOwnProperty`) or treats specially (`__proto__`) are recorded, written, read back and returned like any
 * other, and a userid never seen gets no date from the object's prototype.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { firstSeenLookup } from '../../src/domain/sweep-policy';
import { FileFirstSeenStore } from '../../src/sweep/first-seen-store';

const AWKWARD = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
const FIRST = '2025-01-01T00:00:00.000Z';
const LATER = '2025-02-01T00:00:00.000Z';

describe('FileFirstSeenStore with userids that are Object.prototype names', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-first-seen-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('records, persists and reads back every such userid', async () => {
    const file = path.join(dir, 'record.json');
    const store = new FileFirstSeenStore(file);
    const userids = [...AWKWARD, 'plain@x.com'];

    const unknown = await store.firstSeenOf(userids);
    for (const userid of userids) {
      assert.equal(Object.hasOwn(unknown, userid), false, `${userid}: no date before it was seen`);
    }

    const recorded = await store.recordFirstSeen(userids, FIRST);
    for (const userid of userids) {
      assert.ok(Object.hasOwn(recorded, userid), `${userid}: not in the answer`);
      assert.equal(recorded[userid], FIRST, `${userid}: recorded`);
    }
    // What crosses Temporal is JSON: the answer must survive it whole.
    const crossed = JSON.parse(JSON.stringify(recorded)) as Record<string, string>;
    assert.deepEqual(Object.entries(crossed).sort(), userids.map((u) => [u, FIRST]).sort());

    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as object;
    assert.deepEqual(Object.keys(onDisk).sort(), userids.map((u) => u.toLowerCase()).sort());

    // A fresh store (a restarted worker) reads them back and keeps the first date.
    const reopened = new FileFirstSeenStore(file);
    const again = await reopened.recordFirstSeen(userids, LATER);
    for (const userid of userids) assert.equal(again[userid], FIRST, `${userid}: first date kept`);
    const read = await new FileFirstSeenStore(file).firstSeenOf(['Constructor', '__proto__']);
    assert.deepEqual(Object.entries(read).sort(), [
      ['Constructor', FIRST],
      ['__proto__', FIRST],
    ]);
  });
});

describe('firstSeenLookup (how the sweep workflow reads the answer)', () => {
  it('finds own keys only, `__proto__` included, and nothing an object inherits', () => {
    const crossed = JSON.parse(`{"__proto__":"${FIRST}","plain@x.com":"${LATER}"}`) as Record<string, string>;
    const firstSeenAt = firstSeenLookup(crossed);
    assert.equal(firstSeenAt('__proto__'), FIRST);
    assert.equal(firstSeenAt('plain@x.com'), LATER);
    for (const userid of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      assert.equal(firstSeenAt(userid), undefined, `${userid}: no inherited value`);
    }
  });
});
