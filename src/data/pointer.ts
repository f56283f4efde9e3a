import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeFileAtomic } from '../kernel/atomic-file.ts';
import { errors, fromSystemError } from '../kernel/errors.ts';
import { type Digest, isDigest } from '../kernel/hashing.ts';
import { parseSimpleYaml } from '../kernel/yaml/block-yaml.ts';
import { yamlLib } from '../kernel/yaml/yaml-lib.ts';

export const POINTER_SUFFIX = '.cairn';
export const POINTER_VERSION = 1;

/** What a `<path>.cairn` file records about a tracked file or directory. */
export type Pointer =
  | { type: 'file'; hash: Digest; size: number }
  | { type: 'directory'; hash: Digest; size: number; files: number };

export function pointerPathFor(path: string): string {
  return `${path}${POINTER_SUFFIX}`;
}

export function trackedPathFor(pointerPath: string): string {
  return pointerPath.slice(0, -POINTER_SUFFIX.length);
}

/** The pointer's YAML text: a comment saying what the file is, then fixed keys in a fixed order. */
export function formatPointer(pointer: Pointer, trackedName: string): string {
  const lines = [
    `# Tracked by Cairn. The content of ${trackedName} is stored by hash; \`cairn checkout\` restores it.`,
    `version: ${POINTER_VERSION}`,
    `type: ${pointer.type}`,
    `hash: ${pointer.hash}`,
    `size: ${pointer.size}`,
  ];
  if (pointer.type === 'directory') lines.push(`files: ${pointer.files}`);
  return `${lines.join('\n')}\n`;
}

/** Parses pointer text; `where` is the pointer file's path, used in every error message. */
export function parsePointer(text: string, where: string): Pointer {
  const fail = (why: string) =>
    errors.invalid(`${where}: ${why}`, {
      hint: 'restore the file from git (git checkout -- <file>) or track the data again with `cairn add`',
    });
  let value = parseSimpleYaml(text) as Record<string, unknown> | null | undefined;
  if (value === undefined) {
    // Not the plain form Cairn writes (hand-edited?): let the full YAML parser judge it.
    const doc = yamlLib().parseDocument(text);
    if (doc.errors.length > 0) throw fail(`not valid YAML (${doc.errors[0]?.message.split('\n')[0]})`);
    value = doc.toJS() as Record<string, unknown> | null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('not a Cairn pointer');
  if (value.version !== POINTER_VERSION)
    throw fail(`unsupported pointer version ${JSON.stringify(value.version)}`);
  const known = new Set(['version', 'type', 'hash', 'size', 'files']);
  const unknown = Object.keys(value).filter((k) => !known.has(k));
  if (unknown.length > 0) throw fail(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  if (!isDigest(value.hash))
    throw fail(
      `hash ${JSON.stringify(value.hash)} is not valid (expected sha256: and 64 lowercase hex digits)`,
    );
  if (typeof value.size !== 'number' || !Number.isSafeInteger(value.size) || value.size < 0)
    throw fail(`size ${JSON.stringify(value.size)} is not a non-negative integer`);
  if (value.type === 'file') return { type: 'file', hash: value.hash, size: value.size };
  if (value.type === 'directory') {
    if (typeof value.files !== 'number' || !Number.isSafeInteger(value.files) || value.files < 0)
      throw fail(`files ${JSON.stringify(value.files)} is not a non-negative integer`);
    return { type: 'directory', hash: value.hash, size: value.size, files: value.files };
  }
  throw fail(`type ${JSON.stringify(value.type)} is not "file" or "directory"`);
}

export async function readPointer(pointerPath: string, displayPath = pointerPath): Promise<Pointer> {
  let text: string;
  try {
    text = await readFile(pointerPath, 'utf8');
  } catch (err) {
    throw fromSystemError(err, displayPath);
  }
  return parsePointer(text, displayPath);
}

export async function writePointer(trackedPath: string, pointer: Pointer): Promise<void> {
  await writeFileAtomic(pointerPathFor(trackedPath), formatPointer(pointer, basename(trackedPath)));
}
