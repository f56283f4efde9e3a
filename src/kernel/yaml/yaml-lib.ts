import { createRequire } from 'node:module';

let lib: typeof import('yaml') | undefined;

/**
 * The `yaml` package, loaded on first use. Most of what Cairn reads is plain block YAML that
 * block-yaml.ts parses without it, and loading it costs about 30 ms of every command's start-up.
 */
export function yamlLib(): typeof import('yaml') {
  lib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return lib;
}
