import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import {
  classifyMarketoError,
  isRetryableKind,
  MarketoApiError,
  MarketoErrorKindSchema,
  nextMidnightIn,
  type MarketoErrorKind,
} from '../../src/marketo/errors';
import { redactSecrets } from '../../src/marketo/redact';

const HOUR = 3_600_000;

/** The contract's table (section 5) plus the brief's additions, written out independently of the code. */
const RETRYABLE_CODES = ['502', '604', '606', '607', '608', '614', '615', '713', '601', '602'];
const FATAL_CODES = ['603', '605', '609', '610', '611', '612', '613', '616', '1003', '1004'];
const CLIENT_CODES = [
  'network',
  'timeout',
  'invalid_client',
  'invalid_response',
  'invalid_argument',
  'not_found',
];

const anyStatus = fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined });
const anyCode = fc.oneof(
  fc.constantFrom(...RETRYABLE_CODES, ...FATAL_CODES, ...CLIENT_CODES),
  fc.constantFrom(...RETRYABLE_CODES, ...FATAL_CODES).map(Number),
  fc.integer({ min: 0, max: 99_999 }),
  fc.string({ maxLength: 8 }),
  fc.constant(undefined),
);
const anyNow = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) });
const anyInput = fc.record({
  httpStatus: anyStatus,
  code: anyCode,
  now: anyNow,
  message: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
  windowMs: fc.option(fc.integer({ min: 1, max: 120_000 }), { nil: undefined }),
  serverRetryAfterMs: fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: undefined }),
});

/** Chicago's wall clock read with a formatter of the test's own, not the module's. */
const chicago = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/Chicago',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const chicagoDate = (ms: number) => chicago.format(ms).slice(0, 10);
const chicagoTime = (ms: number) => chicago.format(ms).slice(-8);

describe('classifyMarketoError (property tests)', () => {
  it('puts every input in exactly one class, with retryable following from the class', () => {
    const kinds = MarketoErrorKindSchema.options;
    fc.assert(
      fc.property(anyInput, (input) => {
        const c = classifyMarketoError(input);
        assert.equal(kinds.filter((k) => k === c.kind).length, 1);
        assert.equal(c.retryable, isRetryableKind(c.kind));
        assert.ok(c.code.length > 0);
        assert.ok(c.hint.length > 20);
        assert.deepEqual(classifyMarketoError(input), c, 'pure: same input, same answer');
      }),
      { numRuns: 3000 },
    );
  });

  it('gives retryAfterMs only to retryable errors, and only for 606/607/429 or a server Retry-After', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const c = classifyMarketoError(input);
        if (c.retryAfterMs === undefined) return;
        assert.ok(c.retryable, `${c.code} is not retryable but has retryAfterMs`);
        assert.ok(c.retryAfterMs >= 0);
        const expected =
          c.kind === 'quota' || c.code === '606' || (c.kind === 'throttled' && c.code !== '615');
        assert.ok(expected || input.serverRetryAfterMs !== undefined, `${c.code} got a wait from nowhere`);
      }),
      { numRuns: 3000 },
    );
  });

  it("classifies the table's codes the same whatever the HTTP status, numeric or quoted", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RETRYABLE_CODES, ...FATAL_CODES),
        fc.boolean(),
        fc.constantFrom(undefined, 200, 400, 401, 403, 404, 409, 500, 503),
        anyNow,
        (code, numeric, httpStatus, now) => {
          const c = classifyMarketoError({ code: numeric ? Number(code) : ` ${code}`, httpStatus, now });
          assert.equal(c.code, code);
          assert.equal(c.retryable, RETRYABLE_CODES.includes(code), `code ${code} on ${httpStatus}`);
        },
      ),
    );
  });

  it('without a Marketo code: 5xx retryable, 4xx not except the documented 408 and 429, 404 is not_found', () => {
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 599 }), anyNow, (httpStatus, now) => {
        const c = classifyMarketoError({ httpStatus, now });
        if (httpStatus >= 500 || [408, 429].includes(httpStatus)) assert.ok(c.retryable, `${httpStatus}`);
        else assert.ok(!c.retryable, `${httpStatus}`);
        assert.equal(c.code, httpStatus === 404 ? 'not_found' : `http_${httpStatus}`);
      }),
    );
    assert.equal(classifyMarketoError({ httpStatus: 429, now: 0 }).kind, 'throttled');
    assert.equal(classifyMarketoError({ httpStatus: 408, now: 0 }).kind, 'transient');
    assert.equal(classifyMarketoError({ httpStatus: 404, now: 0 }).kind, 'not_found');
    assert.equal(classifyMarketoError({ httpStatus: 404, code: '1004', now: 0 }).kind, 'not_found');
  });

  it('waits for 606 as the server says, else as the message says, else the budget window, else 20 s', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 99 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
        (serverRetryAfterMs, saidSeconds, windowMs) => {
          const message =
            saidSeconds === undefined
              ? 'Max rate limit exceeded'
              : `Max rate limit '100' exceeded with in '${saidSeconds}' secs`;
          const c = classifyMarketoError({
            code: 606,
            httpStatus: 200,
            now: 0,
            message,
            windowMs,
            serverRetryAfterMs,
          });
          const expected =
            serverRetryAfterMs ?? (saidSeconds !== undefined ? saidSeconds * 1000 : (windowMs ?? 20_000));
          assert.equal(c.kind, 'throttled');
          assert.equal(c.retryAfterMs, expected);
        },
      ),
    );
  });

  it('waits for 607 until the next midnight in America/Chicago, never more than 25 h', () => {
    fc.assert(
      fc.property(anyNow, fc.constantFrom(undefined, 200, 403, 500), (now, httpStatus) => {
        const c = classifyMarketoError({ code: '607', httpStatus, now });
        assert.equal(c.kind, 'quota');
        assert.ok(c.retryable);
        const wait = c.retryAfterMs ?? -1;
        assert.ok(wait > 0 && wait <= 25 * HOUR, `wait ${wait}`);
        const reset = now + wait;
        assert.equal(chicagoTime(reset), '00:00:00', 'lands on a Chicago midnight');
        assert.notEqual(chicagoDate(reset), chicagoDate(now), 'on the next day');
        assert.equal(chicagoDate(reset - 1), chicagoDate(now), 'and no midnight was skipped');
      }),
      { numRuns: 2000 },
    );
  });

  it('handles the DST days: 23 h and 25 h from midnight to midnight', () => {
    // 2024-03-10 (spring forward) and 2024-11-03 (fall back), both starting at 00:00 CST/CDT.
    const springMidnight = Date.UTC(2024, 2, 10, 6);
    const fallMidnight = Date.UTC(2024, 10, 3, 5);
    assert.equal(nextMidnightIn('America/Chicago', springMidnight) - springMidnight, 23 * HOUR);
    assert.equal(nextMidnightIn('America/Chicago', fallMidnight) - fallMidnight, 25 * HOUR);
    assert.equal(classifyMarketoError({ code: 607, now: fallMidnight }).retryAfterMs, 25 * HOUR);
    // One millisecond before midnight, the wait is one millisecond.
    assert.equal(classifyMarketoError({ code: 607, now: springMidnight - 1 }).retryAfterMs, 1);
  });

  it('names the kinds of the brief', () => {
    const kindOf = (code: string | number, httpStatus?: number): MarketoErrorKind =>
      classifyMarketoError({ code, httpStatus, now: 0 }).kind;
    assert.equal(kindOf('601', 401), 'auth');
    // A 401 reaches the classifier only after its one re-authentication (http.ts): then it is final.
    assert.equal(kindOf('', 401), 'unauthorized');
    assert.equal(kindOf('777', 401), 'unauthorized');
    assert.equal(classifyMarketoError({ code: '777', httpStatus: 401, now: 0 }).retryable, false);
    assert.equal(kindOf('invalid_client', 401), 'invalid_credentials');
    assert.equal(kindOf('603', 403), 'permission');
    assert.equal(kindOf('611', 400), 'fatal');
    assert.equal(kindOf('615'), 'throttled');
    assert.equal(kindOf('timeout'), 'transient');
    assert.equal(kindOf('network'), 'transient');
    assert.equal(kindOf('invalid_response', 200), 'invalid_response');
    assert.equal(kindOf('1003', 400), 'invalid_request');
    assert.equal(kindOf('9999', 409), 'conflict');
    assert.equal(classifyMarketoError({ code: '615', now: 0 }).retryAfterMs, undefined);
  });
});

