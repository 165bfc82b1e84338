import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, redactSecrets } from '../../src/marketo/redact';

// Every character that encodes differently in a URL, a form body and JSON.
const SECRET = `s3cr!t'(x)~ y+z&k=v%41"\\end`;

const ENCODINGS: Record<string, string> = {
  raw: SECRET,
  encodeURIComponent: encodeURIComponent(SECRET),
  'form (URLSearchParams, + for space)': new URLSearchParams({ s: SECRET }).toString().slice(2),
  'JSON-escaped': JSON.stringify(SECRET).slice(1, -1),
  'encodeURIComponent, lower-case hex': encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (h) =>
    h.toLowerCase(),
  ),
};

describe('redactSecrets: a secret in every encoding', () => {
  for (const [name, form] of Object.entries(ENCODINGS)) {
    it(`removes the ${name} form, inside other text`, () => {
      const text = `before ${form} after, and again:${form}`;
      const out = redactSecrets(text, [SECRET]);
      assert.equal(out, `before ${REDACTED} after, and again:${REDACTED}`);
    });
  }

  it('removes all of it after a field name too, where the field pattern alone would stop early', () => {
    for (const [name, form] of Object.entries(ENCODINGS)) {
      for (const text of [`client_secret=${form}&next=1`, `{"client_secret":"${form}","next":1}`]) {
        const out = redactSecrets(text, [SECRET]);
        for (const piece of ['s3cr', '(x)', '28x', 'y+z', 'y%2', 'k=v', 'k%3', 'end']) {
          assert.ok(!out.toLowerCase().includes(piece.toLowerCase()), `${name}: ${piece} left in ${out}`);
        }
        assert.ok(out.includes('next'), out);
      }
    }
  });
});
