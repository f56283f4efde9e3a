import type { Pipeline } from '../pipeline-types.ts';

/** The DAG as data: one node per stage, one edge per "uses an output of". */
export interface DagJson {
  nodes: { name: string; cmd: string[]; deps: string[]; outs: string[]; source: string }[];
  edges: { from: string; to: string }[];
}

export function dagJson(pipeline: Pipeline): DagJson {
  return {
    nodes: pipeline.stages.map((s) => ({
      name: s.name,
      cmd: s.cmd,
      deps: s.deps,
      outs: [...s.outs, ...s.metrics, ...s.plots].map((o) => o.path),
      source: `${s.source.file}:${s.source.line}`,
    })),
    edges: edges(pipeline),
  };
}

/** Graphviz: `cairn dag --dot | dot -Tsvg > dag.svg`. */
export function dagDot(pipeline: Pipeline): string {
  const lines = ['digraph cairn {', '  rankdir=TB;', '  node [shape=box];'];
  for (const s of pipeline.stages) lines.push(`  ${quote(s.name)};`);
  for (const e of edges(pipeline)) lines.push(`  ${quote(e.from)} -> ${quote(e.to)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Mermaid, for Markdown that GitHub and GitLab render. Stage names go in labels, ids are s0, s1, …. */
export function dagMermaid(pipeline: Pipeline): string {
  const ids = new Map(pipeline.stages.map((s, i) => [s.name, `s${i}`]));
  const lines = ['flowchart TD'];
  for (const s of pipeline.stages) lines.push(`  ${ids.get(s.name)}["${s.name}"]`);
  for (const e of edges(pipeline)) lines.push(`  ${ids.get(e.from)} --> ${ids.get(e.to)}`);
  return `${lines.join('\n')}\n`;
}

/** Edges in pipeline order of their downstream stage, then by name of the upstream one. */
export function edges(pipeline: Pipeline): { from: string; to: string }[] {
  return pipeline.stages.flatMap((s) =>
    (pipeline.upstream.get(s.name) ?? []).map((from) => ({ from, to: s.name })),
  );
}

function quote(name: string): string {
  return `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
