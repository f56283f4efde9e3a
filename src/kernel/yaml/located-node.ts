/**
 * A YAML value that remembers the line it came from, so that every check made after parsing
 * (types, interpolation, expansion, the DAG) can name `file:line`. Aliases and `<<` merge keys are
 * resolved; a value made by interpolation takes the line of the `${…}` that produced it.
 */
export type LNode = LScalar | LSeq | LMap;
export type ScalarValue = string | number | boolean | null;

export interface LScalar {
  kind: 'scalar';
  value: ScalarValue;
  line: number;
}

export interface LSeq {
  kind: 'seq';
  items: LNode[];
  line: number;
}

export interface LEntry {
  key: string;
  keyLine: number;
  value: LNode;
}

export interface LMap {
  kind: 'map';
  entries: LEntry[];
  line: number;
}
