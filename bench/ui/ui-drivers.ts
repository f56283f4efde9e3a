import type { CDPSession, Page } from 'playwright-core';

/**
 * How the benchmark drives each UI to the same three states, and how it knows it got there:
 * the runs table showing its first rows, its last run on screen, and the long history drawn.
 */
export interface UiDriver {
  name: string;
  runsUrl(experimentId: string): string;
  /** Resolves when the newest run's row is on screen. */
  firstRows(page: Page, newest: string): Promise<void>;
  /** From the table's first rows: scrolls (and loads) until the oldest run's row is on screen. */
  scrollToEnd(page: Page, oldest: string, deadline: number): Promise<{ reached: boolean; rows: number }>;
  chartUrl(experimentId: string, runId: string): string;
  /** Resolves when the long history's chart is drawn. */
  chartDrawn(page: Page): Promise<void>;
}

export const cairnDriver = (base: string): UiDriver => ({
  name: 'Cairn',
  runsUrl: (experimentId) => `${base}/experiments/${experimentId}`,
  firstRows: async (page, newest) => {
    await page.getByRole('link', { name: newest, exact: true }).waitFor({ timeout: 120_000 });
  },
  scrollToEnd: async (page, oldest, deadline) => {
    await page.locator('.grid-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page
      .getByRole('link', { name: oldest, exact: true })
      .waitFor({ timeout: Math.max(1000, deadline - Date.now()) });
    return { reached: true, rows: await page.locator('tbody tr').count() };
  },
  chartUrl: (_experimentId, runId) => `${base}/runs/${runId}?tab=charts`,
  chartDrawn: async (page) => {
    await page.locator('.chart-canvas[data-drawn]').first().waitFor({ timeout: 120_000 });
  },
});

/** MLflow 3's UI: the training-runs table (ag-grid, "Load more" below it) and the run's model-metrics charts (Plotly). */
export const mlflowDriver = (base: string): UiDriver => ({
  name: 'MLflow',
  runsUrl: (experimentId) => `${base}/#/experiments/${experimentId}/runs`,
  firstRows: async (page, newest) => {
    await page.locator('.ag-row a', { hasText: newest }).first().waitFor({ timeout: 120_000 });
  },
  scrollToEnd: async (page, oldest, deadline) => {
    const last = page.locator('.ag-row a', { hasText: oldest });
    while (Date.now() < deadline) {
      if ((await last.count()) > 0) {
        await last.first().scrollIntoViewIfNeeded();
        return { reached: true, rows: await loadedRows(page) };
      }
      // "Load more" sits below the last loaded row; a user scrolls to it and clicks it.
      const answered = page
        .waitForResponse((r) => r.url().includes('/runs/search'), {
          timeout: Math.max(1000, deadline - Date.now()),
        })
        .catch(() => undefined);
      // ag-grid renders only the rows in view, the button too: scroll its body to the end first.
      await page.evaluate(() => {
        type Scroller = { scrollTop: number; scrollHeight: number };
        const doc = (
          globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Scroller> } }
        ).document;
        for (const el of doc.querySelectorAll('.ag-body-viewport, .ag-body-vertical-scroll-viewport'))
          el.scrollTop = el.scrollHeight;
      });
      await page.waitForTimeout(50);
      const clicked = await page.evaluate(() => {
        type Button = { textContent: string | null; scrollIntoView(): void; click(): void };
        const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Button> } })
          .document;
        const more = [...doc.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Load more');
        more?.scrollIntoView();
        more?.click();
        return more !== undefined;
      });
      if (clicked) await answered;
      else await page.waitForTimeout(100);
      if (process.env.BENCH_UI_VERBOSE === '1')
        process.stdout.write(
          `    MLflow: ${await loadedRows(page)} runs loaded (Load more ${clicked ? 'clicked' : 'not found'})\n`,
        );
    }
    return { reached: false, rows: await loadedRows(page) };
  },
  chartUrl: (experimentId, runId) => `${base}/#/experiments/${experimentId}/runs/${runId}/model-metrics`,
  chartDrawn: async (page) => {
    await page.waitForFunction(
      () => {
        const doc = (
          globalThis as unknown as {
            document: { querySelector(s: string): { getAttribute(a: string): string | null } | null };
          }
        ).document;
        const line = doc.querySelector('.js-plotly-plot .scatterlayer .trace path.js-line');
        return (line?.getAttribute('d')?.length ?? 0) > 100;
      },
      undefined,
      { timeout: 120_000 },
    );
  },
});

async function loadedRows(page: Page): Promise<number> {
  const text =
    (await page
      .getByText(/matching runs/)
      .first()
      .textContent()
      .catch(() => '')) ?? '';
  return Number(/([\d,]+)\s+matching runs/.exec(text)?.[1]?.replaceAll(',', '') ?? 0);
}

/** The largest JS heap the page used while `during` ran, sampled every 100 ms through the DevTools protocol. */
export async function peakHeap<T>(
  cdp: CDPSession,
  during: () => Promise<T>,
): Promise<{ result: T; peak: number }> {
  await cdp.send('Performance.enable');
  let peak = 0;
  let sampling = true;
  const sample = async () => {
    while (sampling) {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
      peak = Math.max(peak, used);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const sampler = sample().catch(() => undefined);
  try {
    const result = await during();
    return { result, peak };
  } finally {
    sampling = false;
    await sampler;
  }
}
