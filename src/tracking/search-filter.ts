import { errors } from '../kernel/errors.ts';

/**
 * MLflow's search filter grammar: comparisons joined by AND.
 *
 *   metrics.acc > 0.8 and params.model = 'gbdt' and tags."mlflow.user" LIKE 'a%'
 *   attributes.status IN ('FINISHED', 'FAILED')        name ILIKE '%churn%'
 *
 * An identifier is `<entity>.<key>` (the key may be quoted with "…" or `…`, and may contain dots)
 * or a bare name (`name`, `run_id`), which the caller interprets. Values are quoted strings,
 * numbers, or a parenthesised list of strings for IN / NOT IN.
 */
export const COMPARATORS = [
  '=',
  '!=',
  '>',
  '>=',
  '<',
  '<=',
  'LIKE',
  'ILIKE',
  'IN',
  'NOT IN',
  'IS NULL',
  'IS NOT NULL',
] as const;
export type Comparator = (typeof COMPARATORS)[number];

export interface Identifier {
  /** Normalised entity: metric, param, tag, attribute, dataset; undefined for a bare name. */
  entity?: 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';
  key: string;
}

export type FilterValue = string | number | string[] | null;

export interface Comparison {
  identifier: Identifier;
  comparator: Comparator;
  value: FilterValue;
}

const ENTITY_ALIASES: Record<string, Identifier['entity']> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'number'; value: number; at: number }
  | { kind: 'op'; text: string; at: number }
  | { kind: 'punct'; text: '(' | ')' | ',' | '.'; at: number }
  | { kind: 'quoted-ident'; text: string; at: number };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= input.length) throw bad(input, at, 'unterminated string');
        if (input[i] === "'" && input[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (input[i] === "'") {
          i++;
          break;
        } else text += input[i++];
      }
      tokens.push({ kind: 'string', text, at });
    } else if (c === '"' || c === '`') {
      const end = input.indexOf(c, i + 1);
      if (end < 0) throw bad(input, at, `unterminated ${c}`);
      tokens.push({ kind: c === '`' ? 'quoted-ident' : 'string', text: input.slice(i + 1, end), at });
      i = end + 1;
    } else if (
      /[0-9]/.test(c) ||
      (c === '-' && /[0-9.]/.test(input[i + 1] ?? '')) ||
      (c === '.' && /[0-9]/.test(input[i + 1] ?? '') && tokens.at(-1)?.kind === 'op')
    ) {
      const m = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(input.slice(i));
      if (!m) throw bad(input, at, 'bad number');
      tokens.push({ kind: 'number', value: Number(m[0]), at });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_\-:/]*/.exec(input.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'word', text: m[0], at });
      i += m[0].length;
    } else if (c === '!' || c === '<' || c === '>' || c === '=') {
      const two = input.slice(i, i + 2);
      const text = ['!=', '<=', '>=', '=='].includes(two) ? two : c;
      if (text === '!') throw bad(input, at, 'unexpected "!"');
      tokens.push({ kind: 'op', text: text === '==' ? '=' : text, at });
      i += text.length;
    } else if (c === '(' || c === ')' || c === ',' || c === '.') {
      tokens.push({ kind: 'punct', text: c, at });
      i++;
    } else throw bad(input, at, `unexpected character ${JSON.stringify(c)}`);
  }
  return tokens;
}

function bad(input: string, at: number, why: string) {
  return errors.invalid(`invalid filter ${JSON.stringify(input)} at position ${at}: ${why}`, {
    hint: "write comparisons joined by AND, e.g. metrics.acc > 0.8 and params.model = 'gbdt'",
  });
}

