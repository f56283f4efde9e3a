import { errors } from '../../../kernel/errors.ts';
import type { ClassLabel, SignatureOutput } from '../../package/package-types.ts';
import { attr, GraphBuilder, valueInfo } from '../graph-builder.ts';
import { renameValues, valueNames } from '../graph-names.ts';
import { ONNX_TYPES, type OnnxModel, type OnnxTypeName } from '../onnx-types.ts';
import { OUTPUT_NAMES, probabilityOutputName } from './prediction-outputs.ts';

/** How the columns reach an imported graph: one input per column, or one [N, F] matrix. */
export type InputPlan =
  | {
      layout: 'columns';
      columns: { column: string; type: 'double' | 'string'; input: string; elem: string; rank: number }[];
    }
  | { layout: 'matrix'; columns: { column: string; type: 'double' }[]; input: string; elem: string };

/** Which graph values hold the predictions. */
export interface OutputPlan {
  label?: { value: string; elem: string };
  /** A [N, K] tensor of class probabilities, columns in the order of `classes`. */
  probabilities?: { value: string; elem: string; classes: ClassLabel[] };
  prediction?: { value: string; elem: string };
}

/** The oldest default-domain opset whose Cast, Reshape, Concat and Gather the adapter's nodes use. */
const MIN_OPSET = 6;

/**
 * Wraps a graph made elsewhere in Cairn's convention: new inputs, one 1-D tensor per column
 * (double or string), cast and reshaped into what the graph takes; new outputs, each 1-D with one
 * value per row — `label`, `probability` (binary, of classes[1]) or `probability:<class>`, or
 * `prediction`. Values of the original graph whose names the new ones need are renamed first.
 * Only Cast, Reshape, Concat and Gather are added, which every opset from 6 has in this form.
 */
