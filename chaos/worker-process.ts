/**
 * A lifecycle worker in its own process, for the chaos run: killed with SIGKILL at random moments and
 * restarted. Configured from CHAOS_* variables; prints `ready` once polling. Its secret store records every
 * client secret it is handed (to a capture file outside the logs), so the run can search histories and logs
 * for them after the lifecycles deleted them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import { sandboxAdminConsole } from '../src/marketo/admin-console';
import { DEFAULT_CALL_BUDGET } from '../src/marketo/call-budget';
import { createMarketoClient } from '../src/marketo/client';
import { createNotifierFromEnv } from '../src/notifications';
import { createDataConverter } from '../src/security/data-converter';
import { readKeyFile } from '../src/security/keyring';
import { deriveWorkflowIdKey, workflowIdKeyFingerprint } from '../src/security/workflow-id';
import {
  FileSecretStore,
  type SecretStore,
  type StoredServiceCredentials,
} from '../src/security/secret-store';
import { FileFirstSeenStore } from '../src/sweep';
import { createLifecycleWorkers } from '../src/worker';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

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

async function main(): Promise<void> {
  Runtime.install({
    // INFO, the product's default: the run's secrecy check must see the log lines a deployment writes.
    logger: new DefaultLogger('INFO'),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' } } },
  });
  const dataDir = required('CHAOS_DATA_DIR');
  const baseUrl = required('CHAOS_SANDBOX_URL');
  // 'product': the call budget a deployment runs with (Marketo's recommended limits, per process and on the
  // Marketo task queue), so the run also shows the lifecycles keep up under it; 'unlimited' isolates faults.
  const budgetMode = z.enum(['product', 'unlimited']).parse(process.env.CHAOS_MARKETO_BUDGET ?? 'unlimited');
  const keyring = await readKeyFile(path.join(dataDir, 'keys.json'));
  const connection = await NativeConnection.connect({ address: required('CHAOS_TEMPORAL_ADDRESS') });
  const workers = await createLifecycleWorkers({
    connection,
    taskQueue: required('CHAOS_TASK_QUEUE'),
    dataConverter: createDataConverter(keyring),
    workflowBundle: { code: fs.readFileSync(required('CHAOS_WORKFLOW_BUNDLE'), 'utf8') },
    deps: {
      marketo: createMarketoClient({
        baseUrl,
        clientId: required('CHAOS_CLIENT_ID'),
        clientSecret: required('CHAOS_CLIENT_SECRET'),
        budget: budgetMode === 'product' ? DEFAULT_CALL_BUDGET : 'unlimited',
      }),
      adminConsole: sandboxAdminConsole(baseUrl, required('CHAOS_SANDBOX_ADMIN_TOKEN')),
      secrets: new CapturingSecretStore(
        new FileSecretStore(path.join(dataDir, 'secrets')),
        path.join(dataDir, 'captured-secrets.jsonl'),
      ),
      // The product's own wiring (log notifier, webhook when configured), writing to this process's log file.
      notifier: createNotifierFromEnv(),
      workflowIdKeyFingerprint: workflowIdKeyFingerprint(deriveWorkflowIdKey(keyring)),
      sweep: {
        managedLifecyclesOf: () => Promise.resolve({}),
        currentManagedExpiry: () => Promise.resolve(null),
        memory: new FileFirstSeenStore(path.join(dataDir, `first-seen-${process.pid}.json`)),
      },
    },
    ...(budgetMode === 'product'
      ? {
          marketoBudget: {
            calls: DEFAULT_CALL_BUDGET.calls,
            windowMs: DEFAULT_CALL_BUDGET.windowMs,
            concurrency: DEFAULT_CALL_BUDGET.maxConcurrent,
          },
        }
      : {}),
  });
  const running = workers.map((w) => w.run());
  process.stdout.write(`ready pid=${process.pid}\n`);
  await Promise.all(running);
  await connection.close();
  process.stdout.write('worker stopped\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
