import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { errors, fromSystemError } from '../../kernel/errors.ts';
import { plainValue } from '../../kernel/yaml/block-yaml.ts';
import type { SourceRef } from '../pipeline-types.ts';
import { type GateRule, parseRule, type RuleInput } from './gate-rules.ts';
import { describeKind, type LMap, type LNode, parseYamlWithLines } from './parse-yaml-with-lines.ts';
import { didYouMean, PipelineProblems } from './pipeline-problems.ts';

export type { Comparison, GateRule } from './gate-rules.ts';

/** One gate of `gates:` in cairn.yaml: what a model version must pass before an alias moves to it. */
export interface GateDefinition {
  name: string;
  /** The registered model whose aliases the gate guards (default: the gate's name). */
  model: string;
  /** The aliases that may move only to a version whose latest result for this gate passed (default: champion). */
  aliases: string[];
  /** The evaluation data, relative to the directory of cairn.yaml (`/`-separated). */
  data: string;
  target: string;
  /** Binary classifiers: `0.5` (default) or `optimize:f1`. */
  threshold?: string;
  rules: GateRule[];
  source: SourceRef;
}

export const DEFAULT_GATED_ALIASES = ['champion'];
const GATE_KEYS = ['model', 'aliases', 'data', 'target', 'threshold', 'rules'];
const NAME = /^[A-Za-z0-9_.-]+$/;
const ALIAS = /^[A-Za-z0-9_-]+$/;

/**
 * Reads the `gates:` section of `root`/`fileName` (and nothing else of it): every problem is
 * reported together, each with file:line. A file without gates has none; a missing file is an
 * error.
 */
export async function loadGates(root: string, fileName = 'cairn.yaml'): Promise<GateDefinition[]> {
  const path = join(root, fileName);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw fromSystemError(err, path);
  }
  const problems = new PipelineProblems();
  const doc = parseYamlWithLines(text, fileName, problems);
  problems.throwIfAny();
  if (doc === undefined) return [];
  if (doc.kind !== 'map')
    throw errors.invalid(`${fileName}:${doc.line}: ${fileName} must be a mapping, not ${describeKind(doc)}`);
  const gates = parseGatesSection(
    doc.entries.find((e) => e.key === 'gates')?.value,
    fileName,
    problems,
    root,
  );
  problems.throwIfAny();
  return gates;
}

/**
 * The gates of a parsed `gates:` section; problems (unknown keys, missing data or target, rules
 * that do not parse) are added with their lines. `root` is the directory of cairn.yaml, for
 * checking that data paths stay inside it.
 */
export function parseGatesSection(
  node: LNode | undefined,
  file: string,
  problems: PipelineProblems,
  root: string,
): GateDefinition[] {
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) return [];
  if (node.kind !== 'map') {
    problems.add(
      file,
      node.line,
      `gates must be a mapping of gate names to gates, not ${describeKind(node)}`,
    );
    return [];
  }
  const out: GateDefinition[] = [];
  for (const entry of node.entries) {
    if (!NAME.test(entry.key)) {
      problems.add(file, entry.keyLine, `gate name "${entry.key}" may hold only letters, digits, _, - and .`);
      continue;
    }
    const gate = parseGate(entry.key, entry.value, entry.keyLine, file, problems, root);
    if (gate) out.push(gate);
  }
  return out;
}

