/**
 * The one place that builds the activities' dependencies. The worker entry, `up`/`demo`, the tests, the bench
 * and chaos all call buildActivityDeps; what they need differently (a recording notifier, a garbling or
 * capturing secret store, their own Marketo client) they pass as overrides instead of rebuilding the rest.
 */
import type { Writable } from 'node:stream';
import type { WorkflowClient } from '@temporalio/client';
import type { ActivityDeps } from '../activities';
import { operatorOnlyConsole } from '../marketo/admin-console';
import { createMarketoClient, type MarketoClientOptions } from '../marketo/client';
import { createNotifierFromEnv } from '../notifications';
import { sandboxAdminConsole } from '../sandbox/admin-console-client';
import type { Keyring } from '../security/keyring';
import type { SecretStore } from '../security/secret-store';
import { FileStore } from '../store/file-store';
import type { Store } from '../store/types';
import { deriveWorkflowIdKey, lifecycleWorkflowId, workflowIdKeyFingerprint } from '../security/workflow-id';
import { createSweepDeps } from './sweep-deps';
import type { AppConfig } from './config';
import type { ProductMetrics } from './product-metrics';

/** What the settings alone cannot say: the live Marketo connection, the keys, the instance and a client. */
export interface DepsContext {
  config: AppConfig;
  /** The connection activities use: the configured instance, or the embedded sandbox's admin app. */
  marketo: MarketoClientOptions;
  keyring: Keyring;
  instanceId: string;
  /** For the sweep's lookups of lifecycles: the same cluster and keys as the workers. */
  workflowClient: WorkflowClient;
  /** Secrets, first sightings and the audit log (openStore's); default the file store of the data folder. */
  store?: Store;
  /** The product's metrics (Marketo calls, audit events, sweep actions); none when omitted. */
  metrics?: ProductMetrics;
}

export interface DepsOverrides extends Partial<ActivityDeps> {
  /** Wraps the store's secrets (a test garbling secrets, chaos capturing them) instead of replacing it. */
  wrapSecrets?: (inner: SecretStore) => SecretStore;
  /** Where the log notifier writes (`up` keeps stdout for the command's own output). */
  notificationStream?: Writable;
}

/** The workflow ids of one instance and key, and the fingerprint that names the key. */
export interface WorkflowIds {
  workflowIdFor: (email: string) => string;
  workflowIdKeyFingerprint: string;
}

export function workflowIds(keyring: Keyring, instanceId: string, env: NodeJS.ProcessEnv): WorkflowIds {
  const idKey = deriveWorkflowIdKey(keyring, env);
  return {
    workflowIdFor: (email) => lifecycleWorkflowId(instanceId, email, idKey),
    workflowIdKeyFingerprint: workflowIdKeyFingerprint(idKey),
  };
}

/** The client's own `onCall` (a test's) and the metrics' both hear every call. */
function withCallMetrics(
  options: MarketoClientOptions,
  metrics: ProductMetrics | undefined,
): MarketoClientOptions {
  if (!metrics) return options;
  const own = options.onCall;
  return {
    ...options,
    onCall: (event) => {
      own?.(event);
      metrics.marketoCall(event);
    },
  };
}

export function buildActivityDeps(context: DepsContext, overrides: DepsOverrides = {}): ActivityDeps {
  const { config } = context;
  const { wrapSecrets, notificationStream, ...replaced } = overrides;
  const ids = workflowIds(context.keyring, context.instanceId, config.env);
  const store = context.store ?? new FileStore(config);
  const files = replaced.secrets ?? store.secrets;
  const { metrics } = context;
  const audit = replaced.audit ?? store.audit;
  return {
    marketo: replaced.marketo ?? createMarketoClient(withCallMetrics(context.marketo, metrics)),
    adminConsole:
      replaced.adminConsole ??
      (config.adminConsole.mode === 'sandbox'
        ? sandboxAdminConsole(context.marketo.baseUrl, config.adminConsole.token)
        : operatorOnlyConsole),
    secrets: wrapSecrets ? wrapSecrets(files) : files,
    audit: metrics ? metrics.countingAudit(audit) : audit,
    usage: replaced.usage ?? store.usage,
    notifier:
      replaced.notifier ??
      createNotifierFromEnv(config.env, notificationStream ? { stream: notificationStream } : {}),
    workflowIdKeyFingerprint: replaced.workflowIdKeyFingerprint ?? ids.workflowIdKeyFingerprint,
    sweep:
      replaced.sweep ??
      createSweepDeps(
        context.workflowClient,
        { taskQueue: config.taskQueue, workflowIdFor: ids.workflowIdFor },
        store.firstSeen,
      ),
  };
}
