import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  FileSecretStore,
  SecretRefError,
  parseSecretRef,
  secretRefFor,
} from '../../src/security/secret-store';
import { UnsafeDirectoryError } from '../../src/security/private-dir';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'secret-store-test-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const WORKFLOW_ID = 'marketo-api-user-0123456789abcdef0123456789abcdef';
const CREDENTIALS = { clientId: 'client-id-1', clientSecret: 'very-secret-value' };

describe('secret refs', () => {
  it('secretRefFor builds a file ref that parses back', () => {
    const ref = secretRefFor(WORKFLOW_ID);
    assert.equal(ref, `file:lifecycle/${WORKFLOW_ID}/custom-service`);
    assert.deepEqual(parseSecretRef(ref), { scheme: 'file', key: `lifecycle/${WORKFLOW_ID}/custom-service` });
    assert.equal(secretRefFor(WORKFLOW_ID, 'vault'), `vault:lifecycle/${WORKFLOW_ID}/custom-service`);
  });

  it('rejects traversal, absolute, empty and odd refs', () => {
    const bad = [
      'file:../etc/passwd',
      'file:lifecycle/../../x',
      'file:/etc/passwd',
      'file:lifecycle//x',
      'file:lifecycle/./x',
      'file:lifecycle/x/',
      'file:',
      'file:a\\..\\b',
      'file:a/\0b',
      'file:a b',
      'lifecycle/x',
      ':x',
      'FILE:x',
      `file:${'a/'.repeat(300)}a`,
    ];
    for (const ref of bad) assert.throws(() => parseSecretRef(ref), SecretRefError, ref);
    assert.throws(() => secretRefFor('../evil'), SecretRefError);
  });
});

