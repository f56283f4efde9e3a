import type { OutputSpec, StageDefinition } from '../pipeline-types.ts';
import type { ExpandedStage } from './expand.ts';
import { type InterpolationContext, interpolateNode } from './interpolate.ts';
import { DEFAULT_PARAMS_FILE } from './params-files.ts';
import { describeKind, type LMap, type LNode } from './parse-yaml-with-lines.ts';
import { outputPathProblem, workspacePath } from './pipeline-paths.ts';
import { didYouMean, type PipelineProblems } from './pipeline-problems.ts';

/** The keys a stage (or a foreach stage's `do`) may have; `matrix` sits beside them. */
export const STAGE_KEYS = [
  'cmd',
  'wdir',
  'env',
  'deps',
  'params',
  'outs',
  'metrics',
  'plots',
  'desc',
  'queue',
] as const;
export const OUTPUT_KINDS = ['outs', 'metrics', 'plots'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];
const OUTPUT_OPTIONS = ['cache', 'persist'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A task queue name: what Temporal accepts, kept to characters that need no quoting anywhere. */
export const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/** A params dependency as written: `key` undefined means the whole file. */
export interface ParamRef {
  file: string;
  key: string | undefined;
  line: number;
  /** Found through `${…}` in the stage rather than listed under params. */
  implicit: boolean;
}

export interface LocatedOutput {
  kind: OutputKind;
  path: string;
  line: number;
}

/** A stage with the lines of its paths, for the checks that span stages. */
export interface ResolvedStage {
  definition: StageDefinition;
  template: string;
  deps: { path: string; line: number }[];
  outputs: LocatedOutput[];
  paramRefs: ParamRef[];
  /** False when an entry was dropped for an error: checks that need every output are skipped. */
  complete: boolean;
}

/**
 * Interpolates one expanded stage and checks its keys and types. Problems go to `problems` with
 * the line of the offending entry; the stage is returned with whatever entries were valid.
 */
export function resolveStage(
  stage: ExpandedStage,
  ctx: InterpolationContext,
  problems: PipelineProblems,
  file: string,
): ResolvedStage {
  let complete = true;
  const report = (line: number, message: string): void =>
    problems.add(file, line, `stage "${stage.name}": ${message}`, `${stage.template}|${line}|${message}`);
  // For mistakes that leave the stage's outputs (or where its paths point) unknown.
  const reportIncomplete = (line: number, message: string): void => {
    complete = false;
    report(line, message);
  };
  for (const e of stage.body.entries)
    if (!(STAGE_KEYS as readonly string[]).includes(e.key))
      report(e.keyLine, `unknown key "${e.key}"${didYouMean(e.key, [...STAGE_KEYS, 'matrix', 'foreach'])}`);

  const paramRefs: ParamRef[] = [];
  const body = interpolateNode(stage.body, stage.locals ? ctx.with(stage.locals) : ctx, {
    error: reportIncomplete,
    used: (usedFile, key) => paramRefs.push({ file: usedFile, key, line: stage.line, implicit: true }),
  }) as LMap;
  const field = (key: string): LNode | undefined => {
    const v = body.entries.find((e) => e.key === key)?.value;
    return v?.kind === 'scalar' && v.value === null ? undefined : v;
  };
  const strings = (key: string): { value: string; line: number }[] => {
    const node = field(key);
    if (!node) return [];
    if (node.kind !== 'seq') {
      report(node.line, `${key} must be a list, not ${describeKind(node)}`);
      return [];
    }
    const out: { value: string; line: number }[] = [];
    for (const item of node.items) {
      if (item.kind === 'scalar' && typeof item.value === 'string')
        out.push({ value: item.value, line: item.line });
      else report(item.line, `each entry of ${key} must be a path, not ${describeKind(item)}`);
    }
    return out;
  };

  const cmd = resolveCmd(field('cmd'), stage.line, report);
  let wdir = '.';
  const wdirNode = field('wdir');
  if (wdirNode) {
    if (wdirNode.kind === 'scalar' && typeof wdirNode.value === 'string') {
      const r = workspacePath(wdirNode.value, '.', true);
      if ('error' in r) reportIncomplete(wdirNode.line, `wdir: ${r.error}`);
      else wdir = r.path;
    } else reportIncomplete(wdirNode.line, `wdir must be a directory path, not ${describeKind(wdirNode)}`);
  }
  const path = (raw: string, line: number, what: string): string | undefined => {
    const r = workspacePath(raw, wdir);
    if ('error' in r)
      (what === 'deps' || what === 'params' ? report : reportIncomplete)(line, `${what}: ${r.error}`);
    return 'path' in r ? r.path : undefined;
  };

  const deps: { path: string; line: number }[] = [];
  for (const d of strings('deps')) {
    const p = path(d.value, d.line, 'deps');
    if (p !== undefined) deps.push({ path: p, line: d.line });
  }
  const outputs: LocatedOutput[] = [];
  const specs: Record<OutputKind, OutputSpec[]> = { outs: [], metrics: [], plots: [] };
  for (const kind of OUTPUT_KINDS)
    for (const o of resolveOutputs(field(kind), kind, reportIncomplete)) {
      const p = path(o.path, o.line, kind);
      if (p === undefined) continue;
      const reserved = outputPathProblem(p);
      if (reserved) {
        reportIncomplete(o.line, `${kind}: ${reserved}`);
        continue;
      }
      specs[kind].push({ path: p, cache: o.cache, persist: o.persist });
      outputs.push({ kind, path: p, line: o.line });
    }
  paramRefs.unshift(...resolveParams(field('params'), report, path));

  const env: Record<string, string> = {};
  const envNode = field('env');
  if (envNode?.kind === 'map')
    for (const e of envNode.entries) {
      const v = e.value;
      if (!ENV_NAME.test(e.key))
        report(e.keyLine, `env: "${e.key}" is not a valid environment variable name`);
      else if (v.kind === 'scalar' && v.value !== null) env[e.key] = String(v.value);
      else report(v.line, `env: ${e.key} must be a string, number or boolean, not ${describeKind(v)}`);
    }
  else if (envNode) report(envNode.line, `env must be a mapping of variable names to values`);
  const desc = field('desc');
  if (desc && !(desc.kind === 'scalar' && typeof desc.value === 'string'))
    report(desc.line, `desc must be a string, not ${describeKind(desc)}`);
  const queueNode = field('queue');
  let queue: string | undefined;
  if (queueNode?.kind === 'scalar' && typeof queueNode.value === 'string' && QUEUE_NAME.test(queueNode.value))
    queue = queueNode.value;
  else if (queueNode)
    report(
      queueNode.line,
      `queue must be a task queue name (letters, digits, "_", ".", ":" and "-"), not ${queueNode.kind === 'scalar' ? JSON.stringify(queueNode.value) : describeKind(queueNode)}`,
    );

  return {
    definition: {
      name: stage.name,
      cmd,
      wdir,
      deps: deps.map((d) => d.path),
      params: [],
      outs: specs.outs,
      metrics: specs.metrics,
      plots: specs.plots,
      env,
      ...(queue !== undefined ? { queue } : {}),
      source: { file, line: stage.line },
    },
    template: stage.template,
    deps,
    outputs,
    paramRefs,
    complete,
  };
}

function resolveCmd(
  node: LNode | undefined,
  stageLine: number,
  report: (l: number, m: string) => void,
): string[] {
  if (!node) {
    report(stageLine, 'no cmd: give the command to run (a string, or a list run in order)');
    return [];
  }
  const items = node.kind === 'seq' ? node.items : [node];
  const cmd: string[] = [];
  for (const item of items) {
    if (item.kind === 'scalar' && typeof item.value === 'string' && item.value.trim() !== '')
      cmd.push(item.value);
    else report(item.line, `cmd must be a non-empty string or a list of them, not ${describeKind(item)}`);
  }
  if (node.kind === 'seq' && node.items.length === 0) report(node.line, 'cmd is an empty list');
  return cmd;
}

function resolveOutputs(
  node: LNode | undefined,
  kind: OutputKind,
  report: (line: number, message: string) => void,
): { path: string; line: number; cache: boolean; persist: boolean }[] {
  if (!node) return [];
  if (node.kind !== 'seq') {
    report(node.line, `${kind} must be a list, not ${describeKind(node)}`);
    return [];
  }
  const out: { path: string; line: number; cache: boolean; persist: boolean }[] = [];
  const defaults = { cache: kind === 'outs', persist: false };
  for (const item of node.items) {
    if (item.kind === 'scalar' && typeof item.value === 'string') {
      out.push({ path: item.value, line: item.line, ...defaults });
      continue;
    }
    const [entry, ...more] = item.kind === 'map' ? item.entries : [];
    if (!entry || more.length > 0) {
      report(
        item.line,
        `each entry of ${kind} must be a path, or a mapping of one path to its options (cache, persist)`,
      );
      continue;
    }
    const options = { ...defaults };
    const v = entry.value;
    if (v.kind === 'map')
      for (const o of v.entries) {
        if (!OUTPUT_OPTIONS.includes(o.key))
          report(
            o.keyLine,
            `${kind} ${entry.key}: unknown option "${o.key}"${didYouMean(o.key, OUTPUT_OPTIONS)}`,
          );
        else if (o.value.kind === 'scalar' && typeof o.value.value === 'boolean')
          options[o.key as 'cache' | 'persist'] = o.value.value;
        else
          report(
            o.value.line,
            `${kind} ${entry.key}: ${o.key} must be true or false, not ${describeKind(o.value)}`,
          );
      }
    else if (!(v.kind === 'scalar' && v.value === null))
      report(
        v.line,
        `${kind} ${entry.key}: the options must be a mapping (cache, persist), not ${describeKind(v)}`,
      );
    out.push({ path: entry.key, line: entry.keyLine, ...options });
  }
  return out;
}

function resolveParams(
  node: LNode | undefined,
  report: (line: number, message: string) => void,
  path: (raw: string, line: number, what: string) => string | undefined,
): ParamRef[] {
  if (!node) return [];
  if (node.kind !== 'seq') {
    report(node.line, `params must be a list, not ${describeKind(node)}`);
    return [];
  }
  const refs: ParamRef[] = [];
  const defaultFile = path(DEFAULT_PARAMS_FILE, node.line, 'params');
  for (const item of node.items) {
    if (item.kind === 'scalar' && typeof item.value === 'string') {
      if (defaultFile !== undefined)
        refs.push({ file: defaultFile, key: item.value, line: item.line, implicit: false });
      continue;
    }
    if (item.kind !== 'map') {
      report(
        item.line,
        `each entry of params must be a key of ${DEFAULT_PARAMS_FILE} or a mapping of a file to its keys`,
      );
      continue;
    }
    for (const e of item.entries) {
      const file = path(e.key, e.keyLine, 'params');
      if (file === undefined) continue;
      const v = e.value;
      if (v.kind === 'scalar' && v.value === null)
        refs.push({ file, key: undefined, line: e.keyLine, implicit: false });
      else if (v.kind === 'seq' && v.items.length > 0)
        for (const k of v.items) {
          if (k.kind === 'scalar' && typeof k.value === 'string')
            refs.push({ file, key: k.value, line: k.line, implicit: false });
          else report(k.line, `params ${e.key}: each key must be a string, not ${describeKind(k)}`);
        }
      else
        report(
          v.line,
          `params ${e.key}: list the keys to depend on, or leave it empty (\`${e.key}:\`) to depend on the whole file`,
        );
    }
  }
  return refs;
}
