/**
 * The chaos harness in its quick mode (about 3-4 minutes): ~40 lifecycles under injected Marketo faults, some
 * of them rotating their secret, worker processes SIGKILLed and restarted, the Temporal dev server SIGKILLed and
 * restarted once, the workers' shared PostgreSQL store stopped and started once. It must exit 0 and report `ok: true` with every invariant
 * checked and none broken.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.join(__dirname, '..', '..');
const TIMEOUT_MS = 5 * 60_000;

interface ChaosResult {
  ok: boolean;
  faultSeed: number;
  invariantsChecked: number;
  invariantsFailed: number;
  invariants: Record<string, { checked: number; failed: number }>;
  failures: string[];
  workerKills: number;
  skippedKills: number;
  serverRestarts: number;
  store: {
    postgresRestarts: number;
    storeCallsThatFoundItDown: { total: number };
    activeWithSecret: number;
    endedWithoutSecret: number;
    auditByKind: Record<string, number>;
  };
  faultsInjected: Record<string, number>;
  faultsStruckByScope: { adminStandIn?: Record<string, number>; identity?: Record<string, number> };
  lifecycles: { started: number; expired: number; extended: number; revoked: number };
  rotations: {
    rotated: number;
    completed: number;
    confirmSent: number;
    retiredProbed: number;
    refused: number;
  };
  secrecy: { logBytes: number; logInfoLines: number; notificationLines: Record<string, number> };
}

const FAULT_KINDS = ['5xx', '606', '615', '604', 'latency', 'dropAfterCommit', 'tokenExpiry', 'identity5xx'];
const INVARIANTS = [
  '0-no-failed-lifecycle',
  '1-user-service-role',
  '2-no-orphans',
  '3-expiry-and-locks',
  '4-secrecy',
  '5-store-nothing-lost',
  '6-store-no-secret-left',
  '7-audit-once-each',
  '8-one-service-after-overlap',
  '9-retired-secret-refused',
];

describe('chaos harness, quick mode', () => {
  it(
    'keeps every invariant through faults, worker kills, a server restart and a PostgreSQL restart',
    { timeout: TIMEOUT_MS },
    async () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'chaos', 'run.ts'), '--quick'],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS - 10_000);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
      const line = stdout
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      assert.ok(line, `no JSON result; stderr:\n${stderr.slice(-4000)}`);
      const result = JSON.parse(line) as ChaosResult;
      assert.deepEqual(result.failures, [], 'no invariant failure');
      assert.equal(result.ok, true);
      assert.equal(code, 0, `exit code; stderr:\n${stderr.slice(-4000)}`);
      assert.equal(result.invariantsFailed, 0);
      assert.ok(result.invariantsChecked > result.lifecycles.started * 5, 'invariants were checked');
      // The chaos happened: `ok` requires it too, but a harness bug there must not let a tame run pass here.
      assert.ok(result.workerKills >= 3, `workers were killed (${result.skippedKills} kills skipped)`);
      assert.equal(result.serverRestarts, 1, 'the server was restarted');
      assert.equal(result.store.postgresRestarts, 1, 'PostgreSQL was restarted');
      assert.ok(result.store.storeCallsThatFoundItDown.total > 0, 'store calls found PostgreSQL down');
      assert.ok(result.store.activeWithSecret > 0, 'the secrets of active lifecycles were read back');
      assert.ok(result.store.endedWithoutSecret > 0, 'ended lifecycles were looked up in the store');
      assert.ok((result.store.auditByKind.onboarded ?? 0) > 0, 'the audit log was read');
      for (const kind of FAULT_KINDS)
        assert.ok((result.faultsInjected[kind] ?? 0) > 0, `${kind} faults were injected`);
      assert.ok(
        Object.values(result.faultsStruckByScope.adminStandIn ?? {}).some((n) => n > 0),
        'faults struck the admin stand-ins',
      );
      assert.ok(result.lifecycles.expired > 0, 'lifecycles expired');
      assert.ok(result.lifecycles.extended > 0, 'lifecycles were extended');
      assert.ok(result.lifecycles.revoked > 0, 'lifecycles were revoked');
      assert.ok(result.rotations.completed > 0, 'rotations completed under the faults');
      assert.ok(result.rotations.confirmSent > 0, 'a switch was confirmed early');
      assert.ok(result.rotations.retiredProbed > 0, 'retired credentials were asked for a token');
      assert.equal(result.rotations.refused, result.rotations.retiredProbed, 'every retired one refused');
      for (const name of INVARIANTS)
        assert.ok((result.invariants[name]?.checked ?? 0) > 0, `invariant ${name} checked something`);
      assert.ok(result.secrecy.logBytes > 0 && result.secrecy.logInfoLines > 0, 'the logs were scanned');
      assert.ok((result.secrecy.notificationLines.deactivated ?? 0) > 0, 'notification lines were scanned');
      assert.equal(typeof result.faultSeed, 'number', 'the seed is reported');
    },
  );
});
