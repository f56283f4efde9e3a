import type { Tag } from '../../api/runs.ts';

/**
 * Gate results recorded on a model version. Shown only when the version carries them; the gate
 * engine (ml/) records them, and the registry refuses to move a gated alias without a pass.
 */
export function GateResults({ tags }: { tags: Tag[] }) {
  const gates = tags.filter((t) => t.key.startsWith('cairn.gate.'));
  if (gates.length === 0) return null;
  return (
    <section aria-labelledby="gates-title" className="panel">
      <h2 id="gates-title">Gates</h2>
      <table className="data-table compact">
        <tbody>
          {gates.map((t) => (
            <tr key={t.key}>
              <th scope="row" className="mono">
                {t.key.slice('cairn.gate.'.length)}
              </th>
              <td className="mono wrap">{t.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
