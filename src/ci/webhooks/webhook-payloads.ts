import type { RegistryEvent } from '../../registry/events/registry-events.ts';
import type { WebhookEventName } from './webhook-types.ts';

/** The body of a delivery, as MLflow sends it: entity, action, ISO time, and the event's data. */
export interface DeliveryBody {
  entity: string;
  action: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** The data MLflow's payload of the event carries (Cairn's extra fields are left out for MLflow's events). */
export function payloadData(event: RegistryEvent): Record<string, unknown> {
  const { type: _type, ...data } = event;
  if (event.type === 'model_version_alias.created') {
    const { previous_version: _previous, ...mlflow } = data as Record<string, unknown>;
    return mlflow;
  }
  return data;
}

export function deliveryBody(
  event: WebhookEventName,
  data: Record<string, unknown>,
  at = new Date(),
): DeliveryBody {
  const [entity, action] = event.split('.') as [string, string];
  return { entity, action, timestamp: at.toISOString(), data };
}

/** What `test` sends for each event: a made-up event of that kind. */
export const EXAMPLE_PAYLOADS: Record<WebhookEventName, Record<string, unknown>> = {
  'registered_model.created': {
    name: 'example_model',
    tags: { team: 'ml' },
    description: 'an example model',
  },
  'model_version.created': {
    name: 'example_model',
    version: '1',
    source: 'models:/m-0123456789abcdef',
    run_id: '0123456789abcdef0123456789abcdef',
    tags: { team: 'ml' },
    description: 'an example version',
  },
  'model_version_tag.set': { name: 'example_model', version: '1', key: 'team', value: 'ml' },
  'model_version_tag.deleted': { name: 'example_model', version: '1', key: 'team' },
  'model_version_alias.created': { name: 'example_model', alias: 'champion', version: '1' },
  'model_version_alias.deleted': { name: 'example_model', alias: 'champion' },
  'gate_result.created': {
    name: 'example_model',
    version: '1',
    gate: 'example_gate',
    passed: true,
    check_id: '00000000-0000-0000-0000-000000000000',
  },
  'deployment.applied': { deployment: 'example', revision: '1', models: ['models:/example_model/1'] },
  'deployment.rolled_back': { deployment: 'example', revision: '2', models: ['models:/example_model/1'] },
};
