import { errors } from '../../kernel/errors.ts';

/**
 * order_by clauses and page tokens for the registry searches, as MLflow's SQL store reads them.
 * Pages are offsets into a total order (the name, and for versions the number, break ties), so
 * paging through an unchanging registry returns every item exactly once.
 */

export interface OrderKeys {
  /** Accepted key → SQL column. Keys naming the same column count as one field. */
  columns: Record<string, string>;
  /** Used when no order_by is given. */
  defaults: string[];
  /** Appended unless the caller ordered by that column already. */
  tieBreakers: { column: string; ascending: boolean }[];
}

export const MODEL_ORDER: OrderKeys = {
  columns: {
    name: 'm.name',
    timestamp: 'm.last_updated_timestamp',
    last_updated_timestamp: 'm.last_updated_timestamp',
    creation_timestamp: 'm.creation_timestamp',
  },
  defaults: [],
  tieBreakers: [{ column: 'm.name', ascending: true }],
};

export const VERSION_ORDER: OrderKeys = {
  columns: {
    name: 'm.name',
    version_number: 'v.version',
    creation_timestamp: 'v.creation_timestamp',
    last_updated_timestamp: 'v.last_updated_timestamp',
  },
  defaults: ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'],
  tieBreakers: [
    { column: 'm.name', ascending: true },
    { column: 'v.version', ascending: false },
  ],
};

const CLAUSE = /^\s*(?:(?:attributes?|attr)\.)?(`[^`]+`|"[^"]+"|[A-Za-z_]\w*)(?:\s+(ASC|DESC))?\s*$/i;

/** The ORDER BY list for `orderBy` (MLflow's clauses such as `name DESC`). */
export function orderBySql(orderBy: readonly string[] | undefined, keys: OrderKeys): string {
  const clauses = orderBy && orderBy.length > 0 ? orderBy : keys.defaults;
  const terms: string[] = [];
  const seen = new Set<string>();
  for (const clause of clauses) {
    const m = typeof clause === 'string' ? CLAUSE.exec(clause) : null;
    if (!m) throw errors.invalid(`Invalid order_by clause '${String(clause)}'. Could not be parsed.`);
    const key = (m[1] as string).replace(/^[`"]|[`"]$/g, '');
    const column = keys.columns[key];
    if (column === undefined)
      throw errors.invalid(
        `Invalid order by key '${key}' specified. Valid keys are ` +
          `'{${Object.keys(keys.columns)
            .map((k) => `'${k}'`)
            .join(', ')}}'`,
      );
    if (seen.has(column))
      throw errors.invalid(`\`order_by\` contains duplicate fields: ${JSON.stringify(orderBy)}`);
    seen.add(column);
    terms.push(`${column} ${(m[2] ?? 'ASC').toUpperCase()}`);
  }
  for (const { column, ascending } of keys.tieBreakers)
    if (!seen.has(column)) terms.push(`${column} ${ascending ? 'ASC' : 'DESC'}`);
  return terms.join(', ');
}

/** MLflow's token format: base64 of `{"offset": n}`. Clients treat it as opaque. */
export function pageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function pageOffset(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch (err) {
    throw errors.invalid(`Invalid page token, decoded value=${decoded}`, { cause: err });
  }
  const offset = (parsed as { offset?: unknown } | null)?.offset;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 1)
    throw errors.invalid(`Invalid page token, parsed value=${JSON.stringify(parsed)}`);
  return offset;
}
