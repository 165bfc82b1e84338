/**
 * The file store's audit log: append-only JSON lines, 0600, idempotent on the event id, filtered oldest first,
 * and never written through a symlink planted at its name.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { AUDIT_FILE_NAME, FileAuditLog, FileStore } from '../../src/store/file-store';
import { openStore } from '../../src/store/open';
import { loadKeyring } from '../../src/security/keyring';
import type { AuditEvent } from '../../src/store/types';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-file-store-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function event(id: string, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id,
    at: '2026-12-01T10:00:00.000Z',
    kind: 'onboarded',
    email: 'crm@example.com',
    workflowId: 'wf-1',
    actor: 'ada',
    reason: null,
    detail: {},
    ...overrides,
  };
}

describe('FileAuditLog', () => {
  it('stores a retried append once, in a 0600 file', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'once-'));
    const log = new FileAuditLog(path.join(dir, AUDIT_FILE_NAME));
    await Promise.all([log.append(event('a')), log.append(event('a')), log.append(event('b'))]);
    await log.append(event('a'));
    const lines = fs.readFileSync(log.file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.equal(fs.statSync(log.file).mode & 0o777, 0o600);
    assert.deepEqual(
      (await log.query({})).map((e) => e.id),
      ['a', 'b'],
    );
  });

  it('filters by email, time and kind, oldest first, and skips a torn line', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'filter-'));
    const log = new FileAuditLog(path.join(dir, AUDIT_FILE_NAME));
    await log.append(event('late', { at: '2026-12-03T00:00:00Z', kind: 'revoked' }));
    await log.append(event('early', { at: '2026-12-01T00:00:00Z' }));
    await log.append(event('other', { at: '2026-12-02T00:00:00Z', email: 'other@example.com' }));
    fs.appendFileSync(log.file, '{"id":"torn","at":');
    assert.deepEqual(
      (await log.query({ email: 'CRM@example.com' })).map((e) => e.id),
      ['early', 'late'],
    );
    assert.deepEqual(
      (await log.query({ since: '2026-12-02T00:00:00Z' })).map((e) => e.id),
      ['other', 'late'],
    );
    assert.deepEqual(
      (await log.query({ kinds: ['revoked'] })).map((e) => e.id),
      ['late'],
    );
  });

  it('refuses an event the schema refuses (a field that is not in it, such as a secret)', async () => {
    const log = new FileAuditLog(path.join(fs.mkdtempSync(path.join(tmp, 'strict-')), AUDIT_FILE_NAME));
    const withSecret = { ...event('s'), clientSecret: 'hunter2' } as AuditEvent;
    await assert.rejects(log.append(withSecret));
    assert.deepEqual(await log.query({}), []);
  });

  it('never writes through a symlink planted at its name', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'link-'));
    const target = path.join(dir, 'elsewhere.txt');
    fs.writeFileSync(target, '');
    fs.symlinkSync(target, path.join(dir, AUDIT_FILE_NAME));
    const log = new FileAuditLog(path.join(dir, AUDIT_FILE_NAME));
    await assert.rejects(log.append(event('x')), /ELOOP|symbolic link/);
    assert.equal(fs.readFileSync(target, 'utf8'), '');
  });
});

describe('openStore', () => {
  it('opens the file store of the data folder when no database is configured', async () => {
    const dataDir = fs.mkdtempSync(path.join(tmp, 'open-'));
    const store = await openStore(
      { dataDir, secretDir: path.join(dataDir, 'secrets'), databaseUrl: undefined, env: {} },
      await loadKeyring({ env: {}, defaultKeyFile: path.join(dataDir, 'keys.json') }),
    );
    assert.ok(store instanceof FileStore);
    await store.audit.append(event('o'));
    assert.ok(fs.existsSync(path.join(dataDir, AUDIT_FILE_NAME)));
    await store.close();
  });
});
