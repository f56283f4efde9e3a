import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { errors, fromSystemError } from '../../kernel/errors.ts';
import { sha256, sha256File } from '../../kernel/hashing.ts';
import { adaptGraph, type InputPlan, type OutputPlan } from '../onnx/export/adapt-graph.ts';
import { type GraphValue, graphInterface, isColumnShaped, NUMERIC_ELEMS } from '../onnx/graph-interface.ts';
import { decodeOnnxModel, encodeOnnxModel } from '../onnx/onnx-codec.ts';
import type { OnnxGraph } from '../onnx/onnx-types.ts';
import { OnnxRuntime } from '../runtime/onnx-runtime.ts';
import { readTable } from '../table/read-table.ts';
import { type Column, findColumn, type Table, takeRows } from '../table/table.ts';
import type { CairnSection, ClassLabel, ModelPackage, ModelTask, SignatureInput } from './package-types.ts';
import { writeModelPackage } from './write-package.ts';

export interface ImportOnnxOptions {
  /** The ONNX file made elsewhere (skl2onnx, onnxmltools, torch.onnx, …). */
  onnx: string;
  /** A data file whose columns are the model's inputs (plus the target): the signature is read from it. */
  signatureFrom: string;
  target: string;
  /** Default: classification when the graph gives class probabilities, else regression. */
  task?: ModelTask;
  out: string;
  overwrite?: boolean;
  naValues?: readonly string[];
  warn?: (message: string) => void;
}

const CHECK_ROWS = 200;
const MAX_CATEGORIES = 100;

/**
 * Makes a model package from an ONNX file made elsewhere. The signature comes from a data file
 * read with DuckDB and must match the graph's inputs: one input per column ([N] or [N, 1]), or
 * one [N, F] matrix of the F feature columns in file order. The graph is wrapped in Cairn's
 * convention (see adaptGraph) — so MLflow's pyfunc, evaluation, gates and serving read it like a
 * trained one — and run through ONNX Runtime on the data before the package is written.
 */
export async function importOnnxModel(
  options: ImportOnnxOptions,
): Promise<{ dir: string; cairn: CairnSection }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(options.onnx);
  } catch (err) {
    throw fromSystemError(err, options.onnx);
  }
  if (bytes.byteLength === 0) throw errors.invalid(`${options.onnx} is empty`);
  const source = decodeOnnxModel(bytes, options.onnx);
  const graph = source.graph as OnnxGraph;
  const digest = sha256File(options.signatureFrom).catch(() => '');
  const { table, source: columns } = await readTable(
    options.signatureFrom,
    options.naValues ? { naValues: options.naValues } : {},
  );
  const target = findColumn(table, options.target);
  if (!target)
    throw errors.invalid(
      `${options.signatureFrom} has no column ${JSON.stringify(options.target)} (the --target)`,
      {
        hint: `its columns are ${columns.map((c) => c.name).join(', ')}`,
      },
    );
  const io = graphInterface(graph);
  const features = table.columns.filter((c) => c.name !== options.target);
  const inputs = planInputs(io.inputs, features, options.signatureFrom, options.warn);
  const zipMaps = zipMapClasses(graph);
  const hasProbabilities =
    io.outputs.some((o) => o.kind === 'tensor' && o.rank === 2 && (o.dims?.[1] ?? 2) > 1) || zipMaps.size > 0;
  const task =
    options.task ?? (hasProbabilities || target.kind === 'string' ? 'classification' : 'regression');
  const classes = task === 'classification' ? classesOf(target, options.signatureFrom) : undefined;
  const outputs = planOutputs(io.outputs, graph, zipMaps, classes, task, options.onnx);
  const adapted = adaptGraph(source, inputs, outputs);
  const onnx = encodeOnnxModel(adapted.model);
  const signature = signatureInputs(inputs, table, columns);
  const content = {
    task,
    model_kind: 'imported' as const,
    target: {
      name: options.target,
      type:
        target.kind === 'string' ? ('string' as const) : classes ? ('long' as const) : ('double' as const),
    },
    ...(outputs.probabilities ? { classes: outputs.probabilities.classes } : classes ? { classes } : {}),
    ...(outputs.probabilities?.classes.length === 2
      ? { positive_class: outputs.probabilities.classes[1] as ClassLabel }
      : {}),
    inputs: signature,
    outputs: adapted.outputs,
    metrics: {},
    params: {
      source_model: basename(options.onnx),
      source_digest: sha256(bytes),
      source_producer: source.producer_name ?? '',
    },
    lineage: {
      datasets: [
        { name: options.signatureFrom, digest: await digest, rows: table.rows, context: 'signature' },
      ],
    },
  };
  await checkRuns(
    { ...content, format_version: 1, model_file: { digest: '', size: 0 }, created_at: '', cairn_version: '' },
    onnx,
    table,
    options.signatureFrom,
  );
  const example = takeRows(
    table,
    Int32Array.from({ length: Math.min(5, table.rows) }, (_, i) => i),
  );
  const cairn = await writeModelPackage(
    options.out,
    {
      onnx,
      cairn: content,
      exampleRows: Array.from({ length: example.rows }, (_, i) =>
        signature.map((s) => (findColumn(example, s.name)?.values[i] ?? null) as number | string | null),
      ),
    },
    { overwrite: options.overwrite ?? false },
  );
  return { dir: resolve(options.out), cairn };
}

