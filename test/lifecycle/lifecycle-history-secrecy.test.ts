/**
 * What Temporal stores is readable by anyone with access to the cluster: the raw history of a full lifecycle
 * must hold neither the service's client secret nor the person's email or names, in clear text or base64;
 * every payload must be encrypted by our codec.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_ENCRYPTION_KEY_ID,
} from '../../src/security/payload-codec';
import { LIFECYCLE_SEARCH_ATTRIBUTES, MauPhase } from '../../src/domain/search-attributes';
import type { lifecycleWorkflow } from '../../src/workflows';
import { extendUpdate } from '../../src/workflows/messages';
import { withDevServerHarness, rejectsWith, sampleRequest, type Harness } from '../helpers/lifecycle-harness';
import { garblingSecretStore, statusWhen, withAlteredWorkers } from './support';

/** Every byte array in a proto object tree (payload data and metadata values included). */
function byteArrays(value: unknown, found: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) found.push(value);
  else if (Array.isArray(value)) for (const v of value) byteArrays(v, found);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) byteArrays(v, found);
  return found;
}

/** Every payload (an object with `metadata` and `data`) in a proto object tree. */
function payloads(
  value: unknown,
  found: temporal.api.common.v1.IPayload[] = [],
): temporal.api.common.v1.IPayload[] {
  if (Array.isArray(value)) for (const v of value) payloads(v, found);
  else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const o = value as Record<string, unknown>;
    if ('metadata' in o && 'data' in o && o['data'] instanceof Uint8Array) found.push(o);
    else for (const v of Object.values(o)) payloads(v, found);
  }
  return found;
}

/**
 * The text as it would show inside any base64 string, whatever its offset there: base64 of the text
 * behind 0, 1 and 2 bytes of padding, minus the characters that depend on the neighbours.
 */
function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  return [0, 1, 2].map((pad) => {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const start = pad === 0 ? 0 : pad === 1 ? 2 : 3;
    const usable = Math.floor((pad + bytes.length) / 3) * 4;
    return encoded.slice(start, usable);
  });
}

