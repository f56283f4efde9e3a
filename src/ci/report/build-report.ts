import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errors, fromSystemError } from '../../kernel/errors.ts';
import type { GateResult } from '../../ml/gates/gate-result.ts';
import { diffParams } from '../../pipeline/inspect/params-diff.ts';
import { readLockFile } from '../../pipeline/lock/lock-file.ts';
import type { Pipeline } from '../../pipeline/pipeline-types.ts';
import type { TrackingStore } from '../../tracking/tracking-store.ts';
import { type Comparison, compareSides } from './compare-sides.ts';
import { headCommit, openCommit, workingFilesEnding } from './git-history.ts';
import { applyRun, runOfCommit } from './registry-side.ts';
import { type ReportContent, reportMarkdown } from './report-markdown.ts';
import { commitSide, type ReportSide, workingSide } from './report-side.ts';

export interface BuildReportOptions {
  root: string;
  pipeline: Pipeline | undefined;
  /** A git ref to compare with, or a side already read (a registry version). */
  base: { ref: string } | { side: ReportSide };
  /** Files `cairn gate --json` wrote (absolute paths). */
  gateFiles: readonly string[];
  /** Runs of both sides, looked up by commit; `serverUrl` when the store is a server. */
  tracking?: { store: TrackingStore; serverUrl?: string };
  /** Rows of a CSV / Parquet data set by hash, when they can be known. */
  rows?: (hash: string, path: string) => Promise<number | undefined>;
  /** Where the job publishes the pipeline's files: HTML reports are linked under it. */
  reportsUrl?: string;
}

export interface BuiltReport {
  markdown: string;
  gates: GateResult[];
  comparison: Comparison;
  content: ReportContent;
}

/**
 * `cairn ci report`: this change (the working tree, as `cairn run` left it) against a base commit
 * or a registry version — params, every stage's metrics, gate results, data sets, runs and reports.
 */
export async function buildReport(options: BuildReportOptions): Promise<BuiltReport> {
  const { root, pipeline } = options;
  const sha = headCommit(root);
  const head = await workingSide(
    root,
    pipeline,
    workingFilesEnding(root, '.cairn'),
    sha ? `this change (${sha.slice(0, 7)})` : 'this change',
    sha,
  );
  const base =
    'side' in options.base
      ? options.base.side
      : await commitSide(await openCommit(root, options.base.ref), pipeline);

  if (options.tracking)
    for (const side of [head, base])
      if (side.commit && !side.run) {
        const run = await runOfCommit(options.tracking.store, side.commit).catch(() => undefined);
        if (run) applyRun(side, run, options.tracking.serverUrl, false);
      }

  const comparison = compareSides(base, head);
  if (options.rows)
    for (const d of comparison.datasets)
      for (const s of [d.base, d.head])
        if (s) {
          const rows = await options.rows(s.hash, d.path).catch(() => undefined);
          if (rows !== undefined) s.rows = rows;
        }

  const notes: string[] = [];
  if (pipeline) {
    const stale = diffParams(pipeline, await readLockFile(root)).params;
    if (stale.length > 0)
      notes.push(
        `params changed since the last cairn run (${stale.map((p) => p.key).join(', ')}): the metrics do not reflect them yet; run cairn run`,
      );
  }
  const gates: GateResult[] = [];
  const missingGates: string[] = [];
  for (const file of options.gateFiles) {
    const found = await readGateResults(file);
    if (found.length === 0) missingGates.push(file);
    gates.push(...found);
  }
  const htmlReports = (pipeline?.stages ?? [])
    .flatMap((s) => [...s.outs, ...s.plots, ...s.metrics].map((o) => o.path))
    .filter((p) => p.endsWith('.html') && existsSync(join(root, p)))
    .map((path) => ({
      path,
      ...(options.reportsUrl ? { url: `${options.reportsUrl.replace(/\/+$/, '')}/${path}` } : {}),
    }));

  const content: ReportContent = { base, head, comparison, gates, missingGates, htmlReports, notes };
  return { markdown: reportMarkdown(content), gates, comparison, content };
}

/** The results in a `cairn gate --json` file (one result, or a list); none when the file is empty or absent. */
async function readGateResults(file: string): Promise<GateResult[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(err, file);
  }
  if (text.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw errors.invalid(`${file} is not JSON: expected what cairn gate --json prints`, {
      hint: 'write it with: cairn gate <model> --json > gate.json',
    });
  }
  const list = Array.isArray(value) ? value : [value];
  for (const r of list)
    if (
      typeof r !== 'object' ||
      r === null ||
      typeof (r as GateResult).gate !== 'string' ||
      !Array.isArray((r as GateResult).rules) ||
      typeof (r as GateResult).passed !== 'boolean'
    )
      throw errors.invalid(`${file} is not a gate result: expected what cairn gate --json prints`, {
        hint: 'write it with: cairn gate <model> --json > gate.json',
      });
  return list as GateResult[];
}
