/**
 * Live recordings as the API, the panel, MQTT and the store see them. Types only: the panel
 * imports them (through jobs/model.ts), so no runtime imports here.
 */

/** What a download request asks of a live stream (POST /api/downloads `live`). */
export interface LiveRequest {
  /** Record this many seconds of the stream. */
  duration_s?: number | null;
  /** Record until this time (ISO 8601). */
  until?: string | null;
  /** Start at this time (ISO 8601); the job waits in the queue until then. */
  start_at?: string | null;
  /** Cut the recording into consecutive files of this many minutes, each filed on its own. */
  split_minutes?: number | null;
  /** The channel, for naming (`Recordings/<channel>/...`); the job's show when absent. */
  channel?: string | null;
}

/** Why a recording ended. */
export type RecordingEnd = 'endlist' | 'duration' | 'until' | 'stopped' | 'cap' | 'outage';

export interface RecordingGap {
  /** Position in the recording (recorded seconds before the gap). */
  at_s: number;
  /** Stream seconds that were not recorded. */
  lost_s: number;
  /**
   * A separate audio rendition's gap ("audio:<language or name>"); absent for the video. `at_s`
   * is then that track's own recorded seconds.
   */
  track?: string;
}

/** The state of a recording, on the job (`job.recording`) and in its progress events. */
export interface RecordingStatus {
  /** Seconds of media recorded so far. */
  recorded_s: number;
  /**
   * Seconds of the stream that could not be recorded (outages longer than the window); with
   * separate audio renditions, the most any one track lost.
   */
  lost_s: number;
  gaps: RecordingGap[];
  /** What the recording aims for in seconds (duration, until, or the cap); null when unknown. */
  target_s: number | null;
  /** Average bitrate of the recent segments, bits per second. */
  bitrate: number;
  /** When the first segment was recorded (ISO). */
  started_at: string | null;
  /** Why it ended; null while it runs. */
  ended: RecordingEnd | null;
  /** Something the user should know about a completed recording (an outage ended it, content was lost). */
  warning: string | null;
  /** Files of a split recording once filed, in order (relative paths, as `file_path`). */
  files?: string[];
}
