/**
 * Problems spanning fields or entries, found on the raw document: zod skips an object's refinements once one of
 * its fields is wrong, and a file's author wants every mistake in one run, not one per run.
 */
export interface RawProblem {
  path: (string | number)[];
  message: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function expiryProblem(entry: Record<string, unknown>, index: number): RawProblem[] {
  if ('expiresAt' in entry !== 'lifetime' in entry) return [];
  return [{ path: ['users', index, 'expiresAt'], message: 'give exactly one of expiresAt or lifetime' }];
}

/** The exactly-one expiry rule and repeated emails, checked whatever else is wrong with an entry. */
export function crossFieldProblems(raw: unknown): RawProblem[] {
  if (!isRecord(raw) || !Array.isArray(raw.users)) return [];
  const problems: RawProblem[] = [];
  const first = new Map<string, number>();
  raw.users.forEach((entry: unknown, index) => {
    if (!isRecord(entry)) return;
    problems.push(...expiryProblem(entry, index));
    if (typeof entry.email !== 'string') return;
    // Marketo compares user ids without regard to case, as the email schema lowercases them.
    const email = entry.email.trim().toLowerCase();
    const earlier = first.get(email);
    if (earlier === undefined) first.set(email, index);
    else {
      problems.push({
        path: ['users', index, 'email'],
        message: `${email} is already listed as users[${earlier}]; list each user once`,
      });
    }
  });
  return problems;
}
