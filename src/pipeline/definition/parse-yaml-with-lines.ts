import type { Document, Node, Pair } from 'yaml';
import { parseBlockYaml } from '../../kernel/yaml/block-yaml.ts';
import type { LEntry, LMap, LNode, ScalarValue } from '../../kernel/yaml/located-node.ts';
import { yamlLib } from '../../kernel/yaml/yaml-lib.ts';
import type { PipelineProblems } from './pipeline-problems.ts';

export type { LEntry, LMap, LNode, LScalar, LSeq, ScalarValue } from '../../kernel/yaml/located-node.ts';

/**
 * Parses YAML text into located nodes. Syntax errors (and duplicate keys) are added to
 * `problems`; the result is undefined when the text could not be parsed or is empty.
 */
export function parseYamlWithLines(
  text: string,
  file: string,
  problems: PipelineProblems,
): LNode | undefined {
  return parseBlockYaml(text) ?? parseWithYamlPackage(text, file, problems);
}

/** parseYamlWithLines through the `yaml` package, for any YAML (parseBlockYaml reads the plain kind fast). */
export function parseWithYamlPackage(
  text: string,
  file: string,
  problems: PipelineProblems,
): LNode | undefined {
  const lines = new (yamlLib().LineCounter)();
  const doc = yamlLib().parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const [error] = doc.errors;
  if (error) {
    // Later syntax errors are mostly echoes of the first one: report that one only.
    const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
    const line = lines.linePos(error.pos[0]).line;
    const source = text.split('\n')[line - 1] ?? '';
    const hint = /\[.*\$\{/.test(source)
      ? // biome-ignore lint/suspicious/noTemplateCurlyInString: cairn.yaml's own ${…} syntax.
        ' (inside [ ] lists, the braces of ${…} are YAML syntax: quote the item, "a/${x}", or write one item per line)'
      : /^\s*-\s*\w+:\s*[^{\s][^,]*,\s*\w+:/.test(source)
        ? ` (a list item with several keys on one line is a mapping in braces: - { ${source
            .replace(/^\s*-\s*/, '')
            .replace(/\s+#.*$/, '')
            .trim()} })`
        : '';
    problems.add(file, line, `invalid YAML: ${message}${hint}`);
    return undefined;
  }
  if (doc.contents === null) return undefined;
  const lineOf = (node: Node | null | undefined, fallback: number): number =>
    node?.range ? lines.linePos(node.range[0]).line : fallback;
  return convert(doc, doc.contents as Node, lineOf, 1, 0);
}

type LineOf = (node: Node | null | undefined, fallback: number) => number;

function convert(doc: Document, raw: Node | null, lineOf: LineOf, fallback: number, depth: number): LNode {
  let node = raw;
  const line = lineOf(node, fallback);
  // Aliases are expanded in place; a bound keeps a self-referencing anchor from looping.
  if (depth > 100) return { kind: 'scalar', value: null, line };
  if (yamlLib().isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
  if (yamlLib().isMap(node)) {
    const explicit: LEntry[] = [];
    const merged: LEntry[] = [];
    for (const pair of node.items as Pair<Node | null, Node | null>[]) {
      const keyLine = lineOf(pair.key, line);
      if (yamlLib().isScalar(pair.key) && typeof pair.key.value === 'symbol') {
        for (const source of mergeSources(doc, pair.value)) {
          const m = convert(doc, source, lineOf, keyLine, depth + 1);
          if (m.kind === 'map') merged.push(...m.entries);
        }
        continue;
      }
      const key = yamlLib().isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      explicit.push({ key, keyLine, value: convert(doc, pair.value, lineOf, keyLine, depth + 1) });
    }
    const entries = [...explicit];
    for (const m of merged) if (!entries.some((e) => e.key === m.key)) entries.push(m);
    return { kind: 'map', entries, line };
  }
  if (yamlLib().isSeq(node))
    return {
      kind: 'seq',
      items: (node.items as (Node | null)[]).map((item) => convert(doc, item, lineOf, line, depth + 1)),
      line,
    };
  const value = yamlLib().isScalar(node) ? node.value : null;
  return { kind: 'scalar', value: toScalar(value), line };
}

function mergeSources(doc: Document, value: Node | null): (Node | null)[] {
  const resolved = yamlLib().isAlias(value) ? ((value.resolve(doc) as Node | undefined) ?? null) : value;
  return yamlLib().isSeq(resolved) ? (resolved.items as (Node | null)[]) : [value];
}

function toScalar(value: unknown): ScalarValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

/** The plain JavaScript value of a located node. */
export { plainValue as toPlain } from '../../kernel/yaml/block-yaml.ts';

/** A located node for a plain value (one read from a params file), placed at `line`. */
export function fromPlain(value: unknown, line: number): LNode {
  if (Array.isArray(value)) return { kind: 'seq', items: value.map((v) => fromPlain(v, line)), line };
  if (typeof value === 'object' && value !== null)
    return {
      kind: 'map',
      entries: Object.entries(value).map(([key, v]) => ({ key, keyLine: line, value: fromPlain(v, line) })),
      line,
    };
  return { kind: 'scalar', value: toScalar(value), line };
}

/** The entry for `key` in a located map. */
export function entryOf(map: LMap, key: string): LEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

export function describeKind(node: LNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'empty';
  return typeof node.value === 'string' ? `the string ${JSON.stringify(node.value)}` : String(node.value);
}
