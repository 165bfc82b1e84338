/**
 * `up --metrics-port`: one Prometheus endpoint with the Temporal SDK's metrics and the product's own. Marketo's
 * calls by kind and answer (a throttled 606 among them), audit events by kind, the lifecycles by phase and by
 * expiry from visibility; no tag holds an email.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  cliEnv,
  describeRun,
  eventually,
  freePorts,
  killAll,
  removeDir,
  runCli,
  sandboxAdminHeaders,
  startUp,
  tempDir,
  type UpProcess,
} from '../cli/support';

/** The value of the first sample whose name starts with `name` and whose labels include every `labels` pair. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('up --metrics-port', () => {
  const dataDir = tempDir('metrics');
  let up: UpProcess | undefined;
  after(async () => {
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
  });

  it('serves the SDK’s and the product’s metrics, a 606 counted by its code, and no email', async () => {
    const [port, uiPort, sandboxPort, metricsPort] = await freePorts(4);
    const env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
    up = await startUp({
      dataDir,
      port: port!,
      uiPort: uiPort!,
      sandboxPort: sandboxPort!,
      metricsPort,
      env,
    });
    assert.equal(up.info.metricsUrl, `http://127.0.0.1:${metricsPort}/metrics`);
    const sandboxUrl = up.info.sandboxUrl!;
    const faults = (config: Record<string, number>) =>
      fetch(`${sandboxUrl}/sandbox/faults`, {
        method: 'POST',
        headers: sandboxAdminHeaders(sandboxUrl),
        body: JSON.stringify(config),
      });
    const scrape = async () => (await fetch(up!.info.metricsUrl!)).text();

    // Every User Management call answers 606 until a retry has been counted, then the onboarding goes through.
    assert.equal((await faults({ '606': 1 })).status, 200);
    const email = 'metrics@example.com';
    const onboarding = runCli(
      ['onboard', '--email', email, '--first-name', 'M', '--last-name', 'E', '--role', 'Metrics'].concat([
        '--permissions',
        'Read-Only Lead',
        '--expires-in',
        '1d',
        '--json',
      ]),
      { env, timeoutMs: 120_000 },
    );
    await eventually(
      async () =>
        (sample(await scrape(), 'marketo_api_users_marketo_calls', { answer: '606' }) ?? 0) > 0
          ? true
          : undefined,
      60_000,
      'a 606 counted in marketo_api_users_marketo_calls',
      250,
    );
    assert.equal((await faults({})).status, 200);
    const onboarded = await onboarding;
    assert.equal(onboarded.code, 0, describeRun(onboarded));

    const text = await scrape();
    assert.ok((sample(text, 'marketo_api_users_marketo_calls', { answer: 'ok' }) ?? 0) > 0, text);
    assert.equal(sample(text, 'marketo_api_users_audit_events', { kind: 'onboarded' }), 1, text);
    assert.ok(/^temporal_\w+/m.test(text), 'the SDK’s own metrics are there too');
    assert.ok(!text.includes(email) && !text.includes('metrics%40example.com'), 'no email in any tag');

    // The lifecycle gauges, from visibility: one active lifecycle, expiring in a day, so within 7 and 30 days.
    const gauges = await eventually(
      async () => {
        const now = await scrape();
        return sample(now, 'marketo_api_users_lifecycles{', { phase: 'active' }) === 1 ? now : undefined;
      },
      45_000,
      'marketo_api_users_lifecycles{phase="active"} 1',
      500,
    );
    assert.equal(sample(gauges, 'marketo_api_users_lifecycles{', { phase: 'provisioning' }), 0, gauges);
    assert.equal(sample(gauges, 'marketo_api_users_lifecycles_expiring', { within: '7d' }), 1, gauges);
    assert.equal(sample(gauges, 'marketo_api_users_lifecycles_expiring', { within: '30d' }), 1, gauges);
    assert.equal(sample(gauges, 'marketo_api_users_operator_pending_oldest_seconds', {}), 0, gauges);
  });
});
