/** The parts of mpd-parser 1.4 (videojs) this project uses; the package ships no types. */
declare module 'mpd-parser' {
  export interface MpdByteRange {
    offset: number | bigint;
    length: number | bigint;
  }
  export interface MpdMap {
    uri: string;
    resolvedUri: string;
    byterange?: MpdByteRange;
  }
  export interface MpdSegment {
    uri: string;
    resolvedUri: string;
    duration: number;
    timeline: number;
    number: number;
    presentationTime?: number;
    map?: MpdMap;
    byterange?: MpdByteRange;
    discontinuity?: boolean;
  }
  export interface MpdPlaylist {
    attributes: {
      NAME?: string;
      BANDWIDTH?: number;
      CODECS?: string;
      RESOLUTION?: { width: number; height: number };
      'FRAME-RATE'?: number;
      AUDIO?: string;
      SUBTITLES?: string;
      serviceLocation?: string;
    };
    resolvedUri: string;
    endList: boolean;
    segments: MpdSegment[];
    discontinuityStarts?: number[];
    sidx?: { uri: string; resolvedUri: string; byterange: MpdByteRange; map?: MpdMap; duration: number };
    contentProtection?: Record<string, unknown>;
  }
  export interface MpdMediaGroup {
    language: string;
    default: boolean;
    autoselect: boolean;
    playlists: MpdPlaylist[];
  }
  export interface MpdManifest {
    duration: number;
    endList: boolean;
    minimumUpdatePeriod?: number;
    playlists: MpdPlaylist[];
    mediaGroups: {
      AUDIO: Record<string, Record<string, MpdMediaGroup>>;
      SUBTITLES: Record<string, Record<string, MpdMediaGroup>>;
    };
  }
  export function parse(xml: string, options?: { manifestUri?: string; NOW?: number; clientOffset?: number; eventHandler?: (e: { type: string; message: string }) => void }): MpdManifest;
  /** The bits of @xmldom/xmldom's Element read here. */
  export interface XmlElement {
    localName: string | null;
    getAttribute(name: string): string | null;
    getElementsByTagName(name: string): ArrayLike<XmlElement>;
    getElementsByTagNameNS(ns: string, name: string): ArrayLike<XmlElement>;
    childNodes: ArrayLike<XmlElement>;
  }
  /** The MPD element; throws on XML that does not parse or has no MPD. */
  export function stringToMpdXml(xml: string): XmlElement;
  export const VERSION: string;
}
