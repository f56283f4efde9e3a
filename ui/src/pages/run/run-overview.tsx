import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { metricSummaries, type Run, type Tag } from '../../api/runs.ts';
import { formatDuration, formatNumber, formatTime } from '../../components/format.ts';
import { ErrorMessage, Loading } from '../../components/status.tsx';

function tagValue(tags: Tag[], key: string): string | undefined {
  return tags.find((t) => t.key === key)?.value;
}

function KeyValues({ title, rows, empty }: { title: string; rows: [string, string][]; empty: string }) {
  const [text, setText] = useState('');
  const shown = text ? rows.filter(([k, v]) => `${k} ${v}`.toLowerCase().includes(text.toLowerCase())) : rows;
  const id = `kv-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section aria-labelledby={id} className="panel">
      <div className="panel-head">
        <h2 id={id}>
          {title} <span className="muted">({rows.length})</span>
        </h2>
        {rows.length > 8 ? (
          <label>
            <span className="visually-hidden">Find in {title.toLowerCase()}</span>
            <input type="search" placeholder="Find" value={text} onChange={(e) => setText(e.target.value)} />
          </label>
        ) : null}
      </div>
      {rows.length === 0 ? <p className="muted">{empty}</p> : null}
      {shown.length > 0 ? (
        <table className="data-table compact">
          <tbody>
            {shown.map(([k, v]) => (
              <tr key={k}>
                <th scope="row" className="mono">
                  {k}
                </th>
                <td className="mono wrap">{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Metrics({ runId }: { runId: string }) {
  const summaries = useQuery({
    queryKey: ['metric-summaries', runId],
    queryFn: () => metricSummaries(runId),
  });
  return (
    <section aria-labelledby="metrics-title" className="panel">
      <h2 id="metrics-title">
        Metrics <span className="muted">({summaries.data?.length ?? '…'})</span>
      </h2>
      {summaries.isPending ? <Loading what="metrics" /> : null}
      {summaries.error ? <ErrorMessage error={summaries.error} /> : null}
      {summaries.data?.length === 0 ? <p className="muted">No metrics logged.</p> : null}
      {summaries.data?.length ? (
        <div className="table-scroll">
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col" className="num">
                  Last
                </th>
                <th scope="col" className="num">
                  Min
                </th>
                <th scope="col" className="num">
                  Max
                </th>
                <th scope="col" className="num">
                  Values
                </th>
                <th scope="col" className="num">
                  Last step
                </th>
              </tr>
            </thead>
            <tbody>
              {summaries.data.map((m) => (
                <tr key={m.key}>
                  <th scope="row" className="mono">
                    {m.key}
                  </th>
                  <td className="num">{formatNumber(m.last)}</td>
                  <td className="num">{formatNumber(m.min)}</td>
                  <td className="num">{formatNumber(m.max)}</td>
                  <td className="num">{m.count.toLocaleString('en')}</td>
                  <td className="num">{m.step.toLocaleString('en')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** What `cairn run` recorded: the stages with status and duration, the commit and outputs. */
function Pipeline({ tags }: { tags: Tag[] }) {
  const stages = new Map<string, { status?: string; duration?: number }>();
  for (const t of tags) {
    const m = /^cairn\.stage\.(.+)\.(status|duration_ms)$/.exec(t.key);
    if (!m?.[1]) continue;
    const stage = stages.get(m[1]) ?? {};
    if (m[2] === 'status') stage.status = t.value;
    else stage.duration = Number(t.value);
    stages.set(m[1], stage);
  }
  const outputs = tags.filter((t) => t.key.startsWith('cairn.output.'));
  const commit = tagValue(tags, 'mlflow.source.git.commit');
  const branch = tagValue(tags, 'mlflow.source.git.branch');
  const dirty = tagValue(tags, 'cairn.git.dirty');
  const command = tagValue(tags, 'cairn.command');
  if (!stages.size && !commit && !command) return null;
  return (
    <section aria-labelledby="pipeline-title" className="panel">
      <h2 id="pipeline-title">Pipeline</h2>
      <dl className="facts">
        {command ? (
          <>
            <dt>Command</dt>
            <dd className="mono">{command}</dd>
          </>
        ) : null}
        {commit ? (
          <>
            <dt>Commit</dt>
            <dd className="mono">
              {commit}
              {branch ? ` (${branch})` : ''}
              {dirty === 'true' ? ' with uncommitted changes' : ''}
            </dd>
          </>
        ) : null}
      </dl>
      {stages.size ? (
        <table className="data-table compact">
          <thead>
            <tr>
              <th scope="col">Stage</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {[...stages].map(([name, s]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{s.status}</td>
                <td className="num">{formatDuration(s.duration)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {outputs.length ? (
        <table className="data-table compact">
          <thead>
            <tr>
              <th scope="col">Output</th>
              <th scope="col">Hash</th>
            </tr>
          </thead>
          <tbody>
            {outputs.map((o) => (
              <tr key={o.key}>
                <th scope="row" className="mono">
                  {o.key.slice('cairn.output.'.length)}
                </th>
                <td className="mono wrap">{o.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Datasets({ run }: { run: Run }) {
  const inputs = run.inputs?.dataset_inputs ?? [];
  return (
    <section aria-labelledby="datasets-title" className="panel">
      <h2 id="datasets-title">
        Dataset inputs <span className="muted">({inputs.length})</span>
      </h2>
      {inputs.length === 0 ? <p className="muted">No dataset inputs logged.</p> : null}
      {inputs.length ? (
        <table className="data-table compact">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Hash</th>
              <th scope="col">Source</th>
              <th scope="col">Context</th>
            </tr>
          </thead>
          <tbody>
            {inputs.map((input) => {
              const tags = input.tags ?? [];
              const hash = tagValue(tags, 'cairn.hash') ?? input.dataset.digest;
              return (
                <tr
                  key={`${input.dataset.name}-${input.dataset.digest}-${tagValue(tags, 'mlflow.data.context') ?? ''}`}
                >
                  <th scope="row">{input.dataset.name}</th>
                  <td className="mono wrap">{hash}</td>
                  <td className="mono wrap">
                    {input.dataset.source_type}: {input.dataset.source}
                  </td>
                  <td>{tagValue(tags, 'mlflow.data.context') ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** The overview tab of a run: facts, params, metrics with min / max / last, tags, datasets, pipeline. */
export function RunOverview({ run }: { run: Run }) {
  const tags = run.data.tags ?? [];
  const params = (run.data.params ?? []).map((p): [string, string] => [p.key, p.value]);
  const system = (k: string) => k.startsWith('mlflow.') || k.startsWith('cairn.');
  return (
    <div className="overview">
      <dl className="facts">
        <dt>Run ID</dt>
        <dd className="mono">{run.info.run_id}</dd>
        <dt>Status</dt>
        <dd>{run.info.status.toLowerCase()}</dd>
        <dt>Started</dt>
        <dd>{formatTime(run.info.start_time)}</dd>
        <dt>Duration</dt>
        <dd>{run.info.end_time ? formatDuration(run.info.end_time - run.info.start_time) : 'running'}</dd>
        <dt>User</dt>
        <dd>{run.info.user_id}</dd>
        <dt>Artifacts</dt>
        <dd className="mono wrap">{run.info.artifact_uri}</dd>
      </dl>
      <div className="panels">
        <Metrics runId={run.info.run_id} />
        <KeyValues title="Params" rows={params} empty="No params logged." />
        <Datasets run={run} />
        <Pipeline tags={tags} />
        <KeyValues
          title="Tags"
          rows={tags.filter((t) => !system(t.key)).map((t): [string, string] => [t.key, t.value])}
          empty="No tags besides the system's."
        />
        <KeyValues
          title="System tags"
          rows={tags.filter((t) => system(t.key)).map((t): [string, string] => [t.key, t.value])}
          empty="None."
        />
      </div>
    </div>
  );
}
