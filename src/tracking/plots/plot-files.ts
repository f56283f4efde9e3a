import { extname } from 'node:path';
import { yamlLib } from '../../kernel/yaml/yaml-lib.ts';
import type { ConfusionPlot, LinePlot, PlotSpec } from './plot-spec.ts';
import { thin } from './plot-spec.ts';

type Row = Record<string, unknown>;

const IMAGES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
};

/** Pairs of columns that make a known curve: x, y, and whether it lives in the unit square. */
const KNOWN_CURVES: [x: string, y: string, unit: boolean][] = [
  ['fpr', 'tpr', true],
  ['recall', 'precision', true],
];
/** Columns taken as the x axis, in order of preference (DVC's default x is the row's step). */
const X_COLUMNS = ['step', 'epoch', 'iteration', 'iter', 'x'];
/** Column pairs holding true and predicted classes: a confusion matrix. */
const CLASS_COLUMNS: [actual: string, predicted: string][] = [
  ['actual', 'predicted'],
  ['y_true', 'y_pred'],
  ['label', 'prediction'],
  ['target', 'prediction'],
];

/**
 * Turns a plot file into the plots it holds, choosing what DVC users expect without options:
 * - a list of rows (JSON, YAML, CSV, TSV) or an object of such lists (`{"roc": [...]}`), each list
 *   one plot: `fpr`/`tpr` is an ROC curve, `recall`/`precision` a PR curve, `actual`/`predicted`
 *   (or `y_true`/`y_pred`) a confusion matrix; otherwise x is `step`, `epoch`, … or the row
 *   number, and every other numeric column is a line;
 * - `{"labels": [...], "matrix": [[...]]}` is a confusion matrix (rows actual, columns predicted);
 * - PNG, JPEG, GIF and SVG images are shown as they are.
 */
export function plotsFromFile(path: string, content: Uint8Array): PlotSpec[] {
  const ext = extname(path).toLowerCase();
  const mime = IMAGES[ext];
  if (mime)
    return [
      { kind: 'image', title: path, source: path, mime, base64: Buffer.from(content).toString('base64') },
    ];
  const text = Buffer.from(content).toString('utf8');
  let data: unknown;
  try {
    if (ext === '.csv' || ext === '.tsv') data = parseDelimited(text, ext === '.tsv' ? '\t' : ',');
    else if (ext === '.json') data = JSON.parse(text);
    else data = yamlLib().parse(text);
  } catch (err) {
    return [problem(path, `cannot parse: ${(err as Error).message.split('\n')[0]}`)];
  }
  const plots = plotsFromValue(path, path, data);
  return plots.length > 0 ? plots : [problem(path, 'no list of rows or confusion matrix found in the file')];
}

function plotsFromValue(path: string, title: string, data: unknown): PlotSpec[] {
  if (isMatrixObject(data)) return [confusionFromMatrix(path, title, data)];
  if (Array.isArray(data)) {
    const rows = data.filter(isRow);
    return rows.length > 0 ? [plotFromRows(path, title, rows)] : [];
  }
  if (!isRow(data)) return [];
  const out: PlotSpec[] = [];
  for (const [key, value] of Object.entries(data))
    if (Array.isArray(value) || isMatrixObject(value))
      out.push(...plotsFromValue(path, `${path}: ${key}`, value));
  return out;
}

function plotFromRows(path: string, title: string, rows: Row[]): PlotSpec {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const lower = new Map(columns.map((c) => [c.toLowerCase(), c]));
  for (const [a, p] of CLASS_COLUMNS) {
    const actual = lower.get(a);
    const predicted = lower.get(p);
    if (actual && predicted) return confusionFromRows(path, title, rows, actual, predicted);
  }
  const numeric = columns.filter((c) => rows.every((r) => r[c] === undefined || typeof r[c] === 'number'));
  for (const [x, y, unit] of KNOWN_CURVES) {
    const cx = lower.get(x);
    const cy = lower.get(y);
    if (cx && cy && numeric.includes(cx) && numeric.includes(cy))
      return line(path, title, rows, cx, [cy], unit);
  }
  const x = X_COLUMNS.map((c) => lower.get(c)).find((c) => c !== undefined && numeric.includes(c));
  const ys = numeric.filter((c) => c !== x);
  if (ys.length === 0)
    return problem(path, `no numeric column to draw (columns: ${columns.join(', ')})`, title);
  return line(path, title, rows, x, ys, false);
}

function line(
  path: string,
  title: string,
  rows: Row[],
  x: string | undefined,
  ys: string[],
  unit: boolean,
): LinePlot {
  let thinned = false;
  const series = ys.map((y) => {
    const points: [number, number][] = [];
    rows.forEach((r, i) => {
      const xv = x === undefined ? i : r[x];
      const yv = r[y];
      if (typeof xv === 'number' && typeof yv === 'number') points.push([xv, yv]);
    });
    const t = thin(points);
    thinned ||= t.thinned;
    return { label: y, points: t.points };
  });
  return {
    kind: 'line',
    title,
    source: path,
    x: x ?? 'row',
    y: ys.length === 1 ? (ys[0] as string) : 'value',
    series,
    ...(unit ? { unitSquare: true } : {}),
    ...(thinned ? { note: 'long series thinned to the low and high point of each interval' } : {}),
  };
}

function confusionFromRows(
  path: string,
  title: string,
  rows: Row[],
  actual: string,
  predicted: string,
): ConfusionPlot {
  const labels = [...new Set(rows.flatMap((r) => [String(r[actual]), String(r[predicted])]))].sort(
    naturalOrder,
  );
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  for (const r of rows) {
    const row = matrix[index.get(String(r[actual])) as number] as number[];
    const col = index.get(String(r[predicted])) as number;
    row[col] = (row[col] ?? 0) + 1;
  }
  return { kind: 'confusion', title, source: path, labels, matrix };
}

function confusionFromMatrix(
  path: string,
  title: string,
  data: { matrix: number[][]; labels?: unknown[] },
): ConfusionPlot {
  const labels = data.matrix.map((_, i) => String(data.labels?.[i] ?? i));
  return { kind: 'confusion', title, source: path, labels, matrix: data.matrix };
}

function isMatrixObject(value: unknown): value is { matrix: number[][]; labels?: unknown[] } {
  if (!isRow(value) || !Array.isArray(value.matrix)) return false;
  const m = value.matrix as unknown[];
  return (
    m.length > 0 &&
    m.every((r) => Array.isArray(r) && r.length === m.length && r.every((v) => typeof v === 'number')) &&
    (value.labels === undefined || (Array.isArray(value.labels) && value.labels.length === m.length))
  );
}

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function naturalOrder(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function problem(path: string, message: string, title = path): PlotSpec {
  return { kind: 'problem', title, source: path, message };
}

/** CSV or TSV with a header row; quoted fields may hold separators, newlines and doubled quotes. */
export function parseDelimited(text: string, sep: string): Row[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === sep) {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      if (record.some((f) => f !== '')) records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  record.push(field);
  if (record.some((f) => f !== '')) records.push(record);
  const [header, ...body] = records;
  if (!header) return [];
  const number = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  return body.map((fields) =>
    Object.fromEntries(
      header.map((name, i) => {
        const raw = (fields[i] ?? '').trim();
        return [name.trim(), raw === '' ? undefined : number.test(raw) ? Number(raw) : raw];
      }),
    ),
  );
}
