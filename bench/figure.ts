/**
 * One measured figure of `npm run bench`, as written to bench-results.json and rendered into
 * README.md by scripts/bench-readme. Every figure is compared with a peer measured in the same
 * run where one exists (ratio = value / peer.value), from alternating rounds (min and median).
 */
export interface Figure {
  /** Stable key, e.g. 'finish.same-fs.latency'; README rows are matched by it. */
  id: string;
  /** Bench section, e.g. 'finish', 'throttled-hls', 'store'. */
  section: string;
  /** What a reader sees, e.g. 'finish latency, 1 GB, same filesystem'. */
  label: string;
  /** The median over rounds (or the single value when rounds is absent). */
  value: number;
  /** 's', 'ms', 'MB', 'MB/s', 'x', 'writes/s', 'bytes/byte', 'entries/s' ... */
  unit: string;
  rounds?: { n: number; min: number; median: number; max: number };
  /** The peer measured in the same run, e.g. `cp` of the same bytes. */
  peer?: { label: string; value: number; rounds?: { n: number; min: number; median: number; max: number } };
  /** value / peer.value, when a peer exists. */
  ratio?: number;
  /** The target as a reader should read it, e.g. '< 1 s' or '<= 1.5x cp'. */
  target?: string;
  /** Whether the target was met in this run (absent when there is no target). */
  met?: boolean;
  /** Anything a reader needs to read the figure honestly (what is counted, what is not). */
  note?: string;
}

export function ratioFigure(f: Omit<Figure, 'ratio'>): Figure {
  return f.peer && f.peer.value > 0 ? { ...f, ratio: f.value / f.peer.value } : { ...f };
}

/** Min, median and max of a set of rounds. */
export function summarize(values: readonly number[]): { n: number; min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { n: sorted.length, min: sorted[0] ?? NaN, median: median ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
}
