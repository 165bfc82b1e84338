/**
 * The chaos run's store invariants (chaos/store-invariants.ts): a clean store passes, and each way a store can
 * lose a secret, leave one behind or miscount the audit log is reported, by ref or workflow id and never by the
 * secret itself. The reader is run against a real PostgreSQL with rows the product's store wrote.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  checkStoreInvariants,
  readStoreFacts,
  type LifecycleOutcome,
  type StoreFacts,
} from '../../chaos/store-invariants';
import { lifecycleSecretRef } from '../../src/domain/secret-refs';
import { Keyring } from '../../src/security/keyring';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres';
import type { AuditEvent } from '../../src/store/types';
import { startRealPostgres, type RealPostgres } from '../helpers/postgres';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const SECRET_A = 'secret-of-active-aaaaaaaaaaaa';
const SECRET_R = 'secret-of-revoked-rrrrrrrrrrr';

const LIFECYCLES: LifecycleOutcome[] = [
  { workflowId: 'wf-active', end: 'active', onboarded: true, clientId: 'client-a' },
  { workflowId: 'wf-expired', end: 'expired', onboarded: true },
  { workflowId: 'wf-revoked', end: 'revoked', onboarded: true },
  { workflowId: 'wf-revoked-early', end: 'revoked', onboarded: false },
];

function event(workflowId: string, kind: AuditEvent['kind'], id = `${workflowId}/run-1/${kind}`): AuditEvent {
  return {
    id,
    at: '2026-06-01T00:00:00.000Z',
    kind,
    email: `${workflowId}@example.com`,
    workflowId,
    actor: 'lifecycle',
    reason: null,
    detail: {},
  };
}

/** What a run that kept every invariant leaves: the active one's secret, and one event of each due kind. */
function cleanFacts(): StoreFacts {
  return {
    secrets: [{ ref: lifecycleSecretRef('wf-active'), clientId: 'client-a', clientSecret: SECRET_A }],
    audit: [
      event('wf-active', 'onboarded'),
      event('wf-expired', 'onboarded'),
      event('wf-expired', 'expired'),
      event('wf-revoked', 'onboarded'),
      event('wf-revoked', 'revoked'),
      event('wf-revoked-early', 'revoked'),
      event('wf-expired', 'extended'),
    ],
    sandboxSecretSha256: new Map([
      ['client-a', sha256(SECRET_A)],
      ['client-r', sha256(SECRET_R)],
    ]),
    capturedSecrets: [SECRET_A, SECRET_R],
  };
}

function failuresOf(facts: StoreFacts, lifecycles = LIFECYCLES): string[] {
  const report = checkStoreInvariants(lifecycles, facts);
  for (const line of report.failures) {
    assert.ok(!line.includes(SECRET_A) && !line.includes(SECRET_R), `a failure line names a secret: ${line}`);
  }
  return report.failures;
}

