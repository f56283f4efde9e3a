/** The URL prefixes of MLflow's API, whose errors are MLflow's `{error_code, message}`. */
export const MLFLOW_NAMESPACES = ['/api/2.0/', '/ajax-api/2.0/', '/api/3.0/', '/ajax-api/3.0/'] as const;

/** True when `url` is under one of MLflow's API prefixes. */
export function isMlflowUrl(url: string): boolean {
  return MLFLOW_NAMESPACES.some((prefix) => url.startsWith(prefix));
}
