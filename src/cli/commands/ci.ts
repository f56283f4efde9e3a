import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../kernel/atomic-file.ts';
import { errors } from '../../kernel/errors.ts';
import { gitSync } from '../../kernel/git.ts';
import type { CliSession } from '../session.ts';

interface ReportOpts {
  base?: string;
  baseline?: string;
  out?: string;
  junit?: string;
  gateResult: string[];
  reportsUrl?: string;
  trackingUri?: string;
  token?: string;
  json?: boolean;
}

interface CommentOpts {
  provider?: string;
  pr?: string;
  key?: string;
  json?: boolean;
}

interface InitOpts {
  github?: boolean;
  gitlab?: boolean;
  model?: string;
  name?: string;
  gate?: string;
  alias: string;
  branch: string;
  force?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `cairn ci report | comment | init`: CI/CD for models (docs/ci-cd.md). */
export function registerCi(program: Command, session: () => CliSession): void {
  const ci = program.command('ci').description('reports, pull-request comments and workflow files for CI');

  ci.command('report')
    .description('what this change does against a base commit or the registry: params, metrics, gates, data')
    .option(
      '--base <git-ref>',
      'the commit to compare with, e.g. origin/main (default: origin/HEAD, else main)',
    )
    .option(
      '--baseline <models-uri>',
      'compare with a registry version instead, e.g. models:/income@champion',
    )
    .option('--out <file.md>', 'write the Markdown here (default: print it)')
    .option('--junit <file.xml>', 'write the gate results as JUnit XML, one test case per rule')
    .option('--gate-result <file.json>', 'a result of cairn gate --json (repeatable)', collect, [])
    .option(
      '--reports-url <url>',
      "where the job publishes the pipeline's files: HTML reports are linked under it",
    )
    .option(
      '--tracking-uri <uri>',
      'the tracking server or store whose runs to link (default: CAIRN_TRACKING_URI, MLFLOW_TRACKING_URI, then the workspace)',
    )
    .option(
      '--token <token>',
      'bearer token for a server (default: CAIRN_TRACKING_TOKEN, MLFLOW_TRACKING_TOKEN)',
    )
    .option('--json', 'print the comparison as JSON')
    .action(async (opts: ReportOpts) => report(session(), opts));

  ci.command('comment')
    .description('create or update the one sticky comment of this pull / merge request')
    .argument('<report.md>', 'the Markdown to post (cairn ci report --out)')
    .option('--provider <name>', 'github or gitlab (default: the CI the job runs on)')
    .option('--pr <number>', 'the pull / merge request (default: from the job)')
    .option('--key <name>', 'tells several sticky comments on one request apart', 'report')
    .option('--json', 'print the outcome as JSON')
    .action(async (file: string, opts: CommentOpts) => comment(session(), file, opts));

  ci.command('init')
    .description('write a CI workflow: pull-request report and gate, release on the default branch')
    .option('--github', 'write .github/workflows/cairn.yml')
    .option('--gitlab', 'write .gitlab-ci.yml')
    .option(
      '--model <dir>',
      'the model package directory the pipeline writes (default: found among its outputs)',
    )
    .option('--name <model>', 'the registered model (default: the gate’s model, else the directory’s name)')
    .option('--gate <name>', 'the gate to run (default: the one cairn gate picks)')
    .option('--alias <alias>', 'the alias to promote to', 'champion')
    .option('--branch <name>', 'the default branch, whose pushes release', 'main')
    .option('--force', 'overwrite an existing workflow file')
    .action(async (opts: InitOpts) => init(session(), opts));
}

async function report(s: CliSession, opts: ReportOpts): Promise<void> {
  if (opts.base !== undefined && opts.baseline !== undefined)
    throw errors.invalid('--base and --baseline name two things to compare with; give one', {
      hint: '--base origin/main compares with a commit, --baseline models:/<name>@champion with a registry version',
    });
  if (opts.baseline !== undefined && !opts.baseline.startsWith('models:/'))
    throw errors.invalid(`--baseline ${opts.baseline} is not a models:/ URI`, {
      hint: 'write e.g. --baseline models:/income@champion',
    });
  const { root } = await s.config();
  const [
    { loadPipeline },
    { buildReport },
    { fitMarkdown, GITHUB_COMMENT_LIMIT },
    { datasetRows },
    { registrySide },
    registryTarget,
  ] = await Promise.all([
    import('../../pipeline/definition/load-pipeline.ts'),
    import('../../ci/report/build-report.ts'),
    import('../../ci/report/limits.ts'),
    import('../../ci/report/dataset-rows.ts'),
    import('../../ci/report/registry-side.ts'),
    import('../registry-target.ts'),
  ]);
  const pipeline = await loadPipeline(root);
  const ws = await s.workspace();
  const env = s.io.env;
  const built = await registryTarget.withRegistry(s, opts, async (r) => {
    const url = serverUrl(r.where);
    const base = opts.baseline
      ? { side: await registrySide(opts.baseline, r.registry, r.tracking, url) }
      : { ref: opts.base ?? defaultBase(root) };
    return buildReport({
      root,
      pipeline,
      base,
      gateFiles: opts.gateResult.map((f) => resolve(s.cwd, f)),
      tracking: { store: r.tracking, ...(url ? { serverUrl: url } : {}) },
      rows: datasetRows(ws.data),
      ...(opts.reportsUrl ? { reportsUrl: opts.reportsUrl } : {}),
    });
  });
  for (const f of built.content.missingGates)
    s.warn(`${f} holds no gate result (did cairn gate fail before writing it?)`);

  const fullUrl =
    env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `the job summary of ${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : env.CI_JOB_URL
        ? `the artifacts of ${env.CI_JOB_URL}`
        : undefined;
  let markdown = built.markdown;
  if (opts.out) {
    const out = resolve(s.cwd, opts.out);
    const full = out.replace(/(\.md)?$/, '.full.md');
    const fit = fitMarkdown(built.markdown, GITHUB_COMMENT_LIMIT - 64, {
      named: GITHUB_COMMENT_LIMIT,
      fullReport: fullUrl ?? basename(full),
    });
    markdown = fit.text;
    await mkdir(dirname(out), { recursive: true });
    if (fit.truncated) {
      await writeFileAtomic(full, built.markdown);
      s.warn(
        `the report is ${built.markdown.length.toLocaleString('en-US')} characters: ${opts.out} holds the first part, ${basename(full)} all of it`,
      );
    }
    await writeFileAtomic(out, markdown);
    if (env.GITHUB_STEP_SUMMARY) {
      const { STEP_SUMMARY_LIMIT } = await import('../../ci/report/limits.ts');
      const { appendFile } = await import('node:fs/promises');
      const summary = fitMarkdown(built.markdown, STEP_SUMMARY_LIMIT - 2, {
        unit: 'bytes',
        named: STEP_SUMMARY_LIMIT,
      });
      await appendFile(env.GITHUB_STEP_SUMMARY, `${summary.text}\n`);
    }
  }
  if (opts.junit) {
    const { gateResultsJunit } = await import('../../ci/report/junit.ts');
    const junit = resolve(s.cwd, opts.junit);
    await mkdir(dirname(junit), { recursive: true });
    await writeFileAtomic(junit, gateResultsJunit(built.gates));
  }
  if (opts.json)
    s.json({
      base: built.content.base.label,
      head: built.content.head.label,
      ...built.comparison,
      gates: built.gates.map((g) => ({ gate: g.gate, model: g.model, passed: g.passed })),
    });
  else if (!opts.out) s.out(markdown);
  else s.out(`wrote ${opts.out}${opts.junit ? ` and ${opts.junit}` : ''}`);
}

/** The server a registry target talks to, when it is one (`where` is its URL). */
function serverUrl(where: string): string | undefined {
  return /^https?:\/\//i.test(where) ? where : undefined;
}

/** origin/HEAD's branch when the clone knows it, else origin/main, else main. */
function defaultBase(root: string): string {
  return gitDefault(root) ?? 'origin/main';
}

function gitDefault(root: string): string | undefined {
  return (
    gitSync(root, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'])?.trim() || undefined
  );
}

async function comment(s: CliSession, file: string, opts: CommentOpts): Promise<void> {
  const { CI_PROVIDERS, detectProvider } = await import('../../ci/comment/ci-environment.ts');
  const provider = opts.provider ?? detectProvider(s.io.env);
  if (provider === undefined)
    throw errors.invalid('cannot tell which CI this is: neither GITHUB_ACTIONS nor GITLAB_CI is set', {
      hint: 'pass --provider github or --provider gitlab',
    });
  if (!(CI_PROVIDERS as readonly string[]).includes(provider))
    throw errors.invalid(`--provider ${provider} is not supported`, {
      hint: `use ${CI_PROVIDERS.join(' or ')}`,
    });
  let number: number | undefined;
  if (opts.pr !== undefined) {
    number = Number(opts.pr);
    if (!Number.isInteger(number) || number <= 0)
      throw errors.invalid(`--pr ${opts.pr} is not a pull / merge request number`, {
        hint: 'write e.g. --pr 12',
      });
  }
  let markdown: string;
  try {
    markdown = await readFile(resolve(s.cwd, file), 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw errors.invalid(`${file} ${e.code === 'ENOENT' ? 'does not exist' : `cannot be read (${e.code})`}`, {
      hint: 'write it first: cairn ci report --out report.md',
    });
  }
  const { postReport } = await import('../../ci/comment/post-report.ts');
  const result = await postReport(markdown, {
    provider: provider as 'github' | 'gitlab',
    env: s.io.env,
    ...(number !== undefined ? { number } : {}),
    ...(opts.key ? { key: opts.key } : {}),
  });
  if (result.skipped) {
    s.warn(result.skipped);
    if (result.printToLog && !opts.json) s.out(markdown);
  }
  if (opts.json) return s.json(result);
  if (result.comment)
    s.out(
      `${result.comment.action} the report comment on ${result.where}${result.truncated ? ' (cut to the provider’s limit)' : ''}${
        result.comment.removed.length > 0 ? `; removed ${result.comment.removed.length} duplicate(s)` : ''
      }`,
    );
}

async function init(s: CliSession, opts: InitOpts): Promise<void> {
  if (Boolean(opts.github) === Boolean(opts.gitlab))
    throw errors.invalid(
      opts.github ? 'give one of --github and --gitlab, not both' : 'name the CI: --github or --gitlab',
      {
        hint: 'cairn ci init --github writes .github/workflows/cairn.yml; --gitlab writes .gitlab-ci.yml',
      },
    );
  const provider = opts.github ? 'github' : 'gitlab';
  const { root } = await s.config();
  const [{ WORKFLOW_FILES }, { loadPipeline }, { loadGates }] = await Promise.all([
    import('../../ci/templates/workflow-settings.ts'),
    import('../../pipeline/definition/load-pipeline.ts'),
    import('../../pipeline/definition/gate-definitions.ts'),
  ]);
  const target = join(root, WORKFLOW_FILES[provider]);
  if (existsSync(target) && !opts.force)
    throw errors.exists(`${WORKFLOW_FILES[provider]} exists already`, {
      hint: 'pass --force to overwrite it, or edit it by hand (docs/ci-cd.md shows the steps)',
    });
  const pipeline = await loadPipeline(root);
  const modelDir = opts.model ?? findModelDir(root, pipeline);
  if (!modelDir)
    throw errors.invalid('no output of cairn.yaml is a model package (a directory with an MLmodel file)', {
      hint: 'name it: cairn ci init --github --model models/<name> (run cairn run first, or pass the directory the pipeline writes)',
    });
  const gates = await loadGates(root);
  const gate = opts.gate
    ? gates.find((g) => g.name === opts.gate)
    : gates.length === 1
      ? gates[0]
      : undefined;
  if (opts.gate && !gate)
    throw errors.invalid(`cairn.yaml has no gate named "${opts.gate}"`, {
      hint:
        gates.length > 0
          ? `its gates: ${gates.map((g) => g.name).join(', ')}`
          : 'declare one under gates: (docs/models.md)',
    });
  const settings = {
    modelDir,
    modelName: opts.name ?? gate?.model ?? basename(modelDir),
    ...(opts.gate ? { gate: opts.gate } : {}),
    alias: opts.alias,
    defaultBranch: opts.branch,
    node: '24',
  };
  const text =
    provider === 'github'
      ? (await import('../../ci/templates/github-workflow.ts')).githubWorkflow(settings)
      : (await import('../../ci/templates/gitlab-ci.ts')).gitlabCi(settings);
  await mkdir(dirname(target), { recursive: true });
  await writeFileAtomic(target, text);
  s.out(
    `wrote ${WORKFLOW_FILES[provider]} (model ${settings.modelDir} as ${settings.modelName}, alias ${settings.alias})`,
  );
  s.warn(
    'the release job registers, gates and promotes; deploying (cairn deploy apply) is added once deployments land',
  );
}

/** The first output of the pipeline that is a model package directory (holds an MLmodel file). */
function findModelDir(
  root: string,
  pipeline: import('../../pipeline/pipeline-types.ts').Pipeline | undefined,
): string | undefined {
  for (const stage of pipeline?.stages ?? [])
    for (const out of stage.outs) if (existsSync(join(root, out.path, 'MLmodel'))) return out.path;
  return undefined;
}
