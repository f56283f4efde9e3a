/**
 * Cairn's SQL is written once with `?` placeholders; PostgreSQL wants `$1…$n`. These functions
 * find the `?` that are placeholders — not those inside string literals, quoted identifiers or
 * comments — and rewrite them, and turn a one-row `INSERT … VALUES (?, …)` into a multi-row one.
 * So PostgreSQL's jsonb operators `?`, `?|`, `?&` cannot appear in Cairn's SQL: call
 * `jsonb_exists()` and its siblings instead.
 */

/** The SQL text with every character that is not code (literals, identifiers, comments) blanked. */
export function codeMask(sql: string): string {
  const out = sql.split('');
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) out[i] = ' ';
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    let end = i + 1;
    if (c === "'") end = quotedEnd(sql, i, "'", isEscapeString(sql, i));
    else if (c === '"') end = quotedEnd(sql, i, '"', false);
    else if (c === '-' && next === '-') end = lineEnd(sql, i);
    else if (c === '/' && next === '*') end = blockCommentEnd(sql, i);
    else if (c === '$') end = dollarQuotedEnd(sql, i);
    if (end > i + 1 || c === "'" || c === '"') blank(i, end);
    i = end;
  }
  return out.join('');
}

/** Rewrites `?` placeholders to `$1…$n`. */
export function numberPlaceholders(sql: string): string {
  const mask = codeMask(sql);
  let out = '';
  let from = 0;
  let n = 0;
  for (let i = mask.indexOf('?'); i >= 0; i = mask.indexOf('?', i + 1)) {
    out += `${sql.slice(from, i)}$${++n}`;
    from = i + 1;
  }
  return n === 0 ? sql : out + sql.slice(from);
}

/** A one-row `INSERT … VALUES (…) [ON CONFLICT …]` split around its row of values. */
export interface InsertValuesShape {
  head: string;
  /** The row's text split at its placeholders: `perRow + 1` pieces. */
  rowPieces: string[];
  tail: string;
  perRow: number;
  /** `ON CONFLICT … DO UPDATE` fails when one key appears twice in a multi-row statement. */
  updatesOnConflict: boolean;
  /**
   * For such upserts, the positions in a row's parameters of the conflict target's columns, when
   * the statement names its columns and binds each to a bare `?` (so duplicates can be found
   * before sending).
   */
  conflictKey?: number[];
}

/**
 * Splits an INSERT whose only placeholders sit in its single VALUES row, or returns undefined
 * for any other statement (which then runs once per row).
 */
export function insertValuesShape(sql: string): InsertValuesShape | undefined {
  const mask = codeMask(sql).replace(/[\s;]+$/, '');
  if (!/^\s*INSERT\s/i.test(mask) || mask.includes(';')) return undefined;
  const values = [...mask.matchAll(/\bVALUES\s*\(/gi)];
  if (values.length !== 1) return undefined;
  const match = values[0] as RegExpExecArray;
  const open = match.index + match[0].length - 1;
  const close = matchingParen(mask, open);
  if (close < 0 || /^\s*,/.test(mask.slice(close + 1))) return undefined;
  const marks: number[] = [];
  for (let i = mask.indexOf('?'); i >= 0; i = mask.indexOf('?', i + 1)) {
    if (i < open || i > close) return undefined;
    marks.push(i);
  }
  if (marks.length === 0) return undefined;
  const rowPieces: string[] = [];
  let from = open;
  for (const mark of marks) {
    rowPieces.push(sql.slice(from, mark));
    from = mark + 1;
  }
  rowPieces.push(sql.slice(from, close + 1));
  const updatesOnConflict = /\bON\s+CONFLICT\b[\s\S]*\bDO\s+UPDATE\b/i.test(mask.slice(close));
  const conflictKey = updatesOnConflict ? conflictKeyOf(mask, open, close) : undefined;
  return {
    head: sql.slice(0, open),
    rowPieces,
    tail: sql.slice(close + 1, mask.length),
    perRow: marks.length,
    updatesOnConflict,
    ...(conflictKey ? { conflictKey } : {}),
  };
}

/** Positions of the ON CONFLICT columns among the row's `?`s, when every value is a bare `?`. */
function conflictKeyOf(mask: string, open: number, close: number): number[] | undefined {
  const columns = /^\s*INSERT\s+INTO\s+[\w.]+\s*\(([^)]*)\)\s*VALUES\s*\($/i.exec(mask.slice(0, open + 1));
  const target = /\bON\s+CONFLICT\s*\(([^)]*)\)/i.exec(mask.slice(close));
  if (!columns || !target) return undefined;
  const names = (columns[1] as string).split(',').map((c) => c.trim().toLowerCase());
  const values = mask
    .slice(open + 1, close)
    .split(',')
    .map((v) => v.trim());
  if (values.length !== names.length || values.some((v) => v !== '?')) return undefined;
  const key = (target[1] as string).split(',').map((c) => names.indexOf(c.trim().toLowerCase()));
  return key.every((i) => i >= 0) ? key : undefined;
}

/** The statement that inserts `rows` rows of `shape` at once, numbered `$1…`. */
export function multiRowInsert(shape: InsertValuesShape, rows: number): string {
  const parts: string[] = [shape.head];
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (r > 0) parts.push(', ');
    parts.push(shape.rowPieces[0] as string);
    for (let p = 1; p < shape.rowPieces.length; p++) parts.push(`$${++n}`, shape.rowPieces[p] as string);
  }
  parts.push(shape.tail);
  return parts.join('');
}

function quotedEnd(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') i += 2;
    else if (c === quote && sql[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return sql.length;
}

/** `E'…'` strings take backslash escapes; the `E` must not end a longer word. */
function isEscapeString(sql: string, quote: number): boolean {
  const e = sql[quote - 1];
  return (e === 'E' || e === 'e') && !isWordChar(sql[quote - 2]);
}

function lineEnd(sql: string, start: number): number {
  const nl = sql.indexOf('\n', start);
  return nl < 0 ? sql.length : nl;
}

/** PostgreSQL block comments nest. */
function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

/** `$tag$ … $tag$`; a `$` that starts no tag (as in `$1`) is one plain character. */
function dollarQuotedEnd(sql: string, start: number): number {
  if (isWordChar(sql[start - 1])) return start + 1;
  const tag = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(sql.slice(start, start + 64));
  if (!tag) return start + 1;
  const close = sql.indexOf(tag[0], start + tag[0].length);
  return close < 0 ? sql.length : close + tag[0].length;
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\w$\u0080-\uffff]/.test(c);
}

function matchingParen(mask: string, open: number): number {
  let depth = 0;
  for (let i = open; i < mask.length; i++) {
    if (mask[i] === '(') depth++;
    else if (mask[i] === ')' && --depth === 0) return i;
  }
  return -1;
}
