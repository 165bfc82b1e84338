/**
 * What a data folder's store holds, read the way the product reads it: through the store the folder's `up` uses
 * (its embedded database's socket, the configured PostgreSQL, or its files), so a test asserts on the secret
 * the workers stored whichever store that is.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { loadContext } from '../../src/context';
import type { StoredServiceCredentials } from '../../src/security/secret-store';
import { loadKeyring } from '../../src/security/keyring';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres';
import { openStore } from '../../src/store/open';

/** The secret stored under `ref` for the data folder `dataDir`, or undefined. */
export async function storedSecret(
  dataDir: string,
  ref: string,
  env: NodeJS.ProcessEnv = {},
): Promise<StoredServiceCredentials | undefined> {
  const context = await loadContext({ dataDir, env });
  const store = await openStore(context.storeSettings, context.keyring);
  try {
    return await store.secrets.get(ref);
  } finally {
    await store.close();
  }
}

/**
 * Every secret the embedded databases of the data folders under `root` (those whose name starts with `prefix`)
 * hold while their `up` or `demo` runs, by client id: for a process that deletes its folder on the way out.
 */
export class StoredSecretsWatch {
  readonly seen = new Map<string, string>();
  private readonly opened = new Map<string, { store: PostgresStore; databaseUrl: string }>();

  constructor(
    private readonly root: string,
    private readonly prefix: string,
  ) {}

  async poll(): Promise<void> {
    for (const name of fs.readdirSync(this.root).filter((n) => n.startsWith(this.prefix))) {
      try {
        const database = await this.databaseOf(path.join(this.root, name));
        if (database) await this.readAll(database);
      } catch {
        // not up yet, or gone on the way out
      }
    }
  }

  private async databaseOf(dataDir: string) {
    const known = this.opened.get(dataDir);
    if (known) return known;
    const stack = JSON.parse(fs.readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as {
      databaseUrl?: string;
    };
    if (stack.databaseUrl === undefined) return undefined;
    const keyring = await loadKeyring({ env: {}, defaultKeyFile: path.join(dataDir, 'keys.json') });
    const opened = {
      store: await openPostgresStore({ databaseUrl: stack.databaseUrl, keyring }),
      databaseUrl: stack.databaseUrl,
    };
    this.opened.set(dataDir, opened);
    return opened;
  }

  private async readAll({ store, databaseUrl }: { store: PostgresStore; databaseUrl: string }) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    let refs: string[];
    try {
      refs = (await client.query<{ ref: string }>('SELECT ref FROM secrets')).rows.map((r) => r.ref);
    } finally {
      await client.end();
    }
    for (const ref of refs) {
      const value = await store.secrets.get(ref);
      if (value) this.seen.set(value.clientId, value.clientSecret);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.opened.values()].map(({ store }) => store.close()));
  }
}
