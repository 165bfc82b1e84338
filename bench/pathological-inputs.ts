/**
 * `npx tsx bench/pathological-inputs.ts`: wall-clock time of the product's pure parsers on the inputs meant to
 * make them slow, printed as one JSON object. The unit tests bound these in steps and CPU time so a loaded CI
 * machine cannot fail them; this is where the milliseconds themselves are measured, on a quiet machine.
 *
 * - exemptPattern: `*a*a*a*a*a*a*a*a*b` (and a many-star pattern) over a 200-character email, per match;
 *   the promise is under 10 ms.
 * - hugeDates: `parseMarketoDate` refusing 1,000,000-character strings, per refusal; the test allows 250 ms.
 */
import { matchExemption, matchesExemption } from '../src/domain/sweep-policy';
import { MarketoDateError, parseMarketoDate } from '../src/marketo/datetime';

const EXEMPT_PROMISE_MS = 10;
const HUGE_DATE_PROMISE_MS = 250;

interface Figure {
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

function summarize(samples: number[]): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const round = (ms: number) => Math.round(ms * 10_000) / 10_000;
  return { medianMs: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(at(1)), samples: sorted.length };
}

function exemptPattern() {
  const email = `${'a'.repeat(188)}@example.com`;
  const patterns = ['*a*a*a*a*a*a*a*a*b', '*.*.*.*.*.*@corp.example.com'];
  const perPattern = patterns.map((pattern) => {
    const samples: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const started = performance.now();
      if (matchesExemption(email, pattern)) throw new Error(`${pattern} matched ${email}`);
      samples.push(performance.now() - started);
    }
    const { steps } = matchExemption(email, pattern);
    return { pattern, steps, stepBound: (email.length + 1) * (pattern.length + 1), ...summarize(samples) };
  });
  const worst = Math.max(...perPattern.map((p) => p.p99Ms));
  return {
    emailLength: email.length,
    promiseMs: EXEMPT_PROMISE_MS,
    kept: worst < EXEMPT_PROMISE_MS,
    perPattern,
  };
}

function hugeDates() {
  const valid = '2026-12-31T23:59:59Z';
  const inputs: Record<string, string> = {
    letters: 'x'.repeat(1_000_000),
    digits: '9'.repeat(1_000_000),
    trailingSpaces: valid + ' '.repeat(1_000_000),
    longFraction: `${valid.slice(0, 19)}.${'9'.repeat(1_000_000)}Z`,
    repeatedOffsets: `2026-12-31T23:59:59${'t+0000'.repeat(166_667)}`,
    nulls: '\u0000'.repeat(1_000_000),
  };
  const perInput = Object.entries(inputs).map(([name, text]) => {
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      // A fresh copy each time, so V8 cannot reuse a flattened string or a cached result.
      const copy = `${text.slice(0, 1)}${text.slice(1)}`;
      const started = performance.now();
      try {
        parseMarketoDate(copy);
        throw new Error(`${name} parsed`);
      } catch (error) {
        if (!(error instanceof MarketoDateError)) throw error;
      }
      samples.push(performance.now() - started);
    }
    return { name, length: text.length, ...summarize(samples) };
  });
  const worst = Math.max(...perInput.map((p) => p.maxMs));
  return { promiseMs: HUGE_DATE_PROMISE_MS, kept: worst < HUGE_DATE_PROMISE_MS, perInput };
}

console.log(JSON.stringify({ exemptPattern: exemptPattern(), hugeDates: hugeDates() }, null, 2));
