import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { yamlLib } from '../../kernel/yaml/yaml-lib.ts';
import type { Pipeline } from '../pipeline-types.ts';

/** One metrics file of a stage, as `cairn metrics show` reports it. */
export interface MetricsFileReport {
  path: string;
  stage: string;
  /** Numbers of the file, nested keys joined with dots; absent when the file could not be read. */
  metrics?: Record<string, number>;
  /** Why the file could not be read (`missing`, or the parse error). */
  error?: string;
}

/**
 * The numbers of a parsed metrics file, nested keys joined with dots (`loss.train`), as `cairn
 * run` records them. Strings, booleans and lists are left out.
 */
export function flattenMetrics(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (node: unknown, path: string) => {
    if (typeof node === 'number' && path !== '') out[path] = node;
    else if (typeof node === 'object' && node !== null && !Array.isArray(node))
      for (const [k, v] of Object.entries(node)) walk(v, path === '' ? k : `${path}.${k}`);
  };
  walk(value, '');
  return out;
}

/** Parses a metrics or plots file: JSON for `.json`, YAML otherwise (YAML reads JSON too). */
export function parseDataFile(path: string, text: string): unknown {
  return path.endsWith('.json') ? JSON.parse(text) : yamlLib().parse(text);
}

/** The current content of every stage's `metrics` files, in pipeline order. */
export async function readStageMetrics(root: string, pipeline: Pipeline): Promise<MetricsFileReport[]> {
  const out: MetricsFileReport[] = [];
  for (const stage of pipeline.stages)
    for (const spec of stage.metrics) {
      const report: MetricsFileReport = { path: spec.path, stage: stage.name };
      try {
        report.metrics = flattenMetrics(
          parseDataFile(spec.path, await readFile(join(root, spec.path), 'utf8')),
        );
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        report.error =
          e.code === 'ENOENT'
            ? 'missing (run the stage to make it)'
            : (e.message.split('\n')[0] ?? 'unreadable');
      }
      out.push(report);
    }
  return out;
}
