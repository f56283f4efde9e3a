/**
 * The model package: a directory with `model.onnx` and an `MLmodel` file in MLflow's format
 * (flavors `onnx` and `python_function`), whose `cairn:` section is described here. See
 * docs/models.md ("The model package") for the format as users read it.
 */

/** The version of the `cairn:` section; a reader refuses a newer one. */
export const PACKAGE_FORMAT_VERSION = 1;

export const MODEL_FILE = 'model.onnx';
export const MLMODEL_FILE = 'MLmodel';
export const INPUT_EXAMPLE_FILE = 'input_example.json';

export const MODEL_TASKS = ['classification', 'regression'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

/** `imported` for an ONNX graph made elsewhere (`cairn model import`). */
export const MODEL_KINDS = ['logistic', 'linear', 'gbdt', 'imported'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** A class label: text, or a whole number for an integer target. */
export type ClassLabel = string | number;

/**
 * One input column. The graph has one input of this name, a 1-D tensor of `double` (numbers,
 * NaN where missing) or `string` (text; a missing value is the empty string).
 */
export interface SignatureInput {
  name: string;
  type: 'double' | 'string';
  /** Whether the training data had missing values here (missing values are accepted either way). */
  nullable: boolean;
  /** For text columns: the values seen in training, sorted (any other value is treated as unseen). */
  categories?: string[];
  /** The column's type in the training data, as DuckDB read it (BIGINT, VARCHAR, …). */
  source_type?: string;
}

export const OUTPUT_ROLES = ['label', 'probability', 'prediction'] as const;
export type OutputRole = (typeof OUTPUT_ROLES)[number];

/** One graph output: a 1-D tensor with one value per input row. */
export interface SignatureOutput {
  name: string;
  type: 'double' | 'string' | 'long';
  /** label: the predicted class; probability: of `class`; prediction: a regression value. */
  role: OutputRole;
  class?: ClassLabel;
}

export interface DatasetLineage {
  /** What the data was called when training read it (its path, as given). */
  name: string;
  /** `sha256:` of the file's bytes. */
  digest: string;
  rows?: number;
  /** training, validation, evaluation, signature (for an imported model's signature file). */
  context?: string;
}

export interface PackageLineage {
  /** The tracked run the package was trained in, if any. */
  run_id?: string;
  datasets: DatasetLineage[];
  git_commit?: string;
  /** The `cairn.lock` stage that produced the package, when trained inside `cairn run`. */
  stage?: string;
}

/** The `cairn:` section of MLmodel. */
export interface CairnSection {
  format_version: number;
  task: ModelTask;
  model_kind: ModelKind;
  target: { name: string; type: 'double' | 'string' | 'long' };
  /** Classification: every class, in the order of the probability outputs. */
  classes?: ClassLabel[];
  /** Binary classification: the class whose probability the `probability` output gives. */
  positive_class?: ClassLabel;
  inputs: SignatureInput[];
  outputs: SignatureOutput[];
  /** Metrics measured at training (on the validation rows), by name. */
  metrics: Record<string, number>;
  /** Training parameters, as used (defaults filled in). */
  params: Record<string, string | number | boolean>;
  lineage: PackageLineage;
  /** `sha256:` and size of model.onnx, checked whenever the package is read. */
  model_file: { digest: string; size: number };
  created_at: string;
  cairn_version: string;
}

/** A package as read from disk. */
export interface ModelPackage {
  /** Absolute path of the package directory. */
  dir: string;
  cairn: CairnSection;
  /** The whole MLmodel document, for flavors and fields Cairn does not interpret. */
  mlmodel: Record<string, unknown>;
  /** The ONNX model's bytes, verified against `cairn.model_file`. */
  onnx: Uint8Array;
}
