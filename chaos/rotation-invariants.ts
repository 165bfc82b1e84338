/**
 * The chaos run's invariants on rotations, checked once every overlap is over: no user of the run ends with more
 * than one custom service (and a rotated one holds the new service, not the one it retired), and no retired
 * credential still gets a token (Marketo's identity answers 401, which MarketoClient.verifyCredentials reports as
 * a MarketoApiError of kind `invalid_credentials`).
 *
 * `checkRotationInvariants` is pure: test/chaos/rotation-invariants.test.ts drives it with broken facts it must
 * report. `probeRetired` asks the sandbox's identity endpoint about each retired credential. Failure lines name
 * workflow ids and client ids, never a secret.
 */
import type { LastRotation } from '../src/domain/lifecycle-status';
import { isMarketoApiError } from '../src/marketo/errors';
import { invariantTally } from './invariant-tally';

export const ROTATION_INVARIANTS = ['8-one-service-after-overlap', '9-retired-secret-refused'] as const;
type RotationInvariant = (typeof ROTATION_INVARIANTS)[number];

/** One onboarded user of the run, with the client ids of the services the sandbox holds for it. */
export interface UserServices {
  workflowId: string;
  services: readonly string[];
}

/** A lifecycle the run asked to rotate, as it ended. */
export interface RotatedLifecycle {
  workflowId: string;
  /** The stage of a rotation still in progress; undefined once its overlap is over. */
  rotationStage?: string;
  lastRotation?: Pick<LastRotation, 'outcome' | 'retiredClientId'>;
  /** The service the lifecycle uses now. */
  clientId?: string;
}

/** What the identity endpoint said to a retired client id and its secret. */
export type ProbeVerdict = 'refused' | 'token' | 'no secret captured' | { error: string };

export interface RetiredProbe {
  workflowId: string;
  clientId: string;
  verdict: ProbeVerdict;
}

export interface RotationFacts {
  users: readonly UserServices[];
  rotated: readonly RotatedLifecycle[];
  retired: readonly RetiredProbe[];
}

export interface RotationReport {
  invariants: Record<RotationInvariant, { checked: number; failed: number }>;
  failures: string[];
  counts: { rotated: number; completed: number; abandoned: number; retiredProbed: number; refused: number };
}

type Check = (name: RotationInvariant, ok: boolean, message: () => string) => boolean;

function checkOneService(facts: RotationFacts, check: Check): void {
  const name = '8-one-service-after-overlap';
  for (const lc of facts.rotated) {
    check(name, lc.rotationStage === undefined, () => {
      return `${lc.workflowId}: rotation still ${lc.rotationStage ?? '?'} after the run settled`;
    });
    const retired = lc.lastRotation?.retiredClientId;
    if (retired !== undefined && lc.clientId !== undefined)
      check(
        name,
        retired !== lc.clientId,
        () => `${lc.workflowId} still uses its retired service ${retired}`,
      );
  }
  for (const user of facts.users) {
    check(name, user.services.length <= 1, () => {
      return `${user.workflowId}: ${user.services.length} services (${user.services.join(', ')}) after every overlap`;
    });
    const retiredHere = facts.retired.filter((r) => r.workflowId === user.workflowId);
    for (const r of retiredHere)
      check(name, !user.services.includes(r.clientId), () => {
        return `${user.workflowId}: the retired service ${r.clientId} is still in the sandbox`;
      });
  }
}

function verdictText(verdict: ProbeVerdict): string {
  return typeof verdict === 'string' ? verdict : `error: ${verdict.error}`;
}

function checkRetiredRefused(facts: RotationFacts, check: Check): void {
  const name = '9-retired-secret-refused';
  for (const lc of facts.rotated) {
    const retired = lc.lastRotation?.outcome === 'completed' ? lc.lastRotation.retiredClientId : undefined;
    if (retired === undefined) continue;
    const probed = facts.retired.some((r) => r.workflowId === lc.workflowId && r.clientId === retired);
    check(name, probed, () => `${lc.workflowId}: its retired service ${retired} was never probed`);
  }
  for (const r of facts.retired) {
    check(name, r.verdict === 'refused', () => {
      return `${r.workflowId}: the retired client id ${r.clientId} was not refused (${verdictText(r.verdict)})`;
    });
  }
}

export function checkRotationInvariants(facts: RotationFacts): RotationReport {
  const { invariants, failures, check } = invariantTally(ROTATION_INVARIANTS);
  checkOneService(facts, check);
  checkRetiredRefused(facts, check);
  const outcomes = facts.rotated.map((lc) => lc.lastRotation?.outcome);
  return {
    invariants,
    failures,
    counts: {
      rotated: facts.rotated.length,
      completed: outcomes.filter((o) => o === 'completed').length,
      abandoned: outcomes.filter((o) => o === 'abandoned').length,
      retiredProbed: facts.retired.length,
      refused: facts.retired.filter((r) => r.verdict === 'refused').length,
    },
  };
}

/** The product's own token check; a 401 from identity is the only answer that proves the credential dead. */
export type VerifyCredentials = (clientId: string, clientSecret: string) => Promise<unknown>;

export async function probeRetired(
  verify: VerifyCredentials,
  workflowId: string,
  clientId: string,
  clientSecret: string | undefined,
): Promise<RetiredProbe> {
  if (clientSecret === undefined) return { workflowId, clientId, verdict: 'no secret captured' };
  try {
    await verify(clientId, clientSecret);
    return { workflowId, clientId, verdict: 'token' };
  } catch (error) {
    if (isMarketoApiError(error) && error.kind === 'invalid_credentials')
      return { workflowId, clientId, verdict: 'refused' };
    return {
      workflowId,
      clientId,
      verdict: { error: error instanceof Error ? error.message : String(error) },
    };
  }
}
