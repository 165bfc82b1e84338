import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Keyring } from './keyring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload that cannot be decrypted: unknown key, tampered or truncated data. Never carries key material. */
export class PayloadDecryptionError extends ValueError {
  override readonly name = 'PayloadDecryptionError';
}

/**
 * A payload that is not encrypted where only encrypted ones are accepted: it came from a client without the
 * payload key (the raw `temporal` CLI, a bare SDK client), so a worker must not act on it.
 */
export class UnencryptedPayloadError extends ValueError {
  override readonly name = 'UnencryptedPayloadError';
}

/** What a payload without content looks like (`null`/`undefined`): nothing to hide and nothing to act on. */
const NULL_ENCODING = 'binary/null';

function utf8(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
}

// Key ids come from stored payloads, so bound and quote them before they reach a message or a log.
function quoteKeyId(keyId: string): string {
  return JSON.stringify(keyId.length > 64 ? `${keyId.slice(0, 64)}…` : keyId);
}

function refuseUnencrypted(payload: Payload): Payload {
  const encoding = utf8(payload.metadata?.[METADATA_ENCODING_KEY]);
  if (encoding === NULL_ENCODING && (payload.data?.length ?? 0) === 0) return payload;
  // Never the data itself in the message: it is what the sender failed to encrypt (emails, names).
  throw new UnencryptedPayloadError(
    `Refusing an unencrypted payload (encoding ${encoding === undefined ? 'missing' : quoteKeyId(encoding)}): ` +
      `it was sent by a client without the payload key. Start and message lifecycles with marketo-api-users ` +
      `(CLI or client API) using the same key as the worker (keys.json or MARKETO_API_USERS_PAYLOAD_KEY).`,
  );
}

/**
 * AES-256-GCM over the whole protobuf-encoded payload (metadata included, so even the inner
 * encoding is hidden). Wire layout matches the Temporal samples: IV (12) || ciphertext || tag (16).
 *
 * Encodes with the keyring's current key; decodes with whichever key the payload names, so
 * history written before a rotation stays readable as long as the old key stays in the keyring.
 *
 * Decoding refuses plain payloads (empty null ones aside): otherwise anyone who reaches Temporal's
 * frontend could drive the worker without the key. Headers and search attributes never reach a codec.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.currentKeyId;
    const key = this.keyring.currentKey();
    return Promise.resolve(
      payloads.map((payload) => ({
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [METADATA_ENCRYPTION_KEY_ID]: Buffer.from(keyId),
        },
        data: encrypt(temporal.api.common.v1.Payload.encode(payload).finish(), key),
      })),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    // Sync work inside a promise: a throw becomes a rejection, as callers of a codec expect.
    return new Promise((resolve) => resolve(payloads.map((payload) => this.decodeOne(payload))));
  }

  private decodeOne(payload: Payload): Payload {
    if (utf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING)
      return refuseUnencrypted(payload);
    const keyId = utf8(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID]);
    if (keyId === undefined || keyId === '') {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload: metadata "${METADATA_ENCRYPTION_KEY_ID}" is missing`,
      );
    }
    const key = this.keyring.key(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload: encryption key id ${quoteKeyId(keyId)} is not in the keyring ` +
          `(${this.keyring.source}; known ids: ${this.keyring.keyIds.join(', ')}). ` +
          `Add that key back to the key file or MARKETO_API_USERS_PAYLOAD_KEY; keys must be kept after rotation.`,
      );
    }
    if (!payload.data || payload.data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(
        `Cannot decrypt payload with key id ${quoteKeyId(keyId)}: data is missing or truncated`,
      );
    }
    let plaintext: Buffer;
    try {
      plaintext = decrypt(payload.data, key);
    } catch {
      // OpenSSL's own message says nothing useful ("unable to authenticate data"); name the likely causes.
      throw new PayloadDecryptionError(
        `Cannot decrypt payload with key id ${quoteKeyId(keyId)}: authentication failed ` +
          `(data was altered, or the key stored under that id is not the one it was encrypted with)`,
      );
    }
    const decoded = temporal.api.common.v1.Payload.decode(plaintext);
    return { metadata: decoded.metadata, data: decoded.data };
  }
}

function encrypt(plaintext: Uint8Array, key: Buffer): Uint8Array {
  // A fresh random IV per payload: GCM is broken by IV reuse under one key, and 96 random bits keep
  // the collision chance negligible for far more payloads than one deployment will ever write.
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function decrypt(data: Uint8Array, key: Buffer): Buffer {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
  const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]);
}