function parseGate(
  name: string,
  node: LNode,
  line: number,
  file: string,
  problems: PipelineProblems,
  root: string,
): GateDefinition | undefined {
  const before = problems.size;
  const at = `gate ${name}`;
  if (node.kind !== 'map') {
    problems.add(
      file,
      node.line,
      `${at} must be a mapping with data, target and rules, not ${describeKind(node)}`,
    );
    return undefined;
  }
  const map = node as LMap;
  for (const e of map.entries)
    if (!GATE_KEYS.includes(e.key))
      problems.add(
        file,
        e.keyLine,
        `${at}: unknown key "${e.key}"${didYouMean(e.key, GATE_KEYS)} (known: ${GATE_KEYS.join(', ')})`,
      );
  const get = (key: string) => map.entries.find((e) => e.key === key);
  const text = (key: string, required: boolean): string | undefined => {
    const e = get(key);
    if (!e) {
      if (required) problems.add(file, line, `${at} has no ${key}: add "${key}: …"`);
      return undefined;
    }
    const v = e.value.kind === 'scalar' ? e.value.value : undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      problems.add(file, e.keyLine, `${at}: ${key} must be text, not ${describeKind(e.value)}`);
      return undefined;
    }
    return v.trim();
  };
  const model = text('model', false) ?? name;
  const data = text('data', true);
  if (data !== undefined) {
    const abs = resolve(root, data);
    if (isAbsolute(data) || relative(root, abs).startsWith('..'))
      problems.add(
        file,
        get('data')?.keyLine ?? line,
        `${at}: data "${data}" must be a path inside the workspace`,
      );
  }
  const target = text('target', true);
  const thresholdEntry = get('threshold');
  const threshold =
    thresholdEntry?.value.kind === 'scalar' && typeof thresholdEntry.value.value === 'number'
      ? String(thresholdEntry.value.value)
      : text('threshold', false);
  if (
    threshold !== undefined &&
    !/^optimize:f1$/i.test(threshold) &&
    !(Number(threshold) >= 0 && Number(threshold) <= 1)
  )
    problems.add(
      file,
      get('threshold')?.keyLine ?? line,
      `${at}: threshold "${threshold}" must be a probability in [0, 1] or optimize:f1`,
    );
  const aliases = parseAliases(get('aliases')?.value, at, file, problems);
  const rules: GateRule[] = [];
  const rulesNode = get('rules')?.value;
  if (!rulesNode)
    problems.add(
      file,
      line,
      `${at} has no rules: add "rules:" with at least one rule, e.g. - roc_auc >= 0.8`,
    );
  else if (rulesNode.kind !== 'seq' || rulesNode.items.length === 0)
    problems.add(
      file,
      rulesNode.line,
      `${at}: rules must be a list of at least one rule, not ${describeKind(rulesNode)}`,
    );
  else
    for (const item of rulesNode.items) {
      const plain = plainValue(item);
      if (
        typeof plain !== 'string' &&
        (typeof plain !== 'object' || plain === null || Array.isArray(plain))
      ) {
        problems.add(file, item.line, `${at}: a rule is text or a mapping, not ${describeKind(item)}`);
        continue;
      }
      const parsed = parseRule(plain as RuleInput, item.line);
      if ('problem' in parsed) problems.add(file, item.line, `${at}: ${parsed.problem}`);
      else rules.push(parsed.rule);
    }
  if (problems.size > before) return undefined;
  return {
    name,
    model,
    aliases,
    data: (data as string).split(sep).join('/'),
    target: target as string,
    ...(threshold !== undefined ? { threshold } : {}),
    rules,
    source: { file, line },
  };
}

function parseAliases(
  node: LNode | undefined,
  at: string,
  file: string,
  problems: PipelineProblems,
): string[] {
  if (node === undefined) return [...DEFAULT_GATED_ALIASES];
  const items = node.kind === 'seq' ? node.items : [node];
  const out: string[] = [];
  for (const item of items) {
    const v = item.kind === 'scalar' ? item.value : undefined;
    if (typeof v !== 'string' || !ALIAS.test(v)) {
      problems.add(
        file,
        item.line,
        `${at}: aliases must be alias names (letters, digits, _ and -), not ${describeKind(item)}`,
      );
      continue;
    }
    out.push(v);
  }
  return out;
}

/** The gate named `name`, or an error listing those that exist. */
export function findGate(gates: readonly GateDefinition[], name: string, file: string): GateDefinition {
  const found = gates.find((g) => g.name === name);
  if (found) return found;
  const names = gates.map((g) => g.name);
  throw errors.notFound(`${file} has no gate named "${name}"${didYouMean(name, names)}`, {
    hint: names.length > 0 ? `its gates: ${names.join(', ')}` : 'declare one under gates: in cairn.yaml',
  });
}

/** The path of the gate's data file on this machine. */
export function gateDataPath(root: string, gate: GateDefinition): string {
  return join(root, ...gate.data.split('/'));
}
