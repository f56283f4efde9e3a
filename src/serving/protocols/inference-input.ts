import type { Table } from '../../ml/table/table.ts';
import type { InputSchema } from '../runtime/input-schema.ts';

/**
 * A request's data, parsed from its protocol but not yet matched to a model: the router picks
 * the model version first, then asks for the rows in that version's columns. A shadow with a
 * different signature asks again, off the request path.
 */
export interface InferenceInput {
  /** The rows as a table of the schema's columns, in its order; INVALID_ARGUMENT naming the column. */
  toTable(schema: InputSchema): Table;
}
