import { errors } from '../../kernel/errors.ts';
import { modelProtoType } from './onnx-schema.ts';
import type { OnnxModel } from './onnx-types.ts';

/** Serializes a model to the ONNX wire format. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const type = modelProtoType();
  return type.encode(type.fromObject(model)).finish();
}

/**
 * Parses ONNX bytes. `where` names the source in errors: bytes that are not a whole ModelProto
 * (a truncated or corrupt file, another format) give INTEGRITY_ERROR.
 */
export function decodeOnnxModel(bytes: Uint8Array, where: string): OnnxModel {
  const type = modelProtoType();
  let model: OnnxModel;
  try {
    model = type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as OnnxModel;
  } catch (err) {
    throw errors.integrity(`${where} is not a readable ONNX model: ${(err as Error).message}`, {
      cause: err,
      details: { path: where },
      hint: 'the file is truncated or corrupt; write or copy it again',
    });
  }
  if (!model.graph || !model.ir_version || (model.graph.output ?? []).length === 0)
    throw errors.integrity(`${where} is not a readable ONNX model: it has no graph, IR version or outputs`, {
      details: { path: where },
      hint: 'the file is truncated, corrupt or not ONNX; write or copy it again',
    });
  return model;
}
