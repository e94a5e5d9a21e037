/**
 * A live HLS origin on 127.0.0.1: real ffmpeg-made media (H.264 + AAC in MPEG-TS, and fMP4 for
 * one variant) cut into segments and served as a sliding window that advances in real time (or
 * on an injected clock), with EXT-X-MEDIA-SEQUENCE, EXT-X-DISCONTINUITY-SEQUENCE (the media loops
 * with a discontinuity when it runs out) and EXT-X-PROGRAM-DATE-TIME.
 *
 *   /live/master.m3u8          two variants (plain 320x180 at 2 Mb/s declared, aes 160x90)
 *   /live/plain/index.m3u8     MPEG-TS segments /live/plain/s<msn>.ts
 *   /live/aes/index.m3u8       the same segments AES-128 encrypted, key /live/aes/key.bin, IV = msn
 *   /live/fmp4/index.m3u8      fMP4 segments with an EXT-X-MAP init section
 *   /live/split/master.m3u8    (option splitAudio) Apple-style: a video-only variant and its audio as
 *                              separate renditions (EXT-X-MEDIA TYPE=AUDIO with a URI): English
 *                              (DEFAULT) and German, video /live/split/video/s<msn>.ts, audio
 *                              /live/split/audio-<en|de>/a<msn>.ts, same timeline (same encoder clock),
 *                              WebVTT subtitles /live/split/subs-en/t<msn>.vtt (cue "segment <i>")
 *
 * Segment bodies depend only on the media sequence number, so a segment fetched twice is the same
 * bytes, and `log` counts every request. Scripted faults: outage(ms) (every request fails with
 * 503 or a reset while the stream keeps advancing), burst503(n), freeze() (the playlist stops
 * advancing), endList() (EXT-X-ENDLIST appears), restart() (the origin comes back with a new
 * discontinuity sequence and media sequence numbers starting over), corrupt(seq, kind, times)
 * (a segment answers 200 with a bad body: cut mid-packet without a Content-Length, shorter than
 * its Content-Length, an HTML error page, or empty). audioOutage(ms): only the audio renditions
 * (playlists and segments) answer 404 while the video goes on.
 */
import { createCipheriv } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tsStart } from '../../addon/tracks/media-start.js';
import { ffmpeg } from '../helpers/media-check.js';

export const LIVE_KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const MEDIA_VERSION = 1;

interface Media {
  ts: Buffer[];
  fmp4: Buffer[];
  init: Buffer;
  durations: number[];
}

const mediaCache = new Map<number, Promise<Media>>();

/** Generates (once per machine, cached in the temp dir) `count` segments of `segmentSeconds`. */
export function liveMedia(segmentSeconds: number, count = 40): Promise<Media> {
  let pending = mediaCache.get(segmentSeconds);
  if (!pending) {
    pending = generate(segmentSeconds, count);
    mediaCache.set(segmentSeconds, pending);
  }
  return pending;
}

