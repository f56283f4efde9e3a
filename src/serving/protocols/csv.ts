import { errors } from '../../kernel/errors.ts';

/**
 * Rows of a CSV text (RFC 4180: `,`-separated, fields may be quoted with `"`, a quote inside a
 * quoted field doubled, LF or CRLF line ends). A blank last line is ignored.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  let quoted = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === 34) {
        if (text.charCodeAt(i + 1) === 34) {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      const next = text.indexOf('"', i);
      if (next < 0)
        throw errors.invalid(`the CSV body has a quoted field that never ends (row ${rows.length + 1})`);
      field += text.slice(i, next);
      i = next;
      continue;
    }
    if (c === 44) {
      row.push(field);
      field = '';
      i++;
    } else if (c === 10 || c === 13) {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
    } else if (c === 34 && field === '') {
      quoted = true;
      i++;
    } else {
      let end = i;
      while (end < n) {
        const d = text.charCodeAt(end);
        if (d === 44 || d === 10 || d === 13) break;
        end++;
      }
      field += text.slice(i, end);
      i = end;
    }
  }
  if (quoted)
    throw errors.invalid(`the CSV body has a quoted field that never ends (row ${rows.length + 1})`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
