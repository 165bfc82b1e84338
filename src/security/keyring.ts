import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';

/** `<keyId>:<base64 32 bytes>[,<keyId>:<base64>...]`, first is current. Wins over the key file when set. */
export const PAYLOAD_KEY_ENV = 'MARKETO_API_USERS_PAYLOAD_KEY';
/** Base64 of 32 bytes: the HMAC key behind workflow ids. Overrides the key file's `workflowIdKey`. */
export const WORKFLOW_ID_KEY_ENV = 'MARKETO_API_USERS_WORKFLOW_ID_KEY';
/** Path of the key file, used when {@link PAYLOAD_KEY_ENV} is not set. */
export const KEY_FILE_ENV = 'MARKETO_API_USERS_KEY_FILE';

export const KEY_BYTES = 32;

// Key ids travel in payload metadata and error messages, so they must be short and boring.
const keyIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'key id must be 1-64 chars of A-Z a-z 0-9 . _ - (letter/digit first)',
  );

// Errors from here may end up in logs, so the schema never echoes the input (the key itself).
const base64KeySchema = z.string().refine(
  (value) => {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
    return Buffer.from(value, 'base64').length === KEY_BYTES;
  },
  { message: `must be base64 of exactly ${KEY_BYTES} bytes` },
);

const keyFileSchema = z
  .object({
    version: z.literal(1).optional(),
    current: keyIdSchema,
    keys: z.record(keyIdSchema, base64KeySchema),
    workflowIdKey: base64KeySchema.optional(),
  })
  .refine((file) => Object.hasOwn(file.keys, file.current), {
    message: 'current must name one of keys',
    path: ['current'],
  });

export type KeyFile = z.infer<typeof keyFileSchema>;

export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

/**
 * Payload encryption keys by id plus the workflow id HMAC key.
 *
 * Key bytes live in private fields and the class overrides inspect/toJSON, so logging a keyring
 * (or an object holding one) shows ids only, never key material.
 */
export class Keyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #workflowIdKey: Buffer | undefined;

  constructor(
    readonly currentKeyId: string,
    keys: ReadonlyMap<string, Buffer>,
    workflowIdKey: Buffer | undefined,
    /** Where the keys came from, for error messages: never the keys. */
    readonly source: string,
  ) {
    if (!keyIdSchema.safeParse(currentKeyId).success)
      throw new KeyringError(`${source}: invalid current key id`);
    for (const [id, key] of keys) {
      if (!keyIdSchema.safeParse(id).success) throw new KeyringError(`${source}: invalid key id`);
      if (key.length !== KEY_BYTES)
        throw new KeyringError(`${source}: key "${id}" is not ${KEY_BYTES} bytes`);
    }
    if (!keys.has(currentKeyId))
      throw new KeyringError(`${source}: current key "${currentKeyId}" is missing`);
    if (workflowIdKey !== undefined && workflowIdKey.length !== KEY_BYTES) {
      throw new KeyringError(`${source}: workflowIdKey is not ${KEY_BYTES} bytes`);
    }
    this.#keys = new Map(keys);
    this.#workflowIdKey = workflowIdKey;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  currentKey(): Buffer {
    const key = this.#keys.get(this.currentKeyId);
    // The constructor guarantees it; the check keeps the type honest.
    if (!key) throw new KeyringError(`${this.source}: current key is missing`);
    return key;
  }

  /** Raw secret behind workflow ids, if the source has one; see deriveWorkflowIdKey in workflow-id.ts. */
  get workflowIdKey(): Buffer | undefined {
    return this.#workflowIdKey;
  }

  toJSON(): { currentKeyId: string; keyIds: string[]; source: string } {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds, source: this.source };
  }

  [inspect.custom](): string {
    return `Keyring { current: ${this.currentKeyId}, keys: [${this.keyIds.join(', ')}], source: ${this.source} }`;
  }
}

function decodeKey(base64: string): Buffer {
  return Buffer.from(base64, 'base64');
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Parses {@link PAYLOAD_KEY_ENV}'s format. Messages name entries by position, never by value. */
export function parsePayloadKeyList(
  value: string,
  workflowIdKeyBase64?: string,
  source = `env ${PAYLOAD_KEY_ENV}`,
): Keyring {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new KeyringError(`${source} is empty; expected <keyId>:<base64 32 bytes>`);
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) {
      throw new KeyringError(`${source}: entry #${index + 1} is not <keyId>:<base64 32 bytes>`);
    }
    const id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!keyIdSchema.safeParse(id).success) {
      throw new KeyringError(`${source}: entry #${index + 1} has an invalid key id`);
    }
    if (!base64KeySchema.safeParse(encoded).success) {
      throw new KeyringError(`${source}: key "${id}" must be base64 of exactly ${KEY_BYTES} bytes`);
    }
    if (keys.has(id)) throw new KeyringError(`${source}: key id "${id}" appears twice`);
    keys.set(id, decodeKey(encoded));
  });
  const workflowIdKey = parseWorkflowIdKey(workflowIdKeyBase64);
  const [currentKeyId] = keys.keys();
  return new Keyring(currentKeyId as string, keys, workflowIdKey, source);
}

