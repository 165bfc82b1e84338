/**
 * Who may use the `/sandbox/*` endpoints (the stand-ins for Marketo's Admin UI and the test controls). They can
 * unlock users, delete roles and hand out service secrets, so a local web page or process must not reach them:
 *
 * - `Host` must name this sandbox (a loopback name or the bind host): a foreign one is DNS rebinding.
 * - `Origin`, when sent, must be this sandbox's own: a browser sends it on every cross-site POST.
 * - `Authorization: Bearer <admin token>`: a random token the sandbox makes at start (or is given).
 * - POST and DELETE must say `Content-Type: application/json`, even without a body: a browser cannot send that
 *   cross-site without a CORS preflight, which the sandbox never grants.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApiError, mediaType } from './http';

export const ADMIN_TOKEN_BYTES = 32;

export function generateAdminToken(): string {
  return randomBytes(ADMIN_TOKEN_BYTES).toString('base64url');
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** `::1` and `[::1]` name the same host; a Host header always brackets an IPv6 address. */
function hostName(host: string): string {
  const lower = host.trim().toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

export function isLoopbackHost(host: string): boolean {
  const name = hostName(host);
  return LOOPBACK_NAMES.includes(name) || /^127(\.\d{1,3}){3}$/.test(name);
}

/** `example.com:80` → `example.com`, `[::1]:3070` → `[::1]`; undefined when malformed. */
function splitHostHeader(value: string): { name: string; port: string | undefined } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  return match?.[1] === undefined ? undefined : { name: match[1].toLowerCase(), port: match[2] };
}

export class AdminGuard {
  private readonly tokenDigest: Buffer;
  private readonly allowedNames: ReadonlySet<string>;

  constructor(
    adminToken: string,
    bindHost: string,
    private readonly port: () => number,
  ) {
    this.tokenDigest = digest(adminToken);
    this.allowedNames = new Set([...LOOPBACK_NAMES, hostName(bindHost)]);
  }

  /** Throws the refusal (403, 401 or 415) for a request that may not use the admin endpoints. */
  check(req: IncomingMessage): void {
    this.checkHost(req.headers.host);
    this.checkOrigin(req.headers.origin);
    this.checkToken(req.headers.authorization);
    if ((req.method === 'POST' || req.method === 'DELETE') && mediaType(req) !== 'application/json') {
      throw new ApiError(
        415,
        '612',
        'Unsupported Content-Type: /sandbox/* POST and DELETE take application/json only, even without a body',
      );
    }
  }

  private checkHost(host: string | undefined): void {
    const parsed = host === undefined ? undefined : splitHostHeader(host);
    if (parsed && this.allowedNames.has(parsed.name)) return;
    throw new ApiError(
      403,
      '603',
      `Foreign Host: call the sandbox's admin endpoints at http://127.0.0.1:${this.port()} (or localhost)`,
    );
  }

  private checkOrigin(origin: string | undefined): void {
    if (origin === undefined) return;
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    const own =
      url !== undefined &&
      url.protocol === 'http:' &&
      this.allowedNames.has(hostName(url.hostname)) &&
      (url.port || '80') === String(this.port());
    if (own) return;
    throw new ApiError(
      403,
      '603',
      'Cross-site request refused: the admin endpoints serve no web page; call them from a script, not a browser',
    );
  }

  private checkToken(authorization: string | undefined): void {
    const match = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '');
    if (match?.[1] === undefined) {
      throw new ApiError(
        401,
        '600',
        'Missing credential: send Authorization: Bearer <sandbox admin token> (printed by the sandbox at start)',
      );
    }
    if (!timingSafeEqual(digest(match[1]), this.tokenDigest)) {
      throw new ApiError(
        401,
        '601',
        'Wrong sandbox admin token: use the one this sandbox printed or wrote at start (it changes on every start unless it is given)',
      );
    }
  }
}

/** Compared as digests, so that the comparison takes the same time whatever the length of the guess. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Writes the admin token for an operator or a test to read (`Bearer $(cat FILE)`): mode 0600, and a fresh file
 * every time, so that neither a wider mode nor a symlink left at that path is followed.
 */
export function writeAdminTokenFile(file: string, adminToken: string): void {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `${adminToken}\n`, { mode: 0o600, flag: 'wx' });
}
