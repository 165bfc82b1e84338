/** What a person configures for the codec server: origins, the token file, where it listens. */
import fs from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { PreconditionError } from '../errors';
import {
  KEY_FILE_ENV,
  keyringFromEnv,
  PAYLOAD_KEY_ENV,
  readKeyFile,
  type Keyring,
} from '../security/keyring';

/** `https://ui.example.com/anything` → `https://ui.example.com`: browsers send the origin alone. */
export const originSchema = z
  .string()
  .refine((value) => URL.canParse(value), 'must be a URL such as https://temporal-ui.example.com')
  .transform((value) => new URL(value))
  .refine((url) => url.protocol === 'http:' || url.protocol === 'https:', 'must be an http or https URL')
  .transform((url) => url.origin);

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The bearer token in a file: one line, at least 16 characters; the file must be this user's alone. */
export async function readTokenFile(file: string): Promise<string> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      throw new PreconditionError(
        `the token file ${file} can be read by others (mode ${(stat.mode & 0o777).toString(8)}).`,
        `Run: chmod 600 ${file}`,
      );
    }
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof PreconditionError) throw error;
    throw new PreconditionError(
      `the token file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      'Name a readable file holding the token on one line.',
    );
  }
  const token = text.trim();
  if (token.length < 16 || /\s/.test(token)) {
    throw new PreconditionError(
      `the token file ${file} does not hold one token of at least 16 characters without spaces.`,
      'Write one, e.g.: openssl rand -hex 32 > FILE && chmod 600 FILE',
    );
  }
  return token;
}

/**
 * The keyring the workers use (MARKETO_API_USERS_PAYLOAD_KEY, else the key file), every old key id included.
 * Unlike a worker, the codec server never creates a key file: a fresh key would decode nothing.
 */
export async function loadExistingKeyring(dataDir: string, env: NodeJS.ProcessEnv): Promise<Keyring> {
  const fromEnv = keyringFromEnv(env);
  if (fromEnv) return fromEnv;
  const keyFile = env[KEY_FILE_ENV]?.trim() || path.join(dataDir, 'keys.json');
  try {
    return await readKeyFile(keyFile, env);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new PreconditionError(
      `there is no key file at ${keyFile} and ${PAYLOAD_KEY_ENV} is not set: nothing to decode with.`,
      `Point --data-dir at the folder of the \`up\` or worker whose payloads to decode, or set ${KEY_FILE_ENV} or ${PAYLOAD_KEY_ENV} as the workers have it.`,
    );
  }
}
