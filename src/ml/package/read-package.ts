import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errors, fromSystemError } from '../../kernel/errors.ts';
import { sha256 } from '../../kernel/hashing.ts';
import { yamlLib } from '../../kernel/yaml/yaml-lib.ts';
import { decodeOnnxModel } from '../onnx/onnx-codec.ts';
import { ONNX_TYPES, type OnnxValueInfo } from '../onnx/onnx-types.ts';
import { parseCairnSection } from './cairn-section.ts';
import { type CairnSection, MLMODEL_FILE, MODEL_FILE, type ModelPackage } from './package-types.ts';

/**
 * Reads and checks a model package: MLmodel parses and has the `onnx` flavor and a valid `cairn`
 * section; model.onnx is present, matches the size and hash recorded for it, decodes as ONNX, and
 * its graph's inputs and outputs are the ones the section lists. Each failure is one error
 * naming the file and what is wrong.
 */
export async function readModelPackage(dir: string): Promise<ModelPackage> {
  const root = resolve(dir);
  try {
    if (!(await stat(root)).isDirectory())
      throw errors.invalid(`${dir} is a file, not a model package directory`, {
        hint: 'for an ONNX file made elsewhere, use cairn model import',
      });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw errors.notFound(`no model package at ${dir}`, { details: { path: dir } });
    throw fromSystemError(err, dir);
  }
  const mlmodelPath = join(root, MLMODEL_FILE);
  let text: string;
  try {
    text = await readFile(mlmodelPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw errors.invalid(`${dir} has no MLmodel file: it is not a model package`, {
        details: { path: dir },
        hint: 'make one with cairn train, or cairn model import for an ONNX file',
      });
    throw fromSystemError(err, mlmodelPath);
  }
  const mlmodel = parseMlmodel(text, mlmodelPath);
  const cairn = parseCairnSection(mlmodel.cairn, mlmodelPath);
  const flavors = mlmodel.flavors as Record<string, { data?: unknown }> | undefined;
  const modelName = typeof flavors?.onnx?.data === 'string' ? flavors.onnx.data : MODEL_FILE;
  const onnxPath = join(root, modelName);
  const onnx = await readModelFile(onnxPath, cairn);
  checkGraph(onnx, onnxPath, cairn);
  return { dir: root, cairn, mlmodel, onnx };
}

function parseMlmodel(text: string, where: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = yamlLib().parse(text);
  } catch (err) {
    throw errors.integrity(`${where} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, {
      cause: err,
      details: { path: where },
      hint: 'the file was damaged or edited by hand; write the package again',
    });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw errors.integrity(`${where} is not an MLmodel document (expected a mapping)`, {
      details: { path: where },
    });
  const flavors = (doc as { flavors?: unknown }).flavors;
  if (typeof flavors !== 'object' || flavors === null || !('onnx' in flavors))
    throw errors.invalid(`${where} has no onnx flavor: Cairn runs ONNX models only`, {
      details: { path: where },
      hint: 'export the model to ONNX and use cairn model import',
    });
  return doc as Record<string, unknown>;
}

async function readModelFile(path: string, cairn: CairnSection): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw errors.integrity(`${path} is missing from the package`, {
        details: { path },
        hint: 'copy the whole package directory again',
      });
    throw fromSystemError(err, path);
  }
  const { digest, size } = cairn.model_file;
  if (bytes.byteLength !== size || sha256(bytes) !== digest)
    throw errors.integrity(
      `${path} does not match the hash recorded in MLmodel (${bytes.byteLength} bytes, ${size} recorded): it was truncated or modified`,
      {
        details: { path, size: bytes.byteLength, expected_size: size, expected: digest },
        hint: 'copy or write the package again',
      },
    );
  return bytes;
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ONNX_TYPES).map(([k, v]) => [v, k]),
);

function elemType(v: OnnxValueInfo): string | undefined {
  const t = v.type?.tensor_type?.elem_type;
  return t === undefined ? undefined : (TYPE_NAMES[t] ?? `type ${t}`);
}

/** The graph's inputs and outputs must be the section's, with the same types. */
function checkGraph(bytes: Uint8Array, path: string, cairn: CairnSection): void {
  const graph = decodeOnnxModel(bytes, path).graph;
  const mismatch = (what: string) =>
    errors.integrity(`${path} does not match the signature in MLmodel: ${what}`, {
      details: { path },
      hint: 'write the package again (cairn train, cairn model import)',
    });
  const inputs = new Map((graph?.input ?? []).map((i) => [i.name, i]));
  for (const c of cairn.inputs) {
    const g = inputs.get(c.name);
    if (!g) throw mismatch(`the graph has no input ${c.name}`);
    if (elemType(g) !== c.type)
      throw mismatch(`input ${c.name} is ${elemType(g)}, the signature says ${c.type}`);
  }
  const outputs = new Set((graph?.output ?? []).map((o) => o.name));
  for (const o of cairn.outputs)
    if (!outputs.has(o.name)) throw mismatch(`the graph has no output ${o.name}`);
}
