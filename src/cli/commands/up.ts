import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_DATA_DIR } from '../../context';
import { SANDBOX_ADMIN_TOKEN_FILE, startEmbeddedStack } from '../../app/embedded';
import { formatIssues } from '../../domain/lifecycle-request';
import { STORE_CHOICES, type StackStoreKind, type StoreChoice } from '../../app/embedded-store';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import { untilSignal } from '../signals';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  port: { type: 'string' },
  'ui-port': { type: 'string' },
  'sandbox-port': { type: 'string' },
  store: { type: 'string' },
  'metrics-port': { type: 'string' },
} as const;

const DEFAULT_PORT = 7233;
const PORT_RULE = 'must be a port number, a whole number from 1 to 65535';
const portSchema = z
  .string()
  .regex(/^\d+$/, PORT_RULE)
  .transform(Number)
  .pipe(z.number().min(1, PORT_RULE).max(65_535, PORT_RULE));
const portsSchema = z.object({
  port: portSchema.default(DEFAULT_PORT),
  'ui-port': portSchema.optional(),
  'sandbox-port': portSchema.default(3070),
  'metrics-port': portSchema.optional(),
});

export function parsePorts(values: Record<string, unknown>) {
  const parsed = portsSchema.safeParse(values);
  if (!parsed.success) throw new UsageError(formatIssues(parsed.error));
  return { ...parsed.data, 'ui-port': parsed.data['ui-port'] ?? parsed.data.port + 1000 };
}

const storeSchema = z.enum(STORE_CHOICES).optional();

function parseStore(value: unknown): StoreChoice | undefined {
  const parsed = storeSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(['--store: must be embedded or file']);
  return parsed.data;
}

function describeStore(kind: StackStoreKind, dataDir: string): string {
  if (kind === 'postgres') return 'PostgreSQL (MARKETO_API_USERS_DATABASE_URL)';
  return kind === 'embedded' ? `embedded database in ${dataDir}/database` : `files in ${dataDir}`;
}

export const upCommand: Command = {
  help: `Usage: marketo-api-users up [--data-dir DIR] [--port N] [--ui-port N] [--sandbox-port N]
                        [--store embedded|file] [--metrics-port N] [--json]

Everything in one process, until Ctrl-C, SIGTERM or SIGHUP (each drains the worker first; a second one
stops at once): a Temporal dev server persisting to SQLite in the data folder (default ${DEFAULT_DATA_DIR}/), its
Web UI with a codec server (payloads decoded with the data folder's keys, for the UI's origin only, on a free
loopback port: codecEndpoint), the Marketo sandbox (unless MARKETO_BASE_URL points at a real instance) and a worker. However \`up\`
ends, even killed, its Temporal server stops with it. Started again on the same folder it keeps everything:
workflows, timers, sandbox data, the payload key. Other commands find it through DIR/stack.json.

Secrets, the sweep's first sightings, the usage ledger and the audit log go to the PostgreSQL of MARKETO_API_USERS_DATABASE_URL
when it is set; else to an embedded Postgres-compatible database in DIR/database (PGlite: nothing to install),
served on a unix socket only this user can reach; or, with --store file, to files in DIR (one machine only).
\`up\` creates the daily usage collector's schedule (see schedule-usage) when it does not exist yet.

--metrics-port N serves Prometheus metrics on 127.0.0.1:N/metrics: the Temporal SDK's, and the product's own
(marketo_api_users_marketo_calls by kind and answer, so 606/615/607; marketo_api_users_audit_events by kind;
marketo_api_users_sweep_actions by action; the Marketo call budget when one is set).

Examples:
  marketo-api-users up
  marketo-api-users up --data-dir /var/lib/mau --port 7300 --json
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const output = makeOutput(values.json === true);
    const ports = parsePorts(values);
    const store = parseStore(values.store);
    const stopped = untilSignal();
    output.progress('starting');
    const stack = await startEmbeddedStack({
      dataDir: values['data-dir'] ?? process.env.MARKETO_API_USERS_DATA_DIR ?? DEFAULT_DATA_DIR,
      temporalPort: ports.port,
      uiPort: ports['ui-port'],
      sandboxPort: ports['sandbox-port'],
      ...(store === undefined ? {} : { store }),
      ...(ports['metrics-port'] === undefined ? {} : { metricsPort: ports['metrics-port'] }),
      log: (line) => output.progress(line),
    });
    output.done();
    const info = {
      temporalAddress: stack.temporalAddress,
      uiUrl: stack.uiUrl,
      codecEndpoint: stack.codecEndpoint,
      sandboxUrl: stack.sandbox?.baseUrl ?? null,
      marketoBaseUrl: stack.marketoBaseUrl,
      // The local sandbox's own admin credentials, so a person can call it by hand; never a real secret.
      adminClientId: stack.sandbox?.adminClientId ?? null,
      adminClientSecret: stack.sandbox?.adminClientSecret ?? null,
      // The token its /sandbox/* admin endpoints need: only the file's path is printed, never the token.
      sandboxAdminTokenFile: stack.sandbox ? path.join(stack.dataDir, SANDBOX_ADMIN_TOKEN_FILE) : null,
      dataDir: stack.dataDir,
      notificationsFile: stack.notificationsFile,
      store: stack.stack.store,
      metricsUrl:
        ports['metrics-port'] === undefined ? null : `http://127.0.0.1:${ports['metrics-port']}/metrics`,
    };
    if (output.json) {
      output.result(info);
    } else {
      output.line(`Temporal:      ${info.temporalAddress}`);
      output.line(`Temporal UI:   ${info.uiUrl}`);
      output.line(`Codec server:  ${info.codecEndpoint} (the UI shows payloads decoded)`);
      if (stack.sandbox) {
        output.line(`Sandbox:       ${stack.sandbox.baseUrl} (state in ${stack.dataDir})`);
        output.line(`Sandbox admin: client id ${stack.sandbox.adminClientId}`);
        output.line(
          `               client secret ${stack.sandbox.adminClientSecret} (this local sandbox's only)`,
        );
        output.line(`               /sandbox/* admin token in ${info.sandboxAdminTokenFile ?? ''}`);
      } else {
        output.line(`Marketo:       ${info.marketoBaseUrl}`);
      }
      output.line(`Store:         ${describeStore(stack.stack.store, stack.dataDir)}`);
      output.line(`Notifications: ${stack.notificationsFile}`);
      if (info.metricsUrl) output.line(`Metrics:       ${info.metricsUrl}`);
      output.line('Ready. Ctrl-C stops everything.');
    }
    const ended = await Promise.race([
      stopped.then((signal) => ({ signal })),
      stack.temporalExited.then((how) => ({ temporalDied: how })),
    ]);
    if ('temporalDied' in ended) {
      output.done();
      process.stderr.write(
        `error: the Temporal dev server exited while \`up\` ran (${ended.temporalDied}); stopping the worker and the sandbox\n` +
          `hint: see ${stack.dataDir}/temporal.log, then start \`up\` again: it keeps everything in ${stack.dataDir}\n`,
      );
      await stack.stop();
      return EXIT_FAILURE;
    }
    output.progress(`${ended.signal}: shutting down`);
    await stack.stop();
    output.done();
    if (!output.json) output.line('Stopped.');
    return EXIT_OK;
  },
};
