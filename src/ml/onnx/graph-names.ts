import type { OnnxAttribute, OnnxGraph } from './onnx-types.ts';

/** Every value name a graph (and its subgraphs) uses: inputs, outputs, initializers, node edges. */
export function valueNames(graph: OnnxGraph, into = new Set<string>()): Set<string> {
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.value_info ?? [])])
    into.add(v.name);
  for (const t of graph.initializer ?? []) if (t.name) into.add(t.name);
  for (const node of graph.node ?? []) {
    for (const n of [...(node.input ?? []), ...(node.output ?? [])]) if (n) into.add(n);
    for (const a of node.attribute ?? []) for (const g of subgraphs(a)) valueNames(g, into);
  }
  return into;
}

function subgraphs(a: OnnxAttribute): OnnxGraph[] {
  const out: OnnxGraph[] = [];
  if (a.g) out.push(a.g);
  const many = (a as { graphs?: OnnxGraph[] }).graphs;
  if (many) out.push(...many);
  return out;
}

/**
 * Renames values throughout a graph, subgraphs included (they may refer to outer values), in
 * place. Names not in `renames` stay.
 */
export function renameValues(graph: OnnxGraph, renames: ReadonlyMap<string, string>): void {
  const r = (name: string) => renames.get(name) ?? name;
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.value_info ?? [])])
    v.name = r(v.name);
  for (const t of graph.initializer ?? []) if (t.name) t.name = r(t.name);
  for (const node of graph.node ?? []) {
    if (node.input) node.input = node.input.map((n) => (n ? r(n) : n));
    if (node.output) node.output = node.output.map((n) => (n ? r(n) : n));
    for (const a of node.attribute ?? []) for (const g of subgraphs(a)) renameValues(g, renames);
  }
}
