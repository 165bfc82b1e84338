/**
 * The usage ledger's contract on every store that has one: real PostgreSQL, the embedded PGlite default and
 * the file store of one machine.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Keyring } from '../../src/security/keyring';
import { FileStore } from '../../src/store/file-store';
import { openPostgresStore, startEmbeddedPostgres } from '../../src/store/postgres';
import type { UsageLedger } from '../../src/store/types';
import { startRealPostgres } from '../helpers/postgres';

interface Opened {
  usage: UsageLedger;
  stop(): Promise<void>;
}

const keyring = new Keyring('k1', new Map([['k1', Buffer.alloc(32, 7)]]), undefined, 'test keyring');

const STORES: { name: string; open: () => Promise<Opened> }[] = [
  {
    name: 'real PostgreSQL',
    async open() {
      const server = await startRealPostgres();
      const store = await openPostgresStore({ databaseUrl: server.databaseUrl, keyring });
      return { usage: store.usage, stop: async () => (await store.close(), await server.destroy()) };
    },
  },
  {
    name: 'embedded PGlite',
    async open() {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-usage-pglite-'));
      const server = await startEmbeddedPostgres({ dataDir });
      const store = await openPostgresStore({ databaseUrl: server.databaseUrl, keyring });
      return {
        usage: store.usage,
        async stop() {
          await store.close();
          await server.stop();
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'file store',
    open() {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-usage-file-'));
      const store = new FileStore({ dataDir, secretDir: path.join(dataDir, 'secrets') });
      const stop = () => Promise.resolve(fs.rmSync(dataDir, { recursive: true, force: true }));
      return Promise.resolve({ usage: store.usage, stop });
    },
  },
];

const SANDBOX = 'http://127.0.0.1:3070';

for (const { name, open } of STORES) {
  describe(`usage ledger on ${name}`, () => {
    let opened: Opened;
    before(async () => {
      opened = await open();
    });
    after(() => opened?.stop());

    it('before any collection: knows no day and no coverage', async () => {
      assert.deepEqual(await opened.usage.lastUsedOf(SANDBOX, ['a@example.com']), {
        coveredSince: null,
        lastCollected: null,
        lastUsed: {},
      });
    });

    it('keeps the last day with calls per user, case-insensitively, per instance', async () => {
      await opened.usage.record({
        instance: SANDBOX,
        collectedDay: '2030-06-21',
        coveredSince: '2030-06-15',
        rows: [
          { day: '2030-06-16', userid: 'A@example.com', calls: 3 },
          { day: '2030-06-20', userid: 'a@example.com', calls: 1 },
          { day: '2030-06-18', userid: 'b@example.com', calls: 0 },
        ],
      });
      await opened.usage.record({
        instance: 'https://other.mktorest.com',
        collectedDay: '2030-06-21',
        coveredSince: '2030-06-10',
        rows: [{ day: '2030-06-21', userid: 'a@example.com', calls: 9 }],
      });
      const lookup = await opened.usage.lastUsedOf(SANDBOX, [
        'a@Example.com',
        'b@example.com',
        'c@example.com',
      ]);
      assert.deepEqual(lookup, {
        coveredSince: '2030-06-15',
        lastCollected: '2030-06-21',
        lastUsed: { 'a@Example.com': '2030-06-20' },
      });
    });

    it('a repeated collection changes nothing; a later one extends the days beyond Marketo 7', async () => {
      const again = {
        instance: SANDBOX,
        collectedDay: '2030-06-21',
        coveredSince: '2030-06-15',
        rows: [{ day: '2030-06-20', userid: 'a@example.com', calls: 1 }],
      };
      await opened.usage.record(again);
      await opened.usage.record(again);
      await opened.usage.record({
        instance: SANDBOX,
        collectedDay: '2030-07-30',
        coveredSince: '2030-07-24',
        rows: [{ day: '2030-07-29', userid: 'b@example.com', calls: 2 }],
      });
      const lookup = await opened.usage.lastUsedOf(SANDBOX, ['a@example.com', 'b@example.com']);
      assert.deepEqual(lookup, {
        coveredSince: '2030-06-15',
        lastCollected: '2030-07-30',
        lastUsed: { 'a@example.com': '2030-06-20', 'b@example.com': '2030-07-29' },
      });
      assert.deepEqual(await opened.usage.dailyCallsOf(SANDBOX, 'A@example.com'), [
        { day: '2030-06-16', calls: 3 },
        { day: '2030-06-20', calls: 1 },
      ]);
    });

    it('a day read again keeps the larger count: Marketo only adds to a day until it ends', async () => {
      const reading = (calls: number) => ({
        instance: SANDBOX,
        collectedDay: '2030-07-30',
        coveredSince: '2030-07-24',
        rows: [{ day: '2030-07-30', userid: 'c@example.com', calls }],
      });
      await opened.usage.record(reading(4));
      await opened.usage.record(reading(2));
      assert.deepEqual(await opened.usage.dailyCallsOf(SANDBOX, 'c@example.com'), [
        { day: '2030-07-30', calls: 4 },
      ]);
    });

    it('refuses a malformed collection before storing anything', async () => {
      await assert.rejects(
        opened.usage.record({
          instance: SANDBOX,
          collectedDay: 'June',
          coveredSince: '2030-06-15',
          rows: [],
        }),
        /YYYY-MM-DD/,
      );
    });
  });
}
