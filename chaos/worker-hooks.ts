/**
 * Hooks (MARKETO_API_USERS_WORKER_HOOKS) for the product's worker entry in the chaos run, whose workers are
 * killed with SIGKILL at random moments and restarted. Logs at INFO, the product's default: the run's secrecy
 * check must see the log lines a deployment writes. The secret store records every client secret it is handed
 * (to a capture file outside the logs), so the run can search histories and logs for them after the lifecycles
 * deleted them. Every store call that fails with StoreUnavailableError (the run restarts PostgreSQL) is noted in
 * an outage file, so the run knows its outage was felt by the activities and not only scheduled. Prints
 * `ready pid=<pid>` once polling.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { WorkerHooks } from '../src/app/worker';
import type { SecretStore, StoredServiceCredentials } from '../src/security/secret-store';
import type { AuditEvent, AuditFilter, AuditLog } from '../src/store/types';

/** The capture file in the run's data folder. */
const CAPTURE_FILE = 'captured-secrets.jsonl';
/** One line per store call that found the database down: `{"op":"secrets.put","at":"..."}`, never a value. */
export const STORE_OUTAGE_FILE = 'store-outages.jsonl';

/** By name, not instanceof: the chaos run must not load the pg driver to read this file's constant. */
function noteOutage(outageFile: string, op: string) {
  return (error: unknown): never => {
    if (error instanceof Error && error.name === 'StoreUnavailableError')
      fs.appendFileSync(outageFile, JSON.stringify({ op, at: new Date().toISOString() }) + '\n');
    throw error;
  };
}

/** Writes each secret to the capture file before the store gets it: a kill after `put` loses none. */
class CapturingSecretStore implements SecretStore {
  constructor(
    private readonly inner: SecretStore,
    private readonly captureFile: string,
    private readonly outageFile: string,
  ) {}

  put(ref: string, value: StoredServiceCredentials): Promise<void> {
    fs.appendFileSync(
      this.captureFile,
      JSON.stringify({ ref, clientId: value.clientId, clientSecret: value.clientSecret }) + '\n',
      { mode: 0o600 },
    );
    return this.inner.put(ref, value).catch(noteOutage(this.outageFile, 'secrets.put'));
  }

  get(ref: string): Promise<StoredServiceCredentials | undefined> {
    return this.inner.get(ref).catch(noteOutage(this.outageFile, 'secrets.get'));
  }

  delete(ref: string): Promise<void> {
    return this.inner.delete(ref).catch(noteOutage(this.outageFile, 'secrets.delete'));
  }
}

class OutageNotingAuditLog implements AuditLog {
  constructor(
    private readonly inner: AuditLog,
    private readonly outageFile: string,
  ) {}

  append(event: AuditEvent): Promise<void> {
    return this.inner.append(event).catch(noteOutage(this.outageFile, 'audit.append'));
  }

  query(filter: AuditFilter): Promise<AuditEvent[]> {
    return this.inner.query(filter).catch(noteOutage(this.outageFile, 'audit.query'));
  }

  knownIds(ids: string[]): Promise<Set<string>> {
    return this.inner.knownIds(ids).catch(noteOutage(this.outageFile, 'audit.knownIds'));
  }
}

export const hooks: WorkerHooks = {
  setUp() {
    Runtime.install({
      logger: new DefaultLogger('INFO'),
      telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' } } },
    });
  },
  deps(deps) {
    const dataDir = process.env.MARKETO_API_USERS_DATA_DIR;
    if (!dataDir) throw new Error('MARKETO_API_USERS_DATA_DIR is required');
    const outageFile = path.join(dataDir, STORE_OUTAGE_FILE);
    return {
      ...deps,
      secrets: new CapturingSecretStore(deps.secrets, path.join(dataDir, CAPTURE_FILE), outageFile),
      audit: new OutageNotingAuditLog(deps.audit, outageFile),
    };
  },
  started() {
    process.stdout.write(`ready pid=${process.pid}\n`);
  },
  stopped() {
    process.stdout.write('worker stopped\n');
  },
};
