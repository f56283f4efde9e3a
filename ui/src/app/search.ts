/** Reading a page's URL search parameters into typed state; every view keeps its state there. */

type Raw = Record<string, unknown>;

export function str(raw: Raw, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : String(v);
}

export function flag(raw: Raw, key: string): boolean | undefined {
  const v = raw[key];
  return v === true || v === 'true' || v === 1 || v === '1' ? true : undefined;
}

export function num(raw: Raw, key: string): number | undefined {
  const v = Number(raw[key]);
  return raw[key] === undefined || raw[key] === '' || !Number.isFinite(v) ? undefined : v;
}

export function oneOf<T extends string>(raw: Raw, key: string, values: readonly T[]): T | undefined {
  const v = str(raw, key);
  return values.includes(v as T) ? (v as T) : undefined;
}

/** A list kept as one comma-separated parameter (MLflow keys and run ids hold no commas). */
export function list(value: string | undefined): string[] {
  return value ? value.split(',').filter(Boolean) : [];
}

export function joined(values: readonly string[]): string | undefined {
  return values.length ? values.join(',') : undefined;
}
