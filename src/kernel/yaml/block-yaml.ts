import type { LEntry, LMap, LNode, LSeq, ScalarValue } from './located-node.ts';

/**
 * A fast reader for plain block YAML: block mappings and sequences, scalars on one line, one-line
 * lists of plain scalars (`[a, b]`), `{}`, comments. That is what `cairn.lock` always is and what
 * most `cairn.yaml` and `params.yaml` files are; `cairn run` reads them every time, and the `yaml`
 * package takes about 60 µs a line in a short-lived process (50 ms for a 50-stage lock) where
 * this takes a few.
 *
 * It answers undefined for anything outside that subset — other flow collections, multi-line or
 * tagged scalars, anchors and merge keys, duplicate keys, tabs, a plain scalar whose type it would
 * have to guess — and the caller then parses the text with the `yaml` package. So a result it
 * does give is the one `yaml` would give, lines included; test/unit/pipeline-yaml-fast-paths.test.ts holds it
 * to that.
 */
export function parseBlockYaml(text: string): LNode | undefined {
  if (text.startsWith('\uFEFF')) return undefined;
  const lines: Line[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const line = (raw[i] as string).endsWith('\r') ? (raw[i] as string).slice(0, -1) : (raw[i] as string);
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (line.includes('\t') || line.includes('\r') || /\s$/.test(line)) return undefined;
    lines.push({ indent: line.length - trimmed.length, text: trimmed, line: i + 1 });
  }
  if (lines.length === 0 || lines[0]?.indent !== 0) return undefined;
  try {
    const reader: Reader = { lines, at: 0 };
    const value = block(reader, 0);
    return reader.at === lines.length ? value : undefined;
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

interface Line {
  indent: number;
  text: string;
  /** 1-based line number in the text. */
  line: number;
}

interface Reader {
  lines: Line[];
  at: number;
}

class Unsupported extends Error {}

const unsupported = (): never => {
  throw new Unsupported();
};

/** A block mapping or sequence whose lines start at `indent`. */
function block(r: Reader, indent: number): LNode {
  const first = r.lines[r.at];
  if (!first || first.indent !== indent) return unsupported();
  return first.text === '-' || first.text.startsWith('- ') ? sequence(r, indent) : mapping(r, indent);
}

function sequence(r: Reader, indent: number): LSeq {
  const items: LNode[] = [];
  const start = (r.lines[r.at] as Line).line;
  for (let line = r.lines[r.at]; line && line.indent === indent; line = r.lines[r.at]) {
    if (!line.text.startsWith('- '))
      return line.text === '-' ? unsupported() : { kind: 'seq', items, line: start };
    const rest = withoutComment(line.text.slice(2));
    if (rest === '' || rest === '-' || rest.startsWith('- ')) return unsupported();
    if (keyOf(rest) !== undefined) {
      // `- key: value` opens a mapping whose other keys sit under `key`.
      r.lines[r.at] = { indent: indent + 2, text: rest, line: line.line };
      items.push(mapping(r, indent + 2));
    } else {
      items.push(value(rest, line.line));
      r.at++;
    }
  }
  return { kind: 'seq', items, line: start };
}

function mapping(r: Reader, indent: number): LMap {
  const entries: LEntry[] = [];
  const keys = new Set<string>();
  const start = (r.lines[r.at] as Line).line;
  for (let line = r.lines[r.at]; line && line.indent === indent; line = r.lines[r.at]) {
    const split = keyOf(line.text);
    if (!split) return unsupported();
    const key = split[0];
    const rest = withoutComment(split[1]);
    if (keys.has(key) || key === '__proto__' || key === '<<') return unsupported();
    keys.add(key);
    r.at++;
    const next = r.lines[r.at];
    let node: LNode;
    if (rest !== '') node = value(rest, line.line);
    else if (next && next.indent > indent) node = block(r, next.indent);
    // A sequence may sit at its key's own indentation: `key:` then `- item`.
    else if (next && next.indent === indent && next.text.startsWith('- ')) node = sequence(r, indent);
    else node = { kind: 'scalar', value: null, line: line.line };
    entries.push({ key, keyLine: line.line, value: node });
  }
  const after = r.lines[r.at];
  if (after && after.indent > indent) return unsupported();
  return { kind: 'map', entries, line: start };
}

/** `[key, rest]` (rest possibly empty) when the text is a mapping entry; undefined otherwise. */
function keyOf(text: string): [string, string] | undefined {
  let end: number;
  if (text.startsWith("'") || text.startsWith('"')) {
    end = quotedEnd(text);
    if (end < 0) return undefined;
  } else {
    end = text.search(/:( |$)/);
    if (end < 0) return undefined;
  }
  if (text[end] !== ':' || (text[end + 1] !== undefined && text[end + 1] !== ' ')) return undefined;
  const key = scalar(text.slice(0, end), 'string');
  return [key as string, text.slice(end + 2)];
}

/** Index just past a quoted scalar that starts `text`, or -1. */
function quotedEnd(text: string): number {
  const q = text[0];
  for (let i = 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i + 1;
    }
  }
  return -1;
}

/** The text before a trailing `# comment` (a plain scalar ends at its first ` #`). */
function withoutComment(text: string): string {
  if (text.startsWith('#')) return '';
  if (text.startsWith("'") || text.startsWith('"')) {
    const end = quotedEnd(text);
    if (end < 0) return unsupported();
    const after = text.slice(end);
    return after === '' || /^ +#/.test(after) ? text.slice(0, end) : unsupported();
  }
  const hash = text.indexOf(' #');
  return hash < 0 ? text : text.slice(0, hash).trimEnd();
}

function value(text: string, line: number): LNode {
  if (text === '{}') return { kind: 'map', entries: [], line };
  if (text.startsWith('[')) {
    // A one-line flow list of plain scalars: `[a, b]`. Anything richer goes to `yaml`.
    const inner = text.endsWith(']') ? text.slice(1, -1) : unsupported();
    if (/[[\]{}"'#:]/.test(inner)) return unsupported();
    if (inner.trim() === '') return { kind: 'seq', items: [], line };
    const items = inner.split(',').map((item) => item.trim());
    return {
      kind: 'seq',
      items: items.map((item) => ({ kind: 'scalar', value: scalar(item, 'any'), line })),
      line,
    };
  }
  return { kind: 'scalar', value: scalar(text, 'any'), line };
}

const NULLS = new Set(['~', 'null', 'Null', 'NULL']);
const BOOLS = new Map([
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['false', false],
  ['False', false],
  ['FALSE', false],
]);
const DECIMAL = /^-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]+)?(?:e[-+]?[0-9]{1,3})?$/;
/** Plain text the YAML core schema may read as something other than a string: left to `yaml`. */
const MAYBE_NUMBER = /^[-+]?(?:[0-9.]|\.inf|\.nan|0o|0x)/i;

/**
 * One scalar: quoted, or plain. A plain scalar that YAML would type is decoded only in the
 * common forms (decimal numbers, booleans, null), and only where `kind` allows something other
 * than a string; everything else it is unsure of is left to `yaml`.
 */
function scalar(text: string, kind: 'string' | 'any'): ScalarValue {
  if (text.startsWith("'")) {
    if (quotedEnd(text) !== text.length) return unsupported();
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (text.startsWith('"')) {
    if (quotedEnd(text) !== text.length) return unsupported();
    try {
      return JSON.parse(text) as string;
    } catch {
      return unsupported();
    }
  }
  if (kind === 'any') {
    if (NULLS.has(text)) return null;
    const bool = BOOLS.get(text);
    if (bool !== undefined) return bool;
    if (DECIMAL.test(text)) return Number(text);
  }
  if (text === '' || text !== text.trim()) return unsupported();
  // Indicators that give plain text another meaning, and anything that might be a number.
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(text) || / #|: |:$/.test(text)) return unsupported();
  if (NULLS.has(text) || BOOLS.has(text) || MAYBE_NUMBER.test(text)) return unsupported();
  return text;
}

/** Plain JavaScript values of a located node (mappings as objects). */
export function plainValue(node: LNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(plainValue);
  const out: Record<string, unknown> = {};
  for (const e of node.entries) {
    const value = plainValue(e.value);
    // Assigned, `__proto__` would set the object's prototype instead of a key (the yaml package
    // keeps it as a key, and so must this).
    if (e.key === '__proto__')
      Object.defineProperty(out, e.key, { value, enumerable: true, writable: true, configurable: true });
    else out[e.key] = value;
  }
  return out;
}

/**
 * The plain value of simple block YAML without loading the `yaml` package, or undefined when the
 * text needs the full parser (or is empty).
 */
export function parseSimpleYaml(text: string): unknown {
  const node = parseBlockYaml(text);
  return node === undefined ? undefined : plainValue(node);
}
