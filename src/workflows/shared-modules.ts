/**
 * The workflow bundle's preload entry (SHARED_WORKFLOW_MODULES in src/app/worker.ts): zod, our schemas and the
 * lifecycle's own workflow modules, evaluated once per worker thread and shared by every workflow in it.
 *
 * Why: with reuseV8Context the SDK evaluates every module that is not preloaded anew for each workflow run, and
 * keeps it for as long as the run stays cached. zod and our ~300 schema objects (each with some 55 bound methods)
 * came to about 3 MiB per cached lifecycle, and to as much garbage per cache miss (bench/profiling/memory.ts); the
 * lifecycle's own modules (the Lifecycle class, its steps, messages) to some 35 KiB more.
 * Nothing else imports this module: without the preload, workflows load all of it per run, as before. Only the
 * workflows entry (src/workflows/index.ts) and the sweep, loaded on its first call, stay per run.
 *
 * Why it is safe: schemas are immutable descriptions (their lazily computed parts depend on the schema alone) and
 * parsing returns fresh objects (defaults are shallow-cloned). The lifecycle's modules hold functions, a class and
 * constants; a run's state lives in its Lifecycle instance, and @temporalio/workflow's functions (already shared by
 * the SDK) find the calling run's context when called. The SDK deep-freezes what it preloads, so anything that
 * still tried to write shared state would throw instead of leaking between workflows.
 *
 * One thing does write: zod's `.regex()` and string-format checks (z.iso.datetime()...) reset `lastIndex = 0` on
 * their RegExp before testing, which throws once the RegExp is frozen. Before the freeze, each such pattern in
 * our schemas is replaced by a stand-in whose `lastIndex` is an inherited no-op accessor and whose `test` runs the
 * original RegExp; only non-global, non-sticky patterns qualify, whose `test` keeps no state at all. This relies
 * on zod reading the pattern from `_zod.def.pattern` at each check, so it is verified below at preload: if a zod
 * upgrade changes that, the worker refuses to start instead of failing every validation in workflows. The other
 * writer is the `shape` getter of an object schema cloned by `.refine()`, settled to a plain value the same way
 * (see settleShape) and covered by the same check.
 *
 * Rules for workflow code: schemas belong in the modules listed here (src/domain, lifecycle-input), not in
 * per-run workflow modules. A per-run schema using a zod format backed by one of zod's own shared patterns
 * (z.email(), z.uuid(), z.iso.date(), .lowercase(), ...) would throw, as those patterns are frozen with zod.
 * A shared module must keep no mutable state at module level (a `let`, a Map or array not exported): the freeze
 * reaches only what a module exports, and such state would be shared by every workflow of the worker.
 */
import * as zod from 'zod';
import * as durations from '../domain/durations';
import * as lifecycleMessages from '../domain/lifecycle-messages';
import * as lifecycleRequest from '../domain/lifecycle-request';
import * as lifecycleStatus from '../domain/lifecycle-status';
import * as permissions from '../domain/permissions';
import * as sweepPolicy from '../domain/sweep-policy';
import * as lifecycle from './lifecycle';
import * as lifecycleInput from './lifecycle-input';
import * as messages from './messages';

// English messages (see lifecycle-input.ts), set before zod is frozen.
if (!zod.config().localeError) zod.config(zod.locales.en());

/** A stand-in for a stateless RegExp that zod may reset `lastIndex` on while it is frozen. */
function freezablePattern(pattern: RegExp): RegExp {
  if (pattern.global || pattern.sticky) {
    throw new Error(
      `A schema pattern shared between workflows must not be global or sticky: ${String(pattern)}`,
    );
  }
  const methods = {
    get lastIndex(): number {
      return 0;
    },
    set lastIndex(_value: number) {},
    get source(): string {
      return pattern.source;
    },
    get flags(): string {
      return pattern.flags;
    },
    test: (text: string): boolean => pattern.test(text),
    exec: (text: string): RegExpExecArray | null => pattern.exec(text),
    toString: (): string => pattern.toString(),
  };
  return Object.create(methods) as RegExp;
}

/**
 * A z.object's `def.shape` is a getter that replaces itself with the shape on first read. On an object schema
 * cloned by `.refine()` the getter writes to the original's def and stays, so it writes again at every parse,
 * which throws once frozen: it becomes a plain value here, before the freeze.
 */
function settleShape(def: object): void {
  const descriptor = Object.getOwnPropertyDescriptor(def, 'shape');
  if (descriptor?.get && descriptor.configurable) {
    Object.defineProperty(def, 'shape', { value: descriptor.get.call(def) as unknown, enumerable: true });
  }
}

/** Swaps every check pattern reachable from `root` (as the SDK's deep freeze will reach them) for a stand-in. */
function makeFreezable(root: unknown, seen = new WeakSet<object>()): void {
  if (root === null || typeof root !== 'object' || seen.has(root) || root instanceof RegExp) return;
  seen.add(root);
  const def = (root as { _zod?: { def?: { pattern?: unknown } } })._zod?.def;
  if (def && def.pattern instanceof RegExp) def.pattern = freezablePattern(def.pattern);
  if (def) settleShape(def);
  for (const key of Object.getOwnPropertyNames(root)) {
    let child: unknown;
    try {
      child = (root as Record<string, unknown>)[key]; // getters too: z.object's def.shape is one
    } catch {
      continue;
    }
    makeFreezable(child, seen);
  }
}

/** What the SDK does to preloaded modules (reusable-vm.js deepFreeze), for the check below. */
function deepFreeze(value: unknown, seen = new WeakSet<object>()): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
  if (seen.has(value) || Object.isFrozen(value)) return;
  seen.add(value);
  for (const key of [...Object.getOwnPropertyNames(value), ...Object.getOwnPropertySymbols(value)]) {
    try {
      deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
    } catch {
      // as the SDK: some objects cannot be frozen
    }
  }
  Object.freeze(value);
}

/** Fails the preload (and so the worker's start) if frozen schemas no longer validate through the stand-ins. */
function checkFrozenSchemasValidate(): void {
  const probe = zod
    .object({
      name: zod
        .string()
        .trim()
        .regex(/^[a-z]+$/, 'letters only'),
      at: zod.iso.datetime({ offset: true }),
    })
    .refine((value) => value.name.length > 0);
  makeFreezable(probe);
  deepFreeze(probe);
  try {
    for (let i = 0; i < 2; i++) {
      const good = probe.safeParse({ name: ' abc ', at: '2026-01-01T00:00:00Z' });
      const bad = probe.safeParse({ name: 'ABC', at: 'soon' });
      if (!good.success || good.data.name !== 'abc' || bad.success || bad.error.issues.length !== 2) {
        throw new Error('unexpected validation results');
      }
    }
  } catch (error) {
    throw new Error(
      `zod schemas can no longer be shared frozen between workflows (${String(error)}); ` +
        'remove the preload (SHARED_WORKFLOW_MODULES in src/app/worker.ts) until src/workflows/shared-modules.ts is fixed',
    );
  }
}

const shared = [durations, permissions, lifecycleRequest, lifecycleStatus, lifecycleMessages, sweepPolicy];
// The lifecycle's modules (and what they import: messages, operator instructions, role choice, secret refs) hold
// no schemas today; they go through makeFreezable too, so one added there cannot break frozen.
const workflowModules = [lifecycleInput, lifecycle, messages];
for (const module of [...shared, ...workflowModules]) makeFreezable(module);
checkFrozenSchemasValidate();

export const sharedModules = [zod, ...shared, ...workflowModules];
