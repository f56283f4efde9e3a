import { type InterpolationCallbacks, type InterpolationContext, interpolateNode } from './interpolate.ts';
import { describeKind, type LMap, type LNode, toPlain } from './parse-yaml-with-lines.ts';
import type { PipelineProblems } from './pipeline-problems.ts';

/** Letters, digits, `_`, `-` and `.`; `@` joins a foreach / matrix stage and its item. */
export const STAGE_NAME = /^[A-Za-z0-9_.-]+$/;

/** One stage after `foreach` / `matrix` expansion, before interpolation of its body. */
export interface ExpandedStage {
  /** `train`, `shard@a`, `evaluate@gbdt-1`. */
  name: string;
  /** The stage's key in cairn.yaml. */
  template: string;
  /** Line of the stage's key. */
  line: number;
  /** The stage's keys (cmd, deps, …), without foreach / do / matrix. */
  body: LMap;
  /** `item` and `key` for an expanded stage. */
  locals?: Record<string, unknown>;
}

/**
 * Turns the `stages:` mapping into one entry per stage to run: a plain stage as it is, a
 * `foreach` stage once per item (`name@item`, or `name@key` for a mapping, `name@index` for an
 * item that is not a plain value), a `matrix` stage once per combination (`name@v1-v2`, a value
 * that is not plain named `<dimension><index>`).
 */
export function expandStages(
  stages: LMap,
  ctx: InterpolationContext,
  problems: PipelineProblems,
  file: string,
): { stages: ExpandedStage[]; complete: boolean } {
  const out: ExpandedStage[] = [];
  const names = new Set<string>();
  let complete = true;
  const fail = (line: number, message: string): void => {
    problems.add(file, line, message);
    complete = false;
  };
  const on: InterpolationCallbacks = { error: fail };
  const push = (stage: ExpandedStage, itemLine: number): void => {
    const suffix = stage.name.slice(stage.template.length + 1);
    if (!STAGE_NAME.test(suffix)) {
      fail(
        itemLine,
        `stage "${stage.template}": the item ${JSON.stringify(suffix)} would name a stage "${stage.name}", but stage names use only letters, digits, "_", "-" and "."; use a mapping whose keys name the stages`,
      );
      return;
    }
    if (names.has(stage.name)) {
      fail(itemLine, `stage "${stage.template}": two items make the same stage name "${stage.name}"`);
      return;
    }
    names.add(stage.name);
    out.push(stage);
  };

  for (const { key: template, keyLine: line, value } of stages.entries) {
    if (template.includes('@')) {
      fail(line, `invalid stage name "${template}": "@" is kept for stages made by foreach and matrix`);
      continue;
    }
    if (!STAGE_NAME.test(template)) {
      fail(line, `invalid stage name "${template}": use only letters, digits, "_", "-" and "."`);
      continue;
    }
    if (value.kind !== 'map') {
      fail(
        value.line,
        `stage "${template}" must be a mapping with at least a cmd, not ${describeKind(value)}`,
      );
      continue;
    }
    const foreach = value.entries.find((e) => e.key === 'foreach');
    const matrix = value.entries.find((e) => e.key === 'matrix');
    const doEntry = value.entries.find((e) => e.key === 'do');
    if (foreach && matrix) {
      fail(matrix.keyLine, `stage "${template}": use either foreach or matrix, not both`);
      continue;
    }
    if (foreach) {
      const extra = value.entries.filter((e) => e.key !== 'foreach' && e.key !== 'do');
      for (const e of extra)
        fail(
          e.keyLine,
          `stage "${template}": a foreach stage has only foreach and do; move "${e.key}" under do`,
        );
      if (!doEntry) {
        fail(foreach.keyLine, `stage "${template}": foreach needs a "do" mapping with the stage to repeat`);
        continue;
      }
      if (doEntry.value.kind !== 'map') {
        fail(doEntry.value.line, `stage "${template}": do must be a mapping (cmd, deps, outs, …)`);
        continue;
      }
      const nested = doEntry.value.entries.find((e) => ['foreach', 'matrix', 'do'].includes(e.key));
      if (nested) {
        fail(nested.keyLine, `stage "${template}": ${nested.key} cannot be nested inside do`);
        continue;
      }
      if (extra.length > 0) continue;
      const items = resolveCollection(foreach.value, ctx, on);
      const body = doEntry.value;
      if (items?.kind === 'seq')
        items.items.forEach((item, index) => {
          const plain = toPlain(item);
          const suffix = isPlainScalar(plain) ? String(plain) : String(index);
          push(
            { name: `${template}@${suffix}`, template, line, body, locals: { item: plain, key: index } },
            item.line,
          );
        });
      else if (items?.kind === 'map')
        for (const e of items.entries)
          push(
            {
              name: `${template}@${e.key}`,
              template,
              line,
              body,
              locals: { item: toPlain(e.value), key: e.key },
            },
            e.keyLine,
          );
      else if (items)
        fail(items.line, `stage "${template}": foreach must be a list, a mapping, or \${…} naming one`);
      continue;
    }
    if (doEntry) {
      fail(doEntry.keyLine, `stage "${template}": do goes with foreach; add foreach or move the keys up`);
      continue;
    }
    if (!matrix) {
      out.push({ name: template, template, line, body: value });
      names.add(template);
      continue;
    }
    const body: LMap = { ...value, entries: value.entries.filter((e) => e.key !== 'matrix') };
    const dimensions = resolveMatrix(matrix.value, template, ctx, on, fail);
    if (!dimensions) continue;
    for (const combination of product(dimensions)) {
      const item: Record<string, unknown> = {};
      const suffix: string[] = [];
      for (const { name, value: v, index } of combination) {
        item[name] = v;
        suffix.push(isPlainScalar(v) ? String(v) : `${name}${index}`);
      }
      const key = suffix.join('-');
      push({ name: `${template}@${key}`, template, line, body, locals: { item, key } }, matrix.keyLine);
    }
  }
  return { stages: out, complete };
}

