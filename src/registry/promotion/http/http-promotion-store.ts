import { MlflowHttpClient, type MlflowHttpClientOptions } from '../../../tracking/http/mlflow-http-client.ts';
import type { PromotionStore } from '../promotion-store.ts';
import type {
  AliasEvent,
  AliasMove,
  NewVersionCheck,
  PromotionDecision,
  VersionCheck,
} from '../promotion-types.ts';

const enc = encodeURIComponent;

/**
 * Promotion through a Cairn server's API (`/api/v1/models/…`): the server enforces its own gate
 * policy and records its authenticated caller as the actor (the `actor` given here is used only
 * when the server runs without authentication).
 *
 * @example
 * const promotion = new HttpPromotionStore({ uri: 'http://127.0.0.1:5000', token });
 * await promotion.moveAlias({ name: 'income', alias: 'champion', version: '3', actor: 'ci' });
 */
export class HttpPromotionStore implements PromotionStore {
  readonly #http: MlflowHttpClient;

  constructor(options: MlflowHttpClientOptions) {
    this.#http = new MlflowHttpClient(options);
  }

  recordCheck(name: string, version: string, check: NewVersionCheck, actor: string): Promise<VersionCheck> {
    return this.#http.request<VersionCheck>('POST', `${versionPath(name, version)}/checks`, {
      body: { ...check, actor },
    });
  }

  async listChecks(
    name: string,
    version: string,
    filter: { kind?: VersionCheck['kind']; gate?: string } = {},
  ): Promise<VersionCheck[]> {
    const r = await this.#http.get<{ checks: VersionCheck[] }>(
      `${versionPath(name, version)}/checks`,
      filter,
    );
    return r.checks;
  }

  checkPromotion(name: string, alias: string, version: string): Promise<PromotionDecision> {
    return this.#http.get<PromotionDecision>(`${versionPath(name, version)}/promotion`, { alias });
  }

  moveAlias(move: AliasMove): Promise<AliasEvent> {
    const { name, version, ...body } = move;
    return this.#http.request<AliasEvent>('POST', `${versionPath(name, version)}/promote`, { body });
  }

  async deleteAlias(name: string, alias: string, actor: string): Promise<AliasEvent | undefined> {
    const r = await this.#http.request<{ event?: AliasEvent }>(
      'DELETE',
      `/api/v1/models/${enc(name)}/aliases/${enc(alias)}`,
      { query: { actor } },
    );
    return r.event;
  }

  async aliasHistory(name: string): Promise<AliasEvent[]> {
    return (await this.#http.get<{ events: AliasEvent[] }>(`/api/v1/models/${enc(name)}/alias-history`))
      .events;
  }
}

function versionPath(name: string, version: string): string {
  return `/api/v1/models/${enc(name)}/versions/${enc(version)}`;
}
