import { z } from 'zod';
import { dataDirOf } from '../../context';
import { PreconditionError } from '../../errors';
import { formatIssues } from '../../domain/lifecycle-request';
import { startCodecServer } from '../../codec-server/server';
import { isLoopback, loadExistingKeyring, originSchema, readTokenFile } from '../../codec-server/settings';
import { EncryptionCodec } from '../../security/payload-codec';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { EXIT_OK, UsageError } from '../errors';
import { untilSignal } from '../signals';
import type { Command } from './types';

const OPTIONS = {
  ...COMMON_OPTIONS,
  port: { type: 'string' },
  host: { type: 'string' },
  origin: { type: 'string', multiple: true },
  'token-file': { type: 'string' },
  'decode-only': { type: 'boolean' },
} as const;

export const DEFAULT_CODEC_PORT = 8888;
const PORT_RULE = 'must be a port number from 0 (any free port) to 65535';

const flagsSchema = z.object({
  port: z
    .string()
    .regex(/^\d+$/, PORT_RULE)
    .transform(Number)
    .pipe(z.number().max(65_535, PORT_RULE))
    .default(DEFAULT_CODEC_PORT),
  host: z.string().min(1).default('127.0.0.1'),
  origin: z.array(originSchema).min(1, 'give at least one: the Web UI origin whose pages may decode'),
  'token-file': z.string().min(1).optional(),
});

function parseFlags(values: Record<string, unknown>): z.infer<typeof flagsSchema> {
  const parsed = flagsSchema.safeParse({ ...values, origin: values.origin ?? [] });
  if (!parsed.success) throw new UsageError(formatIssues(parsed.error));
  if (!isLoopback(parsed.data.host) && parsed.data['token-file'] === undefined) {
    throw new UsageError([
      '--host: listening beyond loopback needs --token-file (anyone who reaches the port could decode otherwise)',
    ]);
  }
  return parsed.data;
}

export const codecServerCommand: Command = {
  help: `Usage: marketo-api-users codec-server --origin URL [--origin URL ...] [--port N] [--host H]
                                  [--token-file F] [--decode-only] [--data-dir DIR] [--json]

Temporal's remote codec (POST /encode and /decode) with the workers' payload keys, so the Temporal Web UI shows
lifecycles' inputs and results decoded. Keys as the workers have them: MARKETO_API_USERS_PAYLOAD_KEY, else the
key file (MARKETO_API_USERS_KEY_FILE, else DIR/keys.json); every key id in them decodes. \`up\` runs one itself.

Only pages of an --origin may call it (any other origin gets 403); it listens on 127.0.0.1:${DEFAULT_CODEC_PORT}
unless --host/--port say otherwise (--port 0: any free port). With --token-file every request must carry
"Authorization: Bearer <token>": the \`temporal\` CLI sends it with --codec-auth, a browser only through a
proxy that adds it (the Web UI passes its own login's token, not this one); a --host other than loopback
requires it. --decode-only refuses /encode (403): without it, whoever can call the server can write payloads
the workers accept (\`up\`'s own codec server only decodes). --json prints {"codecEndpoint": ...} once it
listens. Runs until Ctrl-C.

Examples:
  marketo-api-users codec-server --origin http://localhost:8233 --decode-only
  marketo-api-users codec-server --origin https://temporal-ui.example.com --token-file /etc/mau/codec-token
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, OPTIONS);
    const output = makeOutput(values.json === true);
    const flags = parseFlags(values);
    const env = process.env;
    const keyring = await loadExistingKeyring(dataDirOf({ dataDir: values['data-dir'], env }), env);
    const token = flags['token-file'] === undefined ? undefined : await readTokenFile(flags['token-file']);
    const stopped = untilSignal();
    const server = await startCodecServer({
      codec: new EncryptionCodec(keyring),
      origins: flags.origin,
      host: flags.host,
      port: flags.port,
      ...(token === undefined ? {} : { token }),
      encode: values['decode-only'] !== true,
    }).catch((error: unknown) => {
      throw new PreconditionError(
        `the codec server cannot listen on ${flags.host}:${flags.port} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
        'Choose another --port (0 for any free one), or stop what holds it.',
      );
    });
    const info = { codecEndpoint: server.url, origins: flags.origin, tokenRequired: token !== undefined };
    if (output.json) output.result(info);
    else {
      output.line(`Codec endpoint: ${info.codecEndpoint} (key ids: ${keyring.keyIds.join(', ')})`);
      output.line(`Origins:        ${info.origins.join(', ')}${token ? ' (bearer token required)' : ''}`);
    }
    await stopped;
    await server.close();
    return EXIT_OK;
  },
};
