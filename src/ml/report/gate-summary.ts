import type { GateResult, RuleOutcome } from '../gates/gate-result.ts';
import { formatMetric } from './html-text.ts';

/** The rows of the gate table: rule, value, threshold, champion's value, result. */
export function gateTableRows(result: GateResult): string[][] {
  return [
    ['RULE', 'VALUE', 'THRESHOLD', 'CHAMPION', 'RESULT'],
    ...result.rules.map((r) => [
      r.rule,
      valueText(r),
      r.threshold,
      r.champion === undefined ? '-' : formatMetric(r.champion),
      r.passed ? 'pass' : 'FAIL',
    ]),
  ];
}

function valueText(r: RuleOutcome): string {
  if (r.value === undefined) return r.passed ? '-' : 'undefined';
  return r.kind === 'latency' ? `${formatMetric(r.value)} ms` : formatMetric(r.value);
}

/** Markdown table cells: pipes escaped, one line. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/**
 * The gate's outcome as Markdown for a pull-request comment or a CI job summary: a headline that
 * says pass or fail, one table row per rule with what it measured against what, and a line on
 * the data and the champion. Details (why a rule failed) follow the table.
 */
export function gateSummaryMarkdown(result: GateResult): string {
  const failed = result.rules.filter((r) => !r.passed).length;
  const verdict = result.passed
    ? `✅ Gate \`${result.gate}\` passed`
    : `❌ Gate \`${result.gate}\` failed (${failed} of ${result.rules.length} rules)`;
  const lines = [
    `### ${verdict}: \`${cell(result.model)}\``,
    '',
    '| rule | value | threshold | champion | result |',
    '| --- | ---: | --- | ---: | --- |',
    ...result.rules.map(
      (r) =>
        `| \`${cell(r.rule)}\` | ${valueText(r)} | ${cell(r.threshold)} | ${r.champion === undefined ? '—' : formatMetric(r.champion)} | ${r.passed ? '✅ pass' : '❌ fail'} |`,
    ),
    '',
  ];
  const details = result.rules.filter((r) => r.detail !== undefined && shownDetail(r));
  if (details.length > 0) {
    for (const r of details) lines.push(`- \`${cell(r.rule)}\`: ${cell(r.detail as string)}`);
    lines.push('');
  }
  const champion = result.champion
    ? ` · champion: \`models:/${result.champion.name}/${result.champion.version}\` (@${result.champion.alias})`
    : '';
  lines.push(
    `Data: \`${cell(result.data.path)}\` (${result.data.rows} rows, \`${result.data.digest.slice(0, 'sha256:'.length + 12)}…\`), target \`${cell(result.target)}\`${champion} · ${result.evaluated_at}`,
    '',
  );
  return lines.join('\n');
}

/** Details worth a line: why a rule failed, the widest slice gap, and a rule passed for want of a champion. */
export function shownDetail(r: RuleOutcome): boolean {
  return !r.passed || r.kind === 'slice_gap' || (r.value === undefined && r.detail !== undefined);
}
