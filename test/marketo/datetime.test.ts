import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatIsoDate,
  formatIsoDateSeconds,
  formatMarketoDate,
  MarketoDateError,
  parseMarketoDate,
} from '../../src/marketo/datetime';

const MIN = Date.UTC(1000, 0, 1);
const MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const anyInstant = fc.date({
  min: new Date(MIN + 86_400_000),
  max: new Date(MAX - 86_400_000),
  noInvalidDate: true,
});

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Every textual form on the contract page, built from its parts, with the instant it must denote. */
const anyForm = fc
  .record({
    // Year 1000 with a positive offset is year 999 in UTC, which the parser refuses (tested below).
    year: fc.integer({ min: 1001, max: 9998 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.option(fc.stringMatching(/^\d{1,3}$/), { nil: undefined }),
    dashes: fc.boolean(),
    offset: fc.oneof(
      fc.constant<'Z'>('Z'),
      fc.record({
        sign: fc.constantFrom<'+' | '-'>('+', '-'),
        hours: fc.integer({ min: 0, max: 14 }),
        minutes: fc.integer({ min: 0, max: 59 }),
        literalT: fc.boolean(),
        colon: fc.boolean(),
      }),
    ),
  })
  .filter((p) => p.day <= new Date(Date.UTC(p.year, p.month, 0)).getUTCDate())
  .map((p) => {
    const sep = p.dashes ? '-' : '';
    const frac = p.fraction === undefined ? '' : `.${p.fraction}`;
    let text = `${p.year}${sep}${pad(p.month)}${sep}${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${frac}`;
    let offsetMinutes = 0;
    if (p.offset === 'Z') {
      text += 'Z';
    } else {
      const o = p.offset;
      text += `${o.literalT ? 't' : ''}${o.sign}${pad(o.hours)}${o.colon ? ':' : ''}${pad(o.minutes)}`;
      offsetMinutes = (o.sign === '-' ? -1 : 1) * (o.hours * 60 + o.minutes);
    }
    const millis = p.fraction === undefined ? 0 : Number(p.fraction.padEnd(3, '0'));
    const expected =
      Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, millis) - offsetMinutes * 60_000;
    return { text, expected };
  });

describe('Marketo datetime (property tests)', () => {
  it('round-trips the response form, ISO-8601 and the seconds-only request form', () => {
    fc.assert(
      fc.property(anyInstant, (date) => {
        assert.equal(parseMarketoDate(formatMarketoDate(date)).getTime(), date.getTime());
        assert.equal(parseMarketoDate(formatIsoDate(date)).getTime(), date.getTime());
        assert.equal(
          parseMarketoDate(formatIsoDateSeconds(date)).getTime(),
          Math.floor(date.getTime() / 1000) * 1000,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('the response form has the literal t before a +0000 offset, the seconds form has no milliseconds', () => {
    fc.assert(
      fc.property(anyInstant, (date) => {
        assert.match(formatMarketoDate(date), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}t\+0000$/);
        assert.match(formatIsoDateSeconds(date), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
      }),
    );
  });

  it('reads every form: dashes or not, 0-3 fraction digits, t or not, offsets with or without colon, Z', () => {
    fc.assert(
      fc.property(anyForm, ({ text, expected }) => {
        assert.equal(parseMarketoDate(text).getTime(), expected, text);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses an offset that pushes the instant outside years 1000-9999', () => {
    assert.throws(() => parseMarketoDate('10000101T00:00:00+0001'), /year out of range/);
    assert.throws(() => parseMarketoDate('9999-12-31T23:59:00-00:01'), /year out of range/);
    assert.equal(parseMarketoDate('10000101T00:01:00+0001').toISOString(), '1000-01-01T00:00:00.000Z');
  });

  it('reads the documented examples', () => {
    assert.equal(parseMarketoDate('2020-12-31T08:00:00.000t+0000').toISOString(), '2020-12-31T08:00:00.000Z');
    assert.equal(parseMarketoDate('20200807T20:49:54.0t+0000').toISOString(), '2020-08-07T20:49:54.000Z');
    assert.equal(parseMarketoDate('2020-12-31T23:59:59-05:00').toISOString(), '2021-01-01T04:59:59.000Z');
  });

  it('never throws anything but MarketoDateError on garbage, and never returns an invalid Date', () => {
    const garbage = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.stringMatching(/^[0-9T:.tZ+-]{0,30}$/),
      // Valid texts with one character replaced.
      fc
        .tuple(anyForm, fc.nat(), fc.string({ minLength: 1, maxLength: 1 }))
        .map(
          ([{ text }, at, ch]) => text.slice(0, at % text.length) + ch + text.slice((at % text.length) + 1),
        ),
    );
    fc.assert(
      fc.property(garbage, (text) => {
        try {
          const date = parseMarketoDate(text);
          assert.ok(!Number.isNaN(date.getTime()), `invalid Date from ${JSON.stringify(text)}`);
        } catch (error) {
          assert.ok(error instanceof MarketoDateError, `threw ${String(error)} for ${JSON.stringify(text)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses impossible days, times and offsets', () => {
    for (const text of [
      '2021-02-29T00:00:00Z',
      '2020-13-01T00:00:00Z',
      '2020-01-01T24:00:00Z',
      '2020-01-01T00:60:00Z',
      '2020-01-01T00:00:00t+1500',
      '2020-01-01T00:00:00',
      '2020-01-01',
      '',
    ]) {
      assert.throws(() => parseMarketoDate(text), MarketoDateError, text);
    }
  });
});
