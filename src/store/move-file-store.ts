/**
 * Moves one machine's file store (the data folder) into another store, the shared PostgreSQL: every secret,
 * first sighting, audit event and usage count, under the same refs, userids and ids. Everything is copied and read back
 * before anything leaves the folder, so a move stopped at any point leaves the file store whole (the deployment
 * can go on with it) or the target whole (run the move again to finish): nothing lost, nothing doubled.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SweepMemory } from '../activities/deps';
import type { FileSecretStore, SecretStore, StoredServiceCredentials } from '../security/secret-store';
import { FileStore } from './file-store';
import type { UsageCollection } from '../domain/usage';
import type { AuditEvent, AuditLog, Store, UsageLedger } from './types';

export interface MoveCount {
  moved: number;
  /** Found in the target already: an earlier, interrupted move, or the same event recorded twice. */
  alreadyThere: number;
}

/** Counts and file names only: never a secret. */
export interface MoveReport {
  dryRun: boolean;
  secrets: MoveCount;
  firstSeen: MoveCount;
  auditEvents: MoveCount;
  /** Daily call counts of the usage ledger (a count the target already holds, as large or larger, is there). */
  usageDays: MoveCount;
  /** Where the audit log and the first-seen record went (`<name>.moved`, 0600), kept as evidence. */
  keptAs: string[];
  /** Temp files of secret writes that never finished (plaintext nobody reads), removed with the secret files. */
  abandonedTempFiles: number;
}

export interface MoveOptions {
  /** Count what would move; change neither side. */
  dryRun?: boolean;
  /** Told what is being done (counts, never a value). */
  onProgress?: (text: string) => void;
}

const BATCH = 500;

function batches<T>(items: T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) result.push(items.slice(i, i + BATCH));
  return result;
}

const sameSecret = (a: StoredServiceCredentials | undefined, b: StoredServiceCredentials | undefined) =>
  a !== undefined && b !== undefined && a.clientId === b.clientId && a.clientSecret === b.clientSecret;

/** Grouped by date, because a store records one date for many userids at a time. */
async function moveSightings(
  sightings: [string, string][],
  target: SweepMemory,
  dryRun: boolean,
): Promise<MoveCount> {
  const there = await target.firstSeenOf(sightings.map(([userid]) => userid));
  const byDate = new Map<string, string[]>();
  for (const [userid, at] of sightings) {
    if (!Object.hasOwn(there, userid)) byDate.set(at, [...(byDate.get(at) ?? []), userid]);
  }
  if (!dryRun) for (const [at, userids] of byDate) await target.recordFirstSeen(userids, at);
  const moved = [...byDate.values()].reduce((sum, userids) => sum + userids.length, 0);
  return { moved, alreadyThere: sightings.length - moved };
}

async function moveAuditEvents(
  events: AuditEvent[],
  target: AuditLog,
  dryRun: boolean,
  progress: (text: string) => void,
): Promise<MoveCount> {
  const count: MoveCount = { moved: 0, alreadyThere: 0 };
  for (const batch of batches(events)) {
    const known = await target.knownIds(batch.map((e) => e.id));
    for (const event of batch) {
      if (known.has(event.id)) count.alreadyThere++;
      else {
        if (!dryRun) await target.append(event);
        count.moved++;
      }
    }
    progress(`audit events: ${count.moved + count.alreadyThere} of ${events.length}`);
  }
  return count;
}

/** The source's value wins over an older copy in the target: the deployment ran on the files until now. */
async function moveSecrets(
  refs: string[],
  source: SecretStore,
  target: SecretStore,
  dryRun: boolean,
  progress: (text: string) => void,
): Promise<MoveCount> {
  const count: MoveCount = { moved: 0, alreadyThere: 0 };
  for (const ref of refs) {
    const value = await source.get(ref);
    if (value === undefined) throw new Error(`the secret file of ${ref} went away during the move`);
    if (sameSecret(value, await target.get(ref))) count.alreadyThere++;
    else {
      if (!dryRun) await target.put(ref, value);
      count.moved++;
    }
    progress(`secrets: ${count.moved + count.alreadyThere} of ${refs.length}`);
  }
  return count;
}

function incomplete(what: string): Error {
  return new Error(`${what} did not arrive in the target; nothing was removed from the data folder`);
}

/** Whether the target holds each day of `collection` with at least its count. */
async function usageThere(collection: UsageCollection, target: UsageLedger): Promise<boolean[]> {
  const held = new Map<string, number>();
  for (const userid of new Set(collection.rows.map((row) => row.userid))) {
    for (const { day, calls } of await target.dailyCallsOf(collection.instance, userid)) {
      held.set(JSON.stringify([userid, day]), calls);
    }
  }
  return collection.rows.map((row) => (held.get(JSON.stringify([row.userid, row.day])) ?? -1) >= row.calls);
}

