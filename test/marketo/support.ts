/**
 * Test doubles for the Marketo client's unit tests: a scripted Marketo over real HTTP (node:http), for the
 * edge cases the sandbox does not produce on demand, and a recording `fetch` for cases where no socket is
 * needed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path as sent, still percent-encoded. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ScriptedReply {
  status?: number;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Delay before the headers are sent. */
  delayMs?: number;
}

export type Script = (req: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>;

export interface FakeMarketo {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Requests other than identity. */
  apiRequests(): RecordedRequest[];
  identityRequests(): RecordedRequest[];
  close(): Promise<void>;
}

export const TOKEN_PATH = '/identity/oauth/token';

export function tokenReply(token = 'tok-1:ab', expiresIn = 3600, scope = 'api@example.com'): ScriptedReply {
  return { body: { access_token: token, token_type: 'bearer', expires_in: expiresIn, scope } };
}

/** Answers identity with a fresh token per call unless the script handles it. */
export async function startFakeMarketo(script: Script): Promise<FakeMarketo> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawUrl = req.url ?? '/';
      const queryAt = rawUrl.indexOf('?');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        rawPath: queryAt >= 0 ? rawUrl.slice(0, queryAt) : rawUrl,
        query: new URLSearchParams(queryAt >= 0 ? rawUrl.slice(queryAt + 1) : ''),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      void Promise.resolve(script(recorded))
        .then(async (reply) => {
          if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
          if (res.destroyed) return;
          const payload =
            reply.body === undefined
              ? ''
              : typeof reply.body === 'string'
                ? reply.body
                : JSON.stringify(reply.body);
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(payload);
        })
        .catch(() => {
          res.writeHead(500);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    apiRequests: () => requests.filter((r) => r.rawPath !== TOKEN_PATH),
    identityRequests: () => requests.filter((r) => r.rawPath === TOKEN_PATH),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A script that answers identity itself (a new token each time) and hands other requests to `api`. */
export function withIdentity(api: Script, tokenPrefix = 'tok'): Script {
  let n = 0;
  return (req) => {
    if (req.rawPath === TOKEN_PATH) {
      n += 1;
      return tokenReply(`${tokenPrefix}-${n}:ab`);
    }
    return api(req);
  };
}

export interface FetchCall {
  url: string;
  init: RequestInit;
}

/** A `fetch` double: records calls, answers from a function of the URL. */
export function recordingFetch(
  answer: (url: URL, init: RequestInit, call: number) => Response | Promise<Response>,
) {
  const calls: FetchCall[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    calls.push({ url, init });
    return answer(new URL(url), init, calls.length);
  };
  return { fetch, calls };
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}
