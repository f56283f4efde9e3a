import pg from 'pg';

/** OIDs of the types whose text form pg would otherwise hand back as a string. */
const INT8 = 20;
const NUMERIC = 1700;

/**
 * Result parsing that matches the SQLite store, for this pool only (pg's global `types` stays
 * untouched): BIGINT and NUMERIC become numbers, and a BIGINT beyond 2^53 is an error rather than
 * a silently rounded number, as in `node:sqlite`. BYTEA stays a Buffer (a Uint8Array).
 */
export const resultTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format === undefined || format === 'text') {
      if (oid === INT8) return parseInt8;
      if (oid === NUMERIC) return Number;
    }
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new RangeError(`the BIGINT ${text} is too large to be represented as a JavaScript number`);
  return value;
}
