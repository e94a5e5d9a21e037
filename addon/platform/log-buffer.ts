import { pino, type DestinationStream } from 'pino';

const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export interface LogQuery {
  /** The least severe level to include (trace … fatal). */
  level: string;
  limit: number;
}

/**
 * The last N log lines in memory, for the panel's Logs tab (GET /api/logs). Lines arrive
 * already serialised and redacted by the logger; stdout (and the container runtime's
 * rotation) stays the real log.
 */
export class LogBuffer {
  private readonly lines: string[] = [];

  constructor(private readonly capacity = 2000) {}

  push(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (!line) continue;
      this.lines.push(line);
      if (this.lines.length > this.capacity) this.lines.shift();
    }
  }

  /** Newest first, parsed; lines that are not JSON are skipped. */
  query(q: LogQuery): Record<string, unknown>[] {
    const min = LEVEL_VALUES[q.level] ?? 30;
    const out: Record<string, unknown>[] = [];
    for (let i = this.lines.length - 1; i >= 0 && out.length < q.limit; i--) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(this.lines[i]!) as Record<string, unknown>;
      } catch {
        continue;
      }
      const level = typeof entry.level === 'number' ? entry.level : (LEVEL_VALUES[String(entry.level)] ?? 30);
      if (level >= min) out.push(entry);
    }
    return out;
  }
}

/** stdout, written synchronously (pino's default), so nothing is lost on exit. */
export function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}

/** A logger destination that writes to `primary` (stdout) and keeps a copy in `buffer`. */
export function teeDestination(primary: DestinationStream, buffer: LogBuffer): DestinationStream {
  return {
    write(chunk: string) {
      primary.write(chunk);
      buffer.push(chunk);
    },
  };
}
