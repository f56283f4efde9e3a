import { appendFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../kernel/atomic-file.ts';
import { errors, isCairnError } from '../../kernel/errors.ts';
import type { GateResult } from '../../ml/gates/gate-result.ts';
import type { GateSubject } from '../../ml/gates/run-gate.ts';
import type { OnnxRuntime } from '../../ml/runtime/onnx-runtime.ts';
import { type GateDefinition, gateDataPath } from '../../pipeline/definition/gate-definitions.ts';
import { parseModelsUri } from '../../registry/registration/version-source.ts';
import type { RegistryStore } from '../../registry/registry-store.ts';
import { table } from '../format.ts';
import { type ModelSource, withModelSource } from '../model-source.ts';
import { actorName, type TargetOpts, withRegistry } from '../registry-target.ts';
import { ReportedFailure } from '../reported-failure.ts';
import type { CliSession } from '../session.ts';

interface GateOpts extends TargetOpts {
  gate?: string;
  summary?: string;
  na: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `cairn gate`: every rule of a gate of cairn.yaml on a model; exit 1 when one fails. */
export function registerGate(program: Command, session: () => CliSession): void {
  program
    .command('gate')
    .description('check a model against a gate of cairn.yaml; the result is recorded on the registry version')
    .argument('<model>', 'models:/<name>/<version>, models:/<name>@<alias>, or a model package directory')
    .option(
      '--gate <name>',
      "the gate (default: the one guarding the model's registered model, or the only one)",
    )
    .option(
      '--summary <file.md>',
      'write the result as Markdown for a pull-request comment (also appended to $GITHUB_STEP_SUMMARY when set)',
    )
    .option('--na <text>', 'text that marks a missing value in the gate’s CSV data (repeatable)', collect, [])
    .option(
      '--tracking-uri <uri>',
      'the registry (default: CAIRN_TRACKING_URI, MLFLOW_TRACKING_URI, then the workspace)',
    )
    .option(
      '--token <token>',
      'bearer token for a server (default: CAIRN_TRACKING_TOKEN, MLFLOW_TRACKING_TOKEN)',
    )
    .option('--json', 'print the whole result as JSON')
    .action(async (model: string, opts: GateOpts) => runGateCommand(session(), model, opts));
}

async function runGateCommand(s: CliSession, model: string, opts: GateOpts): Promise<void> {
  const { root } = await s.config();
  const { loadGates } = await import('../../pipeline/definition/gate-definitions.ts');
  const gates = await loadGates(root);
  const gate = pickGate(gates, model, opts.gate);
  const dataPath = gateDataPath(root, gate);
  const [{ readTable }, { sha256File }, { runGate }] = await Promise.all([
    import('../../ml/table/read-table.ts'),
    import('../../kernel/hashing.ts'),
    import('../../ml/gates/run-gate.ts'),
  ]);
  const { table: rows } = await readTable(dataPath, { naValues: opts.na });
  const data = { path: gate.data, digest: await sha256File(dataPath), rows: rows.rows };

  const result = await withModelSource(s, model, opts, async (candidate) => {
    const aliases = [
      ...new Set(
        gate.rules.flatMap((r) => (r.kind === 'relative' || r.kind === 'signature' ? [r.alias] : [])),
      ),
    ];
    const resolved = new Map<string, string | 'first-version'>();
    const lookUp = async (registry: RegistryStore) => {
      for (const alias of aliases) resolved.set(alias, await aliasVersion(registry, candidate, gate, alias));
    };
    if (aliases.length > 0)
      // A directory's champion is looked up in the registry the options name (the workspace's by default).
      await (candidate.opened
        ? lookUp(candidate.opened.registry)
        : withRegistry(s, opts, (r) => lookUp(r.registry)));
    return withSubjects(s, opts, candidate, gate.model, [...resolved], async (subjects) => {
      // Steps: the candidate's evaluation, each champion's, and the latency and invariance rules.
      const progress = s.progress(opts.json ?? false);
      const champions = [...subjects.aliases.values()].filter((a) => a !== 'first-version').length;
      const total =
        1 + champions + gate.rules.filter((r) => r.kind === 'latency' || r.kind === 'invariance').length;
      let done = 0;
      const gated = await runGate({
        gate,
        candidate: subjects.candidate,
        resolveAlias: async (alias) => subjects.aliases.get(alias) ?? 'first-version',
        table: rows,
        data,
        ...(progress
          ? { onStep: (phase: string) => progress({ phase, done: done++, total, unit: 'stages' }) }
          : {}),
      });
      if (candidate.version && candidate.opened)
        await candidate.opened.promotion.recordCheck(
          candidate.version.name,
          candidate.version.version,
          {
            kind: 'gate',
            gate: gate.name,
            passed: gated.passed,
            result: gated as unknown as Record<string, unknown>,
          },
          actorName(),
        );
      return gated;
    });
  });

  const markdown = (await import('../../ml/report/gate-summary.ts')).gateSummaryMarkdown(result);
  if (opts.summary) await writeFileAtomic(resolve(s.cwd, opts.summary), markdown);
  const stepSummary = s.io.env.GITHUB_STEP_SUMMARY;
  if (stepSummary) await appendFile(stepSummary, `${markdown}\n`);
  if (opts.json) s.json(result);
  else await printResult(s, result);
  if (!result.passed) throw new ReportedFailure();
}

/**
 * The gate named by --gate; else the one guarding the model's registered model (the one named
 * like the model when several do); else the only gate.
 */
function pickGate(gates: readonly GateDefinition[], model: string, name: string | undefined): GateDefinition {
  if (gates.length === 0)
    throw errors.invalid('cairn.yaml declares no gates', {
      hint: 'declare one under gates: (see docs/models.md)',
    });
  if (name !== undefined) {
    const found = gates.find((g) => g.name === name);
    if (!found)
      throw errors.invalid(`cairn.yaml has no gate named "${name}"`, {
        hint: `its gates: ${gates.map((g) => g.name).join(', ')}`,
      });
    return found;
  }
  if (model.startsWith('models:/')) {
    const registered = registeredName(model);
    const guarding = gates.filter((g) => g.model === registered);
    if (guarding.length === 1) return guarding[0] as GateDefinition;
    const named = guarding.find((g) => g.name === registered);
    if (named) return named;
    if (guarding.length > 1)
      throw errors.invalid(`several gates guard ${registered} (${guarding.map((g) => g.name).join(', ')})`, {
        hint: 'pick one with --gate',
      });
  }
  if (gates.length === 1) return gates[0] as GateDefinition;
  throw errors.invalid(`cairn.yaml has ${gates.length} gates and none guards ${model}`, {
    hint: `pick one with --gate (${gates.map((g) => g.name).join(', ')})`,
  });
}

function registeredName(model: string): string | undefined {
  try {
    const parsed = parseModelsUri(model);
    return 'name' in parsed ? (parsed.name as string) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The version `alias` of the gate's model names; `first-version` when no version holds it and the
 * model has no version but the candidate. Any other missing alias is an error naming it.
 */
async function aliasVersion(
  registry: RegistryStore,
  candidate: ModelSource,
  gate: GateDefinition,
  alias: string,
): Promise<string | 'first-version'> {
  const rule = gate.rules.find((r) => (r.kind === 'relative' || r.kind === 'signature') && r.alias === alias);
  const where = rule ? ` (rule "${rule.text}", cairn.yaml:${rule.line})` : '';
  try {
    return (await registry.getModelVersionByAlias(gate.model, alias)).version;
  } catch (err) {
    if (!(isCairnError(err) && (err.code === 'INVALID_ARGUMENT' || err.code === 'NOT_FOUND'))) throw err;
  }
  const others = (await versionsOf(registry, gate.model)).filter(
    (v) => !(candidate.version?.name === gate.model && candidate.version.version === v),
  );
  if (others.length === 0) return 'first-version';
  throw errors.notFound(`no version of ${gate.model} holds alias ${alias}${where}`, {
    hint: `point it at the version to compare with (cairn models promote ${gate.model} <version> --alias ${alias}), or drop the rule`,
  });
}

async function versionsOf(registry: RegistryStore, name: string): Promise<string[]> {
  try {
    await registry.getRegisteredModel(name);
  } catch (err) {
    if (isCairnError(err) && err.code === 'NOT_FOUND') return [];
    throw err;
  }
  const quoted = `'${name.replaceAll("'", "\\'")}'`;
  return (await registry.searchModelVersions({ filter: `name = ${quoted}`, max_results: 1000 })).items.map(
    (v) => v.version,
  );
}

/** Opens the candidate and the versions its aliases name in ONNX Runtime, runs `fn`, closes them. */
async function withSubjects<T>(
  s: CliSession,
  opts: GateOpts,
  candidate: ModelSource,
  gateModel: string,
  aliases: [string, string | 'first-version'][],
  fn: (subjects: {
    candidate: GateSubject;
    aliases: Map<string, GateSubject | 'first-version'>;
  }) => Promise<T>,
): Promise<T> {
  const { OnnxRuntime } = await import('../../ml/runtime/onnx-runtime.ts');
  const opened: OnnxRuntime[] = [];
  const open = async (source: ModelSource): Promise<GateSubject> => {
    const runtime = await OnnxRuntime.open(source.dir);
    opened.push(runtime);
    return {
      runtime,
      ref: source.ref,
      ...(source.version ? { version: { name: source.version.name, version: source.version.version } } : {}),
    };
  };
  const subjects = new Map<string, GateSubject | 'first-version'>();
  const step = async (i: number): Promise<T> => {
    const next = aliases[i];
    if (!next) return fn({ candidate: await open(candidate), aliases: subjects });
    const [alias, version] = next;
    if (version === 'first-version') {
      subjects.set(alias, version);
      return step(i + 1);
    }
    const model = gateModel;
    return withModelSource(s, `models:/${model}/${version}`, opts, async (source) => {
      subjects.set(alias, await open(source));
      return step(i + 1);
    });
  };
  try {
    return await step(0);
  } finally {
    for (const r of opened) await r.close();
  }
}

async function printResult(s: CliSession, r: GateResult): Promise<void> {
  const { gateTableRows, shownDetail } = await import('../../ml/report/gate-summary.ts');
  s.out(
    `gate ${r.gate} on ${r.model}: ${r.data.path} (${r.data.rows} rows)${r.champion ? `, champion ${r.champion.name}/${r.champion.version}` : ''}`,
  );
  s.out(table(gateTableRows(r)));
  for (const rule of r.rules) if (rule.detail && shownDetail(rule)) s.out(`  ${rule.rule}: ${rule.detail}`);
  const failed = r.rules.filter((x) => !x.passed).length;
  s.out(r.passed ? `PASSED: all ${r.rules.length} rules` : `FAILED: ${failed} of ${r.rules.length} rules`);
  if (r.version) s.out(`recorded on ${r.version.name}/${r.version.version}`);
  else
    s.out(
      'not recorded: a package directory is not a registry version (gate models:/<name>/<version> to record)',
    );
}
