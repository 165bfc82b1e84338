import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir } from './private-dir';
import { LIFECYCLE_SECRET_SCHEME, lifecycleSecretKey } from '../domain/secret-refs';

/** Env var naming the directory of {@link FileSecretStore}. */
export const SECRET_DIR_ENV = 'MARKETO_API_USERS_SECRET_DIR';

export const storedServiceCredentialsSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});
export type StoredServiceCredentials = z.infer<typeof storedServiceCredentialsSchema>;

/**
 * Where client secrets of Marketo custom services live. Workflow history only ever holds the ref
 * (`<scheme>:<key>`); the scheme picks the implementation, so Vault or AWS Secrets Manager can be
 * added behind this interface without touching workflows.
 */
export interface SecretStore {
  put(ref: string, value: StoredServiceCredentials): Promise<void>;
  get(ref: string): Promise<StoredServiceCredentials | undefined>;
  /** Idempotent: deleting a missing ref succeeds. */
  delete(ref: string): Promise<void>;
}

export class SecretRefError extends Error {
  override readonly name = 'SecretRefError';
}

export interface ParsedSecretRef {
  scheme: string;
  key: string;
}

const SCHEME = /^[a-z][a-z0-9-]{0,31}$/;
const KEY_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const MAX_KEY_LENGTH = 512;

/**
 * Strict on purpose: keys are relative, `/`-separated segments of `A-Z a-z 0-9 . _ -`, with no empty,
 * `.` or `..` segment. That rules out traversal and absolute paths for any backend, not just files.
 */
export function parseSecretRef(ref: string): ParsedSecretRef {
  const colon = ref.indexOf(':');
  const scheme = colon > 0 ? ref.slice(0, colon) : '';
  const key = ref.slice(colon + 1);
  if (!SCHEME.test(scheme)) {
    throw new SecretRefError(
      `secret ref must look like <scheme>:<key>, e.g. file:lifecycle/<workflowId>/custom-service`,
    );
  }
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new SecretRefError(`secret ref key must be 1-${MAX_KEY_LENGTH} characters`);
  }
  for (const segment of key.split('/')) {
    if (!KEY_SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw new SecretRefError(
        `secret ref key ${JSON.stringify(key.slice(0, 100))} is not allowed: use relative /-separated ` +
          `segments of A-Z a-z 0-9 . _ - (no empty, "." or ".." segments, no leading /)`,
      );
    }
  }
  return { scheme, key };
}

export function formatSecretRef(scheme: string, key: string): string {
  const ref = `${scheme}:${key}`;
  parseSecretRef(ref);
  return ref;
}

/** `file:lifecycle/<workflowId>/custom-service` by default; validated, so a weird workflow id fails here. */
export function secretRefFor(workflowId: string, scheme = FileSecretStore.scheme): string {
  return formatSecretRef(scheme, lifecycleSecretKey(workflowId));
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

// What sits on disk: the ref is kept to detect a file that does not belong to the ref it was read for.
const fileContentSchema = z.object({
  version: z.literal(1),
  ref: z.string(),
  value: storedServiceCredentialsSchema,
});

/**
 * One file per ref, named by the SHA-256 of the ref key: no part of the ref ever becomes a path, and
 * the directory listing reveals no workflow ids. Directory 0700, files 0600, writes atomic (temp file
 * + rename) so a crash never leaves half a secret. Errors name the ref, never the value.
 */
export class FileSecretStore implements SecretStore {
  static readonly scheme = LIFECYCLE_SECRET_SCHEME;
  readonly #dir: string;
  #dirReady: Promise<void> | undefined;

  constructor(dir: string) {
    this.#dir = path.resolve(dir);
  }

  get dir(): string {
    return this.#dir;
  }

  /** Absolute path of the file that holds `ref` (exists or not). */
  pathFor(ref: string): string {
    const { scheme, key } = parseSecretRef(ref);
    if (scheme !== FileSecretStore.scheme) {
      throw new SecretRefError(
        `FileSecretStore only handles "${FileSecretStore.scheme}:" refs, got scheme "${scheme}"`,
      );
    }
    const name = createHash('sha256').update(key, 'utf8').digest('hex');
    return path.join(this.#dir, `${name}.json`);
  }

  async put(ref: string, value: StoredServiceCredentials): Promise<void> {
    const file = this.pathFor(ref);
    const parsed = storedServiceCredentialsSchema.safeParse(value);
    if (!parsed.success) {
      throw new Error(
        `refusing to store invalid credentials for ${ref}: clientId and clientSecret must be non-empty`,
      );
    }
    await this.ensureDir();
    const tmp = path.join(
      this.#dir,
      `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
    );
    const body = JSON.stringify({ version: 1, ref, value: parsed.data });
    // 0600 from creation on, and O_EXCL so a planted symlink at the temp name is never followed.
    const handle = await fs.open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    try {
      await handle.writeFile(body, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(tmp, file);
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
  }

  async get(ref: string): Promise<StoredServiceCredentials | undefined> {
    const file = this.pathFor(ref);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // JSON.parse messages quote the text, i.e. the secret.
      throw new Error(`secret file for ${ref} (${file}) is not valid JSON`);
    }
    const parsed = fileContentSchema.safeParse(json);
    if (!parsed.success) throw new Error(`secret file for ${ref} (${file}) has an unexpected shape`);
    if (parsed.data.ref !== ref) throw new Error(`secret file ${file} belongs to another ref, not ${ref}`);
    return parsed.data.value;
  }

  async delete(ref: string): Promise<void> {
    await fs.rm(this.pathFor(ref), { force: true });
  }

  /**
   * Every ref with a secret here, read from the files (their names are hashes). A file that is not one of ours,
   * or sits under another ref's name, stops the listing: whoever moves secrets away must not skip one silently.
   */
  async refs(): Promise<string[]> {
    const refs: string[] = [];
    for (const name of await this.names()) {
      if (name.startsWith('.') || !name.endsWith('.json')) continue;
      const file = path.join(this.#dir, name);
      const raw = await this.#readRef(file);
      if (raw === undefined || this.pathFor(raw) !== file) {
        throw new Error(`${file} is not a secret file of this store (unexpected shape or name)`);
      }
      refs.push(raw);
    }
    return refs.sort();
  }

  /**
   * Removes the temp files of writes that never reached their rename (a crash mid-put): each holds a plaintext
   * secret nobody reads. Only while no process writes here, or a write in flight loses its file.
   */
  async removeAbandonedTempFiles(): Promise<number> {
    const temps = (await this.names()).filter((name) => name.startsWith('.') && name.endsWith('.tmp'));
    for (const name of temps) await fs.rm(path.join(this.#dir, name), { force: true });
    return temps.length;
  }

  private async names(): Promise<string[]> {
    try {
      return await fs.readdir(this.#dir);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
  }

  async #readRef(file: string): Promise<string | undefined> {
    try {
      const parsed = fileContentSchema.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
      return parsed.success ? parsed.data.ref : undefined;
    } catch (error) {
      if (error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  private ensureDir(): Promise<void> {
    // A folder others can write to would let them swap a secret file; one we did not create is not ours to chmod.
    this.#dirReady ??= Promise.resolve()
      .then(() => {
        ensurePrivateDir(this.#dir, { what: 'secret folder', elsewhere: SECRET_DIR_ENV });
      })
      .catch((error: unknown) => {
        this.#dirReady = undefined;
        throw error;
      });
    return this.#dirReady;
  }
}
