import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  KEY_FILE_ENV,
  PAYLOAD_KEY_ENV,
  WORKFLOW_ID_KEY_ENV,
  loadKeyring,
  loadOrCreateKeyFile,
  parsePayloadKeyList,
  readKeyFile,
  rotateKeyFile,
} from '../../src/security/keyring';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'keyring-test-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function mode(stat: { mode: number }): number {
  return stat.mode & 0o777;
}

const b64 = (bytes = randomBytes(32)): string => bytes.toString('base64');

describe('env keys', () => {
  it('parses several keys, first is current', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const keyring = parsePayloadKeyList(`new:${b64(b)}, old:${b64(a)}`);
    assert.equal(keyring.currentKeyId, 'new');
    assert.deepEqual(keyring.keyIds, ['new', 'old']);
    assert.deepEqual(keyring.key('old'), a);
    assert.deepEqual(keyring.currentKey(), b);
    assert.equal(keyring.workflowIdKey, undefined);
  });

  it('rejects malformed entries without echoing key material', () => {
    const shortKey = randomBytes(16).toString('base64');
    const cases = [`a:${shortKey}`, `no-colon-${shortKey}`, `bad id!:${b64()}`, '', `a:${b64()},a:${b64()}`];
    for (const value of cases) {
      assert.throws(
        () => parsePayloadKeyList(value),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.ok(!error.message.includes(shortKey), `key echoed: ${error.message}`);
          return true;
        },
      );
    }
  });

  it('loadKeyring prefers env keys and reads the workflow id key from env', async () => {
    const workflowIdKey = randomBytes(32);
    const keyring = await loadKeyring({
      env: { [PAYLOAD_KEY_ENV]: `e1:${b64()}`, [WORKFLOW_ID_KEY_ENV]: b64(workflowIdKey) },
      defaultKeyFile: path.join(tmp, 'never-created', 'keys.json'),
    });
    assert.equal(keyring.currentKeyId, 'e1');
    assert.deepEqual(keyring.workflowIdKey, workflowIdKey);
    await assert.rejects(fs.stat(path.join(tmp, 'never-created')), { code: 'ENOENT' });
  });

  it('never shows key material when logged', () => {
    const key = randomBytes(32);
    const keyring = parsePayloadKeyList(`k:${b64(key)}`, b64());
    const shown = `${inspect(keyring)} ${inspect({ nested: keyring })} ${JSON.stringify(keyring)}`;
    assert.match(shown, /k/);
    assert.ok(!shown.includes(b64(key)));
    assert.ok(!shown.includes(key.toString('hex').slice(0, 8)));
    assert.ok(!shown.includes(key.toString('hex').match(/../g)?.slice(0, 4).join(' ') ?? 'x'));
  });
});

describe('key file', () => {
  it('is created with mode 0600 in a 0700 directory, then reused across loads', async () => {
    const file = path.join(tmp, 'created', 'deeper', 'keys.json');
    const first = await loadOrCreateKeyFile(file, {});
    assert.equal(mode(await fs.stat(file)), 0o600);
    assert.equal(mode(await fs.stat(path.dirname(file))), 0o700);
    assert.ok(first.workflowIdKey, 'a new file carries a workflow id key');

    const second = await loadOrCreateKeyFile(file, {});
    assert.equal(second.currentKeyId, first.currentKeyId);
    assert.deepEqual(second.currentKey(), first.currentKey());
    assert.deepEqual(second.workflowIdKey, first.workflowIdKey);

    const other = await loadOrCreateKeyFile(path.join(tmp, 'other', 'keys.json'), {});
    assert.notDeepEqual(other.currentKey(), first.currentKey());
  });

  it('is created once when two loaders race', async () => {
    const file = path.join(tmp, 'race', 'keys.json');
    const rings = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateKeyFile(file, {})));
    for (const ring of rings) assert.deepEqual(ring.currentKey(), rings[0]?.currentKey());
    assert.deepEqual(await fs.readdir(path.dirname(file)), ['keys.json']);
  });

  it('rotation adds a new current key, keeps old keys and the workflow id key', async () => {
    const file = path.join(tmp, 'rotate', 'keys.json');
    const before = await loadOrCreateKeyFile(file, {});
    const rotated = await rotateKeyFile(file, {});
    assert.notEqual(rotated.currentKeyId, before.currentKeyId);
    assert.deepEqual(rotated.keyIds.sort(), [before.currentKeyId, rotated.currentKeyId].sort());
    assert.deepEqual(rotated.key(before.currentKeyId), before.currentKey());
    assert.deepEqual(rotated.workflowIdKey, before.workflowIdKey);
    assert.equal(mode(await fs.stat(file)), 0o600);

    const reread = await readKeyFile(file, {});
    assert.equal(reread.currentKeyId, rotated.currentKeyId);
    assert.deepEqual(reread.currentKey(), rotated.currentKey());
    assert.deepEqual(await fs.readdir(path.dirname(file)), ['keys.json']);
  });

  it('refuses a key file readable by others, and names the fix', async () => {
    const file = path.join(tmp, 'loose', 'keys.json');
    await loadOrCreateKeyFile(file, {});
    await fs.chmod(file, 0o644);
    await assert.rejects(readKeyFile(file, {}), /chmod 600/);
  });

  it('reports invalid content without printing keys', async () => {
    const dir = path.join(tmp, 'invalid');
    await fs.mkdir(dir, { mode: 0o700 });
    const file = path.join(dir, 'keys.json');
    const shortKey = randomBytes(8).toString('base64');
    await fs.writeFile(file, JSON.stringify({ current: 'a', keys: { a: shortKey } }), { mode: 0o600 });
    const error = await readKeyFile(file, {}).then(
      () => assert.fail('expected rejection'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error);
    assert.match(error.message, /keys\.a: must be base64 of exactly 32 bytes/);
    assert.ok(!error.message.includes(shortKey));

    await fs.writeFile(file, `{"current": "a", "keys": {"a": "${shortKey}"`, { mode: 0o600 });
    await assert.rejects(readKeyFile(file, {}), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /not valid JSON/);
      assert.ok(!e.message.includes(shortKey));
      return true;
    });
  });

  it('loadKeyring uses the key file from env, and env overrides its workflow id key', async () => {
    const file = path.join(tmp, 'from-env', 'keys.json');
    const override = randomBytes(32);
    const keyring = await loadKeyring({
      env: { [KEY_FILE_ENV]: file, [WORKFLOW_ID_KEY_ENV]: b64(override) },
      defaultKeyFile: path.join(tmp, 'unused', 'keys.json'),
    });
    assert.equal(keyring.source, `key file ${file}`);
    assert.deepEqual(keyring.workflowIdKey, override);
    await fs.stat(file);
  });
});