function planInputs(
  inputs: GraphValue[],
  features: readonly Column[],
  dataPath: string,
  warn: ((m: string) => void) | undefined,
): InputPlan {
  const byName = new Map(features.map((c) => [c.name, c]));
  const named = inputs.filter((i) => byName.has(i.name));
  if (named.length === inputs.length) {
    const plan: InputPlan = {
      layout: 'columns',
      columns: inputs.map((i) => {
        const column = byName.get(i.name) as Column;
        if (!isColumnShaped(i))
          throw errors.invalid(
            `graph input ${i.name} has shape [${shape(i)}]; a column input must be [N] or [N, 1]`,
          );
        const elem = i.elem ?? 'float';
        if (column.kind === 'string' && elem !== 'string')
          throw errors.invalid(
            `graph input ${i.name} takes ${elem} but column ${i.name} of ${dataPath} holds text`,
            {
              hint: 'the signature file must have the columns the model was trained on, with the same types',
            },
          );
        if (elem !== 'string' && !NUMERIC_ELEMS.has(elem))
          throw errors.invalid(`graph input ${i.name} takes ${elem} tensors, which Cairn cannot feed`);
        return {
          column: i.name,
          type: elem === 'string' ? ('string' as const) : ('double' as const),
          input: i.name,
          elem,
          rank: i.rank ?? 1,
        };
      }),
    };
    const unused = features.filter((c) => !inputs.some((i) => i.name === c.name)).map((c) => c.name);
    if (unused.length > 0)
      warn?.(
        `column(s) ${unused.join(', ')} of ${dataPath} are not inputs of the model and were left out of its signature`,
      );
    return plan;
  }
  const only = inputs[0];
  if (inputs.length === 1 && only && only.kind === 'tensor' && only.rank === 2 && only.elem !== 'string') {
    const width = only.dims?.[1];
    if (width !== undefined && width !== features.length)
      throw errors.invalid(
        `graph input ${only.name} takes ${width} columns; ${dataPath} has ${features.length} besides the target (${features.map((c) => c.name).join(', ')})`,
        { hint: 'give a signature file with exactly the feature columns the model was trained on, in order' },
      );
    const text = features.find((c) => c.kind === 'string');
    if (text)
      throw errors.invalid(
        `graph input ${only.name} is a matrix of numbers but column ${text.name} of ${dataPath} holds text`,
      );
    return {
      layout: 'matrix',
      columns: features.map((c) => ({ column: c.name, type: 'double' as const })),
      input: only.name,
      elem: only.elem ?? 'float',
    };
  }
  const missing = inputs.filter((i) => !byName.has(i.name)).map((i) => i.name);
  throw errors.invalid(
    `the graph takes input(s) ${missing.join(', ')}, which ${dataPath} has no column for`,
    {
      hint: `its columns are ${features.map((c) => c.name).join(', ')}; a graph takes one input per column, or one [N, F] matrix`,
    },
  );
}

function shape(v: GraphValue): string {
  return (v.dims ?? []).map((d) => d ?? '?').join(', ');
}

/** ZipMap nodes: the probability tensor they read, by the (sequence) output they write, with their class labels. */
function zipMapClasses(graph: OnnxGraph): Map<string, { input: string; classes: ClassLabel[] }> {
  const out = new Map<string, { input: string; classes: ClassLabel[] }>();
  const text = new TextDecoder();
  for (const node of graph.node ?? []) {
    if (node.op_type !== 'ZipMap') continue;
    const strings = node.attribute?.find((a) => a.name === 'classlabels_strings')?.strings;
    const ints = node.attribute?.find((a) => a.name === 'classlabels_int64s')?.ints;
    const classes: ClassLabel[] = strings ? strings.map((s) => text.decode(s)) : (ints ?? []).map(Number);
    out.set(node.output?.[0] as string, { input: node.input?.[0] as string, classes });
  }
  return out;
}