export function adaptGraph(
  source: OnnxModel,
  inputs: InputPlan,
  outputs: OutputPlan,
): { model: OnnxModel; outputs: SignatureOutput[] } {
  const model = structuredClone(source);
  const graph = model.graph;
  if (!graph) throw errors.integrity('the ONNX model has no graph');
  const opsets = model.opset_import ?? [];
  const standard = opsets.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  if (!standard) opsets.push({ domain: '', version: defaultOpsetFor(model.ir_version ?? 3) });
  else if (standard.version < MIN_OPSET)
    throw errors.invalid(
      `the model uses ONNX opset ${standard.version}; importing needs opset ${MIN_OPSET} or newer`,
      {
        hint: 'export it again with a newer opset (e.g. target_opset=17 in skl2onnx)',
      },
    );
  model.opset_import = opsets;

  // Free the names the wrapper's inputs and outputs need, and keep the originals' inputs apart.
  const taken = valueNames(graph);
  const wanted = new Set<string>([...inputs.columns.map((c) => c.column), ...Object.values(OUTPUT_NAMES)]);
  if (outputs.probabilities)
    for (const c of outputs.probabilities.classes) wanted.add(probabilityOutputName(c));
  const renames = new Map<string, string>();
  const originalInputs = inputs.layout === 'columns' ? inputs.columns.map((c) => c.input) : [inputs.input];
  for (const name of taken)
    if (wanted.has(name) || originalInputs.includes(name)) {
      let fresh = `original__${name}`;
      for (let i = 1; taken.has(fresh) || wanted.has(fresh); i++) fresh = `original__${name}__${i}`;
      renames.set(name, fresh);
      taken.add(fresh);
    }
  renameValues(graph, renames);
  const renamed = (name: string) => renames.get(name) ?? name;

  const pre = new GraphBuilder('adapt_inputs', new Set([...taken, ...wanted]));
  const newInputs = inputs.columns.map((c) => valueInfo(c.column, c.type, ['N']));
  const castTo = (value: string, elem: string) =>
    elem === 'double' || elem === 'string'
      ? value
      : pre.node('Cast', [value], { attrs: [attr.int('to', typeCode(elem))] });
  if (inputs.layout === 'columns') {
    for (const c of inputs.columns) {
      let value = c.type === 'string' || c.elem === 'string' ? c.column : castTo(c.column, c.elem);
      if (c.rank === 2)
        value = pre.node('Reshape', [value, pre.constant('int64', [2], [-1, 1], 'column_shape')]);
      pre.node('Identity', [value], { outputs: [renamed(c.input)] });
    }
  } else {
    const parts = inputs.columns.map((c) =>
      pre.node('Reshape', [c.column, pre.constant('int64', [2], [-1, 1], 'column_shape')]),
    );
    const matrix =
      parts.length === 1 ? (parts[0] as string) : pre.node('Concat', parts, { attrs: [attr.int('axis', 1)] });
    pre.node('Identity', [castTo(matrix, inputs.elem)], { outputs: [renamed(inputs.input)] });
  }

  const post = new GraphBuilder('adapt_outputs', new Set([...taken, ...wanted, ...valueNames(pre.graph())]));
  const flat = (value: string, elem: string, name: string, type: OnnxTypeName) => {
    const shaped = post.node('Reshape', [renamed(value), post.constant('int64', [1], [-1], 'flat')]);
    const typed =
      elem === type ? shaped : post.node('Cast', [shaped], { attrs: [attr.int('to', ONNX_TYPES[type])] });
    post.node('Identity', [typed], { outputs: [name] });
    post.output(name, type, ['N']);
  };
  const signature: SignatureOutput[] = [];
  if (outputs.label) {
    const type = outputs.label.elem === 'string' ? 'string' : 'int64';
    flat(outputs.label.value, outputs.label.elem, OUTPUT_NAMES.label, type);
    signature.push({ name: OUTPUT_NAMES.label, type: type === 'string' ? 'string' : 'long', role: 'label' });
  }
  if (outputs.probabilities) {
    const { value, elem, classes } = outputs.probabilities;
    const column = (k: number) =>
      post.node('Gather', [renamed(value), post.constant('int64', [], [k], 'class_index')], {
        attrs: [attr.int('axis', 1)],
      });
    const emit = (k: number, name: string) => {
      const v = column(k);
      post.node(
        'Identity',
        [elem === 'double' ? v : post.node('Cast', [v], { attrs: [attr.int('to', ONNX_TYPES.double)] })],
        {
          outputs: [name],
        },
      );
      post.output(name, 'double', ['N']);
      signature.push({ name, type: 'double', role: 'probability', class: classes[k] as ClassLabel });
    };
    if (classes.length === 2) emit(1, OUTPUT_NAMES.probability);
    else for (const [k, c] of classes.entries()) emit(k, probabilityOutputName(c));
  }
  if (outputs.prediction) {
    flat(outputs.prediction.value, outputs.prediction.elem, OUTPUT_NAMES.prediction, 'double');
    signature.push({ name: OUTPUT_NAMES.prediction, type: 'double', role: 'prediction' });
  }

  const before = pre.graph();
  const after = post.graph();
  const used = new Set([
    ...(after.node ?? []).flatMap((n) => n.input ?? []),
    ...(graph.node ?? []).flatMap((n) => n.input ?? []),
  ]);
  // ZipMap turns probabilities into a sequence of maps, which the new outputs do not need.
  const kept = (graph.node ?? []).filter(
    (n) => n.op_type !== 'ZipMap' || (n.output ?? []).some((o) => used.has(o)),
  );
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name));
  graph.node = [...(before.node ?? []), ...kept, ...(after.node ?? [])];
  graph.initializer = [
    ...(graph.initializer ?? []),
    ...(before.initializer ?? []),
    ...(after.initializer ?? []),
  ];
  graph.input = [...newInputs, ...(graph.input ?? []).filter((i) => initializerNames.has(i.name))];
  graph.output = after.output ?? [];
  return { model, outputs: signature };
}

function typeCode(elem: string): number {
  const code = (ONNX_TYPES as Record<string, number>)[elem];
  if (code === undefined) throw errors.invalid(`the graph takes ${elem} tensors, which Cairn cannot feed`);
  return code;
}

/** A default-domain opset the IR version allows, for a graph that imported none. */
function defaultOpsetFor(ir: number): number {
  if (ir >= 7) return 13;
  return [8, 8, 8, 8, 9, 10, 11][ir] ?? 8;
}
