import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { WORKSPACE_DIR } from '../kernel/config.ts';
import { errors } from '../kernel/errors.ts';

/** The nearest directory at or above `start` that holds `.cairn/`. */
export function findWorkspaceRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    const marker = join(dir, WORKSPACE_DIR);
    if (existsSync(marker) && statSync(marker).isDirectory()) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw errors.precondition(
        `${resolve(start)} is not inside a Cairn workspace (no ${WORKSPACE_DIR}/ here or above)`,
        {
          hint: 'run `cairn init` in the project directory first',
        },
      );
    dir = parent;
  }
}
