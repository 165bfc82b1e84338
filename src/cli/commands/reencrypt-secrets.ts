import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { clientApi } from '../client-api';
import { EXIT_FAILURE, EXIT_OK } from '../errors';
import type { Command } from './types';

export const reencryptSecretsCommand: Command = {
  help: `Usage: marketo-api-users reencrypt-secrets [--json] [--data-dir DIR]

After a key rotation, once every worker runs with the new current key: moves every stored service secret under
that key, so the old key can be removed from the keyring. Workers do the same in the background when they start;
run this to do it now and to see the outcome. Safe to repeat. A secret that cannot be decrypted (its key is no
longer in the keyring, or its row was altered) is named with its key id and left as it is; exit 1 then.

Only the shared PostgreSQL store (MARKETO_API_USERS_DATABASE_URL) encrypts under the keyring; the data folder's
file store keeps secrets in 0600 files, and there is nothing to re-encrypt.

Examples:
  marketo-api-users reencrypt-secrets
  marketo-api-users reencrypt-secrets --json
`,
  async run(argv, makeOutput) {
    const { values } = parseCommandArgs(argv, COMMON_OPTIONS);
    const output = makeOutput(values.json === true);
    const outcome = await clientApi().reencryptSecrets({ dataDir: values['data-dir'] });
    if (output.json) output.result(outcome);
    else if (outcome.store === 'file') {
      output.line(
        'The data folder’s file store keeps secrets in 0600 files, not under the keyring: nothing to do.',
      );
    } else {
      output.line(`Re-encrypted ${outcome.reencrypted} secret(s) under key ${outcome.currentKeyId}.`);
      for (const f of outcome.failed)
        output.line(`not re-encrypted: ${f.ref} (key ${f.keyId}): ${f.problem}`);
    }
    return outcome.failed.length > 0 ? EXIT_FAILURE : EXIT_OK;
  },
};
