import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page, Response } from 'playwright-core';
import { type RunningServer, startServerProcess } from '../compat/server-process.ts';
import { launchChromium } from '../support/browser.ts';
import { chromiumGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { ensureUiBuilt } from '../support/ui-build.ts';
import { seedUiFixture, type UiFixture } from '../support/ui-fixture.ts';

const gate = chromiumGate();

/** Waits until the runs table lists exactly these run names, top to bottom. */
async function waitForRows(page: Page, names: string[]): Promise<void> {
  await page.waitForFunction((expected) => {
    type Doc = { querySelectorAll(s: string): Iterable<{ textContent: string | null }> };
    const doc = (globalThis as unknown as { document: Doc }).document;
    const shown = [...doc.querySelectorAll('tbody tr td.name a')].map((a) => a.textContent);
    return JSON.stringify(shown) === JSON.stringify(expected);
  }, names);
}

interface TableRun {
  run_id: string;
  run_name: string;
  metrics: Record<string, number>;
}

/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against a real
 * `cairn server` without authentication: every page, the runs table's filter, sort, columns,
 * keyboard and selection, compare, charts, artifacts, and promoting an alias.
 */
describe('the web UI in Chromium', { skip: gate.skip }, () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let fixture: UiFixture;
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${server.url}${path}`, init);
    assert.ok(res.ok, `${path}: ${res.status}`);
    return (await res.json()) as T;
  };

  before(async () => {
    ensureUiBuilt();
    const dir = await tempDir('cairn-ui-e2e-');
    server = await startServerProcess(
      ['--store', `sqlite://${join(dir, 'cairn.db')}`, '--artifacts', join(dir, 'artifacts')],
      { cwd: dir },
    );
    fixture = await seedUiFixture(server.url);
    browser = await launchChromium(gate.value as string);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (err) => assert.fail(`error in the page: ${err.message}`));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lists experiments and creates, renames and deletes one', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/experiments$/);
    await page.getByRole('link', { name: 'churn-model' }).waitFor();
    assert.deepEqual(await page.locator('tbody a').allTextContents(), [
      'image-classifier',
      'churn-model',
      'Default',
    ]);
    await page.getByLabel('New experiment').fill('scratch');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/experiments\/\d+$/);
    await page.getByRole('link', { name: 'Experiments' }).first().click();
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'scratch' }) });
    await row.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('New name for scratch').fill('scratch-2');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('link', { name: 'scratch-2' }).waitFor();
    page.once('dialog', (d) => void d.accept());
    await page
      .locator('tr', { has: page.getByRole('link', { name: 'scratch-2' }) })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.getByRole('link', { name: 'scratch-2' }).waitFor({ state: 'detached' });
    const { experiments } = await api<{ experiments?: { name: string }[] }>(
      '/api/2.0/mlflow/experiments/search?max_results=10&view_type=DELETED_ONLY',
    );
    assert.deepEqual(
      experiments?.map((e) => e.name),
      ['scratch-2'],
    );
  });

  it('shows the runs table virtualized: a few rows and columns in the page out of many', async () => {
    await page.setViewportSize({ width: 900, height: 600 });
    await page.goto(`${server.url}/experiments/${fixture.experimentId}`);
    await page.getByText('61 runs').waitFor();
    const rendered = await page.locator('tbody tr').count();
    assert.ok(rendered > 5 && rendered < 45, `${rendered} rows in the page for 61 runs`);
    const headers = await page.locator('thead th').count();
    assert.ok(headers < 2 + 4 + 5 + 5, `${headers} header cells for 16 columns`);
    // Scrolling to the end brings the last run (the oldest) into the page.
    await page.locator('.grid-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.getByRole('link', { name: 'sweep-00', exact: true }).waitFor();
    await page.locator('.grid-scroll').evaluate((el) => el.scrollTo(el.scrollWidth, 0));
    await page.getByRole('button', { name: /train_seconds/ }).waitFor();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('filters with MLflow grammar and sorts by a header, keeping both in the URL', async () => {
    const filter = "params.model = 'gbdt' and metrics.auc > 0.8";
    await page.goto(`${server.url}/experiments/${fixture.experimentId}`);
    await page.getByRole('searchbox', { name: /Filter runs/ }).fill(filter);
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    const expected = await api<{ total: number; runs: TableRun[] }>('/api/v1/runs/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        experiment_ids: [fixture.experimentId],
        filter,
        order_by: ['metrics.auc DESC'],
        columns: ['metrics.auc'],
      }),
    });
    assert.ok(expected.total > 3 && expected.total < 61);
    await page.getByText(`${expected.total} runs`).waitFor();
    await page.getByRole('button', { name: /auc/ }).click();
    await page.waitForURL(/sort=metrics\.auc/);
    await waitForRows(
      page,
      expected.runs.map((r) => r.run_name),
    );
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('filter'), filter);
    // The same address shows the same table to someone else.
    const other = await browser.newPage();
    await other.goto(page.url());
    await waitForRows(
      other,
      expected.runs.map((r) => r.run_name),
    );
    await other.close();
    // A filter the server cannot parse says why.
    await page.getByRole('searchbox', { name: /Filter runs/ }).fill('metrics.auc >');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByRole('alert').waitFor();
    assert.match(
      (await page.getByRole('alert').textContent()) ?? '',
      /INVALID_PARAMETER_VALUE|INVALID_ARGUMENT/,
    );
  });

  it('hides and shows columns with the column picker', async () => {
    await page.goto(`${server.url}/experiments/${fixture.experimentId}`);
    await page.getByRole('button', { name: /^Columns/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Columns' });
    await dialog.getByRole('checkbox', { name: 'seed' }).uncheck();
    await dialog.getByRole('checkbox', { name: 'team' }).check();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.waitForURL(/cols=/);
    const cols = new URL(page.url()).searchParams.get('cols')?.split(',') ?? [];
    assert.ok(
      !cols.includes('params.seed') && cols.includes('tags.team') && cols.includes('metrics.*'),
      cols.join(),
    );
    assert.equal(await page.getByRole('button', { name: /seed/ }).count(), 0);
    await page.locator('.grid-scroll').evaluate((el) => el.scrollTo(el.scrollWidth, 0));
    await page.getByRole('button', { name: /team/ }).waitFor();
  });

  it('moves through the table with the keyboard and selects runs, Shift-click for a range', async () => {
    await page.goto(`${server.url}/experiments/${fixture.experimentId}`);
    await page.getByText('61 runs').waitFor();
    await page.getByRole('checkbox', { name: 'Select run long-history' }).focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    assert.equal(await page.getByRole('checkbox', { name: 'Select run sweep-58' }).isChecked(), true);
    await page.getByRole('checkbox', { name: 'Select run sweep-55' }).click({ modifiers: ['Shift'] });
    await page.getByText('61 runs, 4 selected').waitFor();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/runs\//);
    await page.goBack();
    await page.getByText('61 runs, 4 selected').waitFor();
    await page.getByRole('link', { name: 'Compare 4' }).click();
    await page.waitForURL(/\/compare\?runs=/);
    await page.getByRole('heading', { name: 'Compare 4 runs' }).waitFor();
  });

  it('compares runs: params with only the differences, metrics side by side, overlaid histories', async () => {
    const ids = ['sweep-10', 'sweep-14', 'sweep-22'].map((n) => fixture.runs[n] as string);
    await page.goto(`${server.url}/compare?runs=${ids.join(',')}`);
    const params = page.locator('section.panel', { has: page.getByRole('heading', { name: /^Params/ }) });
    await params.locator('tbody tr').first().waitFor();
    assert.equal(await params.locator('tbody tr').count(), 5);
    await page.getByRole('checkbox', { name: 'Only differences' }).check();
    await page.waitForURL(/diff=true/);
    // The params whose values are not the same in all three runs, as the API reports them.
    const runs = await Promise.all(
      ids.map((id) =>
        api<{ run: { data: { params: { key: string; value: string }[] } } }>(
          `/api/2.0/mlflow/runs/get?run_id=${id}`,
        ),
      ),
    );
    const keys = runs[0]?.run.data.params.map((p) => p.key).sort() ?? [];
    const differing = keys.filter(
      (k) => new Set(runs.map((r) => r.run.data.params.find((p) => p.key === k)?.value)).size > 1,
    );
    assert.ok(differing.length > 0 && differing.length < keys.length);
    await params.locator('tbody tr').nth(differing.length).waitFor({ state: 'detached' });
    assert.deepEqual(await params.locator('tbody th').allTextContents(), differing);
    const metrics = page.locator('section.panel', { has: page.getByRole('heading', { name: /^Metrics/ }) });
    assert.equal(await metrics.locator('thead th').count(), 4);
    await page.locator('.chart-canvas[data-drawn]').waitFor();
    assert.equal(await page.locator('.chart-title').textContent(), 'loss', 'the longest history is charted');
    assert.equal(await page.locator('.chart-legend li').count(), 3);
  });

  it('charts selected metrics across runs, and draws a long history in one request with its spike', async () => {
    const seriesAnswers: { url: string; max: number }[] = [];
    const watch = async (res: Response) => {
      if (!res.url().includes('/api/v1/metrics/series')) return;
      const body = (await res.json()) as { series: { max: (number | string)[] }[] };
      seriesAnswers.push({ url: res.url(), max: Math.max(...body.series.flatMap((s) => s.max.map(Number))) });
    };
    page.on('response', watch);
    const long = fixture.runs['long-history'] as string;
    await page.goto(`${server.url}/experiments/${fixture.experimentId}?view=charts&charts=loss&sel=${long}`);
    await page.locator('.chart-canvas[data-drawn]').waitFor();
    const caption = await page.locator('figure.chart figcaption').textContent();
    assert.match(caption ?? '', /20,000 points, \d+ steps per pixel/);
    const answer = seriesAnswers.find((a) => a.url.includes(`run_id=${long}`));
    assert.equal(answer?.max, 5, 'the spike at step 13,337 is in the answer');
    assert.equal(
      seriesAnswers.filter((a) => a.url.includes(long)).length,
      1,
      'one request for the whole history',
    );
    const painted = await page.locator('.chart-canvas canvas').evaluate((element) => {
      type Pixels = { data: Uint8ClampedArray };
      const canvas = element as unknown as {
        width: number;
        height: number;
        getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): Pixels } | null;
      };
      const ctx = canvas.getContext('2d');
      if (!ctx) return 0;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
      return n / (canvas.width * canvas.height);
    });
    assert.ok(painted > 0.005 && painted < 0.6, `painted ${painted}`);
    page.off('response', watch);
  });

  it('shows a run: metrics with min and max, dataset hashes, pipeline stages, charts, artifacts and logs', async () => {
    const id = fixture.runs['sweep-41'] as string;
    const summaries = await api<{ metrics: { key: string; min: number; max: number; count: number }[] }>(
      `/api/v1/runs/${id}/metrics`,
    );
    const loss = summaries.metrics.find((m) => m.key === 'loss');
    await page.goto(`${server.url}/runs/${id}`);
    const row = page.locator('tr', { has: page.getByRole('rowheader', { name: 'loss', exact: true }) });
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[1], String(Number(loss?.min.toPrecision(6))));
    assert.equal(cells[2], String(Number(loss?.max.toPrecision(6))));
    assert.equal(cells[3], '120');
    await page.getByText(`sha256:${'9c1e5a7d3b'.repeat(6)}2f4e`).waitFor();
    await page.getByRole('rowheader', { name: 'train', exact: true }).waitFor();
    await page.getByText('cairn run train --set train.lr=0.1').first().waitFor();

    await page.getByRole('tab', { name: 'Charts' }).click();
    await page.waitForURL(/tab=charts/);
    await page.locator('.chart-canvas[data-drawn]').first().waitFor();

    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByRole('button', { name: /eval\// }).click();
    await page.getByRole('button', { name: /predictions\.csv/ }).click();
    await page.waitForURL(/path=eval%2Fpredictions\.csv|path=eval\/predictions\.csv/);
    await page.getByText('First 100 rows').waitFor();
    assert.deepEqual(await page.locator('.artifact-preview thead th').allTextContents(), [
      'customer_id',
      'churned',
      'score',
    ]);
    await page.getByRole('button', { name: /roc\.png/ }).click();
    const width = await page.locator('img.artifact-image').evaluate(async (element) => {
      const img = element as unknown as { decode(): Promise<void>; naturalWidth: number };
      await img.decode();
      return img.naturalWidth;
    });
    assert.equal(width, 96);
    await page.getByRole('button', { name: /scores-full\.csv/ }).click();
    await page.getByText(/Too large to preview/).waitFor();
    const download = page.getByRole('link', { name: 'Download' });
    assert.match(
      (await download.getAttribute('href')) ?? '',
      /\/api\/v1\/runs\/[0-9a-f]+\/artifact\?path=eval%2Fscores-full\.csv/,
    );
    await page.getByRole('button', { name: /metrics\.json/ }).click();
    await page.locator('pre.artifact-text', { hasText: '"threshold": 0.42' }).waitFor();

    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByRole('tab', { name: 'train.log' }).click();
    await page.locator('pre.artifact-text', { hasText: 'epoch 40: loss=' }).waitFor();
  });

  it('shows models, a version with its lineage graph, and promotes and rolls back an alias', async () => {
    await page.goto(`${server.url}/models`);
    await page.getByRole('link', { name: 'churn' }).click();
    await page.getByRole('heading', { name: /churn/ }).waitFor();
    await page.getByRole('link', { name: 'v2', exact: true }).click();
    await page.locator('figure.lineage svg').waitFor();
    const kinds = await page.locator('figure.lineage .node-kind').allTextContents();
    for (const kind of ['data set', 'commit', 'pipeline (2 stages)', 'run', 'model version', 'package'])
      assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
    await page.getByRole('checkbox', { name: 'Verify the package hash' }).check();
    await page.locator('.node-kind', { hasText: 'package ✓ verified' }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'no error shown on the version page');

    await page.goto(`${server.url}/models/${fixture.model}/versions/1`);
    await page.getByLabel(/Promote v1 to alias/).fill('champion');
    await page.getByRole('button', { name: 'Promote' }).click();
    await page.getByRole('status').filter({ hasText: '@champion now points to v1' }).waitFor();
    const alias = () =>
      api<{ model_version: { version: string } }>(
        `/api/2.0/mlflow/registered-models/alias?name=churn&alias=champion`,
      );
    assert.equal((await alias()).model_version.version, '1');

    await page.goto(`${server.url}/models/${fixture.model}`);
    // v1 is now the champion; rolling the challenger back from v3 moves it to v2.
    const challenger = page.locator('tr', { has: page.getByText('@challenger', { exact: true }) });
    page.once('dialog', (d) => void d.accept());
    await challenger.getByRole('button', { name: 'Roll back to v2' }).click();
    await challenger.locator('td').first().filter({ hasText: /^v2$/ }).waitFor();
    const challengerNow = await api<{ model_version: { version: string } }>(
      '/api/2.0/mlflow/registered-models/alias?name=churn&alias=challenger',
    );
    assert.equal(challengerNow.model_version.version, '2');
    assert.equal((await alias()).model_version.version, '1');
  });

  it('is readable in dark mode', async () => {
    const dark = await browser.newPage({ colorScheme: 'dark' });
    await dark.goto(`${server.url}/experiments`);
    await dark.getByRole('link', { name: 'churn-model' }).waitFor();
    const [bg, fg] = await dark.evaluate(() => {
      const w = globalThis as unknown as {
        document: { body: unknown };
        getComputedStyle(el: unknown): { backgroundColor: string; color: string };
      };
      const style = w.getComputedStyle(w.document.body);
      return [style.backgroundColor, style.color];
    });
    const luminance = (rgb: string) => {
      const [r = 0, g = 0, b = 0] = (rgb.match(/\d+/g) ?? []).map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    assert.ok(luminance(bg) < 60 && luminance(fg) > 180, `background ${bg}, text ${fg}`);
    await dark.close();
  });
});
