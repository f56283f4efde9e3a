import { hostname } from 'node:os';
import type { GateResult, RuleOutcome } from '../../ml/gates/gate-result.ts';
import { formatMetric } from '../../ml/report/html-text.ts';

/** XML 1.0 allows no control characters but tab, newline and carriage return. */
function xmlChars(s: string): string {
  return [...s].filter((c) => c.charCodeAt(0) >= 32 || c === '\t' || c === '\n' || c === '\r').join('');
}

function attr(text: string): string {
  return xmlChars(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;');
}

function text(s: string): string {
  return xmlChars(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function failureMessage(r: RuleOutcome): string {
  const value = r.value === undefined ? 'undefined' : formatMetric(r.value);
  return `${value} is not ${r.threshold}${r.champion !== undefined ? ` (champion ${formatMetric(r.champion)})` : ''}`;
}

/**
 * Gate results as JUnit XML, in the shape of Ant's JUnit schema that Jenkins, GitLab, GitHub
 * test reporters and Buildkite read: one `<testsuite>` per gate, one `<testcase>` per rule, a
 * `<failure>` for each rule that failed (its message: the value against the threshold; its
 * text: why).
 */
export function gateResultsJunit(results: readonly GateResult[], at = new Date()): string {
  const stamp = at.toISOString().slice(0, 19);
  const host = attr(hostname() || 'localhost');
  const failures = results.reduce((n, r) => n + r.rules.filter((x) => !x.passed).length, 0);
  const tests = results.reduce((n, r) => n + r.rules.length, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cairn gates" tests="${tests}" failures="${failures}" errors="0" time="0">`,
  ];
  results.forEach((result, id) => {
    const failed = result.rules.filter((r) => !r.passed).length;
    lines.push(
      `  <testsuite name="gate ${attr(result.gate)}" package="cairn.gates" id="${id}" timestamp="${stamp}" hostname="${host}" tests="${result.rules.length}" failures="${failed}" errors="0" skipped="0" time="0">`,
      '    <properties>',
      `      <property name="model" value="${attr(result.model)}"/>`,
      `      <property name="data" value="${attr(`${result.data.path} (${result.data.rows} rows, ${result.data.digest})`)}"/>`,
      ...(result.champion
        ? [
            `      <property name="champion" value="${attr(`models:/${result.champion.name}/${result.champion.version} (@${result.champion.alias})`)}"/>`,
          ]
        : []),
      '    </properties>',
    );
    for (const rule of result.rules) {
      const open = `    <testcase classname="cairn.gate.${attr(result.gate)}" name="${attr(rule.rule)}" time="0"`;
      if (rule.passed) lines.push(`${open}/>`);
      else
        lines.push(
          `${open}>`,
          `      <failure message="${attr(failureMessage(rule))}" type="gate rule">${text(
            `${rule.rule} (cairn.yaml:${rule.line}): ${failureMessage(rule)}${rule.detail ? `\n${rule.detail}` : ''}`,
          )}</failure>`,
          '    </testcase>',
        );
    }
    lines.push(
      `    <system-out>${text(`gate ${result.gate} ${result.passed ? 'passed' : 'failed'} on ${result.model}`)}</system-out>`,
      '    <system-err></system-err>',
      '  </testsuite>',
    );
  });
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
