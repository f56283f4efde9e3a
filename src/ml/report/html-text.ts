/** Text escaped for HTML element content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot end its <script> element early. */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Script text that cannot end its <script> element early (`</script` inside a string). */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

/** A metric value for people: up to 4 significant decimals, integers as they are. */
export function formatMetric(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-4) return v.toExponential(3);
  return String(Number(v.toFixed(4)));
}