interface Dimension {
  name: string;
  values: unknown[];
}

function resolveMatrix(
  node: LNode,
  template: string,
  ctx: InterpolationContext,
  on: InterpolationCallbacks,
  fail: (line: number, message: string) => void,
): Dimension[] | undefined {
  const matrix = resolveCollection(node, ctx, on);
  if (!matrix) return undefined;
  if (matrix.kind !== 'map' || matrix.entries.length === 0) {
    fail(matrix.line, `stage "${template}": matrix must map each dimension to a list of values`);
    return undefined;
  }
  const dimensions: Dimension[] = [];
  for (const e of matrix.entries) {
    const values = resolveCollection(e.value, ctx, on);
    if (!values) return undefined;
    if (values.kind !== 'seq' || values.items.length === 0) {
      fail(e.keyLine, `stage "${template}": matrix dimension "${e.key}" must be a non-empty list`);
      return undefined;
    }
    dimensions.push({ name: e.key, values: values.items.map(toPlain) });
  }
  return dimensions;
}

/** The node with its `${…}` replaced: a whole `${x}` can stand for the list or mapping itself. */
function resolveCollection(node: LNode, ctx: InterpolationContext, on: InterpolationCallbacks) {
  let failed = false;
  const resolved = interpolateNode(node, ctx, {
    error: (line, message) => {
      failed = true;
      on.error(line, message);
    },
  });
  return failed ? undefined : resolved;
}

function* product(dimensions: Dimension[]): Generator<{ name: string; value: unknown; index: number }[]> {
  const [first, ...rest] = dimensions;
  if (!first) {
    yield [];
    return;
  }
  for (let index = 0; index < first.values.length; index++)
    for (const tail of product(rest))
      yield [{ name: first.name, value: first.values[index], index }, ...tail];
}

function isPlainScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
