import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { MODEL_TASKS, type ModelPackage, type ModelTask } from '../../ml/package/package-types.ts';
import { readModelPackage } from '../../ml/package/read-package.ts';
import { hashModelPackage, type PackageFiles } from '../../registry/lineage/package-hash.ts';
import { localArtifactLocator } from '../../registry/registration/local-artifact-locator.ts';
import { formatBytes, table } from '../format.ts';
import { isModelUri, type ModelSource, withModelSource } from '../model-source.ts';
import type { TargetOpts } from '../registry-target.ts';
import type { CliSession } from '../session.ts';

interface ImportOpts {
  signatureFrom: string;
  target: string;
  task?: ModelTask;
  out?: string;
  overwrite?: boolean;
  na: string[];
  json?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `cairn model …`: one model package — inspect it, or import an ONNX file made elsewhere. */
export function registerModel(program: Command, session: () => CliSession): void {
  const model = program
    .command('model')
    .description('inspect a model package, or import an ONNX model made elsewhere');

  model
    .command('inspect')
    .description("a package's signature, outputs, metrics, params, lineage and content hash")
    .argument(
      '<package>',
      'a package directory, models:/<name>/<version>, models:/<name>@<alias>, or runs:/<run id>/<path>',
    )
    .option(
      '--tracking-uri <uri>',
      'registry for models:/ and runs:/ (default: CAIRN_TRACKING_URI, MLFLOW_TRACKING_URI, then the workspace)',
    )
    .option('--token <token>', 'bearer token for a server')
    .option('--json', 'print as JSON')
    .action(async (ref: string, opts: TargetOpts) => {
      const s = session();
      const report = await withModelSource(s, ref, opts, async (source) => {
        const pkg = await readModelPackage(source.dir);
        const hash = await hashModelPackage(localArtifactLocator(source.dir) as PackageFiles);
        return { source, pkg, hash };
      });
      const { source, pkg, hash } = report;
      if (opts.json)
        return s.json({
          ref,
          ...(isModelUri(ref) ? {} : { dir: source.dir }),
          ...(source.version
            ? {
                version: {
                  name: source.version.name,
                  version: source.version.version,
                  aliases: source.version.aliases,
                },
              }
            : {}),
          package_hash: hash?.digest,
          files: hash?.files,
          size: hash?.size,
          mlflow: { flavors: pkg.mlmodel.flavors, signature: pkg.mlmodel.signature },
          cairn: pkg.cairn,
        });
      printPackage(s, ref, source, pkg, hash);
    });

  model
    .command('import')
    .description(
      'make a model package from an ONNX file made elsewhere (skl2onnx, onnxmltools, torch.onnx, …)',
    )
    .argument('<model.onnx>', 'the ONNX file')
    .requiredOption(
      '--signature-from <data>',
      'a CSV or Parquet file with the input columns and the target (read with DuckDB)',
    )
    .requiredOption('--target <column>', 'the target column of that file')
    .addOption(
      new Option('--task <task>', 'default: classification when the graph gives class probabilities').choices(
        MODEL_TASKS,
      ),
    )
    .option('--out <dir>', 'the package directory (default: the ONNX file name without .onnx)')
    .option('--overwrite', 'replace a model package already at --out')
    .option('--na <text>', 'text that marks a missing value in the signature file (repeatable)', collect, [])
    .option('--json', 'print the result as JSON')
    .action(async (onnx: string, opts: ImportOpts) => {
      const s = session();
      const { importOnnxModel } = await import('../../ml/package/import-onnx.ts');
      const path = resolve(s.cwd, onnx);
      const out = resolve(s.cwd, opts.out ?? join(dirname(path), basename(path, extname(path))));
      const { dir, cairn } = await importOnnxModel({
        onnx: path,
        signatureFrom: resolve(s.cwd, opts.signatureFrom),
        target: opts.target,
        ...(opts.task ? { task: opts.task } : {}),
        out,
        overwrite: opts.overwrite ?? false,
        naValues: opts.na,
        warn: (message) => s.warn(message),
      });
      const hash = await hashModelPackage(localArtifactLocator(dir) as PackageFiles);
      if (opts.json) return s.json({ dir, package_hash: hash?.digest, cairn });
      s.out(
        `imported ${onnx} as a ${cairn.task} package: ${cairn.inputs.length} inputs, outputs ${cairn.outputs.map((o) => o.name).join(', ')}`,
      );
      s.out(`package  ${relative(s.cwd, dir) || '.'}  ${hash?.digest ?? ''}`);
    });
}

function printPackage(
  s: CliSession,
  ref: string,
  source: ModelSource,
  pkg: ModelPackage,
  hash: { digest: string; files: number; size: number } | undefined,
): void {
  const c = pkg.cairn;
  const rows: string[][] = [];
  const where = isModelUri(ref) ? ref : relative(s.cwd, source.dir) || '.';
  rows.push(['package', `${where}  (${hash?.files ?? 0} files, ${formatBytes(hash?.size ?? 0)})`]);
  rows.push(['hash', hash?.digest ?? '-']);
  if (source.version)
    rows.push([
      'version',
      `${source.version.name}/${source.version.version}${source.version.aliases.length ? ` (${source.version.aliases.join(', ')})` : ''}`,
    ]);
  const classes = c.classes
    ? ` (classes ${c.classes.join(', ')}${c.positive_class !== undefined ? `; positive ${c.positive_class}` : ''})`
    : '';
  rows.push(['model', `${c.model_kind} ${c.task} of ${c.target.name}${classes}`]);
  rows.push(['created', `${c.created_at} by cairn ${c.cairn_version}`]);
  s.out(table(rows));
  s.out('\ninputs');
  s.out(
    table([
      ['  NAME', 'TYPE', 'NULLABLE', 'CATEGORIES', 'SOURCE TYPE'],
      ...c.inputs.map((i) => [
        `  ${i.name}`,
        i.type,
        i.nullable ? 'yes' : 'no',
        i.categories ? String(i.categories.length) : '-',
        i.source_type ?? '-',
      ]),
    ]),
  );
  s.out('\noutputs');
  s.out(
    table([
      ['  NAME', 'TYPE', 'ROLE'],
      ...c.outputs.map((o) => [
        `  ${o.name}`,
        o.type,
        o.class !== undefined ? `${o.role} of ${o.class}` : o.role,
      ]),
    ]),
  );
  const metrics = Object.entries(c.metrics);
  s.out(`\nmetrics  ${metrics.length ? metrics.map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ') : '-'}`);
  s.out(
    `params   ${
      Object.entries(c.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '-'
    }`,
  );
  const l = c.lineage;
  s.out('lineage');
  s.out(`  run      ${l.run_id ?? '-'}`);
  for (const d of l.datasets)
    s.out(
      `  data     ${d.name}  ${d.digest}${d.rows !== undefined ? `  (${d.rows} rows${d.context ? `, ${d.context}` : ''})` : ''}`,
    );
  s.out(`  commit   ${l.git_commit ?? '-'}`);
  s.out(`  stage    ${l.stage ?? '-'}`);
}
