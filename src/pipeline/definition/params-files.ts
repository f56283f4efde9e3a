import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { errors, fromSystemError } from '../../kernel/errors.ts';
import { yamlLib } from '../../kernel/yaml/yaml-lib.ts';
import { parseYamlWithLines, toPlain } from './parse-yaml-with-lines.ts';
import { didYouMean, type PipelineProblems } from './pipeline-problems.ts';

/** The params file a stage's plain `params:` keys and `${…}` interpolation read. */
export const DEFAULT_PARAMS_FILE = 'params.yaml';

const PARAMS_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Splits a dotted key into segments: `train.layers[0].size` and `train.layers.0.size` alike. */
export function splitParamKey(key: string): string[] {
  return key.replace(/\[(\d+)\]/g, '.$1').split('.');
}

/**
 * The value at a dotted key in parsed params (`train.lr`, `layers.0`), or undefined when the key
 * is absent. A key present with an empty YAML value gives null.
 *
 * @example paramValue(pipeline.params.get('params.yaml'), 'train.lr') // 0.01
 */
export function paramValue(params: unknown, key: string): unknown {
  // A top-level key may itself contain dots (`lr.decay: 0.9`).
  if (isRecord(params) && Object.hasOwn(params, key)) return params[key];
  let value = params;
  for (const segment of splitParamKey(key)) {
    if (Array.isArray(value) && /^\d+$/.test(segment)) value = value[Number(segment)];
    else if (isRecord(value) && Object.hasOwn(value, segment)) value = value[segment];
    else return undefined;
  }
  return value;
}

/** ` (did you mean "train.lr"?)` for a key that is not in `params`, looking at its siblings. */
export function suggestParamKey(params: unknown, key: string): string {
  const segments = splitParamKey(key);
  let value = params;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (isRecord(value) && Object.hasOwn(value, segment)) {
      value = value[segment];
      continue;
    }
    if (!isRecord(value)) return '';
    const prefix = segments.slice(0, i).join('.');
    const siblings = Object.keys(value).map((k) => (prefix ? `${prefix}.${k}` : k));
    return didYouMean([...segments.slice(0, i + 1)].join('.'), siblings);
  }
  return '';
}

export interface ParamOverride {
  /** Workspace-relative params file. */
  file: string;
  key: string;
  value: unknown;
}

/**
 * Parses one `--set` argument: `train.lr=0.01`, or `other.yaml:a.b=1` for another params file.
 * The value is read as YAML, so `0.01` is a number, `true` a boolean and `[1, 2]` a list.
 */
export function parseParamOverride(text: string): [key: string, value: unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw errors.invalid(`--set ${text}: expected key=value`, { hint: 'for example --set train.lr=0.01' });
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = raw.trim() === '' ? '' : yamlLib().parse(raw);
  } catch {
    // Not valid YAML (`a: b: c`): keep the text as it was typed.
  }
  return [key, value];
}

/** Splits overrides keyed `file.yaml:key` or `key` (the default params file) by file. */
export function overridesByFile(set: Readonly<Record<string, unknown>>): ParamOverride[] {
  return Object.entries(set).map(([spec, value]) => {
    const colon = spec.indexOf(':');
    const file = colon > 0 ? spec.slice(0, colon) : '';
    if (file && PARAMS_EXTENSIONS.includes(extname(file))) return { file, key: spec.slice(colon + 1), value };
    return { file: DEFAULT_PARAMS_FILE, key: spec, value };
  });
}

export type ParamsFileState =
  | { status: 'ok'; content: Record<string, unknown> }
  | { status: 'missing' }
  | { status: 'unsupported' }
  | { status: 'invalid' };

/**
 * The params files of one pipeline load, each read once. Overrides are applied to a file's content
 * as soon as it is read, so interpolation, param checks and the recorded values all see them.
 */
export class ParamsFiles {
  readonly #root: string;
  readonly #problems: PipelineProblems;
  readonly #overrides: ParamOverride[];
  readonly #cache = new Map<string, Promise<ParamsFileState>>();

  constructor(root: string, set: Readonly<Record<string, unknown>>, problems: PipelineProblems) {
    this.#root = root;
    this.#problems = problems;
    this.#overrides = overridesByFile(set);
  }

  /** Reads a workspace-relative params file (YAML or JSON) with its overrides applied. */
  load(file: string): Promise<ParamsFileState> {
    let state = this.#cache.get(file);
    if (!state) {
      state = this.#read(file);
      this.#cache.set(file, state);
    }
    return state;
  }

  /** Reads every overridden file and checks each overridden key exists; throws listing the bad ones. */
  async applyOverrides(): Promise<void> {
    const bad: string[] = [];
    for (const o of this.#overrides) {
      const state = await this.load(o.file);
      if (state.status === 'missing') bad.push(`--set ${o.key}: ${o.file} does not exist`);
      else if (state.status === 'unsupported')
        bad.push(`--set ${o.key}: ${o.file} is not a YAML or JSON file`);
      else if (state.status === 'ok' && paramValue(state.content, o.key) === undefined)
        bad.push(`--set ${o.key}: ${o.file} has no key "${o.key}"${suggestParamKey(state.content, o.key)}`);
    }
    if (bad.length > 0)
      throw errors.invalid(
        bad.length === 1 ? (bad[0] as string) : `invalid overrides:\n  ${bad.join('\n  ')}`,
        {
          hint: 'overrides replace existing params; add new keys to the params file itself',
        },
      );
  }

  /** Every params file read so far that parsed, with its content after overrides. */
  async contents(): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    for (const [file, state] of this.#cache) {
      const s = await state;
      if (s.status === 'ok') out.set(file, s.content);
    }
    return out;
  }

  async #read(file: string): Promise<ParamsFileState> {
    if (!PARAMS_EXTENSIONS.includes(extname(file))) return { status: 'unsupported' };
    let text: string;
    try {
      text = await readFile(join(this.#root, file), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
      throw fromSystemError(err, file);
    }
    const before = this.#problems.size;
    const node = parseYamlWithLines(text, file, this.#problems);
    if (this.#problems.size > before) return { status: 'invalid' };
    const content = node ? toPlain(node) : {};
    if (!isRecord(content)) {
      this.#problems.add(file, node?.line ?? 1, 'a params file must be a mapping of names to values');
      return { status: 'invalid' };
    }
    for (const o of this.#overrides) if (o.file === file) setParam(content, o.key, o.value);
    return { status: 'ok', content };
  }
}

function setParam(content: Record<string, unknown>, key: string, value: unknown): void {
  const segments = splitParamKey(key);
  const last = segments.pop() as string;
  const parent = segments.length === 0 ? content : paramValue(content, segments.join('.'));
  if (Array.isArray(parent) && /^\d+$/.test(last) && Number(last) < parent.length)
    parent[Number(last)] = value;
  else if (isRecord(parent) && Object.hasOwn(parent, last)) parent[last] = value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
