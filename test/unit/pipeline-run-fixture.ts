import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/kernel/config.ts';
import { silentLogger } from '../../src/kernel/logging.ts';
import type { OutputSpec, Pipeline, StageDefinition } from '../../src/pipeline/pipeline-types.ts';
import type { RunEvent, RunSummary } from '../../src/pipeline/run/run-events.ts';
import { type RunPipelineOptions, runPipeline } from '../../src/pipeline/run/run-pipeline.ts';
import { initWorkspace } from '../../src/workspace/init-workspace.ts';
import { openWorkspace, type Workspace } from '../../src/workspace/open-workspace.ts';
import { tempDir } from '../support/tmp-dir.ts';

/** Shorthand for a stage as loadPipeline would produce it. */
export interface StageSketch {
  name: string;
  cmd: string | string[];
  deps?: string[];
  params?: { file?: string; keys: string[] }[];
  outs?: (string | (Partial<OutputSpec> & { path: string }))[];
  metrics?: string[];
  env?: Record<string, string>;
  wdir?: string;
}

export function stage(s: StageSketch): StageDefinition {
  const out = (o: string | (Partial<OutputSpec> & { path: string }), cache: boolean): OutputSpec =>
    typeof o === 'string' ? { path: o, cache, persist: false } : { cache, persist: false, ...o };
  return {
    name: s.name,
    cmd: Array.isArray(s.cmd) ? s.cmd : [s.cmd],
    wdir: s.wdir ?? '.',
    deps: s.deps ?? [],
    params: (s.params ?? []).map((p) => ({ file: p.file ?? 'params.yaml', keys: p.keys })),
    outs: (s.outs ?? []).map((o) => out(o, true)),
    metrics: (s.metrics ?? []).map((m) => out(m, false)),
    plots: [],
    env: s.env ?? {},
    source: { file: 'cairn.yaml', line: 1 },
  };
}

/**
 * A Pipeline built the way loadPipeline builds one: upstream edges where a dep is, is inside, or
 * contains another stage's output; params read from the workspace's params files.
 */
export function pipeline(
  root: string,
  stages: StageDefinition[],
  overrides: Record<string, unknown> = {},
): Pipeline {
  const upstream = new Map<string, string[]>();
  for (const s of stages) {
    const ups = stages.filter(
      (o) =>
        o !== s &&
        [...o.outs, ...o.metrics].some((out) =>
          s.deps.some((d) => d === out.path || d.startsWith(`${out.path}/`) || out.path.startsWith(`${d}/`)),
        ),
    );
    upstream.set(
      s.name,
      ups.map((u) => u.name),
    );
  }
  const params = new Map<string, unknown>();
  for (const file of new Set(stages.flatMap((s) => s.params.map((p) => p.file)))) {
    const content = parse(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(overrides)) setDotted(content, k, v);
    params.set(file, content);
  }
  return { stages, upstream, params };
}

function setDotted(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = obj;
  for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
  node[parts.at(-1) as string] = value;
}

/** A fresh initialised workspace, opened with the default wiring. */
export async function workspace(files: Record<string, string> = {}): Promise<Workspace> {
  const root = join(await tempDir('cairn-run-'), 'ws');
  await mkdir(root);
  await initWorkspace(root);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  const config = await loadConfig({ root, env: {} });
  return openWorkspace(root, config, { log: silentLogger });
}

export interface Ran {
  summary: RunSummary;
  events: RunEvent[];
  status(name: string): string | undefined;
  reasons(name: string): string[];
}

/** Runs the pipeline in-process and collects its events. */
export async function run(
  ws: Workspace,
  p: Pipeline,
  options: Partial<Omit<RunPipelineOptions, 'ctx' | 'pipeline'>> = {},
): Promise<Ran> {
  const events: RunEvent[] = [];
  const summary = await runPipeline({
    ctx: ws.data,
    pipeline: p,
    jobs: 4,
    env: { PATH: process.env.PATH },
    trackingUri: ws.config.metadata.uri,
    logRoot: join(ws.root, '.cairn', 'tmp', 'logs'),
    onEvent: (e) => events.push(e),
    ...options,
  });
  const find = (name: string) => summary.stages.find((s) => s.name === name);
  return {
    summary,
    events,
    status: (name) => find(name)?.status,
    reasons: (name) => find(name)?.reasons ?? [],
  };
}

/** Appends `<stage>` to a marker file outside the workspace: proof that a command ran. */
export function mark(markerFile: string, name: string): string {
  return `echo ${name} >> ${markerFile}`;
}

export function marks(markerFile: string): string[] {
  try {
    return readFileSync(markerFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
