import type { ServiceCredentials } from '../../client';
import { ACTOR_OPTION, actorOf } from '../actor';
import { COMMON_OPTIONS, parseCommandArgs, requirePositional } from '../args';
import { clientApi } from '../client-api';
import { EXIT_OK, UsageError } from '../errors';
import { writeSecretFile } from '../secret-file';
import type { Command } from './types';

const FORMATS = ['env', 'dotenv', 'json'] as const;
type Format = (typeof FORMATS)[number];

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...ACTOR_OPTION,
  reason: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
  force: { type: 'boolean' },
} as const;

/** POSIX single quotes: nothing inside is expanded, a quote is closed, escaped and reopened. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** dotenv readers (docker --env-file, systemd, the dotenv libraries) take a plain value; quote only when needed. */
function dotenvValue(value: string): string {
  return /^[\w.:/+=@-]*$/.test(value) ? value : JSON.stringify(value);
}

function variables(c: ServiceCredentials): [string, string][] {
  return [
    ['MARKETO_CLIENT_ID', c.clientId],
    ['MARKETO_CLIENT_SECRET', c.clientSecret],
    ...(c.marketoBaseUrl ? ([['MARKETO_BASE_URL', c.marketoBaseUrl]] as [string, string][]) : []),
  ];
}

export function formatCredentials(c: ServiceCredentials, format: Format): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(c)}\n`;
    case 'dotenv':
      return variables(c)
        .map(([k, v]) => `${k}=${dotenvValue(v)}\n`)
        .join('');
    case 'env':
      return variables(c)
        .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
        .join('');
  }
}

function formatOf(given: string | undefined, json: boolean): Format {
  if (given !== undefined && !(FORMATS as readonly string[]).includes(given)) {
    throw new UsageError([`format: must be one of ${FORMATS.join(', ')}`]);
  }
  if (json && given !== undefined && given !== 'json') {
    throw new UsageError([`format: --json prints JSON; give --format ${given} without --json`]);
  }
  return json ? 'json' : ((given as Format | undefined) ?? 'env');
}

export const credentialsCommand: Command = {
  help: `Usage: marketo-api-users credentials EMAIL [--format env|dotenv|json] [--output FILE [--force]]
         [--reason R] [--actor NAME] [--json] [--data-dir DIR]

Prints the client id and secret of EMAIL's custom service, for the integration, while its lifecycle is
active. --format env (the default) prints \`export\` lines for \`eval\`; dotenv prints KEY=value lines for
env files; json (or --json) one JSON object. --output FILE writes them to a new file, mode 0600, and never
through a symlink; it refuses an existing file unless --force, which replaces it atomically. A lifecycle
that is revoked, expired, failed or still awaiting the operator answers exit 1 with what happened, and no
secret. Every read is recorded in the audit log with --actor (default: your OS user name) and --reason.

Examples:
  eval "$(marketo-api-users credentials crm-sync@example.com --reason 'deploy CRM sync')"
  marketo-api-users credentials crm-sync@example.com --format dotenv --output crm-sync.env
  marketo-api-users credentials crm-sync@example.com --json | jq -r .clientId
`,
  async run(argv, makeOutput) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, ['EMAIL']);
    const json = values.json === true;
    const output = makeOutput(json);
    const email = requirePositional(positionals[0], 'email');
    const format = formatOf(values.format, json);
    if (values.force && values.output === undefined) throw new UsageError(['force: only with --output']);
    const input = {
      actor: actorOf(values.actor),
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
    };
    const { LifecycleClient, validateInput } = clientApi();
    validateInput.credentials(email, input);
    const client = await LifecycleClient.connect({ dataDir: values['data-dir'] });
    try {
      const credentials = await client.credentials(email, input);
      const body = formatCredentials(credentials, format);
      const { retiring } = credentials;
      // On stderr: stdout may be eval'd, and a rotation's overlap is news for the person, not the shell.
      if (retiring && !json) {
        process.stderr.write(
          `note: these are the new credentials; the old client id ${retiring.clientId} ${retiring.beingRetired ? 'is being retired now' : `works until ${retiring.endsAt}`}\n`,
        );
      }
      if (values.output === undefined) {
        process.stdout.write(body);
        return EXIT_OK;
      }
      await writeSecretFile(values.output, body, values.force === true);
      // What was written, never the secret: stdout may be a CI log.
      const { clientId, expiresAt } = credentials;
      if (json) output.result({ email: credentials.email, clientId, expiresAt, file: values.output, format });
      else
        output.line(
          `Wrote the credentials of ${credentials.email} to ${values.output} (${format}, mode 0600)`,
        );
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
