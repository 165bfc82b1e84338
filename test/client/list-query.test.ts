/** The visibility query `list` sends: built from validated filters only, every user text quoted. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listFilterSchema, listQuery, queryLiteral } from '../../src/lifecycle-list';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const query = (input: unknown) => listQuery(listFilterSchema.parse(input), NOW);

describe('list query', () => {
  it('quotes a literal, escaping quote and backslash, and refuses control characters', () => {
    assert.equal(queryLiteral(`it's`), `'it\\'s'`);
    assert.equal(queryLiteral(`a\\' OR 'x' = 'x`), `'a\\\\\\' OR \\'x\\' = \\'x'`);
    assert.throws(() => queryLiteral('a\nb'), /control/);
  });

  it('joins the filters, the expiry bound counted from now', () => {
    assert.equal(
      query({ phase: 'active', expiringWithin: '14d' }),
      "WorkflowType = 'lifecycleWorkflow' AND ExecutionStatus != 'ContinuedAsNew' AND MauPhase = 'active' " +
        "AND MauExpiresAt <= '2026-01-15T00:00:00.000Z'",
    );
  });

  it('a role with a quote is matched exactly; one with a backslash or double quote by its prefix', () => {
    assert.match(
      query({ role: `O'Brien' OR MauPhase = 'x` }),
      /MauRole = 'O\\'Brien\\' OR MauPhase = \\'x'$/,
    );
    assert.match(query({ role: 'Ops "core" role' }), /MauRole STARTS_WITH 'Ops '$/);
    assert.doesNotMatch(query({ role: '\\x' }), /MauRole/);
  });

  it('refuses a phase, duration or limit it does not know', () => {
    for (const bad of [
      { phase: 'asleep' },
      { expiringWithin: 'soon' },
      { limit: 0 },
      { role: '' },
      { other: 1 },
    ]) {
      assert.equal(listFilterSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});
