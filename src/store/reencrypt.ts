/**
 * Re-encryption after a key rotation, in the background of a worker's start: every worker that starts with a new
 * current key moves the store's secrets under it, so an old key can be retired once every worker has restarted.
 * Concurrent runs are harmless (each row is rewritten under the same current key).
 */
import type { Store } from './types';

export interface ReencryptLog {
  info(message: string): void;
  warn(message: string): void;
}

/** Starts the re-encryption and returns at once; the promise it returns settles when it is done, never rejecting. */
export function reencryptInBackground(store: Store, log: ReencryptLog): Promise<void> {
  if (!store.reencryptSecrets) return Promise.resolve();
  return store.reencryptSecrets().then(
    ({ reencrypted, failed }) => {
      if (reencrypted > 0) log.info(`re-encrypted ${reencrypted} stored secret(s) under the current key`);
      if (failed.length > 0) {
        log.warn(
          `${failed.length} stored secret(s) could not be re-encrypted (${failed.map((f) => f.ref).join(', ')}): ` +
            'run `marketo-api-users reencrypt-secrets` for the reasons',
        );
      }
    },
    (error: unknown) =>
      log.warn(
        `re-encrypting stored secrets failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
  );
}
