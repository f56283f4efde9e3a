import { type Command, Option } from 'commander';
import { dagDot, dagJson, dagMermaid } from '../../pipeline/definition/dag-formats.ts';
import { loadPipeline, PIPELINE_FILE } from '../../pipeline/definition/load-pipeline.ts';
import { pipelineSchemaText } from '../../pipeline/definition/pipeline-schema.ts';
import type { Pipeline } from '../../pipeline/pipeline-types.ts';
import { selectStages } from '../../pipeline/run/select-stages.ts';
import { table } from '../format.ts';
import type { CliSession } from '../session.ts';

const FORMATS = ['dot', 'mermaid', 'json'];

export function registerPipelineDefinition(program: Command, session: () => CliSession): void {
  program
    .command('dag')
    .description(`show the pipeline's stages in run order with the stages each one depends on`)
    .argument(
      '[stages...]',
      'show only these stages and what they depend on (a foreach / matrix name selects all its stages)',
    )
    .addOption(formatOption('dot', 'print Graphviz DOT (pipe it to `dot -Tsvg`)'))
    .addOption(formatOption('mermaid', 'print a Mermaid flowchart (renders in GitHub and GitLab Markdown)'))
    .addOption(formatOption('json', 'print nodes and edges as JSON'))
    .action(async (targets: string[], opts: { dot?: boolean; mermaid?: boolean; json?: boolean }) => {
      const s = session();
      const { root } = await s.config();
      const loaded = await loadPipeline(root);
      if (!loaded) {
        if (opts.json) return s.json({ nodes: [], edges: [] });
        return s.out(
          `No pipeline: ${PIPELINE_FILE} does not exist in ${root}. Declare stages in it (see docs/pipelines.md).`,
        );
      }
      const pipeline = targets.length > 0 ? restrict(loaded, selectStages(loaded, targets, false)) : loaded;
      if (opts.json) return s.json(dagJson(pipeline));
      if (opts.dot) return s.out(dagDot(pipeline));
      if (opts.mermaid) return s.out(dagMermaid(pipeline));
      if (pipeline.stages.length === 0) return s.out(`No stages in ${PIPELINE_FILE}.`);
      s.out(
        table(
          pipeline.stages.map((stage) => {
            const upstream = pipeline.upstream.get(stage.name) ?? [];
            return [stage.name, upstream.length > 0 ? `<- ${upstream.join(', ')}` : ''];
          }),
        ),
      );
    });

  program
    .command('schema')
    .description(
      `print the JSON Schema of ${PIPELINE_FILE}, for editors: # yaml-language-server: $schema=<file>`,
    )
    .action(() => {
      session().io.stdout.write(pipelineSchemaText());
    });
}

function formatOption(name: string, description: string): Option {
  return new Option(`--${name}`, description).conflicts(FORMATS.filter((f) => f !== name));
}

function restrict(pipeline: Pipeline, names: readonly string[]): Pipeline {
  const keep = new Set(names);
  return {
    stages: pipeline.stages.filter((s) => keep.has(s.name)),
    upstream: new Map([...pipeline.upstream].filter(([name]) => keep.has(name))),
    params: pipeline.params,
  };
}
