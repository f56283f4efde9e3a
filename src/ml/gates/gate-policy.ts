import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { type GateDefinition, loadGates } from '../../pipeline/definition/gate-definitions.ts';
import { PIPELINE_FILE } from '../../pipeline/definition/load-pipeline.ts';
import { type GatePolicy, NO_GATES } from '../../registry/promotion/promotion-types.ts';

/** The gated aliases the gates declare: each gate guards its aliases of its model. */
export function gatePolicyOf(gates: readonly GateDefinition[]): GatePolicy {
  return {
    guards: gates.flatMap((g) => g.aliases.map((alias) => ({ model: g.model, alias, gate: g.name }))),
  };
}

/**
 * The gate policy of the cairn.yaml in `root` (none when there is no cairn.yaml). A gate that
 * does not parse is an error: a policy read wrong must not let an alias move.
 */
export async function gatePolicyOfFile(root: string, fileName = PIPELINE_FILE): Promise<GatePolicy> {
  try {
    await access(join(root, fileName));
  } catch {
    return NO_GATES;
  }
  return gatePolicyOf(await loadGates(root, fileName));
}
