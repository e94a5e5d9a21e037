/**
 * The panel's add form asks POST /api/probe before queueing: the stream's own qualities in the
 * quality menu, its duration and size, and the server's reason when it cannot be fetched. The job
 * card shows the page a download came from (the browser extension sends it).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, type Fixtures } from '../fixtures/media.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { ensurePanelBuilt, launchChromium, type LaunchedBrowser } from './harness.js';

describe('panel: checking a stream before adding it', () => {
  let fx: Fixtures;
  let origin: HlsOrigin;
  let app: TestApp;
  let server: Server;
  let baseUrl: string;
  let chrome: LaunchedBrowser;

  beforeAll(async () => {
    ensurePanelBuilt();
    fx = await ensureFixtures();
    [origin, chrome, app] = await Promise.all([startHlsOrigin(), launchChromium(), makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '1' })]);
    server = await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.dispose();
    await origin?.close();
  });

  it('shows the facts and offers the stream\'s own qualities; names a refusal', async () => {
    const page = await chrome.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${baseUrl}/`);
    // No button to press: pasting (or typing) the URL asks the server.
    await page.fill('#add-url', origin.url(fx.master.playlist));
    const facts = page.getByTestId('probe-facts');
    await facts.waitFor();
    const byHeight = [...fx.master.variants].sort((a, b) => b.height - a.height);
    const heights = byHeight.map((v) => v.height);
    expect(await facts.textContent()).toMatch(new RegExp(`^HLS · \\d+s · ${heights.map((h) => `${h}p`).join(', ')} · audio: en · ~`));
    const options = await page.locator('#add-quality option').evaluateAll((o) => o.map((x) => (x as unknown as { value: string }).value));
    expect(options).toEqual(['best', ...byHeight.map((v) => `${v.height}p@${v.bandwidth}`), 'worst']);

    await page.fill('#add-url', origin.url('referer/index.m3u8'));
    const error = page.getByTestId('probe-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/answered HTTP 403: it refused: the page may need to send its Referer/);
    // A refusal holds the Add button until the user says "Add anyway" (or adds the Referer).
    expect(await page.getByRole('button', { name: 'Add', exact: true }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Add anyway' }).waitFor();
    // Back to the generic menu for a URL the probe has not described.
    expect(await page.locator('#add-quality option').count()).toBe(6);
    await page.close();
  });

  it('shows on the job card the page a download came from', async () => {
    const hanging = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '1' }, { http: hangingHttp() });
    const s = await hanging.listen(0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
      await fetch(`${url}/api/downloads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'https://cdn.example/v/master.m3u8', page_url: 'https://video.example/watch/42', page_title: 'The Big Match' }),
      });
      const page = await chrome.browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${url}/`);
      const card = page.locator('article.job[aria-label="The Big Match"]');
      await card.waitFor();
      const link = card.locator('a.page');
      expect([await link.textContent(), await link.getAttribute('href')]).toEqual(['from video.example', 'https://video.example/watch/42']);
      await page.close();
    } finally {
      await hanging.dispose();
    }
  });
});