/** Parses {@link WORKFLOW_ID_KEY_ENV}'s value; undefined when unset or blank. */
export function parseWorkflowIdKey(base64: string | undefined): Buffer | undefined {
  if (base64 === undefined || base64.trim() === '') return undefined;
  if (!base64KeySchema.safeParse(base64.trim()).success) {
    throw new KeyringError(`${WORKFLOW_ID_KEY_ENV} must be base64 of exactly ${KEY_BYTES} bytes`);
  }
  return decodeKey(base64.trim());
}

/** The keyring from {@link PAYLOAD_KEY_ENV}, or undefined when that variable is unset or blank. */
export function keyringFromEnv(env: NodeJS.ProcessEnv = process.env): Keyring | undefined {
  const value = env[PAYLOAD_KEY_ENV];
  if (value === undefined || value.trim() === '') return undefined;
  return parsePayloadKeyList(value, env[WORKFLOW_ID_KEY_ENV]);
}

function keyringFromFile(file: KeyFile, keyFilePath: string, env: NodeJS.ProcessEnv): Keyring {
  const keys = new Map(Object.entries(file.keys).map(([id, key]) => [id, decodeKey(key)] as const));
  const override = parseWorkflowIdKey(env[WORKFLOW_ID_KEY_ENV]);
  const workflowIdKey = override ?? (file.workflowIdKey ? decodeKey(file.workflowIdKey) : undefined);
  return new Keyring(file.current, keys, workflowIdKey, `key file ${keyFilePath}`);
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

async function readKeyFileRaw(keyFilePath: string): Promise<KeyFile> {
  const stat = await fs.stat(keyFilePath);
  // Like ssh with private keys: a key file others can read is as good as leaked, so refuse it loudly.
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new KeyringError(
      `key file ${keyFilePath} is accessible by group/others (mode ${(stat.mode & 0o777).toString(8)}); ` +
        `run: chmod 600 ${keyFilePath}`,
    );
  }
  const text = await fs.readFile(keyFilePath, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // SyntaxError messages quote the input, which is key material.
    throw new KeyringError(`key file ${keyFilePath} is not valid JSON`);
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new KeyringError(`key file ${keyFilePath} is invalid: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Reads and validates an existing key file (must be mode 0600 or stricter). */
export async function readKeyFile(
  keyFilePath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Keyring> {
  return keyringFromFile(await readKeyFileRaw(keyFilePath), keyFilePath, env);
}

function newKeyId(existing: Iterable<string>): string {
  const taken = new Set(existing);
  // Date first so ids sort by age when an operator lists them; random suffix avoids same-second clashes.
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  for (;;) {
    const id = `k${stamp}-${randomBytes(3).toString('hex')}`;
    if (!taken.has(id)) return id;
  }
}

function newKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

async function writeTempKeyFile(keyFilePath: string, file: KeyFile): Promise<string> {
  const dir = path.dirname(keyFilePath);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(
    dir,
    `.${path.basename(keyFilePath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  // O_EXCL + 0600 at creation: the key is never readable by others, not even between write and chmod.
  const handle = await fs.open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return tmp;
}

/**
 * Reads the key file, creating it with a fresh key and workflow id key when missing, so an embedded
 * setup keeps decrypting its own history across restarts. Two processes racing to create it end up
 * with the same file: creation uses link(), which never replaces an existing file.
 */
export async function loadOrCreateKeyFile(
  keyFilePath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Keyring> {
  try {
    return await readKeyFile(keyFilePath, env);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  const id = newKeyId([]);
  const file: KeyFile = { version: 1, current: id, keys: { [id]: newKey() }, workflowIdKey: newKey() };
  const tmp = await writeTempKeyFile(keyFilePath, file);
  try {
    await fs.link(tmp, keyFilePath);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return readKeyFile(keyFilePath, env);
}

/**
 * Adds a new current key to the key file, keeping every old key so existing history still decodes.
 * Also adds a workflow id key if an old file lacks one. Returns the new keyring.
 */
export async function rotateKeyFile(
  keyFilePath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Keyring> {
  const file = await readKeyFileRaw(keyFilePath);
  const id = newKeyId(Object.keys(file.keys));
  const next: KeyFile = {
    version: 1,
    current: id,
    keys: { ...file.keys, [id]: newKey() },
    // Never rotated: workflow ids derived from it must stay findable.
    workflowIdKey: file.workflowIdKey ?? newKey(),
  };
  const tmp = await writeTempKeyFile(keyFilePath, next);
  try {
    await fs.rename(tmp, keyFilePath);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  return keyringFromFile(next, keyFilePath, env);
}

export interface LoadKeyringOptions {
  env?: NodeJS.ProcessEnv;
  /** Used when neither {@link PAYLOAD_KEY_ENV} nor {@link KEY_FILE_ENV} is set; created when missing. */
  defaultKeyFile: string;
}

/** The one entry point for the client, worker and CLI: env keys win, else the (auto-created) key file. */
export async function loadKeyring(options: LoadKeyringOptions): Promise<Keyring> {
  const env = options.env ?? process.env;
  const fromEnv = keyringFromEnv(env);
  if (fromEnv) return fromEnv;
  const keyFile = env[KEY_FILE_ENV]?.trim() || options.defaultKeyFile;
  return loadOrCreateKeyFile(keyFile, env);
}
