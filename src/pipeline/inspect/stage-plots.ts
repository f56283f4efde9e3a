import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Pipeline } from '../pipeline-types.ts';

/** One `plots` file of a stage, with its content, or why there is none. */
export interface StagePlotFile {
  stage: string;
  /** Workspace-relative, `/`-separated. */
  path: string;
  content?: Uint8Array;
  error?: string;
}

/** Reads every stage's `plots` files (each file of a directory, by name), in pipeline order. */
export async function readStagePlots(root: string, pipeline: Pipeline): Promise<StagePlotFile[]> {
  const out: StagePlotFile[] = [];
  for (const stage of pipeline.stages)
    for (const spec of stage.plots) {
      try {
        out.push({ stage: stage.name, path: spec.path, content: await readFile(join(root, spec.path)) });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code !== 'EISDIR') {
          out.push({
            stage: stage.name,
            path: spec.path,
            error: e.code === 'ENOENT' ? 'missing (run the stage to make it)' : e.message,
          });
          continue;
        }
        const entries = await readdir(join(root, spec.path), { recursive: true, withFileTypes: true });
        const paths = entries
          .filter((d) => d.isFile())
          .map((d) => relative(root, join(d.parentPath, d.name)).split(sep).join('/'))
          .sort();
        for (const path of paths)
          out.push({ stage: stage.name, path, content: await readFile(join(root, path)) });
      }
    }
  return out;
}
