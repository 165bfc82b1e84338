/**
 * The Temporal Web UI of `up`, opened in a real browser (Debian's Chromium, headless), shows a lifecycle's
 * payloads decoded through `up`'s codec server: the email of its input and the phase of its result. A screenshot
 * of the page is kept under test-artifacts/ (printed), for a person to see what the test saw.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { listQuery } from '../../src/lifecycle-list';
import {
  cliEnv,
  describeRun,
  eventually,
  freePorts,
  killAll,
  onboardJsonSchema,
  oneJson,
  REPO_ROOT,
  removeDir,
  runCli,
  startUp,
  statusJsonSchema,
  tempDir,
  type UpProcess,
} from '../cli/support';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');

function launchChromium(): Promise<Browser> {
  assert.ok(
    fs.existsSync(CHROMIUM),
    `no Chromium at ${CHROMIUM}: install Debian's with \`apt-get install -y chromium\` (.ci/run does), ` +
      'or set CHROMIUM_PATH to another Chromium',
  );
  // As root Chromium refuses to start with its sandbox on.
  const root = process.getuid?.() === 0;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: root ? ['--no-sandbox'] : [] });
}

describe('the Web UI of `up` shows payloads decoded by its codec server', () => {
  let dataDir: string;
  let up: UpProcess | undefined;
  let browser: Browser | undefined;
  const stamp = Date.now().toString(36);
  const email = `web-ui-${stamp}@example.com`;
  let workflowId = '';
  let activeWorkflowId = '';

  before(async () => {
    const ports = await freePorts(3);
    dataDir = tempDir('webui');
    up = await startUp({ dataDir, port: ports[0]!, uiPort: ports[1]!, sandboxPort: ports[2]! });
    const env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
    const onboard = await runCli(
      [
        'onboard',
        ...['--email', email, '--first-name', 'Web', '--last-name', 'Ui', '--role', `Web UI ${stamp}`],
        ...['--permissions', 'Read-Only Lead', '--expires-in', '30d', '--json'],
      ],
      { env },
    );
    assert.equal(onboard.code, 0, describeRun(onboard));
    workflowId = onboardJsonSchema.parse(oneJson(onboard)).workflowId;
    // A revoked lifecycle's run ends with its status as the result: the phase the page must show decoded.
    const revoke = await runCli(['revoke', email, '--reason', 'web ui test', '--json'], { env });
    assert.equal(revoke.code, 0, describeRun(revoke));
    assert.equal(statusJsonSchema.parse(oneJson(revoke)).phase, 'deactivated');
    const active = await runCli(
      [
        'onboard',
        ...['--email', `web-ui-active-${stamp}@example.com`, '--first-name', 'Web', '--last-name', 'Active'],
        ...['--role', `Web UI ${stamp}`, '--permissions', 'Read-Only Lead', '--expires-in', '10d', '--json'],
      ],
      { env },
    );
    assert.equal(active.code, 0, describeRun(active));
    activeWorkflowId = onboardJsonSchema.parse(oneJson(active)).workflowId;
  });

  it("up's codec server only decodes: /encode is refused even from the UI's origin", async () => {
    const response = await fetch(`${up!.info.codecEndpoint}/encode`, {
      method: 'POST',
      headers: { origin: up!.info.uiUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [] }),
    });
    assert.equal(response.status, 403);
  });

  after(async () => {
    await browser?.close();
    await up?.stop();
    await killAll();
    removeDir(dataDir);
  });

  it("opens the lifecycle's page and finds its email and phase in clear", async () => {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
    const decodeCalls: number[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${up!.info.codecEndpoint}/decode`)) decodeCalls.push(response.status());
    });
    const url = `${up!.info.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
    await page.goto(url);
    const shot = path.join(ARTIFACTS, `web-ui-decoded-${stamp}.png`);
    const shows = (text: string) =>
      text.includes(email) && /"phase":\s*"deactivated"/.test(text) ? text : undefined;
    let text: string | undefined;
    try {
      text = await eventually(
        async () => shows(await page.locator('body').innerText()),
        60_000,
        `the page to show ${email} and "phase": "deactivated" decoded (screenshot: ${shot})`,
      );
    } finally {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot: ${shot}`);
    }
    assert.match(text, new RegExp(`"email":\\s*"${email.replace(/[.]/g, '\\.')}"`));
    assert.ok(
      decodeCalls.length > 0 && decodeCalls.every((status) => status === 200),
      `decode calls: ${decodeCalls.join(', ')}`,
    );
  });

  it("takes `list`'s filter: the workflow list for --phase active --expiring-within 14d shows only that lifecycle", async () => {
    browser ??= await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    const query = listQuery({ phase: 'active', expiringWithin: 14 * 86_400_000 }, Date.now());
    await page.goto(`${up!.info.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    const shot = path.join(ARTIFACTS, `web-ui-filtered-${stamp}.png`);
    let text: string | undefined;
    try {
      text = await eventually(
        async () => {
          const body = await page.locator('body').innerText();
          return body.includes(activeWorkflowId) ? body : undefined;
        },
        60_000,
        `the filtered list to show ${activeWorkflowId} (screenshot: ${shot})`,
      );
    } finally {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot: ${shot}`);
    }
    assert.ok(!text.includes(workflowId), 'the revoked lifecycle is not in the filtered list');
  });
});
