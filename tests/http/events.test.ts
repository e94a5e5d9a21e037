import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureFixtures, type Fixtures } from '../fixtures/media.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

let fx: Fixtures;
let origin: HlsOrigin;
let app: TestApp;
let server: Server;

beforeAll(async () => {
  fx = await ensureFixtures();
  origin = await startHlsOrigin({ perConnectionBytesPerSec: 25_000 });
  app = await makeTestApp({ SEGMENT_CONCURRENCY: '2', API_KEY: 'k' });
  server = await app.listen(0, '127.0.0.1');
});
afterAll(async () => {
  await app?.dispose();
  await origin?.close();
});

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
  at: number;
}

describe('GET /api/events', () => {
  it('streams added, progress (at most ~2/s per job) and status events', async () => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const controller = new AbortController();
    const res = await fetch(`${base}/api/events?token=k`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events: SseEvent[] = [];
    // When each progress event left the server (the throttle's clock, free of client-side lag).
    const emittedAt: number[] = [];
    const offProgress = app.bus.on('job.progress', () => void emittedAt.push(Date.now()));
    let sawCompleted!: () => void;
    const completed = new Promise<void>((resolve) => (sawCompleted = resolve));
    const reader = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) {
            events.push({ event, data: JSON.parse(data), at: Date.now() });
            if (event === 'job.status' && events.at(-1)!.data.status === 'completed') sawCompleted();
          }
        }
      }
    })().catch(() => undefined);

    const post = await fetch(`${base}/api/downloads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: JSON.stringify({ url: origin.url(fx.scenarios.plain.playlist), title: 'sse' }),
    });
    const { id } = (await post.json()) as { id: string };
    // The stream's own completed event ends the wait (the test's timeout bounds it).
    await completed;
    offProgress();
    controller.abort();
    await reader;

    // The stream also carries other events: the default destination's first health check
    // (unknown -> online) lands before or after the job depending on load.
    const jobEvents = events.filter((e) => e.event.startsWith('job.'));
    expect(jobEvents[0]).toMatchObject({ event: 'job.added', data: { id, title: 'sse' } });
    const others = events.filter((e) => !e.event.startsWith('job.'));
    expect(others.every((e) => e.event === 'destination.status' && e.data.status === 'online')).toBe(true);
    const statuses = events.filter((e) => e.event === 'job.status').map((e) => e.data.status);
    expect(statuses).toEqual(['downloading', 'merging', 'transferring', 'completed']); // transferring: into the media folder (the default destination)
    const progress = events.filter((e) => e.event === 'job.progress');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((e) => e.data.id === id)).toBe(true);
    // Throttled: no two progress events of one job closer than ~0.5 s (some slack for timers).
    expect(emittedAt.length).toBe(progress.length);
    for (let i = 1; i < emittedAt.length; i++) expect(emittedAt[i]! - emittedAt[i - 1]!).toBeGreaterThan(350);
    const last = progress.filter((e) => e.data.status === 'downloading').at(-1)!;
    expect(last.data.segments_total).toBe(fx.scenarios.plain.segmentCount);
  });

  it('needs the key when one is configured', async () => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/api/events`);
    expect(res.status).toBe(401);
  });
});
