/**
 * The chaos run's rotation invariants (chaos/rotation-invariants.ts): clean facts pass, and a user left with two
 * services, a rotation still in its overlap, a retired service still in use or never probed, and a retired
 * credential that still gets a token are each reported. The probe is run against a real sandbox with the
 * product's MarketoClient: a deleted service is refused, a live one is not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkRotationInvariants, probeRetired, type RotationFacts } from '../../chaos/rotation-invariants';
import { createMarketoClient, type MarketoClient } from '../../src/marketo/client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox';

function cleanFacts(): RotationFacts {
  return {
    users: [
      { workflowId: 'wf-rotated', services: ['client-new'] },
      { workflowId: 'wf-plain', services: ['client-plain'] },
    ],
    rotated: [
      {
        workflowId: 'wf-rotated',
        lastRotation: { outcome: 'completed', retiredClientId: 'client-old' },
        clientId: 'client-new',
      },
      { workflowId: 'wf-abandoned', lastRotation: { outcome: 'abandoned' }, clientId: 'client-kept' },
    ],
    retired: [{ workflowId: 'wf-rotated', clientId: 'client-old', verdict: 'refused' }],
  };
}

describe('chaos rotation invariants', () => {
  it('pass on clean facts, each invariant having checked something, with the counts', () => {
    const report = checkRotationInvariants(cleanFacts());
    assert.deepEqual(report.failures, []);
    for (const [name, { checked }] of Object.entries(report.invariants))
      assert.ok(checked > 0, `${name} checked nothing`);
    assert.deepEqual(report.counts, { rotated: 2, completed: 1, abandoned: 1, retiredProbed: 1, refused: 1 });
  });

  it('report a user left with two services, or with the retired one still in the sandbox', () => {
    const facts = cleanFacts();
    facts.users = [{ workflowId: 'wf-rotated', services: ['client-new', 'client-old'] }];
    assert.deepEqual(checkRotationInvariants(facts).failures, [
      '8-one-service-after-overlap: wf-rotated: 2 services (client-new, client-old) after every overlap',
      '8-one-service-after-overlap: wf-rotated: the retired service client-old is still in the sandbox',
    ]);
  });

  it('report a rotation still in its overlap, and a lifecycle still using the service it retired', () => {
    const facts = cleanFacts();
    facts.rotated = [
      { workflowId: 'wf-rotated', rotationStage: 'overlap', clientId: 'client-new' },
      {
        workflowId: 'wf-confused',
        lastRotation: { outcome: 'abandoned', retiredClientId: 'client-x' },
        clientId: 'client-x',
      },
    ];
    assert.deepEqual(checkRotationInvariants(facts).failures, [
      '8-one-service-after-overlap: wf-rotated: rotation still overlap after the run settled',
      '8-one-service-after-overlap: wf-confused still uses its retired service client-x',
    ]);
  });

  it('report a retired credential that still gets a token, was not captured, or was never probed', () => {
    const verdicts: [RotationFacts['retired'], string][] = [
      [
        [{ workflowId: 'wf-rotated', clientId: 'client-old', verdict: 'token' }],
        '9-retired-secret-refused: wf-rotated: the retired client id client-old was not refused (token)',
      ],
      [
        [{ workflowId: 'wf-rotated', clientId: 'client-old', verdict: 'no secret captured' }],
        '9-retired-secret-refused: wf-rotated: the retired client id client-old was not refused (no secret captured)',
      ],
      [
        [{ workflowId: 'wf-rotated', clientId: 'client-old', verdict: { error: 'Marketo answered 500' } }],
        '9-retired-secret-refused: wf-rotated: the retired client id client-old was not refused (error: Marketo answered 500)',
      ],
      [[], '9-retired-secret-refused: wf-rotated: its retired service client-old was never probed'],
    ];
    for (const [retired, expected] of verdicts)
      assert.deepEqual(checkRotationInvariants({ ...cleanFacts(), retired }).failures, [expected]);
  });
});

describe('chaos retired-credential probe, against the sandbox', () => {
  let sandbox: RunningSandbox;
  let marketo: MarketoClient;
  before(async () => {
    sandbox = await startSandbox({ env: {} });
    marketo = createMarketoClient({
      baseUrl: sandbox.baseUrl,
      clientId: sandbox.adminClientId,
      clientSecret: sandbox.adminClientSecret,
      budget: 'unlimited',
    });
  });
  after(async () => {
    await sandbox?.close();
  });
  const verify = (clientId: string, clientSecret: string) =>
    marketo.verifyCredentials(clientId, clientSecret);

  it('answers refused for a client id Marketo does not know, and token for a live one', async () => {
    const dead = await probeRetired(verify, 'wf', 'no-such-client', 'whatever-secret');
    assert.equal(dead.verdict, 'refused');
    const live = await probeRetired(verify, 'wf', sandbox.adminClientId, sandbox.adminClientSecret);
    assert.equal(live.verdict, 'token', 'a live credential is not reported dead: the check can fail');
    const wrongSecret = await probeRetired(verify, 'wf', sandbox.adminClientId, 'not-its-secret');
    assert.equal(wrongSecret.verdict, 'refused');
  });
});