async function generate(seg: number, count: number): Promise<Media> {
  const dir = path.join(os.tmpdir(), `m3udl-live-media-v${MEDIA_VERSION}-${seg}s-${count}`);
  const marker = path.join(dir, 'done.json');
  try {
    await stat(marker);
  } catch {
    const work = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(path.join(work, 'ts'), { recursive: true });
    await mkdir(path.join(work, 'fmp4'), { recursive: true });
    const seconds = seg * count;
    const fps = 10;
    const input = [
      '-f', 'lavfi', '-i', `testsrc2=size=160x90:rate=${fps}:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
      '-c:a', 'aac', '-b:a', '48k', '-ac', '1',
    ];
    await ffmpeg([...input, '-f', 'hls', '-hls_time', String(seg), '-hls_list_size', '0', '-hls_segment_filename', path.join(work, 'ts', 's%03d.ts'), path.join(work, 'ts', 'index.m3u8')]);
    await ffmpeg([
      ...input, '-f', 'hls', '-hls_time', String(seg), '-hls_list_size', '0', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
      '-hls_segment_filename', path.join(work, 'fmp4', 's%03d.m4s'), path.join(work, 'fmp4', 'index.m3u8'),
    ]);
    await writeFile(path.join(work, 'done.json'), '{}');
    try {
      await rename(work, dir);
    } catch {
      await rm(work, { recursive: true, force: true }); // another process won the race
    }
  }
  const durationsOf = async (sub: string): Promise<number[]> =>
    [...(await readFile(path.join(dir, sub, 'index.m3u8'), 'utf8')).matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
  const tsNames = (await readdir(path.join(dir, 'ts'))).filter((n) => n.endsWith('.ts')).sort();
  const mp4Names = (await readdir(path.join(dir, 'fmp4'))).filter((n) => n.endsWith('.m4s')).sort();
  const durations = await durationsOf('ts');
  return {
    ts: await Promise.all(tsNames.map((n) => readFile(path.join(dir, 'ts', n)))),
    fmp4: await Promise.all(mp4Names.map((n) => readFile(path.join(dir, 'fmp4', n)))),
    init: await readFile(path.join(dir, 'fmp4', 'init.mp4')),
    durations,
  };
}

export interface LiveOriginOptions {
  segmentSeconds?: number;
  /** Segments in the window (default 6). */
  window?: number;
  /** Media sequence number of the first segment at start (default 100). */
  firstSequence?: number;
  /** Milliseconds since the epoch; defaults to Date.now. */
  now?: () => number;
  /** Segments of generated media before it loops (with a discontinuity); default 40. */
  mediaSegments?: number;
  /** Write EXT-X-PROGRAM-DATE-TIME tags (default true). */
  programDateTime?: boolean;
  /** Serve /live/split/: video and audio in separate media playlists (generates that media too). */
  splitAudio?: boolean;
  /** The audio playlists list this many fewer segments than the video's (published later). */
  audioLagSegments?: number;
}

export interface LiveRequest {
  path: string;
  status: number;
  at: number;
}

type Variant = 'plain' | 'aes' | 'fmp4';
export type CorruptKind = 'cut' | 'short' | 'html' | 'empty';

export class LiveOrigin {
  readonly log: LiveRequest[] = [];
  baseUrl = '';
  private server: http.Server | null = null;
  private readonly sockets = new Set<Socket>();
  private media!: Media;
  private readonly seg: number;
  private readonly windowSize: number;
  private readonly now: () => number;
  private t0 = 0;
  /** Sequence numbers and discontinuity of the current epoch (restart() starts a new one). */
  private epoch = { startSeq: 100, startIndex: 0, discontinuitySequence: 0, startedAt: 0 };
  private outageUntil = 0;
  private outageMode: 'status' | 'reset' = 'status';
  private failNext = 0;
  private frozenHead: number | null = null;
  private ended = false;
  private readonly gone = new Set<number>();
  private readonly corrupted = new Map<number, { kind: CorruptKind; times: number }>();
  private readonly pdt: boolean;
  private split: SplitMedia | null = null;
  private audioDownUntil = 0;
  private audioDownWhat: 'all' | 'segments' = 'all';
  private videoDownUntil = 0;

  constructor(private readonly options: LiveOriginOptions = {}) {
    this.seg = options.segmentSeconds ?? 2;
    this.windowSize = options.window ?? 6;
    this.now = options.now ?? Date.now;
    this.pdt = options.programDateTime ?? true;
  }

  async start(): Promise<this> {
    this.media = await liveMedia(this.seg, this.options.mediaSegments ?? 40);
    if (this.options.splitAudio) this.split = await liveSplitMedia(this.seg, this.options.mediaSegments ?? 40);
    this.t0 = this.now();
    this.epoch = { startSeq: this.options.firstSequence ?? 100, startIndex: 0, discontinuitySequence: 0, startedAt: this.t0 };
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  url(variant: Variant | 'master' = 'plain'): string {
    return variant === 'master' ? `${this.baseUrl}/live/master.m3u8` : `${this.baseUrl}/live/${variant}/index.m3u8`;
  }

  get segmentSeconds(): number {
    return this.seg;
  }

  /** Every request fails (503, or connection resets) for `ms`; the stream keeps advancing meanwhile. */
  outage(ms: number, mode: 'status' | 'reset' = 'status'): void {
    this.outageUntil = this.now() + ms;
    this.outageMode = mode;
  }

  /** The split variant's video (playlist and segments) answers 404 for `ms`; its audio is unaffected. */
  videoOutage(ms: number): void {
    this.videoDownUntil = this.now() + ms;
  }

  /** The media index a split segment's sequence number serves (its tone: splitToneHz). */
  splitIndexOf(sequence: number): number {
    return this.mediaIndexOf(sequence - this.epoch.startSeq) % (this.split?.video.length ?? 1);
  }

  /** The audio renditions (playlists and segments, or only segments) answer 404 for `ms`; the video is unaffected. */
  audioOutage(ms: number, what: 'all' | 'segments' = 'all'): void {
    this.audioDownUntil = this.now() + ms;
    this.audioDownWhat = what;
  }

  /** This media sequence number answers 404 for good (a segment the packager lost). */
  missing(sequence: number): void {
    this.gone.add(sequence);
  }

  /**
   * The next `times` GETs of this media sequence number answer 200 with a bad body: `cut` ends
   * mid-packet with no Content-Length (a clean end to HTTP), `short` declares the full length
   * and sends less, `html` is a CDN's error page, `empty` is nothing.
   */
  corrupt(sequence: number, kind: CorruptKind, times = Number.POSITIVE_INFINITY): void {
    this.corrupted.set(sequence, { kind, times });
  }

  /** The newest media sequence number listed now. */
  headSequence(): number {
    return this.epoch.startSeq + this.head();
  }

  /** The next `n` requests (playlists and segments alike) answer 503. */
  burst503(n: number): void {
    this.failNext = n;
  }

  /** The playlist stops advancing (the encoder hangs); segments already listed stay available. */
  freeze(): void {
    this.frozenHead = this.head();
  }

  /** EXT-X-ENDLIST appears after the current last segment; the playlist stops advancing. */
  endList(): void {
    this.frozenHead = this.head();
    this.ended = true;
  }

  /**
   * The origin restarts its encoder: media sequence numbers start over at `firstSequence`, the
   * discontinuity sequence goes up (as RFC 8216 asks) unless `sloppy`, and the window refills.
   */
  restart(firstSequence = 0, sloppy = false): void {
    const head = this.head();
    this.epoch = {
      startSeq: firstSequence,
      startIndex: this.mediaIndexOf(head) + 1,
      // Loops are counted from the absolute media index in both epochs; the restart adds one.
      discontinuitySequence: sloppy ? this.epoch.discontinuitySequence : this.epoch.discontinuitySequence + 1,
      startedAt: this.now(),
    };
  }

  /** Number of GETs of one segment of a variant (by media sequence number). */
  fetches(variant: Variant, sequence: number): number {
    const ext = variant === 'fmp4' ? 'm4s' : 'ts';
    return this.log.filter((r) => r.path === `/live/${variant}/s${sequence}.${ext}`).length;
  }

  /** Segment paths requested more than once with a 200 answer. */
  duplicates(): string[] {
    const seen = new Map<string, number>();
    for (const r of this.log) if (r.status === 200 && /\/s\d+\.(ts|m4s)$/.test(r.path)) seen.set(r.path, (seen.get(r.path) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([p]) => p);
  }

  /** The newest media sequence number listed now (relative count since the epoch start). */
  private head(): number {
    if (this.frozenHead !== null) return this.frozenHead;
    const elapsed = (this.now() - this.epoch.startedAt) / 1000;
    return this.windowSize - 1 + Math.floor(elapsed / this.seg);
  }

  /** The media (segment file) index of the n-th segment of the current epoch. */
  private mediaIndexOf(n: number): number {
    return this.epoch.startIndex + n;
  }

  private playlist(variant: Variant): string {
    const head = this.head();
    const first = Math.max(0, head - this.windowSize + 1);
    const total = this.media.ts.length;
    const lines = ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${Math.ceil(Math.max(...this.media.durations))}`, `#EXT-X-MEDIA-SEQUENCE:${this.epoch.startSeq + first}`];
    // Loops of the media are discontinuities; the sequence counts those that left the window.
    const loopOf = (n: number): number => Math.floor(this.mediaIndexOf(n) / total);
    lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${this.epoch.discontinuitySequence + loopOf(first)}`);
    if (variant === 'aes') lines.push(`#EXT-X-KEY:METHOD=AES-128,URI="key.bin"`);
    if (variant === 'fmp4') lines.push('#EXT-X-MAP:URI="init.mp4"');
    for (let n = first; n <= head; n++) {
      const idx = this.mediaIndexOf(n) % total;
      if (n > first && loopOf(n) !== loopOf(n - 1)) lines.push('#EXT-X-DISCONTINUITY');
      if (this.pdt) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(this.epoch.startedAt + (n - this.windowSize + 1) * this.seg * 1000).toISOString()}`);
      lines.push(`#EXTINF:${this.media.durations[idx]!.toFixed(3)},`);
      lines.push(`s${this.epoch.startSeq + n}.${variant === 'fmp4' ? 'm4s' : 'ts'}`);
    }
    if (this.ended) lines.push('#EXT-X-ENDLIST');
    return `${lines.join('\n')}\n`;
  }

  private segmentBody(variant: Variant, sequence: number): Buffer | null {
    const n = sequence - this.epoch.startSeq;
    const head = this.head();
    // Only what is in the window, or just left it, can be fetched (a CDN keeps a little more).
    if (n < 0 || n > head || n < head - 2 * this.windowSize) return null;
    const idx = this.mediaIndexOf(n) % this.media.ts.length;
    if (variant === 'fmp4') return this.media.fmp4[idx] ?? null;
    const body = this.media.ts[idx]!;
    if (variant === 'plain') return body;
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64BE(BigInt(sequence), 8);
    const cipher = createCipheriv('aes-128-cbc', LIVE_KEY, iv);
    return Buffer.concat([cipher.update(body), cipher.final()]);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    const record = (status: number): void => {
      this.log.push({ path: p, status, at: this.now() });
    };
    if (this.now() < this.outageUntil) {
      if (this.outageMode === 'reset') {
        record(0);
        req.socket.destroy();
        return;
      }
      record(503);
      res.writeHead(503).end('outage');
      return;
    }
    if (this.failNext > 0) {
      this.failNext--;
      record(503);
      res.writeHead(503).end('busy');
      return;
    }
    const send = (status: number, body: Buffer | string, type: string): void => {
      record(status);
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (p === '/live/master.m3u8') {
      return send(
        200,
        '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=320x180\nplain/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=160x90\naes/index.m3u8\n',
        'application/vnd.apple.mpegurl',
      );
    }
    if (p.startsWith('/live/split/')) return this.handleSplit(p, send);
    const m = /^\/live\/(plain|aes|fmp4)\/(index\.m3u8|key\.bin|init\.mp4|s(\d+)\.(ts|m4s))$/.exec(p);
    if (!m) return send(404, 'not found', 'text/plain');
    const variant = m[1] as Variant;
    if (m[2] === 'index.m3u8') return send(200, this.playlist(variant), 'application/vnd.apple.mpegurl');
    if (m[2] === 'key.bin') return variant === 'aes' ? send(200, LIVE_KEY, 'application/octet-stream') : send(404, 'no key', 'text/plain');
    if (m[2] === 'init.mp4') return variant === 'fmp4' ? send(200, this.media.init, 'video/mp4') : send(404, 'no init', 'text/plain');
    if (this.gone.has(Number(m[3]))) return send(404, 'segment lost', 'text/plain');
    const body = this.segmentBody(variant, Number(m[3]));
    if (!body) return send(404, 'segment not available', 'text/plain');
    const bad = this.corrupted.get(Number(m[3]));
    if (bad && bad.times > 0) {
      bad.times--;
      record(200);
      if (bad.kind === 'html') {
        const page = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>';
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) });
        return void res.end(page);
      }
      if (bad.kind === 'empty') return void res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': 0 }).end();
      const cut = body.subarray(0, body.length - 1000); // 1000 is not a whole number of 188-byte packets
      if (bad.kind === 'cut') {
        res.writeHead(200, { 'content-type': 'video/mp2t' }); // chunked: the end looks clean
        return void res.end(cut);
      }
      res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': body.length });
      res.write(cut);
      return void res.socket?.end(); // closes before Content-Length bytes were sent
    }
    send(200, body, variant === 'fmp4' ? 'video/iso.segment' : 'video/mp2t');
  }

  /** The split variant (option splitAudio): a master, a video-only playlist and audio-only renditions. */
  private handleSplit(p: string, send: (status: number, body: Buffer | string, type: string) => void): void {
    const split = this.split;
    if (!split) return send(404, 'not found', 'text/plain');
    if (p === '/live/split/master.m3u8') {
      return send(
        200,
        [
          '#EXTM3U',
          '#EXT-X-VERSION:4',
          '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="en",NAME="English",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="1",URI="audio-en/index.m3u8"',
          '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="de",NAME="Deutsch",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="1",URI="audio-de/index.m3u8"',
          '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="en",NAME="English CC",DEFAULT=NO,AUTOSELECT=YES,URI="subs-en/index.m3u8"',
          '#EXT-X-STREAM-INF:BANDWIDTH=600000,RESOLUTION=160x90,CODECS="avc1.42c00c,mp4a.40.2",AUDIO="aud",SUBTITLES="subs"',
          'video/index.m3u8',
          '',
        ].join('\n'),
        'application/vnd.apple.mpegurl',
      );
    }
    const m = /^\/live\/split\/(video|audio-en|audio-de|subs-en)\/(index\.m3u8|[sat](\d+)\.(?:ts|vtt))$/.exec(p);
    if (!m) return send(404, 'not found', 'text/plain');
    const subs = m[1] === 'subs-en';
    const audio = m[1] !== 'video' && !subs;
    if (m[1] === 'video' && this.now() < this.videoDownUntil) return send(404, 'video not available', 'text/plain');
    if (audio && this.now() < this.audioDownUntil && (this.audioDownWhat === 'all' || m[2] !== 'index.m3u8')) return send(404, 'audio not available', 'text/plain');
    const lag = audio ? (this.options.audioLagSegments ?? 0) : 0;
    const bodies = audio ? split.audio : split.video;
    const durations = audio ? split.audioDurations : split.videoDurations;
    const head = this.head() - lag;
    if (m[2] === 'index.m3u8') {
      const first = Math.max(0, head - this.windowSize + 1);
      const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${Math.max(...[...split.videoDurations, ...split.audioDurations].map(Math.round))}`, `#EXT-X-MEDIA-SEQUENCE:${this.epoch.startSeq + first}`];
      for (let n = first; n <= head; n++) {
        const idx = this.mediaIndexOf(n) % bodies.length;
        if (n > first && idx === 0) lines.push('#EXT-X-DISCONTINUITY');
        if (this.pdt) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(this.epoch.startedAt + (n - this.windowSize + 1) * this.seg * 1000).toISOString()}`);
        lines.push(`#EXTINF:${durations[idx]!.toFixed(3)},`);
        lines.push(subs ? `t${this.epoch.startSeq + n}.vtt` : `${audio ? 'a' : 's'}${this.epoch.startSeq + n}.ts`);
      }
      if (this.ended) lines.push('#EXT-X-ENDLIST');
      return send(200, `${lines.join('\n')}\n`, 'application/vnd.apple.mpegurl');
    }
    const n = Number(m[3]) - this.epoch.startSeq;
    if (n < 0 || n > head || n < head - 2 * this.windowSize) return send(404, 'segment not available', 'text/plain');
    const idx = this.mediaIndexOf(n) % bodies.length;
    if (subs) {
      // One cue per segment, 0.1-0.9 s into it, placed by the video segment's first timestamp.
      const mpegts = Math.round(split.videoStarts[idx]! * 90000);
      return send(200, `WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:${mpegts},LOCAL:00:00:00.000\n\n00:00:00.100 --> 00:00:00.900\nsegment ${idx}\n`, 'text/vtt');
    }
    send(200, bodies[idx]!, 'video/mp2t');
  }
}

