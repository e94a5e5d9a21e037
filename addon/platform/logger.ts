import { pino, type Logger as PinoLogger, type LevelWithSilent, type DestinationStream } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

/**
 * Secrets can reach a log line through request headers, URLs with credentials or config
 * objects; these paths are censored wherever they appear.
 */
const REDACT = [
  'password',
  'api_key',
  'apiKey',
  'token',
  'authorization',
  '*.password',
  '*.api_key',
  '*.apiKey',
  '*.token',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers.Cookie',
  '*.headers.Authorization',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'm3u-downloader' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A logger that drops everything, for tests that don't look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
