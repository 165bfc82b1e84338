/**
 * The decision whether an onboarding may use a role that already exists: a name never decides alone, since the
 * API-only user gets every permission of the role it is given.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roleRequestSchema } from '../../src/domain/lifecycle-request';
import { ACCESS_API_PERMISSIONS } from '../../src/domain/permissions';
import { chooseExistingRole, type ExistingRole } from '../../src/domain/role-choice';

const ADMIN_PERMISSIONS = ['Read-Only Lead', 'Access User Management Api', 'Access Users'];
const admin: ExistingRole = { id: 1, name: 'Admin', type: 'system', permissions: ADMIN_PERMISSIONS };
const analytics: ExistingRole = {
  id: 101,
  name: 'Analytics User',
  type: 'custom',
  permissions: ['Read-Only Activity', 'Read-Only Lead'],
};

const refusal = (choice: ReturnType<typeof chooseExistingRole>): string => {
  assert.equal(choice.kind, 'refuse', `expected a refusal, got ${JSON.stringify(choice)}`);
  const problem = choice.kind === 'refuse' ? choice.problem : '';
  // The CLI splits a refusal's problems at '; ': one problem, one line.
  assert.ok(!problem.includes('; '), `one problem: ${problem}`);
  return problem;
};

describe('chooseExistingRole', () => {
  it('never reuses a system role, whatever was requested and whether or not its permissions are known', () => {
    for (const permissions of [admin.permissions, null]) {
      for (const requested of [['Read-Only Lead'], ADMIN_PERMISSIONS, []]) {
        const problem = refusal(
          chooseExistingRole({ name: 'admin', permissions: requested }, { ...admin, permissions }),
        );
        assert.match(problem, /^role\.name: "Admin" is a Marketo system role \(id 1\)/);
        assert.match(problem, /choose another role name/);
      }
    }
  });

  it('refuses a role whose type the instance does not say: only a custom role can be checked', () => {
    const problem = refusal(
      chooseExistingRole(
        { name: 'Analytics User', permissions: ['Read-Only Activity', 'Read-Only Lead'] },
        { ...analytics, type: null },
      ),
    );
    assert.match(problem, /not a custom role/);
  });

  it('reuses a custom role whose permissions are exactly the requested ones (order, case, Person = Lead)', () => {
    assert.deepEqual(
      chooseExistingRole(
        { name: 'Analytics User', permissions: ['Read-Only Person', 'Read-Only Activity'] },
        analytics,
      ),
      { kind: 'reuse', roleId: 101 },
    );
    assert.deepEqual(
      chooseExistingRole(
        { name: 'x', permissions: ['Read-Only Activity', 'Read-Only Lead'] },
        { ...analytics, permissions: ['read-only lead', ' Read-Only Activity'] },
      ),
      { kind: 'reuse', roleId: 101 },
    );
  });

  it('refuses a custom role with fewer, more or other permissions, naming both sets and what to do', () => {
    for (const requested of [
      ['Read-Only Lead'],
      ['Read-Only Lead', 'Read-Only Activity', 'Read-Write Lead'],
      [],
    ]) {
      const problem = refusal(
        chooseExistingRole({ name: 'Analytics User', permissions: requested }, analytics),
      );
      assert.match(
        problem,
        /^role\.name: the existing custom role "Analytics User" \(id 101\) has the permissions/,
      );
      assert.match(problem, /Read-Only Activity, Read-Only Lead/);
      assert.match(problem, /choose another role name, or request exactly its permissions/);
    }
  });

  it('a role with Admin-group rights (Access Users) can never match, as no request can name them', () => {
    // The guard is the request schema: Access API permissions only, so Admin-group rights cannot be asked for.
    assert.ok(!(ACCESS_API_PERMISSIONS as readonly string[]).includes('Access Users'));
    assert.equal(
      roleRequestSchema.safeParse({ name: 'R', permissions: ['Access User Management Api', 'Access Users'] })
        .success,
      false,
    );
    const orchestrator: ExistingRole = {
      id: 104,
      name: 'API User Management',
      type: 'custom',
      permissions: ['Access User Management Api', 'Access Users'],
    };
    refusal(
      chooseExistingRole(
        { name: 'API User Management', permissions: ['Access User Management Api'] },
        orchestrator,
      ),
    );
  });

  it('asks an operator to confirm when the instance cannot tell the permissions, and only for a request that names them', () => {
    assert.deepEqual(
      chooseExistingRole(
        { name: 'Analytics User', permissions: ['Read-Only Lead'] },
        { ...analytics, permissions: null },
      ),
      { kind: 'confirm', roleId: 101 },
    );
    const problem = refusal(
      chooseExistingRole({ name: 'Analytics User', permissions: [] }, { ...analytics, permissions: null }),
    );
    assert.match(problem, /^role\.permissions: /);
    assert.match(problem, /request exactly its permissions/);
  });
});