function classesOf(target: Column, dataPath: string): ClassLabel[] {
  const set = new Set<string | number>();
  for (const v of target.values)
    if (v !== null && !(typeof v === 'number' && Number.isNaN(v))) set.add(v as string | number);
  const classes = [...set].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1,
  );
  if (classes.length < 2)
    throw errors.invalid(`the target column ${target.name} of ${dataPath} has fewer than two classes`);
  return classes;
}

function planOutputs(
  outputs: GraphValue[],
  graph: OnnxGraph,
  zipMaps: Map<string, { input: string; classes: ClassLabel[] }>,
  classes: ClassLabel[] | undefined,
  task: ModelTask,
  path: string,
): OutputPlan {
  const tensors = outputs.filter((o) => o.kind === 'tensor');
  if (task === 'regression') {
    const value = tensors.find((o) => isColumnShaped(o) && o.elem !== 'string');
    if (!value)
      throw errors.invalid(`${path} has no numeric output with one value per row to use as the prediction`);
    return { prediction: { value: value.name, elem: value.elem ?? 'float' } };
  }
  const plan: OutputPlan = {};
  const labels = tensors.filter((o) => isColumnShaped(o) && (o.elem === 'int64' || o.elem === 'string'));
  const label = labels.find((o) => /label/i.test(o.name)) ?? labels[0];
  if (label) plan.label = { value: label.name, elem: label.elem as string };
  const matrix = tensors.find(
    (o) => o.rank === 2 && (o.dims?.[1] ?? 2) > 1 && (o.elem === 'float' || o.elem === 'double'),
  );
  const zip = outputs.map((o) => zipMaps.get(o.name)).find((z) => z !== undefined);
  if (matrix) {
    const k = matrix.dims?.[1];
    const known = zip?.classes.length ? zip.classes : classes;
    if (k !== undefined && known && k !== known.length)
      throw errors.invalid(
        `output ${matrix.name} gives ${k} probabilities per row but the target has ${known.length} classes`,
      );
    plan.probabilities = {
      value: matrix.name,
      elem: matrix.elem as string,
      classes: (known ?? []) as ClassLabel[],
    };
  } else if (zip) {
    const elem = valueElem(graph, zip.input) ?? 'float';
    plan.probabilities = {
      value: zip.input,
      elem,
      classes: zip.classes.length ? zip.classes : (classes ?? []),
    };
  } else
    throw errors.invalid(`${path} gives no class probabilities (no [N, K] output and no ZipMap)`, {
      hint: 'export the classifier with its probabilities (skl2onnx does by default)',
    });
  return plan;
}

/** The element type of an intermediate value, from the graph's value_info, if recorded. */
function valueElem(graph: OnnxGraph, name: string): string | undefined {
  const info = graph.value_info?.find((v) => v.name === name);
  const code = info?.type?.tensor_type?.elem_type;
  return code === 11 ? 'double' : code === 1 ? 'float' : undefined;
}

function signatureInputs(
  plan: InputPlan,
  table: Table,
  source: { name: string; type: string }[],
): SignatureInput[] {
  return plan.columns.map((c) => {
    const column = findColumn(table, c.column) as Column;
    let nullable = false;
    const counts = new Map<string, number>();
    for (const v of column.values) {
      if (v === null || (typeof v === 'number' && Number.isNaN(v))) nullable = true;
      else if (c.type === 'string') counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    }
    const categories =
      c.type === 'string'
        ? [...counts.entries()]
            .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
            .slice(0, MAX_CATEGORIES)
            .map(([v]) => v)
            .sort()
        : undefined;
    return {
      name: c.column,
      type: c.type,
      nullable,
      ...(categories ? { categories } : {}),
      source_type: source.find((s) => s.name === c.column)?.type ?? 'DOUBLE',
    };
  });
}

/** Runs the wrapped model on the first rows of the signature file: an import that cannot run is refused. */
async function checkRuns(
  cairn: CairnSection,
  onnx: Uint8Array,
  table: Table,
  dataPath: string,
): Promise<void> {
  const pkg: ModelPackage = { dir: '(imported model)', cairn, mlmodel: {}, onnx };
  let runtime: OnnxRuntime;
  try {
    runtime = await OnnxRuntime.open(pkg, { warmup: false });
  } catch (err) {
    throw errors.invalid(`the imported model cannot be loaded: ${(err as Error).message}`, { cause: err });
  }
  try {
    const rows = takeRows(
      table,
      Int32Array.from({ length: Math.min(CHECK_ROWS, table.rows) }, (_, i) => i),
    );
    await runtime.run(rows);
  } catch (err) {
    throw errors.invalid(
      `the imported model does not run on the rows of ${dataPath}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  } finally {
    await runtime.close();
  }
}
