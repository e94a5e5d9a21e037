import { createLogger, type Logger } from '../../addon/platform/logger.js';

/** A trace-level logger whose JSON lines are kept, to assert what (never) reaches the logs. */
export function captureLogger(): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
  return { logger, lines, text: () => lines.join('') };
}
