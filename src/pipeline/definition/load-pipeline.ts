import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../../kernel/errors.ts';
import type { Pipeline, StageDefinition } from '../pipeline-types.ts';
import { findCycles, topologicalOrder, upstreamOf } from './build-dag.ts';
import { expandStages } from './expand.ts';
import { parseGatesSection } from './gate-definitions.ts';
import { loadVars } from './load-vars.ts';
import { ParamsFiles } from './params-files.ts';
import { describeKind, type LMap, type LNode, parseYamlWithLines } from './parse-yaml-with-lines.ts';
import { didYouMean, PipelineProblems } from './pipeline-problems.ts';
import { resolveStage } from './resolve-stage.ts';
import { validateStages } from './validate-stages.ts';

export const PIPELINE_FILE = 'cairn.yaml';

/** Top-level keys of cairn.yaml. `deployments` and `monitors` are defined by later versions. */
export const TOP_LEVEL_KEYS = ['vars', 'stages', 'gates', 'deployments', 'monitors'] as const;
const RESERVED_SECTIONS = ['deployments', 'monitors'];

export interface LoadPipelineOptions {
  /** Param overrides for this run (`--set train.lr=0.01`): dotted key → value. */
  set?: Readonly<Record<string, unknown>>;
}

/**
 * Reads `cairn.yaml` (and the params files it uses) in the workspace at `root`, applies overrides,
 * interpolates `${…}`, expands `foreach` / `matrix`, and validates the result. Every error names
 * the file and line. Resolves to undefined when the workspace has no `cairn.yaml`.
 *
 * Overrides are keyed `train.lr` (params.yaml) or `other.yaml:a.b`; see parseParamOverride.
 * All problems are reported together in one INVALID_ARGUMENT error, one per line.
 */
export async function loadPipeline(
  root: string,
  options: LoadPipelineOptions = {},
): Promise<Pipeline | undefined> {
  const file = PIPELINE_FILE;
  let text: string;
  try {
    text = await readFile(join(root, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromSystemError(err, join(root, file));
  }
  const problems = new PipelineProblems();
  const params = new ParamsFiles(root, options.set ?? {}, problems);
  await params.applyOverrides();
  const doc = parseYamlWithLines(text, file, problems);
  problems.throwIfAny();
  if (doc === undefined) return { stages: [], upstream: new Map(), params: await params.contents() };
  if (doc.kind !== 'map') {
    problems.add(
      file,
      doc.line,
      `${file} must be a mapping with a "stages:" section, not ${describeKind(doc)}`,
    );
    problems.throwIfAny();
  }
  const top = doc as LMap;
  for (const e of top.entries) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(e.key))
      problems.add(file, e.keyLine, `unknown top-level key "${e.key}"${didYouMean(e.key, TOP_LEVEL_KEYS)}`);
    else if (RESERVED_SECTIONS.includes(e.key) && e.value.kind !== 'map' && !isEmpty(e.value))
      problems.add(file, e.value.line, `${e.key} must be a mapping, not ${describeKind(e.value)}`);
  }
  // Gates are read by `cairn gate` (loadGates); here they are only checked, with the rest of the file.
  parseGatesSection(top.entries.find((e) => e.key === 'gates')?.value, file, problems, root);
  const before = problems.size;
  const ctx = await loadVars(top.entries.find((e) => e.key === 'vars')?.value, params, problems, file);
  // Broken params or vars would make every ${…} that reads them fail too: report them first, alone.
  if (problems.size > before || problems.list.some((p) => p.file !== file)) problems.throwIfAny();

  const stagesNode = top.entries.find((e) => e.key === 'stages')?.value;
  let stagesMap: LMap = { kind: 'map', entries: [], line: 1 };
  if (stagesNode?.kind === 'map') stagesMap = stagesNode;
  else if (stagesNode && !isEmpty(stagesNode))
    problems.add(
      file,
      stagesNode.line,
      `stages must be a mapping of stage names to stages, not ${describeKind(stagesNode)}`,
    );

  const expanded = expandStages(stagesMap, ctx, problems, file);
  const resolved = expanded.stages.map((stage) => resolveStage(stage, ctx, problems, file));
  await validateStages(resolved, {
    root,
    file,
    params,
    problems,
    outputsComplete: expanded.complete && resolved.every((s) => s.complete),
  });

  const upstream = upstreamOf(
    resolved.map((s) => ({
      name: s.definition.name,
      deps: s.definition.deps,
      outputs: s.outputs.map((o) => o.path),
    })),
  );
  const byName = new Map<string, StageDefinition>(resolved.map((s) => [s.definition.name, s.definition]));
  for (const cycle of findCycles(upstream)) {
    const line = byName.get(cycle[0] as string)?.source.line ?? 1;
    problems.add(
      file,
      line,
      `dependency cycle: ${cycle.join(' -> ')} (each stage uses an output of the one before it); a stage cannot depend on its own results`,
    );
  }
  problems.throwIfAny();

  const order = topologicalOrder(upstream);
  return {
    stages: order.map((name) => byName.get(name) as StageDefinition),
    upstream: new Map(order.map((name) => [name, upstream.get(name) ?? []])),
    params: await params.contents(),
  };
}

function isEmpty(node: LNode): boolean {
  return node.kind === 'scalar' && node.value === null;
}
