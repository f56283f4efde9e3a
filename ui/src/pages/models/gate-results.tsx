import { useQuery } from '@tanstack/react-query';
import { type VersionCheck, versionChecks } from '../../api/promotion.ts';
import { formatNumber, formatTime } from '../../components/format.ts';
import { ErrorMessage } from '../../components/status.tsx';

function GateResult({ check }: { check: VersionCheck }) {
  const rules = check.result.rules ?? [];
  const failed = rules.filter((r) => !r.passed).length;
  const id = `gate-${check.id}`;
  return (
    <section aria-labelledby={id} className="gate">
      <h3 id={id} className={check.passed ? 'ok' : 'error'}>
        {check.passed ? '✓' : '✗'} Gate <span className="mono">{check.gate}</span>{' '}
        {check.passed ? 'passed' : `failed (${failed} of ${rules.length} rules)`}
      </h3>
      <p className="muted small">
        {check.result.data ? (
          <>
            Data <span className="mono">{check.result.data.path}</span> (
            {check.result.data.rows.toLocaleString('en')} rows,{' '}
            <span className="mono">{check.result.data.digest.slice(0, 19)}…</span>)
          </>
        ) : null}
        {check.result.champion ? (
          <>
            {' '}
            · against @{check.result.champion.alias} (v{check.result.champion.version})
          </>
        ) : null}{' '}
        · {formatTime(check.created_at)} by {check.created_by}
      </p>
      <table className="data-table compact">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col" className="num">
              Value
            </th>
            <th scope="col">Threshold</th>
            <th scope="col" className="num">
              Champion
            </th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr key={`${r.line ?? ''}-${r.rule}`}>
              <th scope="row" className="mono">
                {r.rule}
                {r.detail && !r.passed ? <div className="muted small">{r.detail}</div> : null}
              </th>
              <td className="num">
                {r.value === undefined
                  ? 'undefined'
                  : `${formatNumber(r.value)}${r.kind === 'latency' ? ' ms' : ''}`}
              </td>
              <td className="mono">{r.threshold}</td>
              <td className="num">{r.champion === undefined ? '—' : formatNumber(r.champion)}</td>
              <td className={r.passed ? 'ok' : 'error'}>{r.passed ? 'pass' : 'fail'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Evaluation({ check }: { check: VersionCheck }) {
  const values = Object.entries(check.result.metrics?.values ?? {});
  const missing = Object.entries(check.result.metrics?.undefined ?? {});
  return (
    <section className="gate">
      <h3>
        Evaluation{' '}
        <span className="muted small">
          {formatTime(check.created_at)} by {check.created_by}
        </span>
      </h3>
      {values.length ? (
        <table className="data-table compact">
          <tbody>
            {values.map(([k, v]) => (
              <tr key={k}>
                <th scope="row" className="mono">
                  {k}
                </th>
                <td className="num">{formatNumber(v)}</td>
              </tr>
            ))}
            {missing.map(([k, why]) => (
              <tr key={k}>
                <th scope="row" className="mono">
                  {k}
                </th>
                <td className="muted">undefined: {why}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <pre className="artifact-text">{JSON.stringify(check.result, null, 2)}</pre>
      )}
    </section>
  );
}

/**
 * The gate results and evaluations recorded on a model version, newest gate result per gate
 * first, each rule with what it measured against what. Shown when the server records them.
 */
export function GateResults({ name, version }: { name: string; version: string }) {
  const checks = useQuery({
    queryKey: ['checks', name, version],
    queryFn: () => versionChecks(name, version),
  });
  if (checks.error) return <ErrorMessage error={checks.error} />;
  if (!checks.data?.length) return null;
  const latestGate = new Map<string, VersionCheck>();
  for (const c of checks.data)
    if (c.kind === 'gate' && c.gate && !latestGate.has(c.gate)) latestGate.set(c.gate, c);
  const evaluations = checks.data.filter((c) => c.kind === 'evaluation').slice(0, 3);
  return (
    <section aria-labelledby="gates-title" className="panel">
      <h2 id="gates-title">Gates and evaluations</h2>
      {[...latestGate.values()].map((c) => (
        <GateResult key={c.id} check={c} />
      ))}
      {evaluations.map((c) => (
        <Evaluation key={c.id} check={c} />
      ))}
    </section>
  );
}
