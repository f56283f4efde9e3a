import { errors } from '../../kernel/errors.ts';
import {
  type CairnSection,
  MODEL_KINDS,
  MODEL_TASKS,
  OUTPUT_ROLES,
  PACKAGE_FORMAT_VERSION,
  type SignatureInput,
  type SignatureOutput,
} from './package-types.ts';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks the `cairn:` section of an MLmodel file and returns it typed; `where` names the file.
 * Throws INTEGRITY_ERROR naming the first field that is wrong.
 */
export function parseCairnSection(value: unknown, where: string): CairnSection {
  const bad = (field: string, why: string) =>
    errors.integrity(`${where}: cairn.${field} ${why}`, {
      details: { path: where, field },
      hint: 'the MLmodel file was edited or damaged; write the package again',
    });
  if (!isObj(value))
    throw errors.invalid(`${where} has no cairn section: it is not a Cairn model package`, {
      details: { path: where },
      hint: 'make one with cairn train, or cairn model import for an ONNX file made elsewhere',
    });
  const v = value;
  const version = v.format_version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw bad('format_version', 'is not a version number');
  if (version > PACKAGE_FORMAT_VERSION)
    throw errors.precondition(
      `${where} is package format ${version}; this Cairn reads up to ${PACKAGE_FORMAT_VERSION}`,
      {
        details: { path: where, format_version: version },
        hint: 'upgrade Cairn',
      },
    );
  if (!MODEL_TASKS.includes(v.task as never)) throw bad('task', `must be one of ${MODEL_TASKS.join(', ')}`);
  if (!MODEL_KINDS.includes(v.model_kind as never))
    throw bad('model_kind', `must be one of ${MODEL_KINDS.join(', ')}`);
  if (!isObj(v.target) || typeof v.target.name !== 'string')
    throw bad('target', 'must name the target column');
  if (!Array.isArray(v.inputs) || v.inputs.length === 0) throw bad('inputs', 'must list the input columns');
  for (const [i, c] of v.inputs.entries()) checkInput(c, `inputs[${i}]`, bad);
  if (!Array.isArray(v.outputs) || v.outputs.length === 0) throw bad('outputs', 'must list the outputs');
  for (const [i, c] of v.outputs.entries()) checkOutput(c, `outputs[${i}]`, bad);
  if (v.task === 'classification' && (!Array.isArray(v.classes) || v.classes.length < 2))
    throw bad('classes', 'must list at least two classes for a classifier');
  if (!isObj(v.metrics)) throw bad('metrics', 'must be a mapping');
  if (!isObj(v.params)) throw bad('params', 'must be a mapping');
  if (!isObj(v.lineage) || !Array.isArray(v.lineage.datasets)) throw bad('lineage', 'must hold datasets');
  if (
    !isObj(v.model_file) ||
    typeof v.model_file.digest !== 'string' ||
    typeof v.model_file.size !== 'number'
  )
    throw bad('model_file', 'must hold the digest and size of model.onnx');
  return v as unknown as CairnSection;
}

function checkInput(
  c: unknown,
  field: string,
  bad: (f: string, why: string) => Error,
): asserts c is SignatureInput {
  if (!isObj(c) || typeof c.name !== 'string' || c.name === '') throw bad(field, 'must have a name');
  if (c.type !== 'double' && c.type !== 'string') throw bad(`${field}.type`, 'must be double or string');
  if (c.categories !== undefined && !Array.isArray(c.categories))
    throw bad(`${field}.categories`, 'must be a list');
}

function checkOutput(
  c: unknown,
  field: string,
  bad: (f: string, why: string) => Error,
): asserts c is SignatureOutput {
  if (!isObj(c) || typeof c.name !== 'string' || c.name === '') throw bad(field, 'must have a name');
  if (c.type !== 'double' && c.type !== 'string' && c.type !== 'long')
    throw bad(`${field}.type`, 'must be double, string or long');
  if (!OUTPUT_ROLES.includes(c.role as never))
    throw bad(`${field}.role`, `must be one of ${OUTPUT_ROLES.join(', ')}`);
}
