/**
 * Reading an HTTP response body from a server we do not control: at most `maxBytes`, so a hostile or broken
 * endpoint that answers with an endless (or a declared 200 MB) body cannot fill the worker's memory.
 */

/** Reads the body as UTF-8 text, or returns `undefined` (and hangs up) once it grows past `maxBytes`. */
export async function readCappedText(response: Response, maxBytes: number): Promise<string | undefined> {
  const body = response.body;
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!body) return '';
  // Node's fetch streams bytes; the DOM typing says `any`.
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Cancelling the stream closes the connection: the rest is never downloaded.
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** `10 MiB`, `64 KiB`: how caps are named in errors. */
export function describeBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