/** The ledger, one collection per instance: the target keeps the larger count of a day, so a repeat is harmless. */
async function moveUsage(
  collections: UsageCollection[],
  target: UsageLedger,
  dryRun: boolean,
): Promise<MoveCount> {
  const count: MoveCount = { moved: 0, alreadyThere: 0 };
  for (const collection of collections) {
    const there = await usageThere(collection, target);
    const fresh = there.filter((found) => !found).length;
    count.moved += fresh;
    count.alreadyThere += there.length - fresh;
    if (!dryRun) await target.record(collection);
  }
  return count;
}

/** Reads everything back from the target; throws before a single file is touched if anything is missing. */
async function verify(
  source: FileStore,
  target: Store,
  moved: { refs: string[]; sightings: [string, string][]; events: AuditEvent[]; usage: UsageCollection[] },
): Promise<void> {
  for (const collection of moved.usage) {
    if ((await usageThere(collection, target.usage)).includes(false)) {
      throw incomplete(`the usage ledger of ${collection.instance}`);
    }
  }
  for (const ref of moved.refs) {
    if (!sameSecret(await source.secrets.get(ref), await target.secrets.get(ref))) {
      throw incomplete(`the secret of ${ref}`);
    }
  }
  const userids = moved.sightings.map(([userid]) => userid);
  const seen = await target.firstSeen.firstSeenOf(userids);
  // hasOwn: a userid such as `constructor` must not find what every object inherits.
  const missingSighting = userids.find((userid) => !Object.hasOwn(seen, userid));
  if (missingSighting !== undefined) throw incomplete(`the first sighting of ${missingSighting}`);
  for (const batch of batches(moved.events)) {
    const known = await target.audit.knownIds(batch.map((e) => e.id));
    const missing = batch.find((e) => !known.has(e.id));
    if (missing) throw incomplete(`audit event ${JSON.stringify(missing.id)}`);
  }
}

/** `<file>.moved` (or `.moved.2`, ... when an earlier move left one): a hard link never replaces a file. */
async function setAside(file: string): Promise<string | undefined> {
  for (let n = 1; ; n++) {
    const name = n === 1 ? `${file}.moved` : `${file}.moved.${n}`;
    try {
      await fs.link(file, name);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'EEXIST') continue;
      throw error;
    }
    await fs.chmod(name, 0o600);
    await fs.unlink(file);
    return name;
  }
}

async function removeSecretFiles(secrets: FileSecretStore, refs: string[]): Promise<number> {
  for (const ref of refs) await secrets.delete(ref);
  return secrets.removeAbandonedTempFiles();
}

/** A move onto the same files would delete the secrets it has just "copied". */
function sharesFiles(source: FileStore, target: Store): boolean {
  return (
    target instanceof FileStore &&
    (target.secrets.dir === source.secrets.dir ||
      target.audit.file === source.audit.file ||
      path.resolve(target.firstSeen.file) === path.resolve(source.firstSeen.file))
  );
}

/**
 * Copies, reads back, and only then removes the secret files (a plaintext copy left behind is what a move to
 * an encrypting store must not leave) and sets the audit log and first-seen record aside as `<name>.moved`.
 * Run it while nothing writes to the data folder. Idempotent: a second run finds nothing to move.
 */
export async function moveFileStore(
  source: FileStore,
  target: Store,
  options: MoveOptions = {},
): Promise<MoveReport> {
  if (sharesFiles(source, target)) {
    throw new Error(`refusing to move the file store of ${path.dirname(source.audit.file)} onto itself`);
  }
  const dryRun = options.dryRun === true;
  const progress = options.onProgress ?? (() => undefined);
  progress('reading the data folder');
  const moved = {
    refs: await source.secrets.refs(),
    sightings: source.firstSeen.entries(),
    events: await source.audit.readAll(),
    usage: await source.usage.collections(),
  };
  progress(`first sightings: ${moved.sightings.length}`);
  const firstSeen = await moveSightings(moved.sightings, target.firstSeen, dryRun);
  const auditEvents = await moveAuditEvents(moved.events, target.audit, dryRun, progress);
  const secrets = await moveSecrets(moved.refs, source.secrets, target.secrets, dryRun, progress);
  const usageDays = await moveUsage(moved.usage, target.usage, dryRun);
  const report: MoveReport = {
    dryRun,
    secrets,
    firstSeen,
    auditEvents,
    usageDays,
    keptAs: [],
    abandonedTempFiles: 0,
  };
  if (dryRun) return report;
  progress('reading everything back from the target');
  await verify(source, target, moved);
  progress('removing the secret files');
  report.abandonedTempFiles = await removeSecretFiles(source.secrets, moved.refs);
  for (const file of [source.audit.file, source.firstSeen.file, source.usage.file]) {
    const kept = await setAside(file);
    if (kept !== undefined) report.keptAs.push(kept);
  }
  return report;
}
