import type { SignatureInput, SignatureOutput } from '../../ml/package/package-types.ts';

/** One input column as serving checks it. */
export interface InputColumn {
  readonly name: string;
  readonly type: 'double' | 'string';
  /** Whether a missing value (null, NaN, an empty CSV field) is passed to the model or refused. */
  readonly allowMissing: boolean;
  /** Position in the signature: tables built for the model hold their columns in this order. */
  readonly index: number;
}

/**
 * A model's signature compiled once at load, so each request is checked against it with one
 * lookup per column: names, types, and whether missing values are allowed.
 */
export class InputSchema {
  readonly columns: readonly InputColumn[];
  readonly outputs: readonly SignatureOutput[];
  readonly #byName: Map<string, InputColumn>;

  constructor(inputs: readonly SignatureInput[], outputs: readonly SignatureOutput[], allowMissing: boolean) {
    this.columns = inputs.map((input, index) =>
      Object.freeze({
        name: input.name,
        type: input.type,
        allowMissing: allowMissing || input.nullable,
        index,
      }),
    );
    this.outputs = outputs;
    this.#byName = new Map(this.columns.map((c) => [c.name, c]));
  }

  column(name: string): InputColumn | undefined {
    return this.#byName.get(name);
  }

  /** `age (double), workclass (string), …`, for messages. */
  describe(): string {
    return this.columns.map((c) => `${c.name} (${c.type})`).join(', ');
  }
}
