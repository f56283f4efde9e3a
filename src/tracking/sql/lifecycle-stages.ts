import { errors } from '../../kernel/errors.ts';
import { type LifecycleStage, VIEW_TYPES, type ViewType } from '../tracking-types.ts';

/** The lifecycle stages a search of `viewType` returns (active ones by default). */
export function stagesOf(viewType: ViewType | undefined): LifecycleStage[] {
  const view = viewType ?? 'ACTIVE_ONLY';
  if (!VIEW_TYPES.includes(view))
    throw errors.invalid(`Invalid view type ${JSON.stringify(view)}: use one of ${VIEW_TYPES.join(', ')}`);
  return view === 'ALL' ? ['active', 'deleted'] : view === 'DELETED_ONLY' ? ['deleted'] : ['active'];
}