describe('chaos store invariants', () => {
  it('pass on a clean store, every invariant having checked something, with the counts', () => {
    const report = checkStoreInvariants(LIFECYCLES, cleanFacts());
    assert.deepEqual(report.failures, []);
    for (const [name, { checked, failed }] of Object.entries(report.invariants)) {
      assert.ok(checked > 0, `${name} checked nothing`);
      assert.equal(failed, 0, name);
    }
    assert.equal(report.counts.secretRows, 1);
    assert.equal(report.counts.activeWithSecret, 1);
    assert.equal(report.counts.endedWithoutSecret, 3);
    assert.equal(report.counts.auditEvents, 7);
    assert.deepEqual(report.counts.auditByKind, { onboarded: 3, expired: 1, revoked: 2, extended: 1 });
  });

  it('report a secret row left behind for a revoked lifecycle', () => {
    const facts = cleanFacts();
    const ref = lifecycleSecretRef('wf-revoked');
    facts.secrets.push({ ref, clientId: 'client-r', clientSecret: SECRET_R });
    const failures = failuresOf(facts);
    assert.ok(
      failures.some(
        (f) => f.startsWith('6-store-no-secret-left: wf-revoked revoked but left') && f.includes(ref),
      ),
      failures.join('\n'),
    );
    assert.ok(failures.some((f) => f.includes(`secret row ${ref} (of wf-revoked, revoked)`)));
  });

  it('report a row that no lifecycle of the run owns', () => {
    const facts = cleanFacts();
    facts.secrets.push({ ref: lifecycleSecretRef('wf-stranger'), clientId: 'x', clientSecret: 'y' });
    assert.deepEqual(failuresOf(facts), [
      `6-store-no-secret-left: secret row ${lifecycleSecretRef('wf-stranger')} (of no lifecycle) is left behind`,
    ]);
  });

  it('report a client secret written into an audit row', () => {
    const facts = cleanFacts();
    facts.audit.push({ ...event('wf-active', 'credentials-read'), detail: { note: `got ${SECRET_A}` } });
    assert.deepEqual(failuresOf(facts), [
      '6-store-no-secret-left: audit event wf-active/run-1/credentials-read holds a client secret',
    ]);
  });

  it("report an active lifecycle whose secret is missing, unreadable, another service's or not the issued one", () => {
    const ref = lifecycleSecretRef('wf-active');
    const variants: [StoreFacts['secrets'], RegExp][] = [
      [[], /wf-active is active but .* has no row/],
      [[{ ref, unreadable: 'fails its integrity check' }], /does not decrypt: fails its integrity check/],
      [[{ ref, clientId: 'client-r', clientSecret: SECRET_R }], /holds client id client-r, .* is client-a/],
      [
        [{ ref, clientId: 'client-a', clientSecret: SECRET_R }],
        /does not match the sandbox's \(not the secret/,
      ],
    ];
    for (const [secrets, expected] of variants) {
      const failures = failuresOf({ ...cleanFacts(), secrets });
      assert.equal(failures.length, 1, failures.join('\n'));
      assert.match(failures[0]!, /^5-store-nothing-lost: /);
      assert.match(failures[0]!, expected);
    }
  });

  it('report an audit log with an event missing, one too many, or an id twice', () => {
    const clean = cleanFacts().audit;
    const cases: [AuditEvent[], string][] = [
      [
        clean.filter((e) => !(e.workflowId === 'wf-expired' && e.kind === 'expired')),
        '7-audit-once-each: wf-expired (expired) has 0 `expired` events, not 1',
      ],
      [
        [...clean, event('wf-active', 'onboarded', 'wf-active/run-2/onboarded')],
        '7-audit-once-each: wf-active (active) has 2 `onboarded` events, not 1',
      ],
      [
        [...clean, event('wf-revoked-early', 'onboarded')],
        '7-audit-once-each: wf-revoked-early (revoked) has 1 `onboarded` events, not 0',
      ],
      [
        [...clean, event('wf-active', 'expired')],
        '7-audit-once-each: wf-active (active) has 1 `expired` events, not 0',
      ],
      [
        [...clean, event('wf-elsewhere', 'revoked')],
        'wf-elsewhere/run-1/revoked (revoked) belongs to no lifecycle',
      ],
    ];
    for (const [audit, expected] of cases) {
      const failures = failuresOf({ ...cleanFacts(), audit });
      assert.ok(failures.length > 0 && failures.every((f) => f.includes(expected)), failures.join('\n'));
    }
    const twice = failuresOf({ ...cleanFacts(), audit: [...clean, clean[0]!] });
    assert.ok(twice.includes('7-audit-once-each: audit event id wf-active/run-1/onboarded stored twice'));
  });

  it('leave lifecycles of unknown end to invariant 0, except for the rows they hold', () => {
    const lifecycles: LifecycleOutcome[] = [
      ...LIFECYCLES,
      { workflowId: 'wf-stuck', end: undefined, onboarded: false },
    ];
    const facts = cleanFacts();
    assert.deepEqual(failuresOf(facts, lifecycles), []);
    facts.secrets.push({ ref: lifecycleSecretRef('wf-stuck'), clientId: 'x', clientSecret: 'y' });
    assert.deepEqual(failuresOf(facts, lifecycles), [
      `6-store-no-secret-left: secret row ${lifecycleSecretRef('wf-stuck')} (of wf-stuck, ended unknown) is left behind`,
    ]);
  });
});

describe('chaos store facts, read from a real PostgreSQL', () => {
  let server: RealPostgres;
  let store: PostgresStore;
  const keyring = new Keyring('k1', new Map([['k1', randomBytes(32)]]), undefined, 'test keyring');
  before(async () => {
    server = await startRealPostgres();
    store = await openPostgresStore({ databaseUrl: server.databaseUrl, keyring });
  });
  after(async () => {
    await store?.close();
    await server?.destroy();
  });

  it('decrypts the rows with the run keyring, names those it cannot read, and reads the audit log', async () => {
    const ref = lifecycleSecretRef('wf-read');
    await store.secrets.put(ref, { clientId: 'client-read', clientSecret: SECRET_A });
    const otherKeyring = new Keyring('k2', new Map([['k2', randomBytes(32)]]), undefined, 'another keyring');
    const other = await openPostgresStore({ databaseUrl: server.databaseUrl, keyring: otherKeyring });
    await other.secrets.put(lifecycleSecretRef('wf-other-key'), { clientId: 'c', clientSecret: SECRET_R });
    await other.close();
    await store.audit.append(event('wf-read', 'onboarded'));

    const facts = await readStoreFacts(server.databaseUrl, keyring);
    const byRef = new Map(facts.secrets.map((s) => [s.ref, s]));
    assert.equal(facts.secrets.length, 2);
    assert.deepEqual(byRef.get(ref), { ref, clientId: 'client-read', clientSecret: SECRET_A });
    const unreadable = byRef.get(lifecycleSecretRef('wf-other-key'));
    assert.ok(unreadable && 'unreadable' in unreadable, 'the row under another key is named unreadable');
    assert.match(unreadable.unreadable, /key "k2"/);
    assert.deepEqual(facts.audit, [event('wf-read', 'onboarded')]);
  });
});
