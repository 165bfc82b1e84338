import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Keyring } from '../../security/keyring';
import {
  parseSecretRef,
  storedServiceCredentialsSchema,
  type SecretStore,
  type StoredServiceCredentials,
} from '../../security/secret-store';
import type { Database, Tx } from './db';
import { SecretIntegrityError, SecretKeyMissingError } from './errors';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
// Bound into every ciphertext: a row decrypts only under the ref it was written for, so the database's
// owner cannot move one ref's credentials to another by copying columns.
const AAD_PREFIX = 'marketo-api-users/store-secret/v1\0';
// The keyring's keys also encrypt Temporal payloads; the store uses a key derived per purpose so a
// ciphertext of one can never be presented as the other.
const HKDF_INFO = 'marketo-api-users/store-secret-key/v1';

interface SecretRow {
  ref: string;
  key_id: string;
  nonce: Buffer;
  ciphertext: Buffer;
}

export class SecretCipher {
  readonly #keyring: Keyring;
  readonly #derived = new Map<string, Buffer>();

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  get currentKeyId(): string {
    return this.#keyring.currentKeyId;
  }

  #key(ref: string, keyId: string): Buffer {
    const cached = this.#derived.get(keyId);
    if (cached) return cached;
    const raw = this.#keyring.key(keyId);
    if (!raw) throw new SecretKeyMissingError(ref, keyId);
    const derived = Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), HKDF_INFO, 32));
    this.#derived.set(keyId, derived);
    return derived;
  }

  seal(ref: string, value: StoredServiceCredentials): SecretRow {
    const keyId = this.#keyring.currentKeyId;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key(ref, keyId), nonce);
    cipher.setAAD(Buffer.from(AAD_PREFIX + ref, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return { ref, key_id: keyId, nonce, ciphertext: Buffer.concat([body, cipher.getAuthTag()]) };
  }

  open(row: SecretRow): StoredServiceCredentials {
    const key = this.#key(row.ref, row.key_id);
    if (row.nonce.length !== NONCE_BYTES || row.ciphertext.length < TAG_BYTES) {
      throw new SecretIntegrityError(row.ref);
    }
    let json: unknown;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, row.nonce);
      decipher.setAAD(Buffer.from(AAD_PREFIX + row.ref, 'utf8'));
      decipher.setAuthTag(row.ciphertext.subarray(row.ciphertext.length - TAG_BYTES));
      const body = row.ciphertext.subarray(0, row.ciphertext.length - TAG_BYTES);
      // JSON.parse's message would quote the plaintext: every failure here is the same integrity error.
      json = JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8'));
    } catch {
      throw new SecretIntegrityError(row.ref);
    }
    const parsed = storedServiceCredentialsSchema.safeParse(json);
    if (!parsed.success) throw new SecretIntegrityError(row.ref);
    return parsed.data;
  }
}

const UPSERT = `INSERT INTO secrets (ref, key_id, nonce, ciphertext, updated_at) VALUES ($1, $2, $3, $4, now())
  ON CONFLICT (ref) DO UPDATE SET key_id = EXCLUDED.key_id, nonce = EXCLUDED.nonce,
    ciphertext = EXCLUDED.ciphertext, updated_at = now()`;

async function writeRow(tx: Tx, row: SecretRow): Promise<void> {
  await tx.query(UPSERT, [row.ref, row.key_id, row.nonce, row.ciphertext]);
}

/** What a re-encryption did: rows rewritten under the current key, and rows it could not read (never a value). */
export interface ReencryptReport {
  reencrypted: number;
  failed: { ref: string; keyId: string; problem: string }[];
}

export interface ReencryptOptions {
  /** Rows per transaction. */
  batchSize?: number;
}

/**
 * Credentials of custom services, one encrypted row per ref: AES-256-GCM under the keyring's current key,
 * the key id beside the row, the ref bound in as associated data. The database alone reveals no secret.
 * Errors name the ref and key id, never a value.
 */
export class PostgresSecretStore implements SecretStore {
  readonly #cipher: SecretCipher;

  constructor(
    private readonly db: Database,
    keyring: Keyring,
  ) {
    this.#cipher = new SecretCipher(keyring);
  }

  async put(ref: string, value: StoredServiceCredentials): Promise<void> {
    parseSecretRef(ref);
    const parsed = storedServiceCredentialsSchema.safeParse(value);
    if (!parsed.success) {
      throw new Error(
        `refusing to store invalid credentials for ${ref}: clientId and clientSecret must be non-empty`,
      );
    }
    const row = this.#cipher.seal(ref, parsed.data);
    await this.db.transaction((tx) => writeRow(tx, row));
  }

  async get(ref: string): Promise<StoredServiceCredentials | undefined> {
    parseSecretRef(ref);
    const { rows } = await this.db.transaction((tx) =>
      tx.query<SecretRow>('SELECT ref, key_id, nonce, ciphertext FROM secrets WHERE ref = $1', [ref]),
    );
    const row = rows[0];
    return row ? this.#cipher.open(row) : undefined;
  }

  async delete(ref: string): Promise<void> {
    parseSecretRef(ref);
    await this.db.transaction((tx) => tx.query('DELETE FROM secrets WHERE ref = $1', [ref]));
  }

  /**
   * After a key rotation: re-encrypts every row not under the current key, a batch per transaction, walking
   * the refs in order so each row is looked at once. Idempotent, and safe beside writers: rows are locked
   * while rewritten, and a row a writer has just put under the current key is no longer selected. A row that
   * does not decrypt (tampered, or under a key the keyring lacks) is left as it is and reported, so one bad
   * row does not hold back the rotation of all the others.
   */
  async reencrypt(options: ReencryptOptions = {}): Promise<ReencryptReport> {
    const batchSize = options.batchSize ?? 200;
    const report: ReencryptReport = { reencrypted: 0, failed: [] };
    let after = '';
    for (;;) {
      const rows = await this.db.transaction(async (tx) => {
        const { rows: batch } = await tx.query<SecretRow>(
          `SELECT ref, key_id, nonce, ciphertext FROM secrets WHERE key_id <> $1 AND ref > $2
             ORDER BY ref LIMIT $3 FOR UPDATE SKIP LOCKED`,
          [this.#cipher.currentKeyId, after, batchSize],
        );
        for (const row of batch) await this.#reseal(tx, row, report);
        return batch;
      });
      after = rows.at(-1)?.ref ?? after;
      if (rows.length < batchSize) return report;
    }
  }

  async #reseal(tx: Tx, row: SecretRow, report: ReencryptReport): Promise<void> {
    let value: StoredServiceCredentials;
    try {
      value = this.#cipher.open(row);
    } catch (error) {
      if (error instanceof SecretIntegrityError || error instanceof SecretKeyMissingError) {
        report.failed.push({ ref: row.ref, keyId: row.key_id, problem: error.problem });
        return;
      }
      throw error;
    }
    await writeRow(tx, this.#cipher.seal(row.ref, value));
    report.reencrypted += 1;
  }
}
