import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

const millis = z.number().int();
const pair = z.object({ accessRoleId: z.number().int(), workspaceId: z.number().int() });

const persistedStateSchema = z.object({
  version: z.literal(1),
  // The admin secret is the one secret kept in clear: the sandbox shows it at start and hands it to
  // in-process callers, which a hash could not do. The file is written with mode 0600.
  adminClientId: z.string().min(1),
  adminClientSecret: z.string().min(1),
  nextUserId: z.number().int(),
  nextRoleId: z.number().int(),
  roles: z.array(
    z.object({
      id: z.number().int(),
      name: z.string(),
      description: z.string(),
      type: z.enum(['system', 'custom']),
      hidden: z.boolean(),
      onlyAllZones: z.boolean(),
      permissions: z.array(z.string()),
      createdAt: millis,
      updatedAt: millis,
    }),
  ),
  workspaces: z.array(
    z.object({
      id: z.number().int(),
      name: z.string(),
      description: z.string(),
      globalViz: z.number().int(),
      currencyInfo: z.string(),
      createdAt: millis,
      updatedAt: millis,
    }),
  ),
  users: z.array(
    z.object({
      id: z.number().int(),
      userid: z.string(),
      emailAddress: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      apiOnly: z.boolean(),
      status: z.enum(['pending', 'active']),
      roles: z.array(pair),
      expiresAt: millis.nullable(),
      expiresAtSetAt: millis.nullable(),
      pastLocks: z.array(z.object({ lockedAt: millis, unlockedAt: millis })),
      unlockedByAdminAt: millis.nullable().optional(),
      reason: z.string().nullable(),
      origin: z.enum(['api', 'operator', 'seed', 'builtin']),
      createdAt: millis,
      updatedAt: millis,
      lastLoginAt: millis.nullable(),
    }),
  ),
  services: z.array(
    z.object({
      clientId: z.string(),
      clientSecretSha256: z.string().regex(/^[0-9a-f]{64}$/),
      displayName: z.string(),
      description: z.string(),
      ownerUserId: z.number().int(),
      isAdmin: z.boolean(),
      createdAt: millis,
    }),
  ),
});

export type PersistedState = z.infer<typeof persistedStateSchema>;

export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/** Reads the state file, or undefined when there is none yet. A damaged file is an error, never silently replaced. */
export function loadStateFile(path: string): PersistedState | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new StateFileError(`sandbox state file ${path} is not JSON: ${(error as Error).message}`);
  }
  const result = persistedStateSchema.safeParse(parsed);
  if (!result.success) {
    throw new StateFileError(
      `sandbox state file ${path} has an unexpected shape: ${z.prettifyError(result.error)}`,
    );
  }
  return result.data;
}

const WRITE_DELAY_MS = 50;

/** The file operations an atomic, durable write needs; node's `fs/promises` by default, a recorder in tests. */
export interface DurableFs {
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  open(path: string, flags: 'w' | 'r', mode?: number): Promise<SyncableFile>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: true }): Promise<void>;
}

export interface SyncableFile {
  writeFile(text: string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

const nodeFs: DurableFs = { mkdir, open, rename, rm };

/**
 * Writes the state at most every WRITE_DELAY_MS after a change, always as tmp file + rename so a crash
 * mid-write leaves the previous complete file. Writes are chained, never concurrent.
 */
export class StateFileWriter {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private dirty = false;
  private writeCount = 0;
  private lastError: Error | undefined;

  constructor(
    private readonly path: string,
    private readonly serialize: () => PersistedState,
    private readonly reportError: (message: string) => void,
    private readonly fs: DurableFs = nodeFs,
  ) {}

  markDirty(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enqueueWrite().catch(() => {
        // already reported and remembered for the next flush
      });
    }, WRITE_DELAY_MS);
    this.timer.unref();
  }

  /** Writes now if anything changed, and rethrows a failure of any earlier background write. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.enqueueWrite().catch(() => undefined);
    const failure = this.lastError;
    this.lastError = undefined;
    if (failure) throw failure;
  }

  private enqueueWrite(): Promise<void> {
    // A failed write must not stop later ones, so each write starts from a settled chain.
    this.chain = this.chain
      .catch(() => undefined)
      .then(async () => {
        if (!this.dirty) return;
        this.dirty = false;
        try {
          await this.writeAtomically(JSON.stringify(this.serialize()));
          this.lastError = undefined;
        } catch (error) {
          this.dirty = true;
          this.lastError = error instanceof Error ? error : new Error(String(error));
          this.reportError(`sandbox: could not write state file ${this.path}: ${this.lastError.message}`);
          throw this.lastError;
        }
      });
    return this.chain;
  }

  private async writeAtomically(text: string): Promise<void> {
    const directory = dirname(this.path);
    await this.fs.mkdir(directory, { recursive: true });
    const tmp = `${this.path}.${process.pid}.${++this.writeCount}.tmp`;
    try {
      const file = await this.fs.open(tmp, 'w', 0o600);
      try {
        await file.writeFile(text);
        // Without this, a crash soon after the rename can leave the new name pointing at an empty file:
        // the rename may reach the disk before the data does.
        await file.sync();
      } finally {
        await file.close();
      }
      await this.fs.rename(tmp, this.path);
    } catch (error) {
      await this.fs.rm(tmp, { force: true });
      throw error;
    }
    await this.syncDirectory(directory);
  }

  /** Makes the rename itself durable. Best effort: some platforms (Windows) cannot open a directory. */
  private async syncDirectory(directory: string): Promise<void> {
    let handle: SyncableFile;
    try {
      handle = await this.fs.open(directory, 'r');
    } catch {
      return;
    }
    try {
      await handle.sync();
    } catch {
      // EINVAL / EISDIR on file systems that do not sync directories: the file itself is already synced.
    } finally {
      await handle.close();
    }
  }
}