/** Parses a filter string; an empty or blank filter gives no comparisons. */
export function parseFilter(filter: string | undefined): Comparison[] {
  if (filter === undefined || filter.trim() === '') return [];
  const input = filter;
  const tokens = tokenize(input);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => {
    const t = tokens[pos++];
    if (!t) throw bad(input, input.length, 'unexpected end of filter');
    return t;
  };
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.text.toUpperCase() === w;
  const out: Comparison[] = [];
  for (;;) {
    out.push(parseComparison());
    if (pos >= tokens.length) return out;
    const t = next();
    if (!isWord(t, 'AND')) {
      if (isWord(t, 'OR'))
        throw bad(input, t.at, 'OR is not supported (MLflow filters join comparisons with AND)');
      throw bad(input, t.at, 'expected AND between comparisons');
    }
  }

  function parseIdentifier(): Identifier {
    const first = next();
    if (first.kind === 'quoted-ident' || first.kind === 'string') return { key: first.text };
    if (first.kind !== 'word') throw bad(input, first.at, 'expected an identifier such as metrics.acc');
    const entity = ENTITY_ALIASES[first.text.toLowerCase()];
    if (!(peek()?.kind === 'punct' && (peek() as { text: string }).text === '.') || entity === undefined) {
      if (peek()?.kind === 'punct' && (peek() as { text: string }).text === '.')
        throw bad(
          input,
          first.at,
          `unknown entity "${first.text}" (use metrics, params, tags, attributes or datasets)`,
        );
      return { key: first.text };
    }
    pos++;
    const keyToken = next();
    if (keyToken.kind === 'quoted-ident' || keyToken.kind === 'string') return { entity, key: keyToken.text };
    if (keyToken.kind !== 'word') throw bad(input, keyToken.at, 'expected a key after the dot');
    // Unquoted keys may contain dots: tags.mlflow.source.name.
    let key = keyToken.text;
    while (
      peek()?.kind === 'punct' &&
      (peek() as { text: string }).text === '.' &&
      tokens[pos + 1]?.kind === 'word'
    ) {
      key += `.${(tokens[pos + 1] as { text: string }).text}`;
      pos += 2;
    }
    return { entity, key };
  }

  function parseComparison(): Comparison {
    const identifier = parseIdentifier();
    const t = next();
    let comparator: Comparator;
    if (t.kind === 'op') comparator = t.text as Comparator;
    else if (isWord(t, 'LIKE') || isWord(t, 'ILIKE') || isWord(t, 'IN'))
      comparator = (t as { text: string }).text.toUpperCase() as Comparator;
    else if (isWord(t, 'NOT') && isWord(peek(), 'IN')) {
      pos++;
      comparator = 'NOT IN';
    } else if (isWord(t, 'IS')) {
      const not = isWord(peek(), 'NOT');
      if (not) pos++;
      if (!isWord(next(), 'NULL')) throw bad(input, t.at, 'expected NULL after IS');
      return { identifier, comparator: not ? 'IS NOT NULL' : 'IS NULL', value: null };
    } else throw bad(input, t.at, 'expected a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN)');
    if (comparator === 'IN' || comparator === 'NOT IN') {
      const open = next();
      if (open.kind !== 'punct' || open.text !== '(')
        throw bad(input, open.at, `expected ( after ${comparator}`);
      const values: string[] = [];
      for (;;) {
        const v = next();
        if (v.kind === 'string') values.push(v.text);
        else if (v.kind === 'number') values.push(String(v.value));
        else throw bad(input, v.at, 'expected a quoted value in the list');
        const sep = next();
        if (sep.kind === 'punct' && sep.text === ')') break;
        if (sep.kind !== 'punct' || sep.text !== ',') throw bad(input, sep.at, 'expected , or ) in the list');
      }
      return { identifier, comparator, value: values };
    }
    const v = next();
    if (v.kind === 'string') return { identifier, comparator, value: v.text };
    if (v.kind === 'number') return { identifier, comparator, value: v.value };
    throw bad(input, v.at, 'expected a value: a quoted string or a number');
  }
}

/** Parses MLflow's order_by clauses: `metrics.acc DESC`, `attributes.start_time`, `name ASC`. */
export function parseOrderBy(clause: string): { identifier: Identifier; ascending: boolean } {
  const m = /^(.*?)(?:\s+(ASC|DESC))?\s*$/i.exec(clause.trim());
  const target = m?.[1]?.trim() ?? '';
  if (target === '') throw errors.invalid(`invalid order_by clause ${JSON.stringify(clause)}`);
  const [cmp] = parseFilter(`${target} = 0`);
  if (!cmp) throw errors.invalid(`invalid order_by clause ${JSON.stringify(clause)}`);
  return { identifier: cmp.identifier, ascending: (m?.[2] ?? 'ASC').toUpperCase() === 'ASC' };
}
