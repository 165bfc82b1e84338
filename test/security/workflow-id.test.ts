import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Keyring, WORKFLOW_ID_KEY_ENV } from '../../src/security/keyring';
import {
  WORKFLOW_ID_PREFIX,
  deriveWorkflowIdKey,
  instanceIdFromBaseUrl,
  lifecycleWorkflowId,
  workflowIdKeyFingerprint,
} from '../../src/security/workflow-id';

const KEY = randomBytes(32);
const INSTANCE = '123-abc-456.mktorest.com';
const EMAIL = 'Jane.Doe@Example.com';

describe('lifecycleWorkflowId', () => {
  it('is stable, prefixed, 32 hex, and hides the email', () => {
    const id = lifecycleWorkflowId(INSTANCE, EMAIL, KEY);
    assert.match(id, /^marketo-api-user-[0-9a-f]{32}$/);
    assert.ok(id.startsWith(WORKFLOW_ID_PREFIX));
    assert.equal(lifecycleWorkflowId(INSTANCE, EMAIL, KEY), id);
    for (const part of ['jane', 'doe', 'example']) assert.ok(!id.toLowerCase().includes(part));
  });

  it('ignores case and surrounding whitespace of the email', () => {
    const id = lifecycleWorkflowId(INSTANCE, EMAIL, KEY);
    assert.equal(lifecycleWorkflowId(INSTANCE, '  jane.doe@example.com\n', KEY), id);
    assert.equal(lifecycleWorkflowId(INSTANCE, 'JANE.DOE@EXAMPLE.COM', KEY), id);
  });

  it('differs per email, per instance and per key', () => {
    const id = lifecycleWorkflowId(INSTANCE, EMAIL, KEY);
    const others = [
      lifecycleWorkflowId(INSTANCE, 'john@example.com', KEY),
      lifecycleWorkflowId('999-zzz-999.mktorest.com', EMAIL, KEY),
      lifecycleWorkflowId(INSTANCE, EMAIL, randomBytes(32)),
      // The separator keeps instance and email from sliding into each other.
      lifecycleWorkflowId(`${INSTANCE}j`, 'ane.doe@example.com', KEY),
    ];
    for (const other of others) assert.notEqual(other, id);
    assert.equal(new Set(others).size, others.length);
  });

  it('rejects empty inputs and short keys', () => {
    assert.throws(() => lifecycleWorkflowId('', EMAIL, KEY), /instanceId/);
    assert.throws(() => lifecycleWorkflowId(INSTANCE, '  ', KEY), /email/);
    assert.throws(() => lifecycleWorkflowId(INSTANCE, EMAIL, 'short'), /at least 16 bytes/);
  });
});

describe('instanceIdFromBaseUrl', () => {
  it('keeps the lowercased host only', () => {
    assert.equal(instanceIdFromBaseUrl('https://123-ABC-456.mktorest.com/'), INSTANCE);
    assert.equal(instanceIdFromBaseUrl('https://123-abc-456.mktorest.com/rest/'), INSTANCE);
    assert.equal(instanceIdFromBaseUrl(' 123-ABC-456.MKTOREST.COM '), INSTANCE);
    assert.equal(instanceIdFromBaseUrl('https://123-abc-456.mktorest.com:443'), INSTANCE);
    assert.equal(instanceIdFromBaseUrl('http://127.0.0.1:8080/identity'), '127.0.0.1:8080');
  });

  it('rejects non-http URLs and garbage', () => {
    assert.throws(() => instanceIdFromBaseUrl('ftp://host/'), /http/);
    assert.throws(() => instanceIdFromBaseUrl('https://'), /valid|host/);
  });
});

describe('deriveWorkflowIdKey', () => {
  const payloadKeys = (): Map<string, Buffer> => new Map([['k1', randomBytes(32)]]);

  it('depends on the workflow id key only, so payload key rotation keeps ids', () => {
    const workflowIdKey = randomBytes(32);
    const before = new Keyring('k1', payloadKeys(), workflowIdKey, 'test');
    const rotated = new Keyring(
      'k2',
      new Map([...payloadKeys(), ['k2', randomBytes(32)]]),
      workflowIdKey,
      'test',
    );
    const derived = deriveWorkflowIdKey(before, {});
    assert.equal(derived.length, 32);
    assert.deepEqual(deriveWorkflowIdKey(rotated, {}), derived);
    assert.notDeepEqual(derived, workflowIdKey, 'HKDF separates the HMAC key from the stored secret');
    assert.notDeepEqual(
      deriveWorkflowIdKey(new Keyring('k1', payloadKeys(), randomBytes(32), 'test'), {}),
      derived,
    );
  });

  it('env overrides the keyring', () => {
    const envKey = randomBytes(32);
    const keyring = new Keyring('k1', payloadKeys(), randomBytes(32), 'test');
    const fromEnv = deriveWorkflowIdKey(keyring, { [WORKFLOW_ID_KEY_ENV]: envKey.toString('base64') });
    const viaKeyring = deriveWorkflowIdKey(new Keyring('k1', payloadKeys(), envKey, 'test'), {});
    assert.deepEqual(fromEnv, viaKeyring);
    assert.notDeepEqual(fromEnv, deriveWorkflowIdKey(keyring, {}));
  });

  it('fails with instructions when there is no workflow id key', () => {
    const keyring = new Keyring('k1', payloadKeys(), undefined, 'env MARKETO_API_USERS_PAYLOAD_KEY');
    assert.throws(() => deriveWorkflowIdKey(keyring, {}), new RegExp(WORKFLOW_ID_KEY_ENV));
    assert.throws(() => deriveWorkflowIdKey(keyring, { [WORKFLOW_ID_KEY_ENV]: 'c2hvcnQ=' }), /32 bytes/);
  });
});

describe('workflowIdKeyFingerprint', () => {
  it('is 16 hex digits, the same for the same key, different for another, and not the key itself', () => {
    const fingerprint = workflowIdKeyFingerprint(KEY);
    assert.match(fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(workflowIdKeyFingerprint(Buffer.from(KEY)), fingerprint);
    assert.notEqual(workflowIdKeyFingerprint(randomBytes(32)), fingerprint);
    assert.ok(!KEY.toString('hex').includes(fingerprint));
  });
});
