import { ProblemError } from '../../errors';

/** The shared store's database could not be reached or refused the connection. */
export class StoreUnavailableError extends ProblemError {
  override readonly name = 'StoreUnavailableError';
}

/** A stored secret does not decrypt: altered, moved from another row, or written under another key of that id. */
export class SecretIntegrityError extends ProblemError {
  override readonly name = 'SecretIntegrityError';
  constructor(readonly ref: string) {
    super(
      `the stored credentials for ${ref} fail their integrity check and were not used`,
      'the row was altered or copied from another ref in the database; put the credentials again ' +
        '(for a lifecycle: revoke it and onboard again) and find out who can write to the store',
    );
  }
}

/** A row is encrypted under a key id the keyring does not hold (removed too soon after a rotation). */
export class SecretKeyMissingError extends ProblemError {
  override readonly name = 'SecretKeyMissingError';
  constructor(
    readonly ref: string,
    readonly keyId: string,
  ) {
    super(
      `the stored credentials for ${ref} are encrypted under key "${keyId}", which the keyring does not hold`,
      `put key "${keyId}" back into the keyring, run the store's re-encryption, and only then retire the key`,
    );
  }
}

/** A row the store read back does not have the shape it writes: the schema was changed by hand. */
export class StoreCorruptError extends ProblemError {
  override readonly name = 'StoreCorruptError';
}
