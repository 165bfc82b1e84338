/**
 * The worker shares zod and our schemas between workflows (src/workflows/shared-modules.ts) and the SDK deep-freezes
 * what it shares. These tests freeze the real schemas the same way and check that they still validate and still
 * say what is wrong, and that the production bundle does preload them (without it, every cached lifecycle costs
 * about 3 MiB: bench/profiling/README.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../../src/workflows/shared-modules';
import { extendInputSchema } from '../../src/domain/lifecycle-messages';
import { lifecycleRequestSchema } from '../../src/domain/lifecycle-request';
import { sweepPolicySchema } from '../../src/domain/sweep-policy';
import { bundleLifecycleWorkflows, SHARED_WORKFLOW_MODULES } from '../../src/app/worker';
import { sampleRequest } from '../helpers/lifecycle-harness';

/** As the SDK's reusable VM freezes preloaded modules (reusable-vm.js deepFreeze). */
function deepFreeze(value: unknown, seen = new WeakSet<object>()): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
  if (seen.has(value) || Object.isFrozen(value)) return;
  seen.add(value);
  for (const key of [...Object.getOwnPropertyNames(value), ...Object.getOwnPropertySymbols(value)]) {
    try {
      deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
    } catch {
      // some properties cannot be read; the SDK skips them too
    }
  }
  Object.freeze(value);
}

describe('schemas shared frozen between workflows', () => {
  deepFreeze(lifecycleRequestSchema);
  deepFreeze(extendInputSchema);
  deepFreeze(sweepPolicySchema);

  it('are frozen like the SDK freezes them, so a write to shared state would throw', () => {
    assert.equal(Object.isFrozen(lifecycleRequestSchema), true);
    assert.equal(Object.isFrozen(lifecycleRequestSchema._zod.def), true);
  });

  it('accept a valid request twice in a row (no state kept between parses)', () => {
    const request = sampleRequest({ email: 'shared.modules@example.com' });
    for (let i = 0; i < 2; i++) {
      const parsed = lifecycleRequestSchema.safeParse(request);
      assert.equal(parsed.success, true, JSON.stringify(parsed.error?.issues));
    }
  });

  it('still refuse bad input with English messages, through the regex and datetime checks', () => {
    for (let i = 0; i < 2; i++) {
      const parsed = lifecycleRequestSchema.safeParse(
        sampleRequest({ email: 'not an email', expiresAt: 'next tuesday' }),
      );
      assert.equal(parsed.success, false);
      const paths = parsed.error.issues.map((issue) => issue.path.join('.'));
      assert.ok(paths.includes('email'), paths.join(','));
      assert.ok(paths.includes('expiresAt'), paths.join(','));
      for (const issue of parsed.error.issues) assert.notEqual(issue.message, 'Invalid input');
    }
    const extend = extendInputSchema.safeParse({ expiresAt: '2026-13-40' });
    assert.equal(extend.success, false);
    assert.equal(sweepPolicySchema.safeParse({ requireExpiry: 'sometimes' }).success, false);
  });

  it("hand each parse fresh defaults, so one workflow cannot change another one's", () => {
    const first = sweepPolicySchema.parse({});
    first.exempt.push('changed@example.com');
    assert.deepEqual(sweepPolicySchema.parse({}).exempt, []);
  });

  it('are preloaded by the production workflow bundle', async () => {
    const { code } = await bundleLifecycleWorkflows();
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([\s\S]*?)\n\}/.exec(code)?.[1];
    assert.ok(preload, 'the bundle has a preload entry');
    assert.equal(SHARED_WORKFLOW_MODULES.length, 2);
    assert.match(preload, /require_*\([^)]*"\.\/src\/workflows\/shared-modules\.ts"\)/);
    assert.match(preload, /require_*\([^)]*"\.\/src\/security\/failure-converter\.ts"\)/);
  });
});
