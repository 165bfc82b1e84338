import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { emailSchema } from '../../src/domain/lifecycle-request';
import { maskEmailsIn } from '../../src/notifications';

// Every character the product's email schema allows in a local part.
const LOCAL_CHARS = [..."abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-"];
const LABEL_CHARS = [...'abcdefghijklmnopqrstuvwxyz0123456789'];

const label = fc.string({ unit: fc.constantFrom(...LABEL_CHARS), minLength: 1, maxLength: 12 });
const schemaEmail = fc
  .oneof(
    fc.emailAddress(),
    fc
      .tuple(
        fc.string({ unit: fc.constantFrom(...LOCAL_CHARS), minLength: 1, maxLength: 40 }),
        fc.array(label, { minLength: 2, maxLength: 3 }),
      )
      .map(([local, labels]) => `${local}@${labels.join('.')}`),
  )
  .map((raw) => emailSchema.safeParse(raw))
  .filter((parsed) => parsed.success)
  .map((parsed) => parsed.data);

/** `%XX` for every character, as some encoders do, e.g. `%6A%6F`. */
function encodeEveryChar(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
}

function forms(email: string): { name: string; text: string; at: string; domain: string }[] {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  return [
    { name: 'plain', text: email, at: '@', domain },
    { name: 'upper case', text: email.toUpperCase(), at: '@', domain: domain.toUpperCase() },
    {
      name: 'encodeURIComponent',
      text: encodeURIComponent(email),
      at: '%40',
      domain: encodeURIComponent(domain),
    },
    {
      name: 'dots encoded',
      text: encodeURIComponent(email).replaceAll('.', '%2E'),
      at: '%40',
      domain: encodeURIComponent(domain).replaceAll('.', '%2E'),
    },
    { name: 'every char encoded', text: `${encodeEveryChar(local)}%40${domain}`, at: '%40', domain },
  ];
}

describe('maskEmailsIn: every email the schema accepts', () => {
  it('never shows the local part beyond its first character, plain or URL-encoded', () => {
    fc.assert(
      fc.property(schemaEmail, fc.constantFrom(' ', '\n', '\t'), (email, gap) => {
        for (const form of forms(email)) {
          const masked = maskEmailsIn(`sent to${gap}${form.text}${gap}today`);
          const slot = masked.slice(`sent to${gap}`.length, masked.length - `${gap}today`.length);
          assert.ok(masked.startsWith(`sent to${gap}`) && masked.endsWith(`${gap}today`), masked);
          // What is left of the address: at most one character (or its %XX) of the local part, then the mask.
          const head = form.at === '@' ? /^[^]?\*\*\*@/u : /^(?:%[0-9A-F]{2}|[^%])?\*\*\*%40/iu;
          assert.match(slot, head, `${form.name}: ${masked}`);
          assert.ok(slot.endsWith(`${form.at}${form.domain}`), `${form.name}: ${masked}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('masks the cases the review found in clear', () => {
    assert.equal(maskEmailsIn('to {john.smith}@example.com'), 'to {***@example.com');
    assert.equal(maskEmailsIn("to o'brien@example.com"), 'to o***@example.com');
    assert.equal(maskEmailsIn('see john%40example.com'), 'see j***%40example.com');
    assert.equal(maskEmailsIn('u: john%2Esmith%40example%2Ecom'), 'u: j***%40example%2Ecom');
  });

  it('leaves masked output as it is', () => {
    for (const text of [
      'j***@example.com',
      '***@example.com',
      'j***%40example.com',
      '%7B***%40example.com',
    ]) {
      assert.equal(maskEmailsIn(text), text);
    }
  });
});
