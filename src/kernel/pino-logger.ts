import { pino } from 'pino';
import type { Logger, LogLevel } from './logging.ts';

export interface LoggerOptions {
  level?: LogLevel;
  /** Where log lines go; stderr by default so stdout stays clean for `--json`. */
  destination?: NodeJS.WritableStream;
}

/** JSON-lines logs through pino. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    { level: options.level ?? 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}