describe('lifecycle history secrecy', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  withDevServerHarness((devServer, harness) => {
    env = devServer;
    h = harness;
  });

  it('base64Forms finds a text inside base64 at any offset', () => {
    for (const prefix of ['', 'x', 'xy', 'xyz']) {
      const encoded = Buffer.from(`${prefix}someone@example.com{"k":1}`).toString('base64');
      assert.ok(
        base64Forms('someone@example.com').some((f) => encoded.includes(f)),
        `prefix "${prefix}"`,
      );
    }
  });

  function person(tag: string) {
    return {
      email: `secrecy-${tag}@example.com`,
      firstName: `Firstname${tag}`,
      lastName: `Lastname${tag}`,
      reason: `Reason ${tag}`,
    };
  }

  /** Asserts that the raw history hides every `hidden` value and that its payloads are all encrypted. */
  async function assertKeptSecret(
    history: temporal.api.history.v1.IHistory,
    hidden: Record<string, string>,
    inPayloads: string[],
  ): Promise<void> {
    const haystack = [
      JSON.stringify(history),
      historyToJSON(history),
      ...byteArrays(history).flatMap((b) => [
        Buffer.from(b).toString('utf8'),
        Buffer.from(b).toString('base64'),
      ]),
    ].join('\n');
    for (const [what, value] of Object.entries(hidden)) {
      assert.ok(!haystack.includes(value), `${what} in clear text`);
      for (const form of base64Forms(value)) assert.ok(!haystack.includes(form), `${what} in base64`);
    }
    // The search itself works: what history does hold in clear (the task queue's name) is found.
    assert.ok(haystack.includes(h.taskQueue), 'the haystack holds the clear parts of the history');

    // patched() in workflow code leaves two things in clear, by the SDK's design: a `core_patch` marker (written
    // by its core without the codec) and the `TemporalChangeVersion` search attribute (indexed, so never
    // encrypted). Both may hold patch names only, never anything about the user.
    const patchMarkers = payloads(
      (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch'),
    );
    // Search attributes are indexed, so never encrypted, by Temporal's design: the SDK's TemporalChangeVersion and
    // the product's own (phase, expiry, instance, role, managed-by). The search above already found no secret,
    // email or name in them; here each must be one the product defines, in the shape it defines.
    const indexed = (history.events ?? []).flatMap((e) =>
      Object.entries(
        e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ??
          e.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields ??
          {},
      ),
    );
    const changeVersions = indexed.filter(([name]) => name === 'TemporalChangeVersion').map(([, p]) => p);
    const productAttributes = indexed.filter(([name]) => name !== 'TemporalChangeVersion');
    const productNames = new Set<string>(LIFECYCLE_SEARCH_ATTRIBUTES.map((key) => key.name));
    for (const [name, p] of productAttributes) {
      assert.ok(productNames.has(name), `${name} is one of the product's search attributes`);
      const value: unknown = JSON.parse(Buffer.from(p.data ?? []).toString('utf8'));
      assert.ok(typeof value === 'string' && value.length <= 200, `${name} holds one short text`);
    }
    assert.ok(
      productAttributes.some(([name]) => name === MauPhase.name),
      'the phase is indexed',
    );
    const markerPayloads = new Set([
      ...patchMarkers,
      ...changeVersions,
      ...productAttributes.map(([, p]) => p),
    ]);
    const all = payloads(history).filter((p) => !markerPayloads.has(p));
    assert.ok(all.length >= 10, `payloads found: ${all.length}`);
    for (const p of all) {
      const where = (history.events ?? []).find((e) => payloads(e).includes(p));
      assert.equal(
        Buffer.from(p.metadata?.['encoding'] ?? []).toString(),
        ENCRYPTED_ENCODING,
        `a clear payload in event ${where?.eventId?.toString()} (${JSON.stringify(Object.keys(where ?? {}))}): ${Buffer.from(
          p.data ?? [],
        )
          .toString('utf8')
          .slice(0, 120)}`,
      );
      assert.equal(
        Buffer.from(p.metadata?.[METADATA_ENCRYPTION_KEY_ID] ?? []).toString(),
        h.keyring.currentKeyId,
      );
    }
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(started?.input?.payloads?.length, 1, 'the input is one payload');
    // Control: decrypted, the payloads do carry these (so their absence above is the encryption's doing).
    const decrypted = (await new EncryptionCodec(h.keyring).decode(all))
      .map((p) => Buffer.from(p.data ?? []).toString('utf8'))
      .join('\n');
    for (const value of inPayloads) assert.ok(decrypted.includes(value), `decrypted payloads hold ${value}`);
  }

  it('the raw history of a full lifecycle holds no secret, email or name, and only encrypted payloads', async () => {
    const tag = randomBytes(6).toString('hex');
    const who = person(tag);
    let clientSecret = '';
    const history = await h.withWorkers(async () => {
      // The short expiry counts from now, with the workers up.
      const request = sampleRequest({ ...who, expiresAt: new Date(Date.now() + 4_000).toISOString() });
      const workflowId = await h.start(request);
      const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
      const active = await statusWhen(handle, (s) => s.phase === 'active');
      const stored = await h.secrets.get(active.secretRef!);
      assert.ok(stored, 'the secret is in the store while active');
      clientSecret = stored.clientSecret;
      // An update and its answer go through history too.
      await handle.executeUpdate(extendUpdate, {
        args: [{ expiresAt: new Date(Date.parse(active.expiresAt) + 1_000).toISOString() }],
      });
      const final = await handle.result();
      assert.equal(final.phase, 'deactivated');
      assert.equal(final.email, who.email, 'the client decodes what history hides');
      return handle.fetchHistory();
    });
    assert.ok(clientSecret.length >= 16);
    assert.ok((history.events?.length ?? 0) > 20, 'a full history');
    await assertKeptSecret(
      history,
      {
        'client secret': clientSecret,
        email: who.email,
        'email local part': `secrecy-${tag}`,
        'first name': who.firstName,
        'last name': who.lastName,
        reason: who.reason,
      },
      [who.email, who.firstName],
    );
    // The codec refuses clear payloads; the only ones here are the SDK's patch markers, read as they are.
    const isEncrypted = (p: temporal.api.common.v1.IPayload) =>
      Buffer.from(p.metadata?.['encoding'] ?? []).toString() === ENCRYPTED_ENCODING;
    const decrypted = [
      ...(await new EncryptionCodec(h.keyring).decode(payloads(history).filter(isEncrypted))),
      ...payloads(history).filter((p) => !isEncrypted(p)),
    ]
      .map((p) => Buffer.from(p.data ?? []).toString('utf8'))
      .join('\n');
    assert.ok(!decrypted.includes(clientSecret), 'the client secret is in no payload, even decrypted');
  });

  it('the raw history of a failed lifecycle hides the email its failure message names', async () => {
    const tag = randomBytes(6).toString('hex');
    const who = person(tag);
    const history = await withAlteredWorkers(
      env,
      h,
      (deps) => ({ ...deps, secrets: garblingSecretStore(deps.secrets) }),
      async () => {
        const workflowId = await h.start(sampleRequest(who));
        const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
        // The userid is the email, and compensation names the user it deleted.
        await rejectsWith(handle.result(), new RegExp(`Undone: .*user ${who.email}: deleted`));
        return handle.fetchHistory();
      },
    );
    const failed = history.events?.at(-1)?.workflowExecutionFailedEventAttributes;
    assert.ok(failed?.failure, 'the run failed');
    assert.equal(failed.failure.message, 'Encoded failure', 'the failure message is encoded');
    await assertKeptSecret(
      history,
      { email: who.email, 'email local part': `secrecy-${tag}`, 'first name': who.firstName },
      [who.email],
    );
  });
});
