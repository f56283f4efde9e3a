import { paramValue } from '../definition/params-files.ts';
import type { Pipeline, StageDefinition } from '../pipeline-types.ts';

/** params file → dotted key → value for the params a stage declares; missing keys are left out. */
export function stageParamValues(
  pipeline: Pipeline,
  stage: StageDefinition,
): { values: Record<string, Record<string, unknown>>; missing: string[] } {
  const values: Record<string, Record<string, unknown>> = {};
  const missing: string[] = [];
  for (const dep of stage.params) {
    const content = pipeline.params.get(dep.file);
    const forFile: Record<string, unknown> = values[dep.file] ?? {};
    values[dep.file] = forFile;
    for (const key of dep.keys) {
      const value = paramValue(content, key);
      if (value === undefined) missing.push(`${dep.file}:${key}`);
      else forFile[key] = value;
    }
  }
  return { values, missing };
}

/**
 * Every param of the pipeline's params files flattened with dots (`train.lr`), as a run records
 * them. Keys of files other than `params.yaml` are prefixed with the file: `conf/model.yaml:depth`.
 */
export function flattenParams(params: ReadonlyMap<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [file, content] of params) {
    const prefix = file === 'params.yaml' ? '' : `${file}:`;
    const walk = (node: unknown, path: string) => {
      if (isRecord(node) && Object.keys(node).length > 0) {
        for (const [k, v] of Object.entries(node)) walk(v, path === '' ? k : `${path}.${k}`);
      } else if (path !== '') out.set(`${prefix}${path}`, node);
    };
    walk(content, '');
  }
  return out;
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortDeep(value));
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortDeep(value[k])]),
  );
}

/** How a param value is shown in reasons and recorded in a run: scalars plain, the rest as JSON. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '(none)';
  return canonicalJson(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
