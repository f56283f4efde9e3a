import { Link } from '@tanstack/react-router';
import type { ModelLineage } from '../api/models.ts';
import { formatBytes } from './format.ts';

interface GraphNode {
  id: string;
  column: number;
  kind: string;
  label: string;
  detail?: string;
  /** A run node links to its page. */
  runId?: string;
  missing?: boolean;
}

const COLUMN_WIDTH = 210;
const NODE_WIDTH = 180;
const NODE_HEIGHT = 46;
const GAP = 14;

function short(text: string, max = 24): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The lineage as nodes and edges: data and code on the left, the run, the version, the package on the right. */
export function lineageGraph(lineage: ModelLineage): { nodes: GraphNode[]; edges: [string, string][] } {
  const nodes: GraphNode[] = [];
  const edges: [string, string][] = [];
  const version = `version`;
  const run = lineage.run;
  lineage.datasets.forEach((d, i) => {
    nodes.push({ id: `dataset-${i}`, column: 0, kind: 'data set', label: d.name, detail: d.digest });
    if (run) edges.push([`dataset-${i}`, 'run']);
  });
  if (lineage.git_commit) {
    nodes.push({
      id: 'commit',
      column: 0,
      kind: 'commit',
      label: lineage.git_commit.slice(0, 12),
      detail: lineage.git_commit,
    });
    if (run) edges.push(['commit', 'run']);
  }
  // The pipeline `cairn run` ran, as one node (its stages in order): data and code feed it, it made the run.
  const stages = Object.entries(lineage.lock_entry?.stages ?? {});
  if (stages.length) {
    nodes.push({
      id: 'stages',
      column: 1,
      kind: `pipeline (${stages.length} stage${stages.length === 1 ? '' : 's'})`,
      label: stages.map(([name]) => name).join(' → '),
      detail: stages.map(([name, s]) => `${name}: ${s.status ?? '?'}`).join(', '),
    });
    for (const e of edges) if (e[1] === 'run') e[1] = 'stages';
    if (run) edges.push(['stages', 'run']);
  }
  if (run) {
    nodes.push({
      id: 'run',
      column: 2,
      kind: run.found ? 'run' : 'run (gone)',
      label: run.run_name ?? run.run_id,
      detail: run.run_id,
      ...(run.found ? { runId: run.run_id } : {}),
      missing: !run.found,
    });
  }
  if (lineage.logged_model) {
    nodes.push({
      id: 'logged',
      column: 3,
      kind: 'logged model',
      label: lineage.logged_model.name ?? lineage.logged_model.model_id,
      detail: lineage.logged_model.model_id,
      missing: !lineage.logged_model.found,
    });
    if (run) edges.push(['run', 'logged']);
    edges.push(['logged', version]);
  } else if (run) edges.push(['run', version]);
  const mv = lineage.model_version;
  nodes.push({
    id: version,
    column: 4,
    kind: 'model version',
    label: `${mv.name} v${mv.version}`,
    detail: mv.aliases.map((a) => `@${a}`).join(' '),
  });
  if (lineage.package.hash) {
    const verified = lineage.package.verified;
    nodes.push({
      id: 'package',
      column: 5,
      kind: verified === true ? 'package ✓ verified' : verified === false ? 'package ✗ changed' : 'package',
      label: lineage.package.hash.replace('sha256:', '').slice(0, 16),
      detail: `${lineage.package.hash}${lineage.package.size !== undefined ? ` · ${formatBytes(lineage.package.size)}` : ''}`,
      missing: verified === false,
    });
    edges.push([version, 'package']);
  }
  return { nodes, edges };
}

/**
 * A model version's lineage drawn as a graph (SVG): data sets and commit → pipeline stages →
 * run → logged model → version → package hash. The same chain is listed as text for screen readers.
 */
export function LineageGraph({ lineage }: { lineage: ModelLineage }) {
  const { nodes, edges } = lineageGraph(lineage);
  const columns = [...new Set(nodes.map((n) => n.column))].sort((a, b) => a - b);
  const place = new Map<string, { x: number; y: number }>();
  const rows = Math.max(...columns.map((c) => nodes.filter((n) => n.column === c).length));
  const height = rows * (NODE_HEIGHT + GAP) + GAP;
  columns.forEach((c, ci) => {
    const inColumn = nodes.filter((n) => n.column === c);
    const top = (height - inColumn.length * (NODE_HEIGHT + GAP) + GAP) / 2;
    for (const [i, n] of inColumn.entries())
      place.set(n.id, { x: ci * COLUMN_WIDTH + 8, y: top + i * (NODE_HEIGHT + GAP) });
  });
  const width = columns.length * COLUMN_WIDTH;
  return (
    <figure className="lineage">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-labelledby="lineage-desc"
      >
        <title>Lineage graph</title>
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" className="edge-head" />
          </marker>
        </defs>
        {edges.map(([from, to]) => {
          const a = place.get(from);
          const b = place.get(to);
          if (!a || !b) return null;
          const x1 = a.x + NODE_WIDTH;
          const y1 = a.y + NODE_HEIGHT / 2;
          const x2 = b.x - 2;
          const y2 = b.y + NODE_HEIGHT / 2;
          const mid = (x1 + x2) / 2;
          return (
            <path
              key={`${from}-${to}`}
              className="edge"
              d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
              markerEnd="url(#arrow)"
            />
          );
        })}
        {nodes.map((n) => {
          const p = place.get(n.id);
          if (!p) return null;
          const box = (
            <g
              key={n.id}
              transform={`translate(${p.x},${p.y})`}
              className={`node kind-${n.id.split('-')[0]}${n.missing ? ' missing' : ''}`}
            >
              <title>{`${n.kind}: ${n.label}${n.detail ? `\n${n.detail}` : ''}`}</title>
              <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
              <text x="10" y="17" className="node-kind">
                {n.kind}
              </text>
              <text x="10" y="35" className="node-label">
                {short(n.label)}
              </text>
            </g>
          );
          return n.runId ? (
            <Link key={n.id} to="/runs/$runId" params={{ runId: n.runId }} search={{}}>
              {box}
            </Link>
          ) : (
            <g key={n.id}>{box}</g>
          );
        })}
      </svg>
      <figcaption id="lineage-desc" className="visually-hidden">
        Lineage of {lineage.model_version.name} version {lineage.model_version.version}:{' '}
        {nodes.map((n) => `${n.kind} ${n.detail ?? n.label}`).join('; ')}.
      </figcaption>
    </figure>
  );
}
