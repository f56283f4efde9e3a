import { errors } from '../kernel/errors.ts';

const UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const MAX_MS = 10 * 366 * 86_400_000;

/**
 * Parses a lifetime such as `15m`, `12h`, `30d` or `4w` into milliseconds.
 * @example parseDuration('30d') // 2_592_000_000
 */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  const count = m ? Number(m[1]) : Number.NaN;
  const unit = m?.[2] as keyof typeof UNITS | undefined;
  if (!unit || !(count > 0))
    throw errors.invalid(`invalid duration "${text}"`, {
      hint: 'use a positive whole number followed by m (minutes), h (hours), d (days) or w (weeks), e.g. 30d',
    });
  const ms = count * UNITS[unit];
  if (ms > MAX_MS)
    throw errors.invalid(`duration "${text}" is longer than 10 years`, { hint: 'use 3650d or less' });
  return ms;
}
