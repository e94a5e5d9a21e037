/**
 * MQTT `record` against a real mosquitto broker: a channel of a synced source by name (for a
 * duration, or a programme of its guide by title) or a URL; the answer on record/result, and the
 * per-job sensor carrying the recording's figures.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { startMosquitto, type Mosquitto } from '../fakes/mosquitto.js';
import { mqttProbe, type MqttProbe } from '../fakes/mqtt-probe.js';
import { liveMedia, startLiveOrigin, type LiveOrigin } from '../fakes/live-origin.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

let broker: Mosquitto;
let origin: LiveOrigin;
let list: http.Server;
let app: TestApp;
let probe: MqttProbe;
const base = `m3u_rec${process.pid}`;

beforeAll(async () => {
  await liveMedia(1);
  [broker, origin] = await Promise.all([startMosquitto(), startLiveOrigin({ segmentSeconds: 1 })]);
  const xt = (ms: number): string => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + ' +0000';
  const t = Date.now();
  list = http.createServer((req, res) => {
    if (req.url === '/guide.xml') {
      res.end(
        `<tv><channel id="NewsOne.uk"><display-name>News One</display-name></channel><programme start="${xt(t + 3_600_000)}" stop="${xt(t + 7_200_000)}" channel="NewsOne.uk"><title>The Big Match</title></programme></tv>`,
      );
      return;
    }
    res.end(`#EXTM3U url-tvg="http://127.0.0.1:${(list.address() as AddressInfo).port}/guide.xml"\n#EXTINF:-1 tvg-id="NewsOne.uk" group-title="News",News One HD\n${origin.url('plain')}\n`);
  });
  await new Promise<void>((r) => list.listen(0, '127.0.0.1', r));
  app = await makeTestApp({ MQTT_URL: broker.url, MQTT_BASE_TOPIC: base }, { notify: { mqttBackoff: { initialMs: 100, maxMs: 400 } } });
  const server = app.koa.callback();
  const created = await request(server).post('/api/sources').send({ name: 'IPTV', kind: 'm3u', url: `http://127.0.0.1:${(list.address() as AddressInfo).port}/list.m3u` });
  await request(server).post(`/api/sources/${created.body.id}/sync`);
  await waitFor(() => (app.notifications.status().mqtt.state === 'connected' ? true : undefined), 10_000, 'mqtt connected');
  probe = await mqttProbe(broker.url, [`${base}/#`]);
}, 120_000);

afterAll(async () => {
  await probe?.close();
  await app?.dispose();
  await Promise.all([broker?.close(), origin?.stop()]);
  await new Promise((r) => list?.close(r));
});

const answer = async (payload: string, match: string): Promise<{ ok: boolean; request_id?: string; job?: Job; error?: { code: string; message: string } }> => {
  await probe.publish(`${base}/record`, payload);
  return JSON.parse((await probe.next(`${base}/record/result`, (m) => m.payload.includes(match))).payload);
};

describe('MQTT record', () => {
  it('records a channel by name for a duration; the job sensor carries the recording figures', async () => {
    const res = await answer(JSON.stringify({ channel: 'news one', duration_s: 3, request_id: 'r-1' }), 'r-1');
    expect(res.ok).toBe(true);
    expect(res.job).toMatchObject({ title: 'News One', live: { duration_s: 3, channel: 'News One' }, content_type: 'recording' });
    const id = res.job!.id;
    const sensor = await probe.next(`${base}/job/${id}`, (m) => /"recorded_s":[1-9]/.test(m.payload), 20_000);
    expect(JSON.parse(sensor.payload).recording).toMatchObject({ target_s: 3, gaps: 0, lost_s: 0 });
    const job = await waitFor(() => (app.jobs.get(id).status === 'completed' ? app.jobs.get(id) : undefined), 30_000, 'completed');
    expect(job.recording!.ended).toBe('duration');
  });

  it('records a programme of the guide by title, and a URL until a time', async () => {
    const prog = await answer(JSON.stringify({ channel: 'NewsOne.uk', programme: 'the big match', request_id: 'r-2' }), 'r-2');
    expect(prog.ok).toBe(true);
    expect(prog.job).toMatchObject({ title: 'The Big Match', status: 'pending' });
    await app.jobs.cancel(prog.job!.id);
    const until = new Date(Date.now() + 3000).toISOString();
    const byUrl = await answer(JSON.stringify({ url: origin.url('plain'), until, title: 'By URL', request_id: 'r-3' }), 'r-3');
    expect(byUrl.ok).toBe(true);
    expect(byUrl.job).toMatchObject({ title: 'By URL', live: { until }, content_type: 'recording' });
    await waitFor(() => (app.jobs.get(byUrl.job!.id).status === 'completed' ? true : undefined), 30_000, 'url recording');
  });

  it('answers what is wrong: an unknown channel, a missing target, a programme that does not air', async () => {
    const unknown = await answer(JSON.stringify({ channel: 'Nope TV', request_id: 'e-1' }), 'e-1');
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const neither = await answer(JSON.stringify({ duration_s: 5, request_id: 'e-2' }), 'e-2');
    expect(neither.ok).toBe(false);
    expect(neither.error!.message).toMatch(/channel or a url/);
    const noShow = await answer(JSON.stringify({ channel: 'News One', programme: 'Other Show', request_id: 'e-3' }), 'e-3');
    expect(noShow.ok).toBe(false);
    expect(noShow.error!.message).toMatch(/does not air/);
  });
});
