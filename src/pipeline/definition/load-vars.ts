import { type ContextSource, InterpolationContext, mergeValues } from './interpolate.ts';
import { DEFAULT_PARAMS_FILE, type ParamsFiles, paramValue } from './params-files.ts';
import { describeKind, type LNode, toPlain } from './parse-yaml-with-lines.ts';
import { workspacePath } from './pipeline-paths.ts';
import type { PipelineProblems } from './pipeline-problems.ts';

/**
 * Builds what `${…}` reads: params.yaml when it exists, then each `vars` entry in order — an inline
 * mapping, or a YAML / JSON file (`file.yaml`, or `file.yaml:key1,key2` for some of its keys).
 * Two sources defining the same value is an error, as in DVC: a name means one thing.
 */
export async function loadVars(
  vars: LNode | undefined,
  params: ParamsFiles,
  problems: PipelineProblems,
  file: string,
): Promise<InterpolationContext> {
  const sources: ContextSource[] = [];
  const seen: Record<string, unknown> = {};
  const add = (source: ContextSource, line: number): void => {
    mergeValues(seen, source.data, '', (key) => {
      const first = sources.find((s) => paramValue(s.data, key) !== undefined)?.label ?? 'an earlier entry';
      problems.add(file, line, `vars: "${key}" is defined both here and in ${first}; give it one definition`);
    });
    sources.push(source);
  };
  const defaults = await params.load(DEFAULT_PARAMS_FILE);
  if (defaults.status === 'ok')
    sources.push({ label: DEFAULT_PARAMS_FILE, file: DEFAULT_PARAMS_FILE, data: defaults.content });
  if (defaults.status === 'ok') mergeValues(seen, defaults.content, '', () => undefined);

  if (vars === undefined || (vars.kind === 'scalar' && vars.value === null))
    return new InterpolationContext(sources);
  if (vars.kind !== 'seq') {
    problems.add(file, vars.line, `vars must be a list of mappings or file names, not ${describeKind(vars)}`);
    return new InterpolationContext(sources);
  }
  for (const item of vars.items) {
    if (item.kind === 'map') {
      add({ label: 'vars', data: toPlain(item) as Record<string, unknown> }, item.line);
      continue;
    }
    if (item.kind !== 'scalar' || typeof item.value !== 'string') {
      problems.add(
        file,
        item.line,
        `each vars entry must be a mapping or a file name, not ${describeKind(item)}`,
      );
      continue;
    }
    const [name = '', keyList] = splitVarsFile(item.value);
    const resolved = workspacePath(name, '.');
    if ('error' in resolved) {
      problems.add(file, item.line, `vars: ${resolved.error}`);
      continue;
    }
    const path = resolved.path;
    if (path === DEFAULT_PARAMS_FILE && keyList === undefined) continue;
    const state = await params.load(path);
    if (state.status === 'missing') problems.add(file, item.line, `vars file "${path}" does not exist`);
    else if (state.status === 'unsupported')
      problems.add(file, item.line, `vars file "${path}" must be YAML or JSON (.yaml, .yml, .json)`);
    if (state.status !== 'ok') continue;
    let data = state.content;
    if (keyList !== undefined) {
      data = {};
      for (const key of keyList) {
        if (!Object.hasOwn(state.content, key))
          problems.add(file, item.line, `vars file "${path}" has no top-level key "${key}"`);
        else data[key] = state.content[key];
      }
    }
    if (path === DEFAULT_PARAMS_FILE) continue;
    add({ label: path, file: path, data }, item.line);
  }
  return new InterpolationContext(sources);
}

/** `file.yaml:a,b` → [`file.yaml`, [`a`, `b`]]; a colon that is part of no such suffix stays. */
function splitVarsFile(spec: string): [string, string[] | undefined] {
  const match = /^(.*\.(?:ya?ml|json)):([\w.,\s-]+)$/.exec(spec);
  if (!match) return [spec, undefined];
  const keys = (match[2] as string)
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  return [match[1] as string, keys];
}
