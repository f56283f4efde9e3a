// biome-ignore-all lint/suspicious/noTemplateCurlyInString: descriptions show cairn.yaml's ${…} syntax.
/**
 * The JSON Schema (draft 2020-12) of `cairn.yaml`, printed by `cairn schema` so that editors can
 * check and complete the file (`# yaml-language-server: $schema=<file>`). The loader stays the
 * authority — it also checks what a schema cannot (paths, params keys, cycles) — but everything the
 * loader accepts, this schema accepts too; a test holds the two together.
 */

const interpolation = {
  type: 'string',
  pattern: '^\\$\\{[^{}]+\\}$',
  description: 'A whole value taken from params.yaml or vars, keeping its type: ${name.key}',
};

const path = {
  type: 'string',
  minLength: 1,
  description: "A file or directory, relative to the stage's wdir; may use ${…}.",
};

// An optional key left empty (`deps:`) means the same as leaving it out.
const empty = { type: 'null' };

const pathList = (description: string) => ({
  description,
  anyOf: [{ type: 'array', items: { $ref: '#/$defs/path' } }, { $ref: '#/$defs/interpolation' }, empty],
});

const flag = (description: string) => ({
  description,
  anyOf: [{ type: 'boolean' }, { $ref: '#/$defs/interpolation' }],
});

const outputList = (description: string) => ({
  description,
  anyOf: [{ type: 'array', items: { $ref: '#/$defs/output' } }, { $ref: '#/$defs/interpolation' }, empty],
});

const stageFields = {
  cmd: {
    description:
      'The command to run with sh -c in wdir, or a list of commands run in order; ${…} is replaced.',
    anyOf: [
      { type: 'string', minLength: 1 },
      { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    ],
  },
  wdir: {
    type: ['string', 'null'],
    minLength: 1,
    description: "Working directory, relative to cairn.yaml's directory.",
  },
  desc: { type: ['string', 'null'], description: 'What the stage does (documentation only).' },
  queue: {
    description:
      'The task queue a distributed executor (cairn run --executor temporal://…) sends the stage to, e.g. gpu; ignored by the local executor.',
    anyOf: [
      { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$' },
      { $ref: '#/$defs/interpolation' },
      empty,
    ],
  },
  env: {
    description: 'Environment variables for the command.',
    anyOf: [
      {
        type: 'object',
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        additionalProperties: { type: ['string', 'number', 'boolean'] },
      },
      { $ref: '#/$defs/interpolation' },
      empty,
    ],
  },
  deps: pathList('Files and directories the command reads; a change to any of them reruns the stage.'),
  params: {
    description:
      'Params the stage depends on: keys of params.yaml (a.b, or a whole subtree a), or { file: [keys] } for another file ({ file: } for all of it).',
    anyOf: [
      {
        type: 'array',
        items: {
          anyOf: [
            { type: 'string', minLength: 1 },
            {
              type: 'object',
              minProperties: 1,
              additionalProperties: {
                anyOf: [
                  { type: 'null' },
                  { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
                  { $ref: '#/$defs/interpolation' },
                ],
              },
            },
          ],
        },
      },
      { $ref: '#/$defs/interpolation' },
      empty,
    ],
  },
  outs: outputList('Files and directories the command writes; cached by default.'),
  metrics: outputList('Metrics files (JSON or YAML) the command writes; not cached by default.'),
  plots: outputList('Plot data files the command writes; not cached by default.'),
};

/** The schema object. */
export const PIPELINE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'cairn.yaml',
  description:
    'A Cairn project: the pipeline stages, plus gates, deployments and monitors. See docs/pipelines.md.',
  type: 'object',
  additionalProperties: false,
  properties: {
    vars: {
      description:
        'Values for ${…} besides params.yaml: inline mappings, or YAML / JSON files (file.yaml, or file.yaml:key1,key2).',
      type: ['array', 'null'],
      items: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }] },
    },
    stages: {
      description: 'The pipeline: each key is a stage name (letters, digits, _, - and .).',
      type: ['object', 'null'],
      propertyNames: { pattern: '^[A-Za-z0-9_.-]+$' },
      additionalProperties: { $ref: '#/$defs/stage' },
    },
    gates: reserved('Quality gates a model version must pass before an alias moves to it.'),
    deployments: reserved('Serving endpoints and their rollout (canary, A/B, shadow).'),
    monitors: reserved('Drift, data-quality and performance checks on deployments.'),
  },
  $defs: {
    interpolation,
    path,
    output: {
      description: 'A path, or a mapping of one path to its options.',
      anyOf: [
        { $ref: '#/$defs/path' },
        {
          type: 'object',
          minProperties: 1,
          maxProperties: 1,
          additionalProperties: {
            anyOf: [
              { type: 'null' },
              {
                type: 'object',
                additionalProperties: false,
                properties: {
                  cache: flag('Store the output in the cache and push it to remotes.'),
                  persist: flag(
                    'Keep the previous output in place while the stage runs instead of deleting it.',
                  ),
                },
              },
            ],
          },
        },
      ],
    },
    stageBody: {
      type: 'object',
      required: ['cmd'],
      additionalProperties: false,
      properties: stageFields,
    },
    stage: {
      description: 'A stage; with foreach / do or matrix, a family of stages named <stage>@<item>.',
      type: 'object',
      additionalProperties: false,
      properties: {
        ...stageFields,
        foreach: {
          description:
            'Repeat the stage in do for each item of a list (${item}; named <stage>@<item>) or mapping (${key}, ${item}; named <stage>@<key>).',
          anyOf: [{ type: 'array' }, { type: 'object' }, { $ref: '#/$defs/interpolation' }],
        },
        do: { $ref: '#/$defs/stageBody', description: 'The stage to repeat for each foreach item.' },
        matrix: {
          description:
            'Repeat the stage for every combination of the lists (${item.<name>}); named <stage>@<v1>-<v2>.',
          anyOf: [
            {
              type: 'object',
              minProperties: 1,
              additionalProperties: {
                anyOf: [{ type: 'array', minItems: 1 }, { $ref: '#/$defs/interpolation' }],
              },
            },
            { $ref: '#/$defs/interpolation' },
          ],
        },
      },
      if: { required: ['foreach'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword.
      then: { required: ['do'], propertyNames: { enum: ['foreach', 'do'] } },
      else: { required: ['cmd'], not: { required: ['do'] } },
    },
  },
} as const;

function reserved(what: string) {
  return {
    description: `${what} Defined by a later version of Cairn; accepted and not checked yet.`,
    type: ['object', 'null'],
    additionalProperties: true,
  };
}

/** The schema as `cairn schema` prints it. */
export function pipelineSchemaText(): string {
  return `${JSON.stringify(PIPELINE_SCHEMA, null, 2)}\n`;
}
