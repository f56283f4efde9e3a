import { type Column, numberColumn, stringColumn, type Table } from '../../ml/table/table.ts';

/** The tables' rows one after the other; every table has the same columns in the same order. */
export function concatTables(tables: readonly Table[], rows: number): Table {
  const first = tables[0] as Table;
  if (tables.length === 1) return first;
  const columns = first.columns.map((c, k): Column => {
    if (c.kind === 'number') {
      const out = new Float64Array(rows);
      let at = 0;
      for (const t of tables) {
        out.set((t.columns[k] as typeof c).values, at);
        at += t.rows;
      }
      return numberColumn(c.name, out);
    }
    const out = new Array<string | null>(rows);
    let at = 0;
    for (const t of tables) {
      const values = (t.columns[k] as typeof c).values;
      for (let i = 0; i < values.length; i++) out[at + i] = values[i] as string | null;
      at += t.rows;
    }
    return stringColumn(c.name, out);
  });
  return { rows, columns };
}

/** Rows [start, start + rows) of a table: views for numbers, copies for text. */
export function sliceTable(table: Table, start: number, rows: number): Table {
  if (start === 0 && rows === table.rows) return table;
  const columns = table.columns.map(
    (c): Column =>
      c.kind === 'number'
        ? numberColumn(c.name, c.values.subarray(start, start + rows))
        : stringColumn(c.name, c.values.slice(start, start + rows)),
  );
  return { rows, columns };
}

/** The table with its last row repeated until it has `rows` rows (rows ≥ table.rows > 0). */
export function padTable(table: Table, rows: number): Table {
  if (rows === table.rows) return table;
  const last = table.rows - 1;
  const columns = table.columns.map((c): Column => {
    if (c.kind === 'number') {
      const out = new Float64Array(rows);
      out.set(c.values);
      out.fill(c.values[last] as number, table.rows);
      return numberColumn(c.name, out);
    }
    const out = c.values.slice();
    for (let i = table.rows; i < rows; i++) out.push(c.values[last] ?? null);
    return stringColumn(c.name, out);
  });
  return { rows, columns };
}