const SPLIT_VERSION = 2;
const TONE_BASE_HZ = 300;
const TONE_STEP_HZ = 50;
const TONE_STEPS = 20;

/** The tone (Hz) of the split media's audio during segment `index` (a media index, not a sequence number). */
export function splitToneHz(index: number): number {
  return TONE_BASE_HZ + TONE_STEP_HZ * (index % TONE_STEPS);
}

/** Which media index (modulo the tone cycle) a measured tone belongs to. */
export function splitToneIndex(hz: number): number {
  return Math.round((hz - TONE_BASE_HZ) / TONE_STEP_HZ);
}

export const SPLIT_TONE_STEPS = TONE_STEPS;

interface SplitMedia {
  video: Buffer[];
  /** First PTS of each video segment (seconds): the subtitles' X-TIMESTAMP-MAP. */
  videoStarts: number[];
  audio: Buffer[];
  videoDurations: number[];
  audioDurations: number[];
}

const splitCache = new Map<number, Promise<SplitMedia>>();

/**
 * Video-only and audio-only MPEG-TS segments cut from one encode (the same clock, as a packager
 * makes them), cached in the temp dir like liveMedia. The audio of segment i is a tone of
 * splitToneHz(i), so a test can tell which segment's audio plays under which video.
 */
export function liveSplitMedia(segmentSeconds: number, count = 40): Promise<SplitMedia> {
  let pending = splitCache.get(segmentSeconds);
  if (!pending) {
    pending = generateSplit(segmentSeconds, count);
    splitCache.set(segmentSeconds, pending);
  }
  return pending;
}

