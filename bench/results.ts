/** The shape of bench-results.json (written by bench/run.ts, read by bench/readme.ts). */
import type { Figure } from './figure.js';

/** Said once in the output, the results file and README: how process start-up is treated. */
export const STARTUP_TREATMENT =
  "every tool's process start is counted in every comparison with a peer tool: a tool's clock starts when its process is spawned (this add-on's server is started fresh for each round and its start-up to /api/health is inside its time; an in-process destination creates its connection inside its time). Figures without a peer tool (against the theoretical floor, the server's sync against runSync alone, guide refresh, store) are timed without any process start, and their notes say so";

export interface BenchResults {
  /** 'full': every section ran (the only mode README is rendered from). */
  mode: 'full' | 'quick' | 'partial';
  /** ISO time the run started. */
  date: string;
  duration_s: number;
  commit: string;
  machine: {
    cpu: string;
    cores: number;
    memory_gib: number;
    os: string;
    node: string;
    ffmpeg: string | null;
    load_average_at_start: number[];
    load_average_at_end?: number[];
  };
  /** Version line of each peer tool, null when it is not installed. */
  peers: Record<string, string | null>;
  startup: string;
  /** Sections that produced their figures. */
  sections: string[];
  /** Peer tools missing on the machine: their figures are absent, not failed. */
  absent: string[];
  errors: Array<{ section: string; message: string }>;
  figures: Figure[];
}
