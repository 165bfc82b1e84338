/**
 * The sweep's pure decision (src/domain/sweep-policy.ts), case by case and as properties over generated users
 * and policies: self and exempt users are never touched, managed users follow their lifecycle, unmanaged users'
 * expiries only ever move earlier (a lock writes "now"), and no written date passes the maximum lifetime.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decideSweepAction,
  matchesExemption,
  matchExemption,
  sweepPolicySchema,
  type SweepAction,
  type SweepDecisionInput,
  type SweepPolicy,
  type SweepPolicyInput,
  type SweptUser,
} from '../../src/domain/sweep-policy';
import { cpuTimed } from '../helpers/cpu-time';

const DAY = 86_400_000;
const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function user(overrides: Partial<SweptUser> = {}): SweptUser {
  return {
    userid: 'svc@example.com',
    email: 'svc@example.com',
    isLocked: false,
    expiresAt: null,
    createdAt: null,
    ...overrides,
  };
}

function decide(
  u: Partial<SweptUser>,
  policy: SweepPolicyInput = {},
  extra: Partial<Omit<SweepDecisionInput, 'user' | 'policy'>> = {},
): SweepAction {
  return decideSweepAction({
    user: user(u),
    policy: sweepPolicySchema.parse(policy),
    nowMs: NOW,
    firstSeenAt: iso(NOW - DAY),
    isSelf: false,
    ...extra,
  });
}

/** The date an action writes, or undefined when it writes nothing. */
function target(action: SweepAction): number | undefined {
  return 'expiresAt' in action ? Date.parse(action.expiresAt) : undefined;
}

describe('matchesExemption', () => {
  it('matches a whole email, case-insensitively', () => {
    assert.equal(matchesExemption('Ops@Corp.Example.com', 'ops@corp.example.com'), true);
    assert.equal(matchesExemption('ops@corp.example.com', 'OPS@CORP.EXAMPLE.COM'), true);
    assert.equal(matchesExemption('ops@corp.example.com.evil', 'ops@corp.example.com'), false);
    assert.equal(matchesExemption('xops@corp.example.com', 'ops@corp.example.com'), false);
  });

  it('`*` is any run of characters (also none), `?` exactly one', () => {
    assert.equal(matchesExemption('a@corp.example.com', '*@corp.example.com'), true);
    assert.equal(matchesExemption('@corp.example.com', '*@corp.example.com'), true);
    assert.equal(matchesExemption('a@other.example.com', '*@corp.example.com'), false);
    assert.equal(matchesExemption('svc-01@x.com', 'svc-??@x.com'), true);
    assert.equal(matchesExemption('svc-1@x.com', 'svc-??@x.com'), false);
    assert.equal(matchesExemption('svc-001@x.com', 'svc-??@x.com'), false);
    assert.equal(matchesExemption('anything', '*'), true);
  });

  it('every other character is literal, regular-expression characters included', () => {
    assert.equal(matchesExemption('axb@x.com', 'a.b@x.com'), false, '`.` is a dot, not any character');
    assert.equal(matchesExemption('a.b@x.com', 'a.b@x.com'), true);
    assert.equal(matchesExemption('a+b@x.com', 'a+b@x.com'), true);
    assert.equal(matchesExemption('aab@x.com', 'a+b@x.com'), false, '`+` is a plus, not a repetition');
    assert.equal(matchesExemption('(x)|y@x.com', '(x)|y@x.com'), true);
    assert.equal(matchesExemption('y@x.com', '(x)|y@x.com'), false, '`|` is not an alternation');
    assert.equal(matchesExemption('a$^{1}[b]@x.com', 'a$^{1}[b]@x.com'), true);
  });

  it('property: a pattern equal to the email (any case) matches; a different literal email does not', () => {
    const local = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'ab.+-_$^()[]{}|\\') });
    fc.assert(
      fc.property(local, local, (a, b) => {
        const email = `${a}@x.com`;
        assert.equal(matchesExemption(email, email.toUpperCase()), true);
        if (a.toLowerCase() !== b.toLowerCase()) assert.equal(matchesExemption(email, `${b}@x.com`), false);
      }),
    );
  });
});

