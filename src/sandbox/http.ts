import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** A refusal in Marketo's User Management shape: a non-200 status and `{errors:[{code,message}]}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a handler answers. `body: undefined` sends 200 with an empty body (the delete endpoints). */
export interface Answer {
  status: number;
  body: unknown;
}

export function ok(body: unknown): Answer {
  return { status: 200, body };
}

export function errorBody(code: string, message: string): { errors: { code: string; message: string }[] } {
  return { errors: [{ code, message }] };
}

/** The client went away before its request body was complete: nothing to answer. */
export class RequestAborted extends Error {
  override readonly name = 'RequestAborted';
}

export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this much an oversized body is no longer drained politely: the socket is cut. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

export type BodyRead = { kind: 'complete'; bytes: Buffer } | { kind: 'too-large'; limit: number };

/**
 * Reads the request body up to `limit` bytes. An oversized body is drained rather than cut off, so that
 * the client reads a clean 413 instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_DRAIN_BYTES) {
        req.destroy();
        return;
      }
      if (received > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(tooLarge ? { kind: 'too-large', limit } : { kind: 'complete', bytes: Buffer.concat(chunks) }),
    );
    req.on('error', () => reject(new RequestAborted('request stream failed')));
    req.on('close', () => {
      if (!req.complete) reject(new RequestAborted('request aborted'));
    });
  });
}

export function sendAnswer(
  res: ServerResponse,
  answer: Answer,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  if (answer.body === undefined) {
    res.writeHead(answer.status, { 'Content-Length': '0', ...extraHeaders });
    res.end();
    return;
  }
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...extraHeaders,
  });
  res.end(text);
}

export function sendRaw(res: ServerResponse, status: number, contentType: string, text: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/**
 * Splits the request target without `new URL()`: URL normalisation would resolve `..` and `%2e%2e`
 * segments before routing, so `users/../../x` could reach another route. Raw segments are routed first
 * and decoded one by one afterwards.
 */
export function splitTarget(rawUrl: string): { path: string; query: URLSearchParams } {
  const hashless = rawUrl.split('#', 1)[0] ?? '';
  const questionMark = hashless.indexOf('?');
  const path = questionMark === -1 ? hashless : hashless.slice(0, questionMark);
  const query = new URLSearchParams(questionMark === -1 ? '' : hashless.slice(questionMark + 1));
  return { path, query };
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/** The User Management POST body: JSON only (612 otherwise), well-formed (609 otherwise). */
export function parseJsonBody(req: IncomingMessage, bytes: Buffer): unknown {
  if (mediaType(req) !== 'application/json') {
    throw new ApiError(400, '612', 'Invalid Content Type: send application/json');
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new ApiError(400, '609', 'Invalid JSON: empty body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, '609', 'Invalid JSON');
  }
}

/** Formats zod issues as one line that names each offending field, for a 1003 message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

export function validate<T>(schema: z.ZodType<T>, input: unknown, status = 400, code = '1003'): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new ApiError(status, code, `Invalid input: ${describeIssues(result.error)}`);
  return result.data;
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
