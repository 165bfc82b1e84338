/** How many times each invariant was checked and failed, and the failures in words: shared by every chaos check. */
export interface InvariantTally<N extends string> {
  invariants: Record<N, { checked: number; failed: number }>;
  failures: string[];
  /** Counts one check of `name`; `message` is built only when it failed. Answers `ok`. */
  check: (name: N, ok: boolean, message: () => string) => boolean;
}

export function invariantTally<N extends string>(names: readonly N[]): InvariantTally<N> {
  const invariants = Object.fromEntries(names.map((name) => [name, { checked: 0, failed: 0 }])) as Record<
    N,
    { checked: number; failed: number }
  >;
  const failures: string[] = [];
  const check = (name: N, ok: boolean, message: () => string): boolean => {
    invariants[name].checked++;
    if (!ok) {
      invariants[name].failed++;
      failures.push(`${name}: ${message()}`);
    }
    return ok;
  };
  return { invariants, failures, check };
}
