import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { errors } from '../../kernel/errors.ts';

/** The charting library the report inlines: Chart.js (MIT), its self-contained UMD build. */
export const CHART_LIBRARY = 'chart.js';
const UMD_BUILDS = ['chart.umd.min.js', 'chart.umd.js'];

/**
 * The text of Chart.js's UMD build, read from the installed package at run time, so the report
 * carries the library itself and opens without a network.
 */
export async function chartLibrarySource(): Promise<string> {
  let main: string;
  try {
    main = createRequire(import.meta.url).resolve(CHART_LIBRARY);
  } catch (err) {
    throw errors.precondition(`the ${CHART_LIBRARY} package is not installed`, {
      cause: err,
      hint: 'reinstall cairn-mlops (npm install) so its dependencies are present',
    });
  }
  for (const name of UMD_BUILDS) {
    const text = await readFile(join(dirname(main), name), 'utf8').catch(() => undefined);
    if (text !== undefined) return text;
  }
  throw errors.precondition(`no UMD build of ${CHART_LIBRARY} next to ${main}`, {
    hint: `expected one of ${UMD_BUILDS.join(', ')}; reinstall the package`,
  });
}
