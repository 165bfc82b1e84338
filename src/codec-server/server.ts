/**
 * The codec server behind the Temporal Web UI: it decodes (and encodes) payloads with the product's keyring so a
 * person sees lifecycles' inputs and results instead of ciphertext. Browsers reach it only from the configured
 * UI origins; a bearer token can be required on top; it listens on loopback unless told otherwise.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { describeBytes } from '../read-capped';
import { CodecRequestError, decodeForDisplay, parseCodecRequest, toJson } from './protocol';

/** The Web UI sends a page of history's payloads at once; far more than that is not a UI's request. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const ALLOWED_HEADERS = 'X-Namespace, Content-Type, Authorization';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins (scheme://host:port) whose pages may call it; a request from any other origin gets 403. */
  origins: readonly string[];
  /** When set, every POST must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  maxBodyBytes?: number;
  /**
   * Default true. Without a token, any process on the machine can call a loopback server (an Origin header is
   * easily forged outside a browser); /encode would let it write payloads the workers accept, /decode only read.
   */
  encode?: boolean;
}

export interface RunningCodecServer {
  /** `http://host:port`: what the UI's codec endpoint setting takes. */
  url: string;
  close(): Promise<void>;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

class BodyTooLarge extends Error {}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Hashing first gives equal lengths, so the comparison takes the same time whatever the guess. */
function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer (\S+)$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(sha256(match[1]!), expected);
}

async function readBody(request: http.IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function corsHeaders(origin: string | undefined): Record<string, string> {
  if (origin === undefined) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    vary: 'Origin',
  };
}

function isJson(request: http.IncomingMessage): boolean {
  const type = request.headers['content-type'] ?? '';
  return type.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

interface Settings {
  codec: PayloadCodec;
  origins: ReadonlySet<string>;
  tokenHash: Buffer | undefined;
  maxBodyBytes: number;
  encode: boolean;
}

async function codecAnswer(request: http.IncomingMessage, path: string, settings: Settings): Promise<Answer> {
  if (settings.tokenHash && !tokenMatches(request.headers.authorization, settings.tokenHash)) {
    return {
      status: 401,
      body: { error: 'a bearer token is required (Authorization: Bearer <token>)' },
      headers: { 'www-authenticate': 'Bearer' },
    };
  }
  if (!isJson(request)) return { status: 415, body: { error: 'Content-Type must be application/json' } };
  let text: string;
  try {
    text = await readBody(request, settings.maxBodyBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    const cap = describeBytes(settings.maxBodyBytes);
    return {
      status: 413,
      body: { error: `the body is larger than ${cap}` },
      headers: { connection: 'close' },
    };
  }
  const payloads = parseCodecRequest(text);
  const out =
    path === '/encode'
      ? await settings.codec.encode(payloads)
      : await decodeForDisplay(settings.codec, payloads);
  return { status: 200, body: { payloads: out.map(toJson) } };
}

async function answer(request: http.IncomingMessage, settings: Settings): Promise<Answer> {
  const origin = request.headers.origin;
  // A page of another origin is refused outright: no CORS header, so its script cannot read even the refusal.
  if (origin !== undefined && !settings.origins.has(origin)) {
    return { status: 403, body: { error: 'this origin is not allowed to use the codec server' } };
  }
  const path = new URL(request.url ?? '/', 'http://codec').pathname;
  if (path === '/encode' && !settings.encode) {
    return { status: 403, body: { error: 'this codec server only decodes' } };
  }
  if (path !== '/encode' && path !== '/decode')
    return { status: 404, body: { error: 'POST /encode or /decode' } };
  if (request.method === 'OPTIONS') {
    return {
      status: 204,
      headers: {
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      },
    };
  }
  if (request.method !== 'POST')
    return { status: 405, body: { error: 'POST only' }, headers: { allow: 'POST' } };
  return codecAnswer(request, path, settings);
}

function errorAnswer(error: unknown): Answer {
  if (error instanceof CodecRequestError)
    return { status: 400, body: { error: 'bad request', problems: error.problems } };
  // The codec's own errors name key ids and causes, never key material or payload data.
  const message = error instanceof Error ? error.message : 'cannot decode';
  return { status: 422, body: { error: message } };
}

function send(response: http.ServerResponse, origin: string | undefined, result: Answer): void {
  const headers = { ...(result.status === 403 ? {} : corsHeaders(origin)), ...result.headers };
  if (result.body === undefined) {
    response.writeHead(result.status, headers).end();
    return;
  }
  const body = JSON.stringify(result.body);
  response.writeHead(result.status, { ...headers, 'content-type': 'application/json' }).end(body);
}

function handler(settings: Settings): http.RequestListener {
  return (request, response) => {
    answer(request, settings)
      .catch(errorAnswer)
      .then((result) => {
        send(response, request.headers.origin, result);
        // An unread (refused or oversized) body is drained and dropped, never kept.
        if (!request.complete) request.resume();
      })
      .catch(() => response.destroy());
  };
}

/** Starts listening; resolves once it accepts connections. */
export function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const settings: Settings = {
    codec: options.codec,
    origins: new Set(options.origins),
    tokenHash: options.token === undefined ? undefined : sha256(options.token),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    encode: options.encode ?? true,
  };
  const server = http.createServer(handler(settings));
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shownHost}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
