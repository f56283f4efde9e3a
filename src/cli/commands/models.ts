import type { Command } from 'commander';
import { errors } from '../../kernel/errors.ts';
import type { ModelLineage } from '../../registry/lineage/model-lineage.ts';
import type { RegistryStore } from '../../registry/registry-store.ts';
import type { ModelVersion, RegisteredModel } from '../../registry/registry-types.ts';
import { formatBytes, formatDuration, table } from '../format.ts';
import { type TargetOpts, withRegistry } from '../registry-target.ts';
import type { CliSession } from '../session.ts';
import { registerModelsRegister } from './models-register.ts';

const LIST_PAGE = 1000;

/**
 * `cairn models …`: the model registry of a Cairn (or MLflow) server when the tracking URI is
 * http(s) — `--tracking-uri`, CAIRN_TRACKING_URI, MLFLOW_TRACKING_URI — else the workspace's own
 * metadata store (or the sqlite/postgresql store the URI names).
 */
export function registerModels(program: Command, session: () => CliSession): void {
  const models = program
    .command('models')
    .description('list registered models, their versions, aliases and lineage');
  const target = (c: Command) =>
    c
      .option(
        '--tracking-uri <uri>',
        'registry to use: http(s)://server, sqlite:///…, postgresql://… (default: CAIRN_TRACKING_URI, MLFLOW_TRACKING_URI, then the workspace)',
      )
      .option(
        '--token <token>',
        'bearer token for a server (default: CAIRN_TRACKING_TOKEN, MLFLOW_TRACKING_TOKEN)',
      );

  target(models.command('list').description('list registered models with their latest versions and aliases'))
    .option('--filter <expr>', "MLflow filter, e.g. \"name LIKE 'churn%' and tags.team = 'growth'\"")
    .option('--json', 'print the models as JSON')
    .action(async (opts: TargetOpts & { filter?: string }) => {
      const s = session();
      const all = await withRegistry(s, opts, async ({ registry }) => {
        const out: RegisteredModel[] = [];
        let token: string | undefined;
        do {
          const page = await registry.searchRegisteredModels({
            max_results: LIST_PAGE,
            ...(opts.filter ? { filter: opts.filter } : {}),
            ...(token ? { page_token: token } : {}),
          });
          out.push(...page.items);
          token = page.next_page_token;
        } while (token);
        return out;
      });
      if (opts.json) return s.json(all);
      if (all.length === 0) return s.out('No registered models.');
      s.out(
        table([
          ['NAME', 'LATEST', 'ALIASES', 'UPDATED', 'DESCRIPTION'],
          ...all.map((m) => [
            m.name,
            latestOf(m),
            m.aliases.map((a) => `${a.alias}→${a.version}`).join(' ') || '-',
            when(m.last_updated_timestamp),
            clip(m.description ?? '', 40) || '-',
          ]),
        ]),
      );
    });

  target(models.command('show').description('show a registered model and its versions, or one version'))
    .argument('<name[/version]>', 'a model, or one of its versions as name/version (name@alias works too)')
    .option('--json', 'print as JSON')
    .action(async (ref: string, opts: TargetOpts) => {
      const s = session();
      const parsed = parseRef(ref, false);
      await withRegistry(s, opts, async ({ registry }) => {
        if (parsed.version === undefined && parsed.alias === undefined) {
          const model = await registry.getRegisteredModel(parsed.name);
          const versions = await allVersions(registry, parsed.name);
          if (opts.json) return s.json({ ...model, versions });
          return printModel(s, model, versions);
        }
        const version = await versionOf(registry, parsed);
        if (opts.json) return s.json(version);
        printVersion(s, version);
      });
    });

  registerModelsRegister(models, target, session);

  const alias = models.command('alias').description('point aliases (champion, challenger, …) at versions');
  target(alias.command('set').description('point an alias at a version, moving it if it pointed elsewhere'))
    .argument('<name>')
    .argument('<alias>')
    .argument('<version>')
    .option('--json', 'print the version the alias now names as JSON')
    .action(async (name: string, aliasName: string, version: string, opts: TargetOpts) => {
      const s = session();
      const mv = await withRegistry(s, opts, async ({ registry }) => {
        await registry.setRegisteredModelAlias(name, aliasName, version);
        return registry.getModelVersionByAlias(name, aliasName);
      });
      if (opts.json) return s.json(mv);
      s.out(`${name}@${aliasName} → version ${mv.version}`);
    });
  target(alias.command('delete').description('remove an alias (the version stays)'))
    .argument('<name>')
    .argument('<alias>')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, aliasName: string, opts: TargetOpts) => {
      const s = session();
      await withRegistry(s, opts, ({ registry }) => registry.deleteRegisteredModelAlias(name, aliasName));
      if (opts.json) return s.json({ name, alias: aliasName, deleted: true });
      s.out(`deleted alias ${name}@${aliasName}`);
    });

  target(
    models
      .command('lineage')
      .description("a version's lineage: run → datasets → commit → lock entry → package hash"),
  )
    .argument('<name/version>', 'the version, as name/version or name@alias')
    .option('--verify', 'hash the package files again and compare with the recorded hash')
    .option('--json', 'print the lineage as JSON')
    .action(async (ref: string, opts: TargetOpts & { verify?: boolean }) => {
      const s = session();
      const parsed = parseRef(ref, true);
      const lineage = await withRegistry(s, opts, async (opened) => {
        const version = parsed.version ?? (await versionOf(opened.registry, parsed)).version;
        return opened.lineage(parsed.name, version, opts.verify ?? false);
      });
      if (opts.json) return s.json(lineage);
      printLineage(s, lineage);
      if (lineage.package.verified === false) {
        s.io.stderr.write('error: the package files no longer match the recorded hash\n');
        process.exitCode = 1;
      }
    });
}

