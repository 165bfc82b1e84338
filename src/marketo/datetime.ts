/**
 * Marketo's dates: responses use a quirky form with a literal lowercase `t` before the offset
 * (`2020-12-31T08:00:00.000t+0000`), sometimes without dashes and with 1 to 3 fraction digits
 * (`20200807T20:49:54.0t+0000`); requests take plain ISO-8601. This module is shared by the client and the
 * sandbox: it is the contract's date rule in one place.
 */

const MARKETO_DATE =
  /^(\d{4})(-?)(\d{2})\2(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:t?([+-])(\d{2}):?(\d{2})|(Z))$/;

export class MarketoDateError extends Error {
  override readonly name = 'MarketoDateError';
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Parses every form on the contract page and plain ISO-8601 with an offset; throws MarketoDateError otherwise. */
export function parseMarketoDate(text: string): Date {
  // Callers parse JSON: a number or an array must fail like any other bad date, not with a TypeError.
  if (typeof text !== 'string') throw new MarketoDateError(`not a Marketo date: a ${typeof text}`);
  const m = MARKETO_DATE.exec(text);
  if (!m) throw new MarketoDateError(`not a Marketo date: ${JSON.stringify(text.slice(0, 64))}`);
  const [, y, , mo, d, h, mi, s, fraction, sign, offH, offM] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new MarketoDateError(`no such calendar day: ${JSON.stringify(text)}`);
  }
  if (hour > 23 || minute > 59 || second > 59)
    throw new MarketoDateError(`no such time: ${JSON.stringify(text)}`);
  let offsetMinutes = 0;
  if (sign) {
    const oh = Number(offH);
    const om = Number(offM);
    if (oh > 14 || om > 59) throw new MarketoDateError(`no such UTC offset: ${JSON.stringify(text)}`);
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const millis = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  const date = new Date(utc);
  // Date.UTC maps years 0-99 to 1900-1999, and an offset can push 9999-12-31 into year 10000, which no form
  // on the contract page can write back: refuse both rather than guess.
  if (
    year < 1000 ||
    Number.isNaN(date.getTime()) ||
    date.getUTCFullYear() < 1000 ||
    date.getUTCFullYear() > 9999
  )
    throw new MarketoDateError(`year out of range: ${JSON.stringify(text)}`);
  return date;
}

/** The form Marketo emits in responses (and the sandbox too): `2020-12-31T08:00:00.000t+0000`, always UTC. */
export function formatMarketoDate(date: Date): string {
  return date.toISOString().replace('Z', 't+0000');
}

/** The form requests take: plain ISO-8601 in UTC. */
export function formatIsoDate(date: Date): string {
  return date.toISOString();
}

/**
 * The form the invite endpoint documents for `expiresAt`: W3C ISO-8601 without milliseconds and with a
 * numeric offset (`2020-12-31T23:59:59+00:00`). Milliseconds are dropped, not rounded, so the instant
 * never moves later than asked.
 */
export function formatIsoDateSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
