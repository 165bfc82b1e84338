/**
 * Fuzzing `parseMarketoDate` (src/marketo/datetime.ts), shared by the client and the sandbox: whatever text
 * arrives, it returns a valid Date or throws a MarketoDateError, never anything else and never an Invalid Date;
 * every valid date it is given denotes the instant it spells, and what it returns survives a round trip
 * through the forms the product writes. A few thousand runs in a few seconds, with a fixed seed unless
 * FUZZ_SEED is set (fast-check prints the seed and path of any counterexample).
 */
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
import { cpuTimed } from '../helpers/cpu-time';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_260_101;
const params = <T = unknown>(numRuns: number): fc.Parameters<T> => ({
  numRuns,
  seed: SEED,
  endOnFailure: true,
});

type Outcome = { kind: 'date'; date: Date } | { kind: 'refused' };

/** The contract of the parser for any input: a valid Date, or a MarketoDateError; anything else fails. */
function parseOrRefuse(text: string): Outcome {
  let date: unknown;
  try {
    date = parseMarketoDate(text);
  } catch (error) {
    if (error instanceof MarketoDateError) {
      assert.ok(error.message.length > 0 && error.message.length < 512, 'a short, non-empty message');
      return { kind: 'refused' };
    }
    throw new Error(
      `parseMarketoDate(${JSON.stringify(text.slice(0, 200))}) threw ${String(error)}, not a MarketoDateError`,
    );
  }
  assert.ok(date instanceof Date, `returned ${String(date)}, not a Date`);
  assert.ok(!Number.isNaN(date.getTime()), `returned an Invalid Date for ${JSON.stringify(text)}`);
  return { kind: 'date', date };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction: string | undefined;
  dashes: boolean;
  offset: 'Z' | { sign: '+' | '-'; hours: number; minutes: number; literalT: boolean; colon: boolean };
}

const partsOf = (year: fc.Arbitrary<number>): fc.Arbitrary<DateParts> =>
  fc.record<DateParts>({
    year,
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.option(fc.stringMatching(/^\d{1,9}$/), { nil: undefined }),
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
  });

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** The text of the parts in their form, and the instant it denotes (meaningful for valid parts only). */
function render(p: DateParts): { text: string; expected: number } {
  const sep = p.dashes ? '-' : '';
  const frac = p.fraction === undefined ? '' : `.${p.fraction}`;
  let text = `${pad(p.year, 4)}${sep}${pad(p.month)}${sep}${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${frac}`;
  let offsetMinutes = 0;
  if (p.offset === 'Z') {
    text += 'Z';
  } else {
    const o = p.offset;
    text += `${o.literalT ? 't' : ''}${o.sign}${pad(o.hours)}${o.colon ? ':' : ''}${pad(o.minutes)}`;
    offsetMinutes = (o.sign === '-' ? -1 : 1) * (o.hours * 60 + o.minutes);
  }
  const millis = p.fraction === undefined ? 0 : Number(p.fraction.slice(0, 3).padEnd(3, '0'));
  const utc = Date.UTC(2000, p.month - 1, p.day, p.hour, p.minute, p.second, millis);
  const date = new Date(utc);
  date.setUTCFullYear(p.year); // Date.UTC would map years 0-99 to 1900-1999
  return { text, expected: date.getTime() - offsetMinutes * 60_000 };
}

/** A valid date in one of the forms the contract page lists, with the instant it denotes. */
const validDate = (year: fc.Arbitrary<number>) =>
  partsOf(year)
    .filter((p) => p.day <= daysIn(p.year, p.month))
    .map(render);

/** Years whose instants stay within 1000..9999 in UTC whatever the offset: the round trip must hold. */
const interiorDate = validDate(fc.integer({ min: 1001, max: 9998 }));

/** Characters a date is made of, plus look-alikes and troublemakers. */
const dateishChar = fc.constantFrom(
  ...'0123456789-:+.TtZz '.split(''),
  '\u0000',
  '\n',
  '\r',
  '\u2212', // minus sign
  '\uff10', // full-width 0
  '\u0660', // Arabic-Indic 0
  '\u00a0',
  '\ud800', // lone surrogate
  'e',
  'x',
);

