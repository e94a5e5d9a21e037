/** Topic names under the base topic, in one place. Pure. */
export interface MqttTopics {
  base: string;
  discoveryPrefix: string;
  /** Retained "online"/"offline" (the last will). */
  availability: string;
  /** Retained JSON: queue length, active, speed, queue_paused, free_bytes. */
  state: string;
  lastCompleted: string;
  lastFailed: string;
  /** Non-retained events. */
  completed: string;
  failed: string;
  syncCompleted: string;
  /** Progress of one job: `<base>/job/<id>`. */
  job(id: string): string;
  // Commands and their answers.
  add: string;
  added: string;
  /** pause, resume, cancel, retry: `<base>/download/<action>`, answered on `result`. */
  action(name: JobAction): string;
  result: string;
  syncRun: string;
  syncResult: string;
  queuePauseSet: string;
  queueResult: string;
  /** Record a live channel or URL (`{channel | url, duration_s | until | start_at | programme}`), answered on recordResult. */
  record: string;
  recordResult: string;
  /** The "Limit speed" switch (ON/OFF) and its number (KiB/s), answered on speedResult. */
  speedLimitSet: string;
  speedLimitKbpsSet: string;
  speedResult: string;
  test: string;
  /** Home Assistant's birth/last will. */
  haStatus: string;
  /** Device-based discovery topic of the add-on's device. */
  deviceConfig: string;
  /**
   * Per-entity discovery topic of one job's progress sensor, by its short id (shortJobId). Given
   * a full UUID it names the topic earlier versions used, so they can be cleared.
   */
  jobConfig(key: string): string;
  /** Matches every job sensor config, to clear stale ones left by a crash. */
  jobConfigWildcard: string;
}

export const JOB_ACTIONS = ['pause', 'resume', 'cancel', 'retry'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

/** `m3u_downloader` -> `m3u_downloader`; anything outside [a-zA-Z0-9_-] becomes `_`. */
export function nodeIdOf(baseTopic: string): string {
  return baseTopic.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** Entity ids are lower case [a-z0-9_]. */
export function entitySlug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/_+/g, '_');
}

/** Hex digits of a job's short id: enough to tell live jobs apart, short enough to read. */
export const SHORT_ID_LENGTH = 8;

/**
 * A job's short, readable id for its Home Assistant entity: the first `length` hex digits of
 * its UUID ("3f2a9c1e" for 3f2a9c1e-...). Derived, so it is the same after a restart without
 * storing anything; the publisher lengthens it in the rare case two live jobs share a prefix.
 * An id that is not a UUID is kept whole (sanitised).
 */
export function shortJobId(id: string, length = SHORT_ID_LENGTH): string {
  const hex = id.replace(/-/g, '').toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex)) return hex.slice(0, Math.max(SHORT_ID_LENGTH, Math.min(length, 32)));
  return id.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** `job_<key>`: the key is a short id; full UUIDs were used before (see jobConfig). */
export function jobObjectId(id: string): string {
  return `job_${id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
}

export function mqttTopics(base: string, discoveryPrefix: string): MqttTopics {
  const node = nodeIdOf(base);
  return {
    base,
    discoveryPrefix,
    availability: `${base}/availability`,
    state: `${base}/state`,
    lastCompleted: `${base}/last_completed`,
    lastFailed: `${base}/last_failed`,
    completed: `${base}/download/completed`,
    failed: `${base}/download/failed`,
    syncCompleted: `${base}/sync/completed`,
    job: (id) => `${base}/job/${id}`,
    add: `${base}/download/add`,
    added: `${base}/download/added`,
    action: (name) => `${base}/download/${name}`,
    result: `${base}/download/result`,
    syncRun: `${base}/sync/run`,
    syncResult: `${base}/sync/result`,
    queuePauseSet: `${base}/queue/pause/set`,
    queueResult: `${base}/queue/result`,
    record: `${base}/record`,
    recordResult: `${base}/record/result`,
    speedLimitSet: `${base}/speed/limit/set`,
    speedLimitKbpsSet: `${base}/speed/limit_kbps/set`,
    speedResult: `${base}/speed/result`,
    test: `${base}/test`,
    haStatus: `${discoveryPrefix}/status`,
    deviceConfig: `${discoveryPrefix}/device/${node}/config`,
    jobConfig: (id) => `${discoveryPrefix}/sensor/${node}/${jobObjectId(id)}/config`,
    jobConfigWildcard: `${discoveryPrefix}/sensor/${node}/+/config`,
  };
}
