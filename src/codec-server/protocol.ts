/**
 * Temporal's remote codec protocol as the Web UI and `temporal --codec-endpoint` speak it: a POST of
 * `{"payloads":[{"metadata":{"<key>":"<base64>"},"data":"<base64>"}]}` to `/encode` or `/decode`, answered in
 * the same shape (the JSON form of temporal.api.common.v1.Payloads).
 */
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { formatIssues } from '../domain/lifecycle-request';
import { ENCRYPTED_ENCODING } from '../security/payload-codec';

// Standard or URL-safe alphabet, as proto3 JSON accepts both; a fixed pattern, never built from input.
const base64Schema = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64')
  .refine((value) => value.length % 4 !== 1, 'must be base64 (its length is not one of base64)');

const jsonPayloadSchema = z
  .object({
    metadata: z.record(z.string().max(256), base64Schema).optional(),
    data: base64Schema.optional(),
  })
  .strict();

export const codecRequestSchema = z.object({ payloads: z.array(jsonPayloadSchema) }).strict();
export type JsonPayload = z.infer<typeof jsonPayloadSchema>;

/** The request could not be read as the codec protocol's body; `problems` are `field: problem` lines. */
export class CodecRequestError extends Error {
  override readonly name = 'CodecRequestError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** The body's payloads, or a CodecRequestError naming what is wrong (never quoting a value: it may be data). */
export function parseCodecRequest(text: string): Payload[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CodecRequestError(['body: is not JSON; send {"payloads":[...]}']);
  }
  const parsed = codecRequestSchema.safeParse(json);
  if (!parsed.success) throw new CodecRequestError(formatIssues(parsed.error));
  return parsed.data.payloads.map(fromJson);
}

function fromJson(payload: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    metadata[key] = Buffer.from(value, 'base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? '', 'base64') };
}

export function toJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    if (value) metadata[key] = Buffer.from(value).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return (
    encoding !== undefined && encoding !== null && Buffer.from(encoding).toString() === ENCRYPTED_ENCODING
  );
}

/**
 * Decodes the encrypted payloads and hands the others back as they came. The worker refuses plain payloads so
 * that nobody without the key can drive it; a person reading history only needs to see them, as they are.
 */
export async function decodeForDisplay(codec: PayloadCodec, payloads: Payload[]): Promise<Payload[]> {
  const encrypted = payloads.filter(isEncrypted);
  const decoded = await codec.decode(encrypted);
  let next = 0;
  return payloads.map((payload) => (isEncrypted(payload) ? decoded[next++]! : payload));
}