async function generateSplit(seg: number, count: number): Promise<SplitMedia> {
  const dir = path.join(os.tmpdir(), `m3udl-live-split-v${SPLIT_VERSION}-${seg}s-${count}`);
  try {
    await stat(path.join(dir, 'done.json'));
  } catch {
    const work = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(path.join(work, 'video'), { recursive: true });
    await mkdir(path.join(work, 'audio'), { recursive: true });
    const seconds = seg * count;
    const fps = 10;
    // One encode, two HLS outputs: both keep the encoder's timestamps, so renditions line up by PTS.
    await ffmpeg([
      '-f', 'lavfi', '-i', `testsrc2=size=160x90:rate=${fps}:duration=${seconds}`,
      '-f', 'lavfi', '-i', `aevalsrc=exprs='0.5*sin(2*PI*(${TONE_BASE_HZ}+${TONE_STEP_HZ}*mod(floor(t/${seg}),${TONE_STEPS}))*t)':s=48000:d=${seconds}`,
      '-map', '0:v', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
      '-f', 'hls', '-hls_time', String(seg), '-hls_list_size', '0', '-hls_segment_filename', path.join(work, 'video', 's%03d.ts'), path.join(work, 'video', 'index.m3u8'),
      '-map', '1:a', '-c:a', 'aac', '-b:a', '48k', '-ac', '1',
      '-f', 'hls', '-hls_time', String(seg), '-hls_list_size', '0', '-hls_segment_filename', path.join(work, 'audio', 'a%03d.ts'), path.join(work, 'audio', 'index.m3u8'),
    ]);
    await writeFile(path.join(work, 'done.json'), '{}');
    try {
      await rename(work, dir);
    } catch {
      await rm(work, { recursive: true, force: true });
    }
  }
  const load = async (sub: string): Promise<{ bodies: Buffer[]; durations: number[] }> => {
    const names = (await readdir(path.join(dir, sub))).filter((n) => n.endsWith('.ts')).sort();
    const durations = [...(await readFile(path.join(dir, sub, 'index.m3u8'), 'utf8')).matchAll(/#EXTINF:([\d.]+)/g)].map((x) => Number(x[1]));
    return { bodies: await Promise.all(names.map((n) => readFile(path.join(dir, sub, n)))), durations };
  };
  const [video, audio] = await Promise.all([load('video'), load('audio')]);
  const n = Math.min(video.bodies.length, audio.bodies.length);
  const videoStarts = video.bodies.slice(0, n).map((b) => tsStart(b) ?? 0);
  return { video: video.bodies.slice(0, n), videoStarts, audio: audio.bodies.slice(0, n), videoDurations: video.durations.slice(0, n), audioDurations: audio.durations.slice(0, n) };
}

export async function startLiveOrigin(options: LiveOriginOptions = {}): Promise<LiveOrigin> {
  return new LiveOrigin(options).start();
}
