import { DEPLOY_NOTE, type WorkflowSettings } from './workflow-settings.ts';

const q = (s: string) => (/^[\w./@-]+$/.test(s) ? s : JSON.stringify(s));

/**
 * The GitLab CI pipeline `cairn ci init --gitlab` writes: a merge-request job (pull, run, gate,
 * report, note; failing on a failed gate) and a release job on the default branch (register,
 * gate the version, promote). Cairn's cache directory is GitLab's cache between pipelines.
 */
export function gitlabCi(s: WorkflowSettings): string {
  const gate = s.gate ? ` --gate ${q(s.gate)}` : '';
  return `# Written by \`cairn ci init --gitlab\`: see docs/ci-cd.md. Edit freely.
# CI/CD variables (masked): the remote's credentials (CAIRN_S3_ACCESS_KEY_ID,
# CAIRN_S3_SECRET_ACCESS_KEY); GITLAB_TOKEN, a project access token with the api scope, for the
# merge-request note (GitLab's CI_JOB_TOKEN may not write notes); CAIRN_TRACKING_URI and
# CAIRN_TRACKING_TOKEN for the registry server of the release job.
image: node:${q(s.node)}

variables:
  CAIRN_CACHE_DIR: .cairn/cache
  GIT_DEPTH: "0"

cache:
  - key:
      files: [cairn.lock]
    paths: [.cairn/cache]
  - key:
      files: [package-lock.json]
    paths: [.npm]

workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == ${JSON.stringify(s.defaultBranch)}

merge-request:
  stage: test
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script:
    - npm ci --cache .npm --prefer-offline
    - npx cairn pull
    - npx cairn run
    - npx cairn gate ${q(s.modelDir)}${gate} --json > gate.json || touch gate.failed
    - git fetch --no-tags origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
    - npx cairn ci report --base "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" --gate-result gate.json --out report.md --junit gates.xml
    - npx cairn ci comment report.md
    - test ! -f gate.failed
  artifacts:
    when: always
    paths: [report.md, gate.json]
    reports:
      junit: gates.xml

release:
  stage: deploy
  rules:
    - if: $CI_COMMIT_BRANCH == ${JSON.stringify(s.defaultBranch)}
  script:
    - npm ci --cache .npm --prefer-offline
    - npx cairn pull
    - npx cairn models register ${q(s.modelDir)} --name ${q(s.modelName)} --json > version.json
    - export VERSION=$(node -p "require('./version.json').version")
    - npx cairn gate "models:/${s.modelName}/$VERSION"${gate}
    - npx cairn models promote ${q(s.modelName)} "$VERSION" --alias ${q(s.alias)}
    # ${DEPLOY_NOTE}
`;
}