describe('MarketoApiError and redaction', () => {
  const SECRET = 's3cr3t-Value/with+chars';
  const TOKEN = 'f0e1d2c3-aaaa-bbbb-cccc-000000000000:ab';

  it('never shows a secret or token in message, toString, JSON, inspect or cause', () => {
    const cause = new TypeError(
      `fetch failed for https://x.mktorest.com/identity/oauth/token?client_id=id&client_secret=${encodeURIComponent(SECRET)}`,
    );
    const error = MarketoApiError.from({
      httpStatus: 500,
      code: '611',
      now: 0,
      endpoint: 'POST /userservice/management/v1/users/{userid}/delete.json',
      message: `echo: Authorization: Bearer ${TOKEN} and ${SECRET}`,
      errors: [{ code: '611', message: `token ${TOKEN}` }],
      cause,
      secrets: [SECRET, TOKEN],
    });
    const texts = [
      error.message,
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: 5, showHidden: true }),
      error.stack ?? '',
      inspect(error.cause, { depth: 5 }),
    ];
    for (const text of texts) {
      assert.ok(!text.includes(SECRET), text);
      assert.ok(!text.includes(encodeURIComponent(SECRET)), text);
      assert.ok(!text.includes(TOKEN), text);
    }
    assert.match(error.message, /\[REDACTED\]/);
    assert.equal(error.code, '611');
    assert.equal(error.retryable, false);
    assert.ok(error.cause instanceof Error);
  });

  it('toJSON keeps the facts an operator needs', () => {
    const error = MarketoApiError.from({
      httpStatus: 200,
      code: 606,
      now: 0,
      endpoint: 'GET /userservice/management/v1/users/roles.json',
      message: "Max rate limit '100' exceeded with in '20' secs",
    });
    const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;
    assert.equal(json.code, '606');
    assert.equal(json.retryable, true);
    assert.equal(json.retryAfterMs, 20_000);
    assert.equal(json.endpoint, 'GET /userservice/management/v1/users/roles.json');
    assert.equal(json.kind, 'throttled');
    assert.equal(json.name, 'MarketoApiError');
    assert.ok(!('cause' in json));
    assert.ok(error instanceof Error);
  });

  it('redacts query fields, JSON fields and bearer headers by shape, even without the secret list', () => {
    const text = redactSecrets(
      'GET /identity/oauth/token?grant_type=client_credentials&client_id=abc&client_secret=xyz123 ' +
        '{"access_token":"tok-9:ab","scope":"a@b.c"} Authorization: Bearer tok-9:ab bearer other',
    );
    assert.ok(!text.includes('xyz123'));
    assert.ok(!text.includes('tok-9:ab'));
    assert.ok(!text.includes('other'));
    assert.ok(text.includes('client_id=abc'), 'leaves the client id alone');
    assert.ok(text.includes('a@b.c'));
  });
});
