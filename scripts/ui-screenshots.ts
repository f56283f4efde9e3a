/**
 * `npm run screenshots:ui`: the pictures in docs/ui.md. Builds the web UI when it is stale,
 * starts `cairn server` on a fresh store with the browser tests' fixture data, and photographs
 * each page with headless Chromium ($CAIRN_TEST_CHROMIUM or /usr/bin/chromium) into docs/img/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startServerProcess } from '../test/compat/server-process.ts';
import { launchChromium } from '../test/support/browser.ts';
import { ensureUiBuilt } from '../test/support/ui-build.ts';
import { seedUiFixture } from '../test/support/ui-fixture.ts';

const OUT = fileURLToPath(new URL('../docs/img/', import.meta.url));

ensureUiBuilt();
const dir = mkdtempSync(join(tmpdir(), 'cairn-ui-shots-'));
const server = await startServerProcess(
  ['--store', `sqlite://${join(dir, 'cairn.db')}`, '--artifacts', join(dir, 'artifacts')],
  { cwd: dir },
);
const browser = await launchChromium(process.env.CAIRN_TEST_CHROMIUM ?? '/usr/bin/chromium');
try {
  const fixture = await seedUiFixture(server.url);
  const run = fixture.runs['sweep-41'] as string;
  const shots: { file: string; path: string; dark?: boolean; ready: (page: Page) => Promise<unknown> }[] = [
    {
      file: 'ui-experiments.png',
      path: '/experiments',
      ready: (p) => p.getByRole('link', { name: 'churn-model' }).waitFor(),
    },
    {
      file: 'ui-runs.png',
      path: `/experiments/${fixture.experimentId}?sort=metrics.accuracy&cols=params.lr,params.max_depth,params.model,metrics.*,tags.team&sel=${run},${fixture.runs['sweep-45']}`,
      ready: (p) => p.getByText('61 runs').waitFor(),
    },
    {
      file: 'ui-runs-charts.png',
      path: `/experiments/${fixture.experimentId}?view=charts&charts=loss,auc&filter=${encodeURIComponent("params.model = 'gbdt'")}`,
      ready: (p) => p.locator('.chart-canvas[data-drawn]').nth(1).waitFor(),
    },
    {
      file: 'ui-run.png',
      path: `/runs/${run}`,
      ready: (p) => p.getByRole('rowheader', { name: 'loss', exact: true }).waitFor(),
    },
    {
      file: 'ui-run-charts.png',
      path: `/runs/${fixture.runs['long-history']}?tab=charts`,
      ready: (p) => p.locator('.chart-canvas[data-drawn]').first().waitFor(),
    },
    {
      file: 'ui-run-artifacts.png',
      path: `/runs/${run}?tab=artifacts&path=eval%2Fpredictions.csv`,
      ready: (p) => p.getByText('First 100 rows').waitFor(),
    },
    {
      file: 'ui-compare.png',
      path: `/compare?runs=${['sweep-10', 'sweep-14', 'sweep-22'].map((n) => fixture.runs[n]).join(',')}&diff=true`,
      ready: (p) => p.locator('.chart-canvas[data-drawn]').waitFor(),
    },
    {
      file: 'ui-models.png',
      path: '/models',
      ready: (p) => p.getByRole('link', { name: 'churn' }).waitFor(),
    },
    {
      file: 'ui-model.png',
      path: `/models/${fixture.model}`,
      ready: (p) => p.getByText('@champion').first().waitFor(),
    },
    {
      file: 'ui-version.png',
      path: `/models/${fixture.model}/versions/2?verify=true`,
      ready: (p) => p.locator('.node-kind', { hasText: 'verified' }).waitFor(),
    },
    {
      file: 'ui-runs-dark.png',
      path: `/experiments/${fixture.experimentId}?filter=${encodeURIComponent('metrics.auc > 0.85')}&sort=metrics.f1&cols=params.lr,params.model,metrics.*`,
      dark: true,
      ready: (p) => p.locator('tbody tr').first().waitFor(),
    },
  ];
  for (const shot of shots) {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 760 },
      colorScheme: shot.dark ? 'dark' : 'light',
    });
    const page = await context.newPage();
    await page.goto(`${server.url}${shot.path}`);
    await shot.ready(page);
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(OUT, shot.file) });
    await context.close();
    process.stdout.write(`wrote docs/img/${shot.file}\n`);
  }
} finally {
  await browser.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
