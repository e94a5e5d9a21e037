export type TrackKind = 'video' | 'audio' | 'subtitle';

/** What a downloaded track is, for the merge (stream tags) and for sidecar names. */
export interface TrackMeta {
  /** 'video' is the main track (with any audio muxed into it); audio and subtitle renditions follow. */
  kind: TrackKind;
  language: string | null;
  /** The rendition's NAME (DASH: its label), used as the stream title. */
  title: string | null;
  isDefault: boolean;
  forced: boolean;
}
