import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { AuthStore } from '../../src/security/auth-store.ts';
import { SECURITY_MIGRATIONS } from '../../src/security/security-migrations.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { type RunningServer, startServerProcess } from '../compat/server-process.ts';
import { launchChromium } from '../support/browser.ts';
import { chromiumGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { ensureUiBuilt } from '../support/ui-build.ts';
import { seedUiFixture, type UiFixture } from '../support/ui-fixture.ts';

const gate = chromiumGate();

/**
 * Signing in and out of the web UI in Chromium against `cairn server --auth`: the session cookie,
 * CSRF protection of writes, and what viewers and editors are shown.
 */
describe('the web UI with authentication on, in Chromium', { skip: gate.skip }, () => {
  let server: RunningServer;
  let browser: Browser;
  let fixture: UiFixture;
  let viewerToken = '';

  before(async () => {
    ensureUiBuilt();
    const dir = await tempDir('cairn-ui-auth-');
    const store = `sqlite://${join(dir, 'cairn.db')}`;
    const metadata = await openMetadataStore(store, SECURITY_MIGRATIONS);
    const auth = new AuthStore(metadata);
    await auth.createUser({ name: 'ada', password: 'correct horse', role: 'editor' });
    viewerToken = (await auth.createToken({ role: 'viewer', name: 'reader' })).token;
    const admin = (await auth.createToken({ role: 'admin', name: 'setup' })).token;
    await metadata.close();
    server = await startServerProcess(['--auth', '--store', store, '--artifacts', join(dir, 'artifacts')], {
      cwd: dir,
    });
    fixture = await seedUiFixture(server.url, { authorization: `Bearer ${admin}` });
    browser = await launchChromium(gate.value as string);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function signInWithPassword(page: Page, password: string): Promise<void> {
    await page.getByLabel('User name').fill('ada');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('sends a visitor to the sign-in form, and back to the page asked for after signing in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('response', (res) => {
      if (res.status() === 401 && !res.url().endsWith('/api/v1/session')) refused.push(res.url());
    });
    const wanted = `/experiments/${fixture.experimentId}?sort=metrics.auc`;
    await page.goto(`${server.url}${wanted}`);
    await page.waitForURL(/\/signin\?next=/);
    assert.deepEqual(refused, [], 'no page asked for data before signing in');
    await signInWithPassword(page, 'wrong horse');
    assert.equal(await page.getByRole('alert').textContent(), 'Wrong user name or password.');
    assert.deepEqual(await context.cookies(), []);
    await signInWithPassword(page, 'correct horse');
    await page.waitForURL(`${server.url}${wanted}`);
    await page.getByText('61 runs').waitFor();
    const [cookie] = await context.cookies();
    assert.equal(cookie?.name, 'cairn_session');
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
      '',
      'scripts cannot read the session',
    );
    await page.getByText('ada').first().waitFor();
    await context.close();
  });

  it('lets an editor write from the UI, and refuses a write that lacks the CSRF token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/signin`);
    await signInWithPassword(page, 'correct horse');
    await page.waitForURL(/\/experiments$/);
    await page.getByLabel('New experiment').fill('from-the-browser');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/experiments\/\d+$/);
    // The cookie alone (what a forged cross-site form would carry) does not write.
    const forged = await page.evaluate(async () => {
      const res = await fetch('/ajax-api/2.0/mlflow/experiments/create', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'forged' }),
      });
      return { status: res.status, body: await res.text() };
    });
    assert.equal(forged.status, 403);
    assert.match(forged.body, /CSRF/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin/);
    assert.deepEqual(await context.cookies(), [], 'signing out clears the cookie');
    const after = await page.evaluate(
      async () => (await fetch('/ajax-api/2.0/mlflow/experiments/search')).status,
    );
    assert.equal(after, 401);
    await context.close();
  });

  it('signs a viewer in with a token and shows no writing controls', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/signin`);
    await page.getByRole('tab', { name: 'Token' }).click();
    await page.getByLabel('Token').fill(viewerToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/experiments$/);
    await page.getByRole('link', { name: 'churn-model' }).waitFor();
    await page.getByText('token:reader').waitFor();
    assert.equal(await page.getByRole('button', { name: /Create|Rename|Delete/ }).count(), 0);
    await page.goto(`${server.url}/models/${fixture.model}`);
    await page.getByText('@champion').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /Roll back|Move|Remove/ }).count(), 0);
    await page.goto(`${server.url}/models/${fixture.model}/versions/2`);
    await page.locator('figure.lineage svg').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Promote' }).count(), 0);
    await context.close();
  });
});