type Mutation = { op: 'insert'; at: number; text: string } | { op: 'delete'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant<'insert'>('insert'),
    at: fc.nat(),
    text: fc.oneof(fc.string({ unit: dateishChar, minLength: 1, maxLength: 3 }), fc.string({ maxLength: 3 })),
  }),
  fc.record({ op: fc.constant<'delete'>('delete'), at: fc.nat(), length: fc.integer({ min: 1, max: 3 }) }),
);

/** Insert, delete, or (both at one place) replace characters of the text. */
function mutate(text: string, mutations: Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    out =
      m.op === 'insert'
        ? out.slice(0, at) + m.text + out.slice(at)
        : out.slice(0, at) + out.slice(at + m.length);
  }
  return out;
}

/** Strict ISO-8601 with dashes, 3 fraction digits or none, and Z or ±hh:mm: a form V8's Date.parse reads too. */
const STRICT_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?(Z|[+-]\d{2}:\d{2})$/;

describe('parseMarketoDate under fuzzing', () => {
  it('arbitrary strings (any Unicode, control characters, lone surrogates): a valid Date or a MarketoDateError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.string({ unit: dateishChar, maxLength: 40 }),
        ),
        (text) => {
          parseOrRefuse(text);
        },
      ),
      params(3000),
    );
  });

  it('mutated valid dates (inserted, deleted, replaced characters): never a crash, never an Invalid Date', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(interiorDate, fc.array(mutation, { minLength: 1, maxLength: 4 }), (valid, mutations) => {
        const text = mutate(valid.text, mutations);
        const outcome = parseOrRefuse(text);
        if (outcome.kind === 'refused') {
          refused += 1;
          return;
        }
        accepted += 1;
        // Whatever still parses is a date the product can write back and read again.
        assert.equal(
          parseMarketoDate(formatMarketoDate(outcome.date)).getTime(),
          outcome.date.getTime(),
          text,
        );
        // Where V8 reads the same text, both agree on the instant.
        if (STRICT_ISO.test(text) && !Number.isNaN(Date.parse(text))) {
          assert.equal(outcome.date.getTime(), Date.parse(text), text);
        }
      }),
      params(3000),
    );
    assert.ok(accepted > 0 && refused > 0, `mutations both kept and broke dates (${accepted}/${refused})`);
  });

  it('huge strings are refused quickly with a short message', () => {
    const valid = '2026-12-31T23:59:59Z';
    const huge = [
      'x'.repeat(1_000_000),
      '9'.repeat(1_000_000),
      valid + ' '.repeat(1_000_000),
      '2026'.repeat(250_000) + valid,
      `${valid.slice(0, 19)}.${'9'.repeat(1_000_000)}Z`,
      `2026-12-31T23:59:59${'t+0000'.repeat(100_000)}`,
      '-'.repeat(500_000) + 'T'.repeat(500_000),
      '\u0000'.repeat(1_000_000),
    ];
    for (const text of huge) {
      // CPU time, not the wall clock: a paused or busy CI machine must not fail it (bench/pathological-inputs.ts
      // has the wall-clock figure). A parser that backtracked over a million characters still would fail it.
      const { cpuMs } = cpuTimed(() =>
        assert.throws(
          () => parseMarketoDate(text),
          (error: unknown) => error instanceof MarketoDateError && error.message.length < 512,
        ),
      );
      assert.ok(cpuMs < 250, `${text.length} characters took ${cpuMs.toFixed(1)} ms of CPU`);
    }
    // Long generated text (up to 50,000 characters) is a short generated piece repeated, not fast-check drawing
    // (and, on a failure, shrinking) tens of thousands of characters one by one.
    const long = fc
      .tuple(
        fc.string({ unit: dateishChar, maxLength: 40 }),
        fc.string({ unit: dateishChar, minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1_250, max: 6_250 }),
      )
      .map(([head, piece, times]) => head + piece.repeat(times));
    fc.assert(
      fc.property(long, fc.nat(), (filler, at) => {
        const cut = at % (valid.length + 1);
        parseOrRefuse(valid.slice(0, cut) + filler + valid.slice(cut));
      }),
      params(60),
    );
  });

  it('valid generated dates in every contract form denote the instant they spell and round-trip', () => {
    fc.assert(
      fc.property(interiorDate, ({ text, expected }) => {
        const outcome = parseOrRefuse(text);
        assert.equal(outcome.kind, 'date', `refused a valid date: ${text}`);
        const date = (outcome as { date: Date }).date;
        assert.equal(date.getTime(), expected, text);
        assert.equal(parseMarketoDate(formatMarketoDate(date)).getTime(), expected);
        assert.equal(parseMarketoDate(formatIsoDate(date)).getTime(), expected);
        assert.equal(
          parseMarketoDate(formatIsoDateSeconds(date)).getTime(),
          Math.floor(expected / 1000) * 1000,
        );
      }),
      params(2000),
    );
  });

  it('impossible calendar days, times and offsets are refused, whatever the form', () => {
    const outOfRange = fc.oneof(
      fc.record({ field: fc.constant('month' as const), value: fc.constantFrom(0, 13, 99) }),
      fc.record({ field: fc.constant('day' as const), value: fc.integer({ min: 29, max: 99 }) }),
      fc.record({ field: fc.constant('hour' as const), value: fc.integer({ min: 24, max: 99 }) }),
      fc.record({ field: fc.constant('minute' as const), value: fc.integer({ min: 60, max: 99 }) }),
      fc.record({ field: fc.constant('second' as const), value: fc.integer({ min: 60, max: 99 }) }),
      fc.record({ field: fc.constant('offsetHours' as const), value: fc.integer({ min: 15, max: 99 }) }),
      fc.record({ field: fc.constant('offsetMinutes' as const), value: fc.integer({ min: 60, max: 99 }) }),
    );
    fc.assert(
      fc.property(partsOf(fc.integer({ min: 1000, max: 9999 })), outOfRange, (parts, bad) => {
        const p: DateParts = { ...parts };
        if (bad.field === 'day') {
          if (bad.value <= daysIn(p.year, p.month)) return; // still a real day of that month
          p.day = bad.value;
        } else if (bad.field === 'offsetHours' || bad.field === 'offsetMinutes') {
          const o =
            p.offset === 'Z'
              ? { sign: '+' as const, hours: 0, minutes: 0, literalT: false, colon: true }
              : p.offset;
          p.offset = bad.field === 'offsetHours' ? { ...o, hours: bad.value } : { ...o, minutes: bad.value };
        } else {
          p[bad.field] = bad.value;
        }
        const { text } = render(p);
        assert.equal(parseOrRefuse(text).kind, 'refused', text);
      }),
      params(1000),
    );
  });

  it('dates at the edges of years 1000..9999 whose instant leaves that range still round-trip', {}, () => {
    fc.assert(
      fc.property(validDate(fc.constantFrom(1000, 9999)), ({ text }) => {
        const outcome = parseOrRefuse(text);
        if (outcome.kind === 'refused') return;
        assert.equal(
          parseMarketoDate(formatMarketoDate(outcome.date)).getTime(),
          outcome.date.getTime(),
          text,
        );
      }),
      {
        ...params<[{ text: string; expected: number }]>(2000),
        examples: [[{ text: '9999-12-31T23:59:59-14:00', expected: 0 }]],
      },
    );
  });

  it('values that are not strings (null, undefined, numbers, objects) get a MarketoDateError too', {}, () => {
    const values: unknown[] = [null, undefined, 5, {}, ['2020-01-01T00:00:00Z'], true];
    for (const value of values) {
      assert.throws(
        () => parseMarketoDate(value as string),
        (error: unknown) => error instanceof MarketoDateError,
        JSON.stringify(value) ?? 'undefined',
      );
    }
  });
});
