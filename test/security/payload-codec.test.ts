import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import {
  decodeFromPayloadsAtIndex,
  encodeToPayload,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import { createDataConverter } from '../../src/security/data-converter';
import { Keyring } from '../../src/security/keyring';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_ENCRYPTION_KEY_ID,
  PayloadDecryptionError,
  UnencryptedPayloadError,
} from '../../src/security/payload-codec';

function keyring(entries: Array<[string, Buffer]>): Keyring {
  const [first] = entries;
  assert.ok(first);
  return new Keyring(first[0], new Map(entries), undefined, 'test');
}

const EMAIL = 'jane.doe@example.com';
const keyA = randomBytes(32);
const keyB = randomBytes(32);

function text(bytes: Uint8Array | null | undefined): string {
  return Buffer.from(bytes ?? []).toString('utf8');
}

function clearPayload(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

describe('EncryptionCodec', () => {
  it('round-trips payloads and hides both data and original metadata', async () => {
    const codec = new EncryptionCodec(keyring([['a', keyA]]));
    const original = [clearPayload({ email: EMAIL, n: 1 }), clearPayload('second'), clearPayload(undefined)];
    const encoded = await codec.encode(original);

    assert.equal(encoded.length, 3);
    for (const payload of encoded) {
      assert.deepEqual(Object.keys(payload.metadata ?? {}).sort(), [
        METADATA_ENCODING_KEY,
        METADATA_ENCRYPTION_KEY_ID,
      ]);
      assert.equal(text(payload.metadata?.[METADATA_ENCODING_KEY]), ENCRYPTED_ENCODING);
      assert.equal(text(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID]), 'a');
      const bytes = Buffer.from(payload.data ?? []);
      assert.ok(!bytes.includes(EMAIL), 'email visible in ciphertext');
      assert.ok(!bytes.includes('json/plain'), 'inner encoding visible in ciphertext');
    }

    const decoded = await codec.decode(encoded);
    assert.deepEqual(
      decoded.map((p) => defaultPayloadConverter.fromPayload(p)),
      [{ email: EMAIL, n: 1 }, 'second', undefined],
    );
    assert.equal(text(decoded[0]?.metadata?.[METADATA_ENCODING_KEY]), 'json/plain');
  });

  it('uses a fresh IV each time: the same payload encrypts differently', async () => {
    const codec = new EncryptionCodec(keyring([['a', keyA]]));
    const payload = clearPayload({ email: EMAIL });
    const [first] = await codec.encode([payload]);
    const [second] = await codec.encode([payload]);
    assert.ok(first?.data && second?.data);
    assert.notDeepEqual(Buffer.from(first.data), Buffer.from(second.data));
    assert.notDeepEqual(Buffer.from(first.data).subarray(0, 12), Buffer.from(second.data).subarray(0, 12));
  });

  it('detects tampering anywhere in IV, ciphertext or tag', async () => {
    const codec = new EncryptionCodec(keyring([['a', keyA]]));
    const [encoded] = await codec.encode([clearPayload({ email: EMAIL })]);
    assert.ok(encoded?.data);
    const length = encoded.data.length;
    for (const index of [0, 12, Math.floor(length / 2), length - 1]) {
      const data = Buffer.from(encoded.data);
      data[index] = (data[index] ?? 0) ^ 0x01;
      await assert.rejects(codec.decode([{ ...encoded, data }]), (error: unknown) => {
        assert.ok(error instanceof PayloadDecryptionError);
        assert.match(error.message, /authentication failed/);
        return true;
      });
    }
    await assert.rejects(codec.decode([{ ...encoded, data: encoded.data.subarray(0, 20) }]), /truncated/);
  });

  it('decodes with a different key stored under the same id → fails, not garbage', async () => {
    const [encoded] = await new EncryptionCodec(keyring([['a', keyA]])).encode([clearPayload('x')]);
    assert.ok(encoded);
    await assert.rejects(
      new EncryptionCodec(keyring([['a', keyB]])).decode([encoded]),
      /authentication failed/,
    );
  });

  it('after rotation encodes with the new key id and still decodes old payloads', async () => {
    const before = new EncryptionCodec(keyring([['a', keyA]]));
    const after = new EncryptionCodec(
      keyring([
        ['b', keyB],
        ['a', keyA],
      ]),
    );
    const [old] = await before.encode([clearPayload('old value')]);
    const [fresh] = await after.encode([clearPayload('new value')]);
    assert.ok(old && fresh);
    assert.equal(text(fresh.metadata?.[METADATA_ENCRYPTION_KEY_ID]), 'b');
    const decoded = await after.decode([old, fresh]);
    assert.deepEqual(
      decoded.map((p) => defaultPayloadConverter.fromPayload(p)),
      ['old value', 'new value'],
    );
    // The pre-rotation keyring cannot read what was written after it.
    await assert.rejects(before.decode([fresh]), /"b" is not in the keyring/);
  });

  it('names an unknown key id without leaking any key material', async () => {
    const [encoded] = await new EncryptionCodec(keyring([['gone', keyA]])).encode([clearPayload('x')]);
    assert.ok(encoded);
    const codec = new EncryptionCodec(keyring([['current', keyB]]));
    const error = await codec.decode([encoded]).then(
      () => assert.fail('expected rejection'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PayloadDecryptionError);
    assert.match(error.message, /"gone"/);
    assert.match(error.message, /known ids: current/);
    for (const key of [keyA, keyB]) {
      for (const form of [key.toString('base64'), key.toString('hex'), key.toString('base64url')]) {
        assert.ok(!error.message.includes(form), 'key material in error message');
      }
    }
  });

  it('refuses every unencrypted payload that carries something, without echoing it', async () => {
    const codec = new EncryptionCodec(keyring([['a', keyA]]));
    const binary = defaultPayloadConverter.toPayload(new TextEncoder().encode(EMAIL));
    const unmarked: Payload = { metadata: {}, data: Buffer.from(JSON.stringify({ email: EMAIL })) };
    const nullWithData: Payload = {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from('binary/null') },
      data: Buffer.from(EMAIL),
    };
    for (const payload of [
      clearPayload({ email: EMAIL }),
      clearPayload(EMAIL),
      binary,
      unmarked,
      nullWithData,
    ]) {
      const encoding = text(payload.metadata?.[METADATA_ENCODING_KEY]) || 'missing';
      await assert.rejects(codec.decode([payload]), (error: unknown) => {
        assert.ok(error instanceof UnencryptedPayloadError, `${encoding}: ${String(error)}`);
        assert.match(error.message, /without the payload key/);
        assert.ok(!error.message.includes(EMAIL), `${encoding}: the payload's content is in the message`);
        return true;
      });
    }
  });

  it('lets an empty binary/null payload (undefined) through: nothing to hide, nothing to act on', async () => {
    const codec = new EncryptionCodec(keyring([['a', keyA]]));
    const empty = clearPayload(undefined);
    assert.equal(text(empty.metadata?.[METADATA_ENCODING_KEY]), 'binary/null');
    const [decoded] = await codec.decode([empty]);
    assert.equal(decoded, empty);
  });

  it('rejects an encrypted payload without a key id', async () => {
    const codec = new EncryptionCodec(keyring([['a', keyA]]));
    const [encoded] = await codec.encode([clearPayload('x')]);
    assert.ok(encoded);
    const metadata = {
      [METADATA_ENCODING_KEY]: encoded.metadata?.[METADATA_ENCODING_KEY] ?? new Uint8Array(),
    };
    await assert.rejects(codec.decode([{ metadata, data: encoded.data }]), /encryption-key-id" is missing/);
  });

  it('works as the codec of a loaded Temporal DataConverter', async () => {
    const converter = loadDataConverter(createDataConverter(keyring([['a', keyA]])));
    const payload = await encodeToPayload(converter, { email: EMAIL, roles: ['api'] });
    assert.equal(text(payload.metadata?.[METADATA_ENCODING_KEY]), ENCRYPTED_ENCODING);
    assert.ok(!Buffer.from(payload.data ?? []).includes(EMAIL));
    const value = await decodeFromPayloadsAtIndex<{ email: string; roles: string[] }>(converter, 0, [
      payload,
    ]);
    assert.deepEqual(value, { email: EMAIL, roles: ['api'] });
  });
});