describe('FileSecretStore', () => {
  it('stores with dir 0700 and file 0600, round-trips, and the file name hides the ref', async () => {
    const dir = path.join(tmp, 'store', 'secrets');
    const store = new FileSecretStore(dir);
    const ref = secretRefFor(WORKFLOW_ID);
    await store.put(ref, CREDENTIALS);

    assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);
    const file = store.pathFor(ref);
    assert.equal(path.dirname(file), dir);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.ok(!path.basename(file).includes(WORKFLOW_ID));
    assert.deepEqual(await fs.readdir(dir), [path.basename(file)], 'no temp files left behind');

    assert.deepEqual(await store.get(ref), CREDENTIALS);
    assert.equal(await store.get(secretRefFor('marketo-api-user-other')), undefined);
  });

  it('overwrites atomically and keeps refs apart', async () => {
    const store = new FileSecretStore(path.join(tmp, 'overwrite'));
    const a = secretRefFor('wf-a');
    const b = secretRefFor('wf-b');
    await store.put(a, CREDENTIALS);
    await store.put(b, { clientId: 'b', clientSecret: 'sb' });
    await store.put(a, { clientId: 'a2', clientSecret: 'sa2' });
    assert.deepEqual(await store.get(a), { clientId: 'a2', clientSecret: 'sa2' });
    assert.deepEqual(await store.get(b), { clientId: 'b', clientSecret: 'sb' });
    assert.equal((await fs.readdir(path.join(tmp, 'overwrite'))).length, 2);
  });

  it('leaves a safe folder it did not create as it is (0755 stays 0755)', async () => {
    const dir = path.join(tmp, 'existing-755');
    await fs.mkdir(dir);
    await fs.chmod(dir, 0o755);
    await new FileSecretStore(dir).put(secretRefFor('wf'), CREDENTIALS);
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o755);
  });

  it('creates a missing folder (and its parents) 0700, whatever the umask', async () => {
    const dir = path.join(tmp, 'created', 'deep', 'secrets');
    const previous = process.umask(0);
    try {
      await new FileSecretStore(dir).put(secretRefFor('wf'), CREDENTIALS);
    } finally {
      process.umask(previous);
    }
    for (const made of [dir, path.dirname(dir), path.dirname(path.dirname(dir))]) {
      assert.equal((await fs.stat(made)).mode & 0o777, 0o700, made);
    }
  });

  it('never chmods through a symlink: the linked folder keeps its mode', async () => {
    const real = path.join(tmp, 'linked-real');
    await fs.mkdir(real);
    await fs.chmod(real, 0o755);
    const link = path.join(tmp, 'linked-secrets');
    await fs.symlink(real, link);
    const store = new FileSecretStore(link);
    await store.put(secretRefFor('wf'), CREDENTIALS);
    assert.equal((await fs.stat(real)).mode & 0o777, 0o755);
    assert.deepEqual(await store.get(secretRefFor('wf')), CREDENTIALS);
  });

  it('refuses a folder others can write to, and leaves it untouched', async () => {
    const open = path.join(tmp, 'world-writable');
    await fs.mkdir(open);
    await fs.chmod(open, 0o777);
    const groupReal = path.join(tmp, 'group-writable');
    await fs.mkdir(groupReal);
    await fs.chmod(groupReal, 0o770);
    const groupLink = path.join(tmp, 'group-writable-link');
    await fs.symlink(groupReal, groupLink);
    for (const [dir, real, mode] of [
      [open, open, 0o777],
      [groupLink, groupReal, 0o770],
    ] as const) {
      await assert.rejects(
        new FileSecretStore(dir).put(secretRefFor('wf'), CREDENTIALS),
        (error: unknown) => {
          assert.ok(error instanceof UnsafeDirectoryError, String(error));
          assert.match(error.problem, /others can write to it/);
          assert.match(error.hint, /chmod 700|MARKETO_API_USERS_SECRET_DIR/);
          return true;
        },
      );
      assert.equal((await fs.stat(real)).mode & 0o777, mode, dir);
      assert.deepEqual(await fs.readdir(real), [], 'nothing written into a refused folder');
    }
  });

  it(
    'refuses a folder owned by another user',
    { skip: process.getuid?.() !== 0 && 'needs root to chown' },
    async () => {
      const dir = path.join(tmp, 'not-ours');
      await fs.mkdir(dir, { mode: 0o700 });
      await fs.chown(dir, 65534, 65534);
      await assert.rejects(
        new FileSecretStore(dir).put(secretRefFor('wf'), CREDENTIALS),
        (error: unknown) => {
          assert.ok(error instanceof UnsafeDirectoryError, String(error));
          assert.match(error.problem, /owned by uid 65534/);
          return true;
        },
      );
      assert.deepEqual(await fs.readdir(dir), []);
    },
  );

  it('delete removes the secret and is idempotent', async () => {
    const store = new FileSecretStore(path.join(tmp, 'delete'));
    const ref = secretRefFor(WORKFLOW_ID);
    await store.put(ref, CREDENTIALS);
    await store.delete(ref);
    assert.equal(await store.get(ref), undefined);
    await store.delete(ref);
    await new FileSecretStore(path.join(tmp, 'never-created')).delete(ref);
  });

  it('rejects bad refs, foreign schemes and invalid values without touching disk', async () => {
    const dir = path.join(tmp, 'rejects');
    const store = new FileSecretStore(dir);
    await assert.rejects(store.put('file:../../escape', CREDENTIALS), SecretRefError);
    await assert.rejects(store.get('file:/etc/passwd'), SecretRefError);
    await assert.rejects(store.delete('file:..'), SecretRefError);
    await assert.rejects(store.put('vault:lifecycle/x/custom-service', CREDENTIALS), /only handles "file:"/);
    await assert.rejects(store.put(secretRefFor('x'), { clientId: 'id', clientSecret: '' }), /non-empty/);
    await assert.rejects(fs.stat(dir), { code: 'ENOENT' });
  });

  it('reports a corrupt or misplaced file without printing its content', async () => {
    const store = new FileSecretStore(path.join(tmp, 'corrupt'));
    const ref = secretRefFor('wf-c');
    await store.put(ref, CREDENTIALS);
    const file = store.pathFor(ref);
    await fs.writeFile(file, `{"clientSecret": "${CREDENTIALS.clientSecret}"`);
    await assert.rejects(store.get(ref), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /not valid JSON/);
      assert.ok(!error.message.includes(CREDENTIALS.clientSecret));
      return true;
    });
    // A file copied under another ref's name must not be served for it.
    const other = secretRefFor('wf-d');
    await store.put(other, CREDENTIALS);
    await fs.copyFile(store.pathFor(other), file);
    await assert.rejects(store.get(ref), /belongs to another ref/);
  });
});
