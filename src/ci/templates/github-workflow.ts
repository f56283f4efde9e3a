import { DEPLOY_NOTE, type WorkflowSettings } from './workflow-settings.ts';

const q = (s: string) => (/^[\w./@-]+$/.test(s) ? s : JSON.stringify(s));

/**
 * The GitHub Actions workflow `cairn ci init --github` writes: on a pull request, install, pull,
 * run, gate, report and comment, failing on a failed gate; on a push to the default branch,
 * register the model, gate the version and promote it (gates enforced). Cairn's cache directory
 * is kept between runs by actions/cache.
 */
export function githubWorkflow(s: WorkflowSettings): string {
  const gate = s.gate ? ` --gate ${q(s.gate)}` : '';
  return `# Written by \`cairn ci init --github\`: see docs/ci-cd.md. Edit freely.
# Secrets: the remote's credentials (CAIRN_S3_ACCESS_KEY_ID, CAIRN_S3_SECRET_ACCESS_KEY) and, for
# the registry server of the release job, CAIRN_TRACKING_TOKEN; the repository variable
# CAIRN_TRACKING_URI names that server. Pull requests use the job's own GITHUB_TOKEN.
name: cairn

on:
  pull_request:
  push:
    branches: [${q(s.defaultBranch)}]

permissions:
  contents: read

concurrency:
  group: cairn-\${{ github.workflow }}-\${{ github.ref }}
  cancel-in-progress: true

env:
  CAIRN_CACHE_DIR: .cairn/cache
  CAIRN_S3_ACCESS_KEY_ID: \${{ secrets.CAIRN_S3_ACCESS_KEY_ID }}
  CAIRN_S3_SECRET_ACCESS_KEY: \${{ secrets.CAIRN_S3_SECRET_ACCESS_KEY }}

jobs:
  pull-request:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: ${q(s.node)}
          cache: npm
      - run: npm ci
      - name: Cairn cache
        uses: actions/cache@v4
        with:
          path: .cairn/cache
          key: cairn-\${{ runner.os }}-\${{ hashFiles('cairn.lock', '**/*.cairn') }}
          restore-keys: cairn-\${{ runner.os }}-
      - run: npx cairn pull
      - run: npx cairn run
      - name: Gate
        id: gate
        continue-on-error: true
        run: npx cairn gate ${q(s.modelDir)}${gate} --json > gate.json
      - name: Report
        run: npx cairn ci report --base origin/\${{ github.base_ref }} --gate-result gate.json --out report.md --junit gates.xml
      - name: Comment
        run: npx cairn ci comment report.md
        env:
          GITHUB_TOKEN: \${{ github.token }}
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: cairn-report
          path: |
            report.md
            gates.xml
            gate.json
      - name: Fail on a failed gate
        if: steps.gate.outcome == 'failure'
        run: exit 1

  release:
    if: github.event_name == 'push'
    runs-on: ubuntu-latest
    env:
      CAIRN_TRACKING_URI: \${{ vars.CAIRN_TRACKING_URI }}
      CAIRN_TRACKING_TOKEN: \${{ secrets.CAIRN_TRACKING_TOKEN }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: ${q(s.node)}
          cache: npm
      - run: npm ci
      - name: Cairn cache
        uses: actions/cache@v4
        with:
          path: .cairn/cache
          key: cairn-\${{ runner.os }}-\${{ hashFiles('cairn.lock', '**/*.cairn') }}
          restore-keys: cairn-\${{ runner.os }}-
      - run: npx cairn pull
      - name: Register
        run: |
          npx cairn models register ${q(s.modelDir)} --name ${q(s.modelName)} --json > version.json
          echo "VERSION=$(node -p "require('./version.json').version")" >> "$GITHUB_ENV"
      - name: Gate the version
        run: npx cairn gate "models:/${s.modelName}/$VERSION"${gate}
      - name: Promote
        run: npx cairn models promote ${q(s.modelName)} "$VERSION" --alias ${q(s.alias)}
      # ${DEPLOY_NOTE}
`;
}
