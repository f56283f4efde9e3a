/** What a workflow template needs to know about the project. */
export interface WorkflowSettings {
  /** The model package directory the pipeline writes (e.g. `models/income`). */
  modelDir: string;
  /** The registered model the release job registers it as. */
  modelName: string;
  /** The gate `cairn gate` runs (default: the one cairn.yaml picks). */
  gate?: string;
  /** The alias promotion moves (default `champion`). */
  alias: string;
  /** The default branch, whose pushes release (default `main`). */
  defaultBranch: string;
  /** Node.js major version the jobs install (default 24). */
  node: string;
}

/** Where `cairn ci init` writes each provider's workflow. */
export const WORKFLOW_FILES = {
  github: '.github/workflows/cairn.yml',
  gitlab: '.gitlab-ci.yml',
} as const;

/**
 * The step deployments add: `cairn deploy apply` (or `cairn deploy export` for Kubernetes) does
 * not exist yet, so the release jobs end with promotion and say so in a comment.
 */
export const DEPLOY_NOTE =
  'Deploy: `cairn deploy apply` (or `cairn deploy export` for Kubernetes) goes here once deployments land; see docs/ci-cd.md.';
