/**
 * Download history as hourly and daily rollups: small enough to keep 90 days in one JSON file
 * beside db.json, whatever the number of jobs. Pure: the store and the clock are the caller's.
 */

/** One finished job, as the history counts it. */
export interface Outcome {
  /** When it finished (ms since the epoch). */
  at: number;
  status: 'completed' | 'failed';
  /** hls, direct, dash, recording, ...: a fixed set decided by the engine, never free text. */
  kind: string;
  /** Bytes downloaded (0 when unknown). */
  bytes: number;
  /** Seconds from start to finish, when known. */
  duration_s: number | null;
  destination: string | null;
  source: string | null;
  /** The error code of a failure (never its message: it may hold a URL). */
  reason: string | null;
}

export interface Totals {
  completed: number;
  failed: number;
  bytes: number;
  /** Sum of the completed jobs' durations, for the average speed. */
  duration_s: number;
}

export interface Bucket extends Totals {
  /** Start of the hour or (local) day, ISO 8601. */
  start: string;
  by_kind: Record<string, Totals>;
  by_destination: Record<string, Totals>;
  by_source: Record<string, Totals>;
  failures: Record<string, number>;
}

export interface HistoryData {
  version: 1;
  hourly: Bucket[];
  daily: Bucket[];
}

export const HISTORY_RANGES = ['24h', '7d', '30d', '90d'] as const;
export type HistoryRange = (typeof HISTORY_RANGES)[number];

const HOUR_MS = 3600_000;
export const RETENTION_DAYS = 90;

export function emptyHistory(): HistoryData {
  return { version: 1, hourly: [], daily: [] };
}

