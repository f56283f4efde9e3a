import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { syncDirectory } from '../../kernel/atomic-file.ts';
import { errors, fromSystemError } from '../../kernel/errors.ts';
import { sha256 } from '../../kernel/hashing.ts';
import { environmentFiles, inputExampleJson, mlmodelDocument, renderYaml } from './mlflow-files.ts';
import {
  type CairnSection,
  INPUT_EXAMPLE_FILE,
  MLMODEL_FILE,
  MODEL_FILE,
  PACKAGE_FORMAT_VERSION,
} from './package-types.ts';

/** What a package is made of; the writer adds the format version, file hash, time and version. */
export interface PackageContent {
  onnx: Uint8Array;
  cairn: Omit<CairnSection, 'format_version' | 'model_file' | 'created_at' | 'cairn_version'>;
  /** A few input rows (values in the order of `cairn.inputs`) for input_example.json. */
  exampleRows: readonly (readonly (number | string | null)[])[];
}

export interface WritePackageOptions {
  /** Replace an existing package at `dir` (never a directory that is not a package). */
  overwrite?: boolean;
}

let version: string | undefined;
function cairnVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return version;
}

/**
 * Writes a model package to `dir` atomically: every file goes into a temp directory beside it,
 * is fsynced, and the directory is renamed into place, so `dir` is either absent (or the old
 * package) or the whole new one. Returns the section written.
 */
export async function writeModelPackage(
  dir: string,
  content: PackageContent,
  options: WritePackageOptions = {},
): Promise<CairnSection> {
  const target = resolve(dir);
  const cairn: CairnSection = {
    format_version: PACKAGE_FORMAT_VERSION,
    ...content.cairn,
    model_file: { digest: sha256(content.onnx), size: content.onnx.byteLength },
    created_at: new Date().toISOString(),
    cairn_version: cairnVersion(),
  };
  const files: [string, string | Uint8Array][] = [
    [MODEL_FILE, content.onnx],
    [INPUT_EXAMPLE_FILE, inputExampleJson(cairn.inputs, content.exampleRows)],
    ...Object.entries(environmentFiles()),
  ];
  const otherBytes = files.reduce((n, [, data]) => n + Buffer.byteLength(data), 0);
  files.push([MLMODEL_FILE, renderYaml(mlmodelDocument(cairn, otherBytes))]);
  await writeDirectoryAtomic(target, files, options.overwrite ?? false);
  return cairn;
}

async function writeDirectoryAtomic(
  target: string,
  files: readonly [string, string | Uint8Array][],
  overwrite: boolean,
): Promise<void> {
  const parent = dirname(target);
  const suffix = randomBytes(6).toString('hex');
  const temp = join(parent, `.${basename(target)}.${suffix}.tmp`);
  const old = join(parent, `.${basename(target)}.${suffix}.old`);
  const existing = await existingKind(target);
  if (existing === 'other')
    throw errors.exists(`${target} exists and is not a model package`, {
      details: { path: target },
      hint: 'choose another --out directory, or remove it first',
    });
  if (existing === 'package' && !overwrite)
    throw errors.exists(`a model package exists already at ${target}`, {
      details: { path: target },
      hint: 'pass --overwrite to replace it, or choose another --out directory',
    });
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(temp);
    for (const [name, data] of files) {
      const fh = await open(join(temp, name), 'wx', 0o644);
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await syncDirectory(temp);
    if (existing !== 'absent') await rename(target, old);
    try {
      await rename(temp, target);
    } catch (err) {
      if (existing !== 'absent') await rename(old, target).catch(() => undefined);
      throw err;
    }
    await syncDirectory(parent);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw fromSystemError(err, target);
  }
  await rm(old, { recursive: true, force: true });
}

/** absent, an empty directory, a package (has MLmodel), or something else that must not be replaced. */
async function existingKind(path: string): Promise<'absent' | 'empty' | 'package' | 'other'> {
  try {
    if (!(await stat(path)).isDirectory()) return 'other';
    const names = await readdir(path);
    if (names.length === 0) return 'empty';
    return names.includes(MLMODEL_FILE) ? 'package' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw fromSystemError(err, path);
  }
}
