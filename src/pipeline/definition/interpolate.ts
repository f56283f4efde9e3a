import { DEFAULT_PARAMS_FILE, isRecord, paramValue, splitParamKey, suggestParamKey } from './params-files.ts';
import { fromPlain, type LEntry, type LNode } from './parse-yaml-with-lines.ts';

/** Where `${…}` values come from: a params or vars file, or the inline `vars` of cairn.yaml. */
export interface ContextSource {
  label: string;
  /** Set for values read from a file: a stage that uses them depends on them as params. */
  file?: string;
  data: Record<string, unknown>;
}

export type Lookup =
  | { found: true; value: unknown; file?: string; key: string }
  | { found: false; message: string };

const EXPRESSION = /^[\w-]+(?:\.[\w-]+|\[\d+\])*$/;

/**
 * The values `${a.b}` can read: params.yaml and `vars`, merged, plus `item` and `key` inside a
 * `foreach` or `matrix` stage.
 */
export class InterpolationContext {
  readonly #sources: readonly ContextSource[];
  readonly #merged: Record<string, unknown>;
  readonly #locals: Record<string, unknown>;

  constructor(sources: readonly ContextSource[], locals: Record<string, unknown> = {}) {
    this.#sources = sources;
    this.#locals = locals;
    this.#merged = {};
    for (const s of sources) mergeValues(this.#merged, s.data, '', () => undefined);
  }

  /** The same context with `item` / `key` bound. */
  with(locals: Record<string, unknown>): InterpolationContext {
    return new InterpolationContext(this.#sources, { ...this.#locals, ...locals });
  }

  lookup(expression: string): Lookup {
    const key = splitParamKey(expression).join('.');
    const head = splitParamKey(expression)[0] as string;
    if (Object.hasOwn(this.#locals, head)) {
      const value = paramValue(this.#locals, key);
      if (value !== undefined) return { found: true, value, key };
      return { found: false, message: `"${key}" is not defined${suggestParamKey(this.#locals, key)}` };
    }
    const value = paramValue(this.#merged, key);
    if (value !== undefined) {
      const file = this.#sources.find((s) => paramValue(s.data, key) !== undefined)?.file;
      return { found: true, value, key, ...(file !== undefined ? { file } : {}) };
    }
    const where = [...new Set([DEFAULT_PARAMS_FILE, 'vars', ...this.#sources.map((s) => s.label)])];
    const hint = suggestParamKey({ ...this.#merged, ...this.#locals }, key);
    const list = `${where.slice(0, -1).join(', ')} or ${where.at(-1)}`;
    return { found: false, message: `"${key}" is not defined in ${list}${hint}` };
  }
}

/**
 * Deep-merges `source` into `target`; a key that both define with a non-mapping value is a
 * conflict (reported with its dotted name) and keeps the first value.
 */
export function mergeValues(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  prefix: string,
  conflict: (key: string) => void,
): void {
  for (const [k, v] of Object.entries(source)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const existing = target[k];
    if (!Object.hasOwn(target, k)) target[k] = isRecord(v) ? structuredClone(v) : v;
    else if (isRecord(existing) && isRecord(v)) mergeValues(existing, v, key, conflict);
    else conflict(key);
  }
}

export interface InterpolationCallbacks {
  error(line: number, message: string): void;
  /** A value read from a file was used: the stage depends on that param. */
  used?(file: string, key: string): void;
}

/**
 * Replaces `${…}` in every string (values and mapping keys) of `node`. A string that is exactly
 * one `${x}` takes x's value with its type (number, list, mapping); inside longer text, x must be
 * a string, number or boolean. `\${` stands for a literal `${`.
 */
export function interpolateNode(node: LNode, ctx: InterpolationContext, on: InterpolationCallbacks): LNode {
  if (node.kind === 'seq')
    return { ...node, items: node.items.map((item) => interpolateNode(item, ctx, on)) };
  if (node.kind === 'map')
    return {
      ...node,
      entries: node.entries.map(
        (e): LEntry => ({
          key: interpolateKey(e.key, e.keyLine, ctx, on),
          keyLine: e.keyLine,
          value: interpolateNode(e.value, ctx, on),
        }),
      ),
    };
  if (typeof node.value !== 'string' || !node.value.includes('${')) return node;
  return interpolateString(node.value, node.line, ctx, on);
}

/** Interpolates one string found at `line`; a whole `${x}` keeps x's type. */
export function interpolateString(
  text: string,
  line: number,
  ctx: InterpolationContext,
  on: InterpolationCallbacks,
): LNode {
  const parts = parseTemplate(text);
  if ('error' in parts) {
    on.error(line, parts.error);
    return { kind: 'scalar', value: text, line };
  }
  const [first] = parts;
  if (parts.length === 1 && first !== undefined && 'expression' in first) {
    const found = resolve(first.expression, line, ctx, on);
    return found === undefined ? { kind: 'scalar', value: text, line } : fromPlain(found.value, line);
  }
  let out = '';
  for (const part of parts) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const found = resolve(part.expression, line, ctx, on);
    if (found === undefined) return { kind: 'scalar', value: text, line };
    const v = found.value;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out += String(v);
    else {
      const what = v === null ? 'empty' : Array.isArray(v) ? 'a list' : 'a mapping';
      on.error(
        line,
        `\${${part.expression}} is ${what} and cannot be put inside text; use it alone as the whole value, or point at one of its fields`,
      );
      return { kind: 'scalar', value: text, line };
    }
  }
  return { kind: 'scalar', value: out, line };
}

function interpolateKey(key: string, line: number, ctx: InterpolationContext, on: InterpolationCallbacks) {
  if (!key.includes('${')) return key;
  const node = interpolateString(key, line, ctx, on);
  if (node.kind === 'scalar' && node.value !== null) return String(node.value);
  on.error(line, `the key ${key} must interpolate to a string`);
  return key;
}

function resolve(expression: string, line: number, ctx: InterpolationContext, on: InterpolationCallbacks) {
  const found = ctx.lookup(expression);
  if (!found.found) {
    on.error(line, `\${${expression}}: ${found.message}`);
    return undefined;
  }
  if (found.file !== undefined) on.used?.(found.file, found.key);
  return found;
}

type TemplatePart = { text: string } | { expression: string };

/** Splits text into literal runs and `${expression}`s. */
export function parseTemplate(text: string): TemplatePart[] | { error: string } {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\${', i)) {
      literal += '${';
      i += 3;
    } else if (text.startsWith('${', i)) {
      const end = text.indexOf('}', i + 2);
      if (end < 0)
        return { error: `unclosed "\${" in ${JSON.stringify(text)} (write \\\${ for a literal \${)` };
      const expression = text.slice(i + 2, end).trim();
      if (!EXPRESSION.test(expression))
        return {
          error: `\${${expression}} is not a name: write a dotted key such as \${train.lr} or \${item.model} (or \\\${ for a literal \${)`,
        };
      if (literal) parts.push({ text: literal });
      literal = '';
      parts.push({ expression });
      i = end + 1;
    } else {
      literal += text[i];
      i++;
    }
  }
  if (literal || parts.length === 0) parts.push({ text: literal });
  return parts;
}
