/**
 * Heap kept by evaluating each module our workflows import, in plain Node: what every cached workflow paid again
 * while the module was not shared (reuseV8Context evaluates non-preloaded modules once per workflow run).
 *
 *   node --expose-gc --import tsx bench/profiling/module-cost.ts
 *
 * zod itself is loaded and exercised first, uncounted (so are tsx and the SDK): what follows is our schemas, then
 * the lifecycle's workflow modules. For those small modules without schemas, the plain-Node figure (20-80 KiB each,
 * one run in two off by a few hundred KiB) includes the loader's per-file cost (source text, compiled code,
 * source map), which the workflow bundle pays once per worker; what a run keeps of them in the bundle is less:
 * memory.ts measures it.
 */
import { z } from 'zod';
import '@temporalio/workflow';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const used = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const MODULES = [
  '../../src/domain/durations',
  '../../src/domain/permissions',
  '../../src/domain/lifecycle-request',
  '../../src/domain/lifecycle-status',
  '../../src/domain/lifecycle-messages',
  '../../src/workflows/lifecycle-input',
  '../../src/domain/sweep-policy',
  // The lifecycle's workflow modules and what they import beyond the schemas, in import order.
  '../../src/domain/role-choice',
  '../../src/domain/secret-refs',
  '../../src/workflows/messages',
  '../../src/workflows/operator-instructions',
  '../../src/workflows/lifecycle/failures',
  '../../src/workflows/lifecycle/activities',
  '../../src/workflows/lifecycle/lifecycle',
  '../../src/workflows/lifecycle/operator-steps',
  '../../src/workflows/lifecycle/roles',
  '../../src/workflows/lifecycle/active',
  '../../src/workflows/lifecycle/compensation',
  '../../src/workflows/lifecycle/deactivation',
  '../../src/workflows/lifecycle/provisioning',
  '../../src/workflows/lifecycle/workflow',
  '../../src/workflows/lifecycle/index',
  '../../src/security/failure-converter',
  '../../src/workflows/sweep/workflow',
];

async function main(): Promise<void> {
  // zod's lazily built internals, out of the way of the first module's figure.
  const warm = z
    .object({
      a: z.string().trim().min(1).max(9).regex(/^a$/),
      b: z.number().int().min(0).default(1),
      c: z.union([z.number(), z.enum(['x'])]).optional(),
      d: z.array(z.string()).default([]),
      e: z.iso.datetime({ offset: true }),
    })
    .strict();
  warm.safeParse({ a: 'a', e: '2026-01-01T00:00:00Z' });
  const kept: unknown[] = [warm];
  let before = used();
  let total = 0;
  for (const name of MODULES) {
    kept.push(await import(name));
    const after = used();
    total += after - before;
    process.stdout.write(`${((after - before) / 1024).toFixed(0).padStart(7)} KiB  ${name}\n`);
    before = after;
  }
  process.stdout.write(`${(total / 1024).toFixed(0).padStart(7)} KiB  in all (${kept.length - 1} modules)\n`);
}

void main();
