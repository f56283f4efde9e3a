import { randomUUID } from 'node:crypto';
import { yamlLib } from '../../kernel/yaml/yaml-lib.ts';
import {
  type CairnSection,
  INPUT_EXAMPLE_FILE,
  MODEL_FILE,
  type SignatureInput,
  type SignatureOutput,
} from './package-types.ts';

/**
 * The MLflow side of a package: MLmodel with the `onnx` and `python_function` flavors (loaded by
 * `mlflow.onnx`, which feeds `df[column].values` to each graph input), the signature as MLflow
 * column specs, the input example, and the environment files MLflow's tools read.
 */

/** The Python packages a package needs: IR version 10 is ONNX 1.16; ONNX-ML opset 5 needs onnxruntime 1.20. */
export const PYTHON_REQUIREMENTS = ['mlflow', 'onnx>=1.16', 'onnxruntime>=1.20', 'pandas'] as const;

/** MLflow's column-spec type for a signature type. */
function mlflowType(type: SignatureInput['type'] | SignatureOutput['type']): string {
  return type;
}

/** MLflow's signature: JSON arrays of column specs, stored as strings in MLmodel. */
export function mlflowSignature(
  inputs: readonly SignatureInput[],
  outputs: readonly SignatureOutput[],
): { inputs: string; outputs: string; params: null } {
  const spec = (name: string, type: string) => ({ type, name, required: true });
  return {
    inputs: JSON.stringify(inputs.map((c) => spec(c.name, mlflowType(c.type)))),
    outputs: JSON.stringify(outputs.map((c) => spec(c.name, mlflowType(c.type)))),
    params: null,
  };
}

/** MLflow's `utc_time_created` format: `2026-01-31 12:34:56.789000`. */
function mlflowTime(iso: string): string {
  return `${iso.replace('T', ' ').replace('Z', '')}000`;
}

/** The MLmodel document for a package whose other files total `otherBytes`. */
export function mlmodelDocument(cairn: CairnSection, otherBytes: number): Record<string, unknown> {
  return {
    flavors: {
      onnx: {
        code: null,
        data: MODEL_FILE,
        onnx_version: '1.16.0',
        providers: ['CPUExecutionProvider'],
      },
      python_function: {
        data: MODEL_FILE,
        env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
        loader_module: 'mlflow.onnx',
      },
    },
    model_size_bytes: otherBytes,
    model_uuid: randomUUID().replaceAll('-', ''),
    utc_time_created: mlflowTime(cairn.created_at),
    signature: mlflowSignature(cairn.inputs, cairn.outputs),
    saved_input_example_info: {
      artifact_path: INPUT_EXAMPLE_FILE,
      type: 'dataframe',
      pandas_orient: 'split',
    },
    cairn,
  };
}

export function renderYaml(doc: unknown): string {
  return yamlLib().stringify(doc, { lineWidth: 0 });
}

/** The environment files, by name. */
export function environmentFiles(): Record<string, string> {
  return {
    'requirements.txt': `${PYTHON_REQUIREMENTS.join('\n')}\n`,
    'python_env.yaml': renderYaml({ build_dependencies: ['pip'], dependencies: ['-r requirements.txt'] }),
    'conda.yaml': renderYaml({
      channels: ['conda-forge'],
      dependencies: ['pip', { pip: [...PYTHON_REQUIREMENTS] }],
      name: 'mlflow-env',
    }),
  };
}

/**
 * The input example in pandas' `split` orientation, as MLflow saves it. JSON has no NaN: a
 * missing value is null.
 */
export function inputExampleJson(
  inputs: readonly SignatureInput[],
  rows: readonly (readonly (number | string | null)[])[],
): string {
  const data = rows.map((row) => row.map((v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
  return `${JSON.stringify({ columns: inputs.map((c) => c.name), data })}\n`;
}
