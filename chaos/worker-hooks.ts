/**
 * Hooks (MARKETO_API_USERS_WORKER_HOOKS) for the product's worker entry in the chaos run, whose workers are
 * killed with SIGKILL at random moments and restarted. Logs at INFO, the product's default: the run's secrecy
 * check must see the log lines a deployment writes. The secret store records every client secret it is handed
 * (to a capture file outside the logs), so the run can search histories and logs for them after the lifecycles
 * deleted them. Prints `ready pid=<pid>` once polling.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { WorkerHooks } from '../src/app/worker';
import type { SecretStore, StoredServiceCredentials } from '../src/security/secret-store';

/** The capture file in the run's data folder. */
const CAPTURE_FILE = 'captured-secrets.jsonl';

/** Writes each secret to the capture file before the store gets it: a kill after `put` loses none. */
class CapturingSecretStore implements SecretStore {
  constructor(
    private readonly inner: SecretStore,
    private readonly captureFile: string,
  ) {}

  put(ref: string, value: StoredServiceCredentials): Promise<void> {
    fs.appendFileSync(
      this.captureFile,
      JSON.stringify({ ref, clientId: value.clientId, clientSecret: value.clientSecret }) + '\n',
      { mode: 0o600 },
    );
    return this.inner.put(ref, value);
  }

  get(ref: string): Promise<StoredServiceCredentials | undefined> {
    return this.inner.get(ref);
  }

  delete(ref: string): Promise<void> {
    return this.inner.delete(ref);
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
    return { ...deps, secrets: new CapturingSecretStore(deps.secrets, path.join(dataDir, CAPTURE_FILE)) };
  },
  started() {
    process.stdout.write(`ready pid=${process.pid}\n`);
  },
  stopped() {
    process.stdout.write('worker stopped\n');
  },
};