export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** Local midnight: "downloads per day" follows the user's calendar (the container's TZ). */
export function dayStart(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

function nextDay(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

function zero(): Totals {
  return { completed: 0, failed: 0, bytes: 0, duration_s: 0 };
}

function add(t: Totals, o: Outcome): void {
  if (o.status === 'completed') {
    t.completed++;
    t.bytes += o.bytes;
    t.duration_s += o.duration_s ?? 0;
  } else {
    t.failed++;
  }
}

function bucketFor(list: Bucket[], startMs: number): Bucket {
  const start = new Date(startMs).toISOString();
  // Outcomes arrive in time order, so the bucket is almost always the last one.
  for (let i = list.length - 1; i >= 0 && i >= list.length - 3; i--) {
    if (list[i]!.start === start) return list[i]!;
  }
  const bucket: Bucket = { start, ...zero(), by_kind: {}, by_destination: {}, by_source: {}, failures: {} };
  const at = list.findIndex((b) => b.start > start);
  if (at === -1) list.push(bucket);
  else list.splice(at, 0, bucket);
  return bucket;
}

function addTo(bucket: Bucket, o: Outcome): void {
  add(bucket, o);
  add((bucket.by_kind[o.kind] ??= zero()), o);
  if (o.destination) add((bucket.by_destination[o.destination] ??= zero()), o);
  if (o.source) add((bucket.by_source[o.source] ??= zero()), o);
  if (o.status === 'failed') {
    const reason = o.reason ?? 'unknown';
    bucket.failures[reason] = (bucket.failures[reason] ?? 0) + 1;
  }
}

/** Counts one outcome in its hour and its day. */
export function recordOutcome(data: HistoryData, o: Outcome): void {
  addTo(bucketFor(data.hourly, hourStart(o.at)), o);
  addTo(bucketFor(data.daily, dayStart(o.at)), o);
}

/** Drops buckets older than the retention; returns whether anything was dropped. */
export function pruneHistory(data: HistoryData, now: number, days = RETENTION_DAYS): boolean {
  const cutoff = new Date(now - days * 24 * HOUR_MS).toISOString();
  const before = data.hourly.length + data.daily.length;
  data.hourly = data.hourly.filter((b) => b.start >= cutoff);
  data.daily = data.daily.filter((b) => b.start >= new Date(dayStart(now - days * 24 * HOUR_MS)).toISOString());
  return data.hourly.length + data.daily.length !== before;
}

export interface HistoryPoint extends Totals {
  start: string;
  /** completed / (completed + failed), null with no finished job. */
  success_rate: number | null;
  /** Average download speed of the completed jobs, bytes/s; null when unknown. */
  avg_speed: number | null;
}

export interface HistoryView {
  range: HistoryRange;
  bucket: 'hour' | 'day';
  points: HistoryPoint[];
  totals: HistoryPoint;
  /** The five busiest sources of the range, by completed downloads. */
  by_kind: Record<string, Totals>;
  top_sources: Array<{ id: string } & Totals>;
  /** Every destination that received a download in the range, busiest first. */
  destinations: Array<{ id: string } & Totals>;
  /** Failures by error code over the range, most frequent first. */
  failures: Array<{ reason: string; count: number }>;
}

function point(start: string, t: Totals): HistoryPoint {
  const finished = t.completed + t.failed;
  return {
    start,
    completed: t.completed,
    failed: t.failed,
    bytes: t.bytes,
    duration_s: t.duration_s,
    success_rate: finished ? t.completed / finished : null,
    avg_speed: t.duration_s > 0 ? t.bytes / t.duration_s : null,
  };
}

function sum(into: Totals, t: Totals): void {
  into.completed += t.completed;
  into.failed += t.failed;
  into.bytes += t.bytes;
  into.duration_s += t.duration_s;
}

function entry(map: Map<string, Totals>, id: string): Totals {
  let t = map.get(id);
  if (!t) map.set(id, (t = zero()));
  return t;
}

function top(map: Map<string, Totals>, n: number): Array<{ id: string } & Totals> {
  return [...map.entries()]
    .map(([id, t]) => ({ id, ...t }))
    .sort((a, b) => b.completed - a.completed || b.bytes - a.bytes || a.id.localeCompare(b.id))
    .slice(0, n);
}

/** The range as a continuous series (empty hours/days as zeros), oldest first, ending with the current bucket. */
export function historyView(data: HistoryData, range: HistoryRange, now: number): HistoryView {
  const hourly = range === '24h' || range === '7d';
  const list = hourly ? data.hourly : data.daily;
  const starts: number[] = [];
  if (hourly) {
    const count = range === '24h' ? 24 : 7 * 24;
    const last = hourStart(now);
    for (let i = count - 1; i >= 0; i--) starts.push(last - i * HOUR_MS);
  } else {
    const count = range === '30d' ? 30 : 90;
    let day = dayStart(now - (count - 1) * 24 * HOUR_MS);
    for (let i = 0; i < count && day <= now; i++, day = nextDay(day)) starts.push(day);
  }
  const byStart = new Map(list.map((b) => [b.start, b]));
  const totals = zero();
  const sources = new Map<string, Totals>();
  const destinations = new Map<string, Totals>();
  const failures = new Map<string, number>();
  const kinds = new Map<string, Totals>();
  const points = starts.map((ms) => {
    const start = new Date(ms).toISOString();
    const b = byStart.get(start);
    if (!b) return point(start, zero());
    sum(totals, b);
    for (const [kind, t] of Object.entries(b.by_kind ?? {})) sum(entry(kinds, kind), t);
    for (const [id, t] of Object.entries(b.by_source)) sum(entry(sources, id), t);
    for (const [id, t] of Object.entries(b.by_destination)) sum(entry(destinations, id), t);
    for (const [reason, n] of Object.entries(b.failures)) failures.set(reason, (failures.get(reason) ?? 0) + n);
    return point(start, b);
  });
  return {
    range,
    bucket: hourly ? 'hour' : 'day',
    points,
    totals: point(points[0]?.start ?? new Date(now).toISOString(), totals),
    by_kind: Object.fromEntries(kinds),
    top_sources: top(sources, 5),
    destinations: top(destinations, Infinity),
    failures: [...failures.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
  };
}
