import { overlaps } from './pipeline-paths.ts';

/** What the DAG needs to know of a stage: its name, what it reads and what it writes. */
export interface DagNode {
  name: string;
  deps: readonly string[];
  outputs: readonly string[];
}

/**
 * For each stage, the other stages that write one of its deps, a directory holding one of its
 * deps, or something inside a directory it depends on. Each list is sorted by name.
 */
export function upstreamOf(nodes: readonly DagNode[]): Map<string, string[]> {
  const upstream = new Map<string, string[]>();
  for (const node of nodes) {
    const producers = new Set<string>();
    for (const other of nodes) {
      if (other.name === node.name) continue;
      if (node.deps.some((dep) => other.outputs.some((out) => overlaps(dep, out)))) producers.add(other.name);
    }
    upstream.set(node.name, [...producers].sort(byName));
  }
  return upstream;
}

/**
 * The cycles in the graph, one per strongly connected group of stages, each given as the stages
 * in the direction data flows, starting and ending with the group's first stage by name:
 * `['a', 'b', 'a']` means b uses an output of a and a one of b.
 */
export function findCycles(upstream: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const groups: string[][] = [];
  const visit = (name: string): void => {
    index.set(name, index.size);
    low.set(name, index.get(name) as number);
    stack.push(name);
    onStack.add(name);
    for (const next of upstream.get(name) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(name, Math.min(low.get(name) as number, low.get(next) as number));
      } else if (onStack.has(next))
        low.set(name, Math.min(low.get(name) as number, index.get(next) as number));
    }
    if (low.get(name) === index.get(name)) {
      const group: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        group.push(member);
      } while (member !== name);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const name of [...upstream.keys()].sort(byName)) if (!index.has(name)) visit(name);
  return groups.map((group) => cyclePath(group, upstream)).sort((a, b) => byName(a[0] ?? '', b[0] ?? ''));
}

function cyclePath(group: string[], upstream: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(group);
  const start = [...group].sort(byName)[0] as string;
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    for (const next of upstream.get(name) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at: string | undefined = name; at !== undefined && at !== start; at = parent.get(at))
          path.push(at);
        path.push(start);
        // The search followed "depends on"; walking its parents back gives the direction of the data.
        return path;
      }
      if (!parent.has(next)) {
        parent.set(next, name);
        queue.push(next);
      }
    }
  }
  return [...group, start];
}

/** Stages ordered so that each comes after all of its upstream; among ready stages, by name. */
export function topologicalOrder(upstream: ReadonlyMap<string, readonly string[]>): string[] {
  const waiting = new Map<string, number>();
  const downstream = new Map<string, string[]>();
  for (const [name, ups] of upstream) {
    waiting.set(name, ups.length);
    for (const up of ups) downstream.set(up, [...(downstream.get(up) ?? []), name]);
  }
  const ready = [...waiting].filter(([, n]) => n === 0).map(([name]) => name);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort(byName);
    const name = ready.shift() as string;
    order.push(name);
    for (const next of downstream.get(name) ?? []) {
      const left = (waiting.get(next) as number) - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return order;
}

/** Code-unit order, the same on every machine and locale. */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
