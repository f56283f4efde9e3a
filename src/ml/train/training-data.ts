import { errors } from '../../kernel/errors.ts';
import type { ClassLabel, ModelTask } from '../package/package-types.ts';
import { readTable, type SourceColumn } from '../table/read-table.ts';
import { type Column, findColumn, type Table, takeRows } from '../table/table.ts';

/** A training file read and checked: the feature columns kept, and the target as classes or values. */
export interface TrainingData {
  table: Table;
  /** Feature columns, in file order. */
  features: string[];
  sourceTypes: Map<string, string>;
  /** Classification: the classes (sorted) and each row's class index. */
  classes?: ClassLabel[];
  classIndex?: Int32Array;
  /** Regression: each row's value. */
  values?: Float64Array;
  targetType: 'double' | 'string' | 'long';
}

/**
 * Reads the training file and checks it: the target exists and suits the task (two or more
 * classes; numbers for regression), rows without a target are dropped, feature columns a model
 * cannot use are dropped with a warning (types other than numbers and text, all-null columns,
 * columns with one value), and a numeric column with stray text is refused.
 */
export async function loadTrainingData(
  path: string,
  target: string,
  task: ModelTask,
  options: { naValues?: readonly string[]; warn: (message: string) => void },
): Promise<TrainingData> {
  const file = await readTable(path, options.naValues ? { naValues: options.naValues } : {});
  const targetSource = file.source.find((c) => c.name === target);
  if (!targetSource)
    throw errors.invalid(`${path} has no column ${JSON.stringify(target)} (the --target)`, {
      details: { path, column: target },
      hint: `its columns are ${file.source.map((c) => c.name).join(', ')}`,
    });
  refuseStrayText(path, targetSource);
  let table = file.table;
  const targetColumn = findColumn(table, target);
  if (!targetColumn)
    throw errors.invalid(
      `the target column ${target} of ${path} is ${targetSource.type}, which cannot be a target`,
      {
        hint: 'use a text or number column',
      },
    );
  const present = presentRows(targetColumn);
  if (present.length === 0)
    throw errors.invalid(`the target column ${target} of ${path} is empty (every value is missing)`);
  if (present.length < table.rows) {
    options.warn(
      `${table.rows - present.length} row(s) of ${path} have no ${target} value and were left out`,
    );
    table = takeRows(table, present);
  }
  const features: string[] = [];
  for (const c of file.source) {
    if (c.name === target) continue;
    if (!c.kind) {
      options.warn(`column ${c.name} (${c.type}) was left out: a model takes numbers and text only`);
      continue;
    }
    refuseStrayText(path, c);
    const distinct = distinctValues(findColumn(table, c.name) as Column, 2);
    if (distinct === 0) options.warn(`column ${c.name} was left out: every value is missing`);
    else if (distinct === 1) options.warn(`column ${c.name} was left out: it holds a single value`);
    else features.push(c.name);
  }
  if (features.length === 0)
    throw errors.invalid(`${path} has no usable feature columns besides ${target}`, {
      hint: 'a model needs at least one column of numbers or text that varies',
    });
  const sourceTypes = new Map(file.source.map((c) => [c.name, c.type]));
  const y = findColumn(table, target) as Column;
  return { table, features, sourceTypes, ...targetOf(path, y, task) };
}

function refuseStrayText(path: string, c: SourceColumn): void {
  if (!c.strayText) return;
  const { value, row, numeric, nonNull } = c.strayText;
  throw errors.invalid(
    `column ${c.name} of ${path} holds numbers except for text such as ${JSON.stringify(value)} (data row ${row}; ${nonNull - numeric} of ${nonNull} values)`,
    {
      details: { path, column: c.name, row, value },
      hint: `fix those values, or mark them missing with --na ${JSON.stringify(value)}`,
    },
  );
}

function presentRows(c: Column): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < c.values.length; i++) {
    const v = c.values[i];
    if (c.kind === 'number' ? !Number.isNaN(v as number) : v !== null && v !== '') out.push(i);
  }
  return Int32Array.from(out);
}

/** Distinct non-missing values, counting no further than `limit`. */
function distinctValues(c: Column, limit: number): number {
  const seen = new Set<number | string>();
  for (const v of c.values) {
    if (v === null || v === '' || (typeof v === 'number' && Number.isNaN(v))) continue;
    seen.add(v as number | string);
    if (seen.size >= limit) break;
  }
  return seen.size;
}

function targetOf(
  path: string,
  y: Column,
  task: ModelTask,
): Pick<TrainingData, 'classes' | 'classIndex' | 'values' | 'targetType'> {
  if (task === 'regression') {
    if (y.kind !== 'number')
      throw errors.invalid(`the target column ${y.name} of ${path} holds text; regression needs numbers`, {
        hint: 'use --task classification for a text target',
      });
    return { values: y.values, targetType: 'double' };
  }
  let classes: ClassLabel[];
  let keys: (string | number)[];
  if (y.kind === 'number') {
    const bad = y.values.find((v) => !Number.isInteger(v));
    if (bad !== undefined)
      throw errors.invalid(
        `the target column ${y.name} of ${path} holds ${bad}, which is not a class: a classification target is text or whole numbers`,
        { hint: 'use --task regression to predict a number' },
      );
    classes = [...new Set(y.values)].sort((a, b) => a - b);
    keys = Array.from(y.values);
  } else {
    classes = [...new Set(y.values as string[])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    keys = y.values as string[];
  }
  if (classes.length < 2)
    throw errors.invalid(
      `the target column ${y.name} of ${path} has a single class (${JSON.stringify(classes[0])}): a classifier needs at least two`,
      {
        details: { path, column: y.name },
        hint: 'check the file and the --target, or use --task regression',
      },
    );
  const index = new Map<string | number, number>(classes.map((c, i) => [c, i]));
  const classIndex = Int32Array.from(keys, (k) => index.get(k) as number);
  return { classes, classIndex, targetType: y.kind === 'number' ? 'long' : 'string' };
}
