/**
 * The store of one machine: everything in the data folder. Secrets in the FileSecretStore, first sightings in
 * the sweep's JSON record, and the audit log as an append-only JSON-lines file. Right for `up` and a single
 * worker; several machines need the shared PostgreSQL store behind the same Store interface.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { FileSecretStore } from '../security/secret-store';
import { ensurePrivateDir } from '../security/private-dir';
import { FileFirstSeenStore } from '../sweep/first-seen-store';
import { FileUsageLedger } from './file-usage-ledger';
import {
  auditEventSchema,
  auditFilterSchema,
  type AuditEvent,
  type AuditFilter,
  type AuditLog,
  type Store,
} from './types';

export const AUDIT_FILE_NAME = 'audit.jsonl';
export const FIRST_SEEN_FILE_NAME = 'sweep-first-seen.json';
export const USAGE_FILE_NAME = 'usage-ledger.json';

/** Where the file store keeps its parts; the same settings every process of one machine reads. */
export interface FileStoreSettings {
  dataDir: string;
  secretDir: string;
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/** Each line parsed on its own: a line torn by a crash mid-append is skipped, not the whole log. */
function parseLines(text: string): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = auditEventSchema.safeParse(json);
    if (parsed.success) events.push(parsed.data);
  }
  return events;
}

/**
 * Append-only JSON lines, 0600 in a 0700 folder, one event per line. Idempotent on the event id: a retried
 * append finds its id and writes nothing. Appends within one process are serialised, so the check and the
 * write of one id cannot interleave with another's. The schema allows no secret field, and callers put none in
 * `detail`.
 */
export class FileAuditLog implements AuditLog {
  readonly #file: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.#file = path.resolve(file);
  }

  get file(): string {
    return this.#file;
  }

  append(event: AuditEvent): Promise<void> {
    const run = this.#queue.then(() => this.appendNow(auditEventSchema.parse(event)));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(event: AuditEvent): Promise<void> {
    const existing = await this.readAll();
    if (existing.some((e) => e.id === event.id)) return;
    ensurePrivateDir(path.dirname(this.#file), {
      what: 'data folder',
      elsewhere: 'MARKETO_API_USERS_DATA_DIR',
    });
    // O_NOFOLLOW: a symlink planted at the log's name must not send our lines somewhere else.
    const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_APPEND | fsConstants.O_NOFOLLOW;
    const handle = await fs.open(this.#file, flags, 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(event)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async knownIds(ids: string[]): Promise<Set<string>> {
    const wanted = new Set(ids);
    return new Set((await this.readAll()).filter((e) => wanted.has(e.id)).map((e) => e.id));
  }

  /** Every event in the file, in the order written (a torn or invalid line is skipped). */
  async readAll(): Promise<AuditEvent[]> {
    try {
      return parseLines(await fs.readFile(this.#file, 'utf8'));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
  }

  async query(filter: AuditFilter): Promise<AuditEvent[]> {
    const { email, since, kinds, limit } = auditFilterSchema.parse(filter);
    const sinceMs = since === undefined ? undefined : Date.parse(since);
    const wanted = (await this.readAll()).filter(
      (e) =>
        (email === undefined || e.email === email.toLowerCase()) &&
        (sinceMs === undefined || Date.parse(e.at) >= sinceMs) &&
        (kinds === undefined || kinds.includes(e.kind)),
    );
    wanted.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return wanted.slice(-limit);
  }
}

/** Store on one machine's data folder. */
export class FileStore implements Store {
  readonly secrets: FileSecretStore;
  readonly firstSeen: FileFirstSeenStore;
  readonly audit: FileAuditLog;
  readonly usage: FileUsageLedger;

  constructor(settings: FileStoreSettings) {
    this.secrets = new FileSecretStore(settings.secretDir);
    this.firstSeen = new FileFirstSeenStore(path.join(settings.dataDir, FIRST_SEEN_FILE_NAME));
    this.audit = new FileAuditLog(path.join(settings.dataDir, AUDIT_FILE_NAME));
    this.usage = new FileUsageLedger(path.join(settings.dataDir, USAGE_FILE_NAME));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
