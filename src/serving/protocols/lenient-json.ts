import { errors } from '../../kernel/errors.ts';

/**
 * JSON.parse, plus the `NaN`, `Infinity` and `-Infinity` tokens that Python's json.dumps writes
 * for float columns (MLflow's and Triton's Python clients send them): NaN reads as a missing value
 * (null), the infinities as numbers. Only a body that JSON.parse refuses pays for the rewrite.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (/NaN|Infinity/.test(text)) {
      const rewritten = rewriteNonFinite(text);
      if (rewritten !== text)
        try {
          return JSON.parse(rewritten);
        } catch {
          // Fall through to the original error, which points into the text as sent.
        }
    }
    throw errors.invalid(`the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Replaces the non-finite tokens outside string literals. */
function rewriteNonFinite(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    let token: string | undefined;
    let replacement = '';
    if (text.startsWith('NaN', i)) [token, replacement] = ['NaN', 'null'];
    else if (text.startsWith('-Infinity', i)) [token, replacement] = ['-Infinity', '-1e999'];
    else if (text.startsWith('Infinity', i)) [token, replacement] = ['Infinity', '1e999'];
    if (token) {
      out += text.slice(last, i) + replacement;
      i += token.length - 1;
      last = i + 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}