function parseRef(ref: string, needVersion: boolean): { name: string; version?: string; alias?: string } {
  const at = ref.lastIndexOf('@');
  if (at > 0) return { name: ref.slice(0, at), alias: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  if (slash > 0 && /^\d+$/.test(ref.slice(slash + 1)))
    return { name: ref.slice(0, slash), version: ref.slice(slash + 1) };
  if (needVersion)
    throw errors.invalid(`expected <name>/<version> or <name>@<alias>, got ${JSON.stringify(ref)}`, {
      hint: 'e.g. cairn models lineage churn/3',
    });
  return { name: ref };
}

function versionOf(registry: RegistryStore, ref: { name: string; version?: string; alias?: string }) {
  return ref.alias !== undefined
    ? registry.getModelVersionByAlias(ref.name, ref.alias)
    : registry.getModelVersion(ref.name, ref.version as string);
}

async function allVersions(registry: RegistryStore, name: string): Promise<ModelVersion[]> {
  const quoted = `'${name.replaceAll("'", "\\'")}'`;
  const out: ModelVersion[] = [];
  let token: string | undefined;
  do {
    const page = await registry.searchModelVersions({
      filter: `name = ${quoted}`,
      order_by: ['version_number DESC'],
      ...(token ? { page_token: token } : {}),
    });
    out.push(...page.items);
    token = page.next_page_token;
  } while (token);
  return out;
}

function latestOf(m: RegisteredModel): string {
  const max = Math.max(0, ...m.latest_versions.map((v) => Number(v.version)));
  return max === 0 ? '-' : String(max);
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}

function clip(text: string, width: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > width ? `${one.slice(0, width - 1)}…` : one;
}

function printModel(s: CliSession, m: RegisteredModel, versions: ModelVersion[]): void {
  const lines = [
    `${m.name}`,
    `  created  ${when(m.creation_timestamp)}   updated ${when(m.last_updated_timestamp)}`,
  ];
  if (m.description) lines.push(`  ${m.description}`);
  if (m.aliases.length > 0)
    lines.push(`  aliases  ${m.aliases.map((a) => `${a.alias}→${a.version}`).join(', ')}`);
  if (m.tags.length > 0) lines.push(`  tags     ${m.tags.map((t) => `${t.key}=${t.value}`).join(', ')}`);
  s.out(lines.join('\n'));
  if (versions.length === 0) {
    s.out('\nNo versions yet.');
    return;
  }
  s.out('');
  s.out(
    table([
      ['VERSION', 'STAGE', 'ALIASES', 'CREATED', 'RUN', 'PACKAGE', 'SOURCE'],
      ...versions.map((v) => [
        v.version,
        v.current_stage,
        v.aliases.join(',') || '-',
        when(v.creation_timestamp),
        v.run_id ? v.run_id.slice(0, 8) : '-',
        shortHash(v.tags.find((t) => t.key === 'cairn.package_hash')?.value),
        v.source,
      ]),
    ]),
  );
}

function printVersion(s: CliSession, v: ModelVersion): void {
  const rows: [string, string][] = [
    ['version', `${v.name}/${v.version}`],
    ['stage', v.current_stage],
    ['aliases', v.aliases.join(', ') || '-'],
    ['status', v.status],
    ['source', v.source],
    ['run', v.run_id ?? '-'],
    ['created', when(v.creation_timestamp)],
    ['updated', when(v.last_updated_timestamp)],
  ];
  if (v.description) rows.push(['description', v.description]);
  for (const t of v.tags) rows.push([`tag ${t.key}`, clip(t.value, 100)]);
  s.out(table(rows.map(([k, val]) => [k, val])));
}

function shortHash(hash: string | undefined): string {
  return hash ? `${hash.slice(0, 'sha256:'.length + 12)}…` : '-';
}

function printLineage(s: CliSession, l: ModelLineage): void {
  const v = l.model_version;
  const lines = [
    `model version ${v.name}/${v.version}  (${v.current_stage}${v.aliases.length ? `, aliases ${v.aliases.join(', ')}` : ''})`,
    `  source      ${v.source}${v.download_uri !== v.source ? `\n  files at    ${v.download_uri}` : ''}`,
  ];
  if (l.logged_model)
    lines.push(
      `  logged model ${l.logged_model.model_id}${l.logged_model.found ? ` (${l.logged_model.name})` : ' (not found)'}`,
    );
  if (!l.run) lines.push('  run         - (no run recorded)');
  else if (!l.run.found) lines.push(`  run         ${l.run.run_id} (not found in the tracking store)`);
  else
    lines.push(
      `  run         ${l.run.run_id} "${l.run.run_name}" (${l.run.status}, experiment ${l.run.experiment_id})`,
    );
  if (l.datasets.length === 0) lines.push('  datasets    -');
  for (const [i, d] of l.datasets.entries())
    lines.push(`  ${i === 0 ? 'datasets   ' : '           '} ${d.name}  ${d.digest}`);
  lines.push(`  commit      ${l.git_commit ?? '-'}`);
  if (!l.lock_entry) lines.push('  lock entry  - (not a cairn run)');
  else {
    const e = l.lock_entry;
    lines.push(
      `  lock entry  ${e.command ?? 'cairn run'}${e.params_overrides ? `  (set ${e.params_overrides})` : ''}`,
    );
    for (const [stage, st] of Object.entries(e.stages))
      lines.push(
        `                stage ${stage}: ${st.status ?? '?'}${st.duration_ms !== undefined ? ` in ${formatDuration(st.duration_ms)}` : ''}`,
      );
    for (const [path, hash] of Object.entries(e.outputs))
      lines.push(`                output ${path}  ${hash}`);
  }
  const p = l.package;
  const check =
    p.verified === true ? ' ✓ verified' : p.verified === false ? ' ✗ DOES NOT MATCH the files' : '';
  const size = p.files !== undefined ? ` (${p.files} files, ${formatBytes(p.size ?? 0)})` : '';
  lines.push(
    `  package     ${p.hash ?? '- (files not readable by the server at registration)'}${size}${check}`,
  );
  s.out(lines.join('\n'));
}
