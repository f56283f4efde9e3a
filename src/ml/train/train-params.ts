import { errors } from '../../kernel/errors.ts';

/** The models `cairn train` fits. */
export const TRAIN_MODELS = ['logistic', 'linear', 'gbdt'] as const;
export type TrainModel = (typeof TRAIN_MODELS)[number];

type ParamValue = number | boolean | string;

interface ParamSpec {
  type: 'number' | 'integer' | 'boolean' | 'string';
  default: ParamValue | undefined;
  /** Inclusive lower bound, or exclusive when `above` is set. */
  min?: number;
  above?: boolean;
  max?: number;
  help: string;
}

const COMMON: Record<string, ParamSpec> = {
  max_categories: {
    type: 'integer',
    default: 100,
    min: 1,
    help: 'categories kept per text column (most frequent)',
  },
};

const PARAMS: Record<TrainModel, Record<string, ParamSpec>> = {
  logistic: {
    ...COMMON,
    C: { type: 'number', default: 1, min: 0, above: true, help: 'inverse L2 strength (scikit-learn C)' },
    max_iter: { type: 'integer', default: 100, min: 1, help: 'L-BFGS iterations' },
    tol: {
      type: 'number',
      default: 1e-4,
      min: 0,
      above: true,
      help: 'stop when every gradient component is below',
    },
    positive_class: {
      type: 'string',
      default: undefined,
      help: 'binary: the class whose probability is reported',
    },
  },
  linear: {
    ...COMMON,
    alpha: { type: 'number', default: 1, min: 0, help: 'L2 strength (scikit-learn Ridge alpha)' },
  },
  gbdt: {
    max_categories: { ...(COMMON.max_categories as ParamSpec), max: 255 },
    learning_rate: { type: 'number', default: 0.1, min: 0, above: true, max: 1, help: 'shrinkage per tree' },
    max_iter: { type: 'integer', default: 100, min: 1, help: 'boosting iterations (trees)' },
    max_leaf_nodes: { type: 'integer', default: 31, min: 2, help: 'leaves per tree' },
    max_depth: { type: 'integer', default: 0, min: 0, help: 'depth limit per tree (0: none)' },
    min_samples_leaf: { type: 'integer', default: 20, min: 1, help: 'rows a leaf must hold' },
    l2_regularization: { type: 'number', default: 0, min: 0, help: 'L2 penalty on leaf values' },
    max_bins: { type: 'integer', default: 255, min: 2, max: 255, help: 'histogram bins per number column' },
    subsample: {
      type: 'number',
      default: 1,
      min: 0,
      above: true,
      max: 1,
      help: 'fraction of rows each tree sees',
    },
    early_stopping: { type: 'boolean', default: true, help: 'stop when the validation loss stops improving' },
    n_iter_no_change: { type: 'integer', default: 10, min: 1, help: 'early stopping patience' },
    tol: { type: 'number', default: 1e-7, min: 0, help: 'smallest validation-loss improvement that counts' },
    threads: {
      type: 'integer',
      default: 0,
      min: 0,
      max: 4,
      help: 'threads building histograms (0: the cores, at most 4, from 100,000 training rows; else 1); the model is the same for any value',
    },
    positive_class: {
      type: 'string',
      default: undefined,
      help: 'binary: the class whose probability is reported',
    },
  },
};

/** The params a model takes, with their defaults and meaning (for help and docs). */
export function paramHelp(
  model: TrainModel,
): { name: string; default: ParamValue | undefined; help: string }[] {
  return Object.entries(PARAMS[model]).map(([name, s]) => ({ name, default: s.default, help: s.help }));
}

/**
 * The params for `model`: defaults overridden by `given` (values as typed on the command line or
 * given in code). An unknown name or a value out of range is an INVALID_ARGUMENT naming it.
 */
export function resolveParams(
  model: TrainModel,
  given: Readonly<Record<string, unknown>>,
): Record<string, ParamValue> {
  const specs = PARAMS[model];
  const out: Record<string, ParamValue> = {};
  for (const [name, spec] of Object.entries(specs)) if (spec.default !== undefined) out[name] = spec.default;
  for (const [name, raw] of Object.entries(given)) {
    const spec = specs[name];
    if (!spec)
      throw errors.invalid(`unknown param ${JSON.stringify(name)} for --model ${model}`, {
        details: { param: name, model },
        hint: `it takes ${Object.keys(specs).join(', ')}`,
      });
    out[name] = parseValue(name, spec, raw);
  }
  return out;
}

function parseValue(name: string, spec: ParamSpec, raw: unknown): ParamValue {
  const wrong = (what: string) =>
    errors.invalid(`param ${name} must be ${what}, got ${JSON.stringify(raw)}`, {
      details: { param: name, value: raw },
      hint: spec.help,
    });
  if (spec.type === 'string') {
    if (typeof raw !== 'string' && typeof raw !== 'number') throw wrong('text');
    return String(raw);
  }
  if (spec.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw wrong('true or false');
  }
  const n =
    typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  const range = [
    spec.min !== undefined ? `${spec.above ? '>' : '≥'} ${spec.min}` : '',
    spec.max !== undefined ? `≤ ${spec.max}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const what = `${spec.type === 'integer' ? 'a whole number' : 'a number'}${range ? ` ${range}` : ''}`;
  if (!Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n))) throw wrong(what);
  if (spec.min !== undefined && (spec.above ? n <= spec.min : n < spec.min)) throw wrong(what);
  if (spec.max !== undefined && n > spec.max) throw wrong(what);
  return n;
}

/** `k=v` strings (from `--param`) as a record; a string without `=` is an INVALID_ARGUMENT. */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0)
      throw errors.invalid(`--param ${JSON.stringify(arg)} is not of the form name=value`, {
        hint: 'e.g. --param learning_rate=0.05',
      });
    out[arg.slice(0, eq).trim()] = arg.slice(eq + 1).trim();
  }
  return out;
}