/** The glob by its definition, as a table over prefixes: the oracle the fast matcher must agree with. */
function referenceMatch(email: string, pattern: string): boolean {
  const e = email.toLowerCase();
  const p = pattern.toLowerCase();
  // row[j]: p[0..i) matches e[0..j)
  let row = Array.from({ length: e.length + 1 }, (_, j) => j === 0);
  for (const c of p) {
    const next = [c === '*' && row[0]!];
    for (let j = 1; j <= e.length; j++) {
      next[j] = c === '*' ? row[j]! || next[j - 1]! : row[j - 1]! && (c === '?' || c === e[j - 1]);
    }
    row = next;
  }
  return row[e.length]!;
}

/** Today's semantics as a regular expression, fine here: a test's own small inputs, never a worker's. */
function regexMatch(email: string, pattern: string): boolean {
  const body = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`).test(email.toLowerCase());
}

describe('matchesExemption: no pattern can make it slow', () => {
  const PATHOLOGICAL = '*a*a*a*a*a*a*a*a*b';
  /** What "linear in the email" means for a fixed pattern: the matcher's own claim. */
  const stepBound = (emailLength: number, pattern: string) => (emailLength + 1) * (pattern.length + 1);

  it('the pathological pattern over a 200-character email takes under 10 ms', () => {
    const email = `${'a'.repeat(188)}@example.com`;
    assert.equal(email.length, 200);
    // Counted in steps, not milliseconds, so a paused or busy machine cannot fail it. Growing the email one
    // character at a time stops a backtracking matcher at the first length past the bound, long before the
    // 200 characters it could not finish in a lifetime.
    for (let length = 1; length <= 200; length++) {
      const { matched, steps } = matchExemption('a'.repeat(length), PATHOLOGICAL);
      assert.equal(matched, false);
      assert.ok(steps <= stepBound(length, PATHOLOGICAL), `${steps} steps for ${length} characters`);
    }
    for (const pattern of [PATHOLOGICAL, '*.*.*.*.*.*@corp.example.com']) {
      const { matched, steps } = matchExemption(email, pattern);
      assert.equal(matched, false);
      assert.ok(steps <= stepBound(email.length, pattern), `${steps} steps for ${pattern}`);
    }
    // The 10 ms itself, in CPU time: a pause or a busy neighbour adds none of it. Wall-clock time on a quiet
    // machine is the bench's figure (bench/pathological-inputs.ts).
    const batches: number[] = [];
    for (let batch = 0; batch < 50; batch++) {
      const { cpuMs } = cpuTimed(() => {
        for (let i = 0; i < 20; i++) {
          assert.equal(matchesExemption(email, PATHOLOGICAL), false);
          assert.equal(matchesExemption(email, '*.*.*.*.*.*@corp.example.com'), false);
        }
      });
      batches.push(cpuMs / 40);
    }
    const median = batches.sort((a, b) => a - b)[batches.length / 2]!;
    assert.ok(median < 10, `median ${median.toFixed(3)} ms of CPU per match`);
    assert.equal(matchesExemption(`${email.slice(0, -3)}xab`, PATHOLOGICAL), true);
  });

  it('property: any email and pattern take at most (email + 1) x (pattern + 1) steps', () => {
    const unit = fc.constantFrom(...'ab*?');
    fc.assert(
      fc.property(fc.string({ maxLength: 60, unit }), fc.string({ maxLength: 20, unit }), (e, p) => {
        const { matched, steps } = matchExemption(e, p);
        assert.equal(matched, referenceMatch(e, p));
        assert.ok(steps <= stepBound(e.length, p), `${steps} steps`);
      }),
      { numRuns: 500 },
    );
  });

  it('property: agrees with the definition and with the former regular expression, any case', () => {
    const unit = fc.constantFrom(...'aAbB.@+*?()[]$^\\|{}-');
    const email = fc.string({ maxLength: 12, unit });
    const pattern = fc.string({ maxLength: 8, unit });
    fc.assert(
      fc.property(email, pattern, (e, p) => {
        const expected = referenceMatch(e, p);
        assert.equal(regexMatch(e, p), expected, 'the oracles disagree');
        assert.equal(matchesExemption(e, p), expected);
        assert.equal(matchesExemption(e.toUpperCase(), p.toLowerCase()), expected);
      }),
      { numRuns: 500 },
    );
  });

  it('property: a pattern cut from the email with `*` and `?` always matches it', () => {
    const letters = fc.string({ minLength: 1, maxLength: 30, unit: fc.constantFrom(...'abcAB.@-+') });
    fc.assert(
      fc.property(letters, fc.array(fc.nat(), { maxLength: 6 }), (e, cuts) => {
        let p = e;
        for (const cut of cuts) {
          const at = cut % p.length;
          p = cut % 2 ? `${p.slice(0, at)}*${p.slice(at + 1)}` : `${p.slice(0, at)}?${p.slice(at + 1)}`;
        }
        assert.equal(referenceMatch(e, p), true, p);
        assert.equal(matchesExemption(e, p), true, p);
      }),
    );
  });
});

describe('sweepPolicySchema: exempt patterns are bounded', () => {
  const tooMany = Array.from({ length: 101 }, (_, i) => `svc-${i}@x.com`);
  const longest = `${'*a'.repeat(124)}@x.com`;

  it('accepts up to 100 patterns of up to 254 characters', () => {
    const many = Array.from({ length: 100 }, () => longest);
    assert.equal(longest.length, 254);
    assert.equal(sweepPolicySchema.parse({ exempt: many }).exempt.length, 100);
  });

  it('refuses a 101st pattern and a 255-character one, saying what to do', () => {
    const many = sweepPolicySchema.safeParse({ exempt: tooMany });
    assert.equal(many.success, false);
    assert.match(many.error.issues[0]!.message, /at most 100 patterns/);
    const long = sweepPolicySchema.safeParse({ exempt: [`${longest}x`] });
    assert.equal(long.success, false);
    assert.match(long.error.issues[0]!.message, /at most 254 characters/);
  });
});

describe('decideSweepAction: who is never touched', () => {
  it("the orchestrator's own user is exempt whatever the policy and its state", () => {
    const worst = { expiresAt: null, isLocked: false };
    const strict: SweepPolicyInput = { requireExpiry: 'set', maxLifetimeMs: 30 * DAY, lockExpired: true };
    assert.equal(decide(worst, strict).kind, 'set-expiry', 'the same user, not self, would be acted on');
    assert.equal(decide(worst, strict, { isSelf: true }).kind, 'exempt');
    const expired = { expiresAt: iso(NOW - DAY), isLocked: false };
    assert.equal(decide(expired, strict, { isSelf: true }).kind, 'exempt');
    // Even a (mistaken) lifecycle date does not make the sweep write to its own user.
    assert.equal(decide(expired, strict, { isSelf: true, managedExpiresAt: iso(NOW + DAY) }).kind, 'exempt');
  });

  it('exempt patterns win over every rule and name the pattern', () => {
    const policy: SweepPolicyInput = {
      requireExpiry: 'set',
      exempt: ['nobody@x.com', '*@corp.example.com'],
    };
    const action = decide({ email: 'Robot@CORP.example.com', expiresAt: iso(NOW - 1) }, policy);
    assert.deepEqual(action, { kind: 'exempt', reason: 'exempt by *@corp.example.com' });
    assert.equal(decide({ email: 'robot@other.example.com' }, policy).kind, 'set-expiry');
  });
});

describe('decideSweepAction: users a lifecycle manages', () => {
  const wanted = NOW + 30 * DAY;
  it('drift of a second or more is corrected to the lifecycle date, earlier or later', () => {
    for (const marketo of [wanted + 1000, wanted - 1000, wanted + 10 * DAY, NOW - DAY]) {
      const action = decide({ expiresAt: iso(marketo) }, {}, { managedExpiresAt: iso(wanted) });
      assert.equal(action.kind, 'correct-drift', iso(marketo));
      assert.equal(target(action), wanted);
      assert.match((action as { reason: string }).reason, new RegExp(iso(wanted).replace(/\./g, '\\.')));
    }
  });

  it('no expiry in Marketo is drift too', () => {
    const action = decide({ expiresAt: null }, { requireExpiry: 'off' }, { managedExpiresAt: iso(wanted) });
    assert.deepEqual(action, {
      kind: 'correct-drift',
      reason: `Marketo had no expiry, its lifecycle has ${iso(wanted)}`,
      expiresAt: iso(wanted),
    });
  });

  it('within a second is no drift (Marketo rounds dates)', () => {
    for (const delta of [0, 1, -1, 999, -999]) {
      const action = decide({ expiresAt: iso(wanted + delta) }, {}, { managedExpiresAt: iso(wanted) });
      assert.deepEqual(action, { kind: 'compliant' }, `delta ${delta}`);
    }
  });

  it('the lifecycle wins over the unmanaged rules (no report, no cap, no lock)', () => {
    const policy: SweepPolicyInput = { requireExpiry: 'report', maxLifetimeMs: 2 * DAY, lockExpired: true };
    assert.equal(decide({ expiresAt: null }, policy).kind, 'report', 'unmanaged, it would be reported');
    assert.equal(
      decide({ expiresAt: null }, policy, { managedExpiresAt: iso(wanted) }).kind,
      'correct-drift',
    );
    assert.equal(
      decide({ expiresAt: iso(wanted) }, policy, { managedExpiresAt: iso(wanted) }).kind,
      'compliant',
    );
  });
});

describe('decideSweepAction: expired users', () => {
  const expired = { expiresAt: iso(NOW - 3 * DAY), isLocked: false };
  it('expired but unlocked (an admin unlocked it) is locked at now with lockExpired', () => {
    const action = decide(expired, { lockExpired: true });
    assert.deepEqual(action, {
      kind: 'lock',
      reason: `expired at ${expired.expiresAt} but not locked`,
      expiresAt: iso(NOW),
    });
  });

  it('… and only reported without lockExpired', () => {
    assert.deepEqual(decide(expired, { lockExpired: false }), {
      kind: 'report',
      reason: `expired at ${expired.expiresAt} but not locked`,
    });
  });

  it('expired and locked is compliant; expiring exactly now counts as expired', () => {
    assert.deepEqual(decide({ ...expired, isLocked: true }), { kind: 'compliant' });
    assert.equal(decide({ expiresAt: iso(NOW), isLocked: false }).kind, 'lock');
    assert.deepEqual(decide({ expiresAt: iso(NOW + 1), isLocked: false }), { kind: 'compliant' });
  });
});

describe('decideSweepAction: users without an expiry', () => {
  it('requireExpiry set: now plus the grace', () => {
    const action = decide({}, { requireExpiry: 'set', expiryGraceMs: 3 * DAY });
    assert.deepEqual(action, { kind: 'set-expiry', reason: 'no expiry', expiresAt: iso(NOW + 3 * DAY) });
    assert.equal(target(decide({}, { requireExpiry: 'set', expiryGraceMs: '12h' })), NOW + DAY / 2);
    assert.equal(target(decide({}, { requireExpiry: 'set' })), NOW + 7 * DAY, 'default grace 7 days');
  });

  it('requireExpiry report: listed, not changed', () => {
    assert.deepEqual(decide({}, { requireExpiry: 'report' }), { kind: 'report', reason: 'no expiry' });
    assert.deepEqual(decide({}), { kind: 'report', reason: 'no expiry' }, 'report is the default');
  });

  it('requireExpiry off: left alone without a maximum lifetime, given the cap with one', () => {
    assert.deepEqual(decide({}, { requireExpiry: 'off' }), { kind: 'compliant' });
    const action = decide({}, { requireExpiry: 'off', maxLifetimeMs: 10 * DAY });
    assert.equal(action.kind, 'set-expiry');
    assert.equal(target(action), NOW - DAY + 10 * DAY, 'first seen a day ago plus ten days');
  });

  it('requireExpiry set never gives more than the cap', () => {
    const action = decide({}, { requireExpiry: 'set', expiryGraceMs: 30 * DAY, maxLifetimeMs: 5 * DAY });
    assert.equal(target(action), NOW - DAY + 5 * DAY);
    const shorter = decide({}, { requireExpiry: 'set', expiryGraceMs: 2 * DAY, maxLifetimeMs: 5 * DAY });
    assert.equal(target(shorter), NOW + 2 * DAY);
  });
});

describe('decideSweepAction: maximum lifetime', () => {
  const createdAt = iso(NOW - 100 * DAY);
  const firstSeenAt = iso(NOW - 10 * DAY);
  const far = iso(NOW + 365 * DAY);

  it('counts from first sight by default, even when the instance gives a creation date', () => {
    const action = decide({ expiresAt: far, createdAt }, { maxLifetimeMs: 30 * DAY }, { firstSeenAt });
    assert.equal(action.kind, 'set-expiry');
    assert.equal(target(action), NOW + 20 * DAY);
    assert.match((action as { reason: string }).reason, new RegExp(`since ${firstSeenAt}`));
  });

  it('counts from creation with maxLifetimeFrom creation', () => {
    const policy: SweepPolicyInput = { maxLifetimeMs: 30 * DAY, maxLifetimeFrom: 'creation' };
    const action = decide({ expiresAt: far, createdAt }, policy, { firstSeenAt });
    assert.equal(action.kind, 'lock', 'created 100 days ago: past 30 days');
    assert.equal(target(action), NOW);
    const young = decide({ expiresAt: far, createdAt: iso(NOW - 5 * DAY) }, policy, { firstSeenAt });
    assert.equal(target(young), NOW + 25 * DAY);
  });

  it('falls back to first sight when the instance gives no creation date', () => {
    const policy: SweepPolicyInput = { maxLifetimeMs: 30 * DAY, maxLifetimeFrom: 'creation' };
    assert.equal(
      target(decide({ expiresAt: far, createdAt: null }, policy, { firstSeenAt })),
      NOW + 20 * DAY,
    );
  });

  it('past the cap: locked now, whatever expiry it holds', () => {
    const action = decide({ expiresAt: far }, { maxLifetimeMs: 5 * DAY }, { firstSeenAt });
    assert.deepEqual(action, {
      kind: 'lock',
      reason: `past the maximum lifetime (since ${firstSeenAt})`,
      expiresAt: iso(NOW),
    });
    assert.equal(decide({ expiresAt: null }, { maxLifetimeMs: 5 * DAY }, { firstSeenAt }).kind, 'lock');
  });

  it('an expiry inside the cap is compliant', () => {
    const policy: SweepPolicyInput = { maxLifetimeMs: 30 * DAY };
    assert.deepEqual(decide({ expiresAt: iso(NOW + 20 * DAY) }, policy, { firstSeenAt }), {
      kind: 'compliant',
    });
    assert.deepEqual(decide({ expiresAt: iso(NOW + 20 * DAY - 1) }, policy, { firstSeenAt }), {
      kind: 'compliant',
    });
    assert.equal(decide({ expiresAt: iso(NOW + 20 * DAY + 1) }, policy, { firstSeenAt }).kind, 'set-expiry');
  });
});

describe('decideSweepAction: properties', () => {
  const timeArb = fc.integer({ min: NOW - 400 * DAY, max: NOW + 400 * DAY });
  const policyArb = fc.record({
    maxLifetimeMs: fc.option(fc.integer({ min: 1, max: 300 * DAY }), { nil: undefined }),
    maxLifetimeFrom: fc.constantFrom('first-seen' as const, 'creation' as const),
    requireExpiry: fc.constantFrom('set' as const, 'report' as const, 'off' as const),
    expiryGraceMs: fc.integer({ min: 1, max: 60 * DAY }),
    lockExpired: fc.boolean(),
    exempt: fc.constant([] as string[]),
  });
  const userArb = fc.record({
    userid: fc.constant('u@example.com'),
    email: fc.constant('u@example.com'),
    isLocked: fc.boolean(),
    expiresAt: fc.option(timeArb.map(iso), { nil: null }),
    createdAt: fc.option(fc.integer({ min: NOW - 400 * DAY, max: NOW }).map(iso), { nil: null }),
  });
  const firstSeenArb = fc.integer({ min: NOW - 400 * DAY, max: NOW }).map(iso);
  interface Unmanaged {
    user: SweptUser;
    policy: SweepPolicy;
    firstSeenAt: string;
  }
  const unmanaged: fc.Arbitrary<Unmanaged> = fc.record({
    user: userArb,
    policy: policyArb,
    firstSeenAt: firstSeenArb,
  });

  const decideUnmanaged = ({ user: u, policy, firstSeenAt }: Unmanaged) =>
    decideSweepAction({ user: u, policy, nowMs: NOW, firstSeenAt, isSelf: false });

  const capOf = ({ user: u, policy, firstSeenAt }: Unmanaged) => {
    if (policy.maxLifetimeMs === undefined) return undefined;
    const from = policy.maxLifetimeFrom === 'creation' && u.createdAt ? u.createdAt : firstSeenAt;
    return Date.parse(from) + policy.maxLifetimeMs;
  };

  it('an unmanaged expiry never moves later: only earlier, or to now for a lock of an expired user', () => {
    fc.assert(
      fc.property(unmanaged, (input) => {
        const action = decideUnmanaged(input);
        const written = target(action);
        if (written === undefined || input.user.expiresAt === null) return;
        const current = Date.parse(input.user.expiresAt);
        if (current > NOW) {
          assert.ok(written < current, `${action.kind} moved ${input.user.expiresAt} to ${iso(written)}`);
        } else {
          // Already past: the only write is re-locking, at now; nothing the user can use is added.
          assert.equal(action.kind, 'lock');
          assert.equal(written, NOW);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('no date written for an unmanaged user is after the cap, except a lock at now (the cap passed)', () => {
    fc.assert(
      fc.property(unmanaged, (input) => {
        const action = decideUnmanaged(input);
        const written = target(action);
        const cap = capOf(input);
        if (written === undefined || cap === undefined) return;
        if (action.kind === 'lock') assert.equal(written, NOW);
        else assert.ok(written <= cap, `${action.kind} to ${iso(written)} after the cap ${iso(cap)}`);
      }),
      { numRuns: 500 },
    );
  });

  it('every unmanaged outcome is one the rules allow, and writes never go beyond now plus the grace', () => {
    fc.assert(
      fc.property(unmanaged, (input) => {
        const action = decideUnmanaged(input);
        const { user: u, policy } = input;
        const written = target(action);
        assert.notEqual(action.kind, 'correct-drift', 'no lifecycle, no drift');
        assert.notEqual(action.kind, 'exempt', 'no pattern, not self');
        if (written !== undefined)
          assert.ok(written <= Math.max(NOW + policy.expiryGraceMs, capOf(input) ?? 0));
        const expired = u.expiresAt !== null && Date.parse(u.expiresAt) <= NOW;
        if (expired && u.isLocked) assert.deepEqual(action, { kind: 'compliant' });
        if (expired && !u.isLocked) assert.equal(action.kind, policy.lockExpired ? 'lock' : 'report');
        if (!expired && u.expiresAt === null && policy.maxLifetimeMs === undefined) {
          const expected = { set: 'set-expiry', report: 'report', off: 'compliant' }[policy.requireExpiry];
          assert.equal(action.kind, expected);
        }
        if (action.kind === 'lock') assert.equal(written, NOW, 'a lock is an expiry of now');
      }),
      { numRuns: 500 },
    );
  });

  it('self and exempt users are never acted on; managed users only ever get their lifecycle date', () => {
    fc.assert(
      fc.property(unmanaged, fc.option(timeArb, { nil: undefined }), (input, managed) => {
        const base = {
          user: input.user,
          policy: input.policy,
          nowMs: NOW,
          firstSeenAt: input.firstSeenAt,
          managedExpiresAt: managed === undefined ? undefined : iso(managed),
        };
        assert.equal(decideSweepAction({ ...base, isSelf: true }).kind, 'exempt');
        const exempted = { ...input.policy, exempt: ['nobody@x.com', 'U@EXAMPLE.*'] };
        assert.equal(decideSweepAction({ ...base, policy: exempted, isSelf: false }).kind, 'exempt');
        const action = decideSweepAction({ ...base, isSelf: false });
        if (managed === undefined) return;
        assert.ok(action.kind === 'compliant' || action.kind === 'correct-drift', action.kind);
        if (action.kind === 'correct-drift') assert.equal(target(action), managed);
        const current = input.user.expiresAt === null ? null : Date.parse(input.user.expiresAt);
        assert.equal(action.kind === 'compliant', current !== null && Math.abs(current - managed) < 1000);
      }),
      { numRuns: 500 },
    );
  });
});
