import type { AdminConsole } from '../marketo/admin-console';
import type { MarketoClient } from '../marketo/client';
import type { Notifier } from '../notifications';
import type { SecretStore } from '../security/secret-store';

/** What activities need from the outside world; the worker wires real ones, tests may wire others. */
export interface ActivityDeps {
  marketo: MarketoClient;
  adminConsole: AdminConsole;
  secrets: SecretStore;
  notifier: Notifier;
}
