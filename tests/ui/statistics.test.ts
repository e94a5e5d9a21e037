/**
 * The Statistics view in Chromium, over a month of history written in the history file's own
 * format before the app starts, plus an alert raised by the real rules.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyHistory, recordOutcome } from '../../addon/metrics/history.js';
import type { TestApp } from '../helpers/app.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { artifactPath, ensurePanelBuilt, launchChromium, startPanelApp, type LaunchedBrowser } from './harness.js';

let app: TestApp;
let baseUrl: string;
let chrome: LaunchedBrowser;
const DAY = 24 * 3600_000;

/** 30 days: 3 to 8 completed downloads a day, a failure every third day, two sources. */
function monthOfHistory(now: number) {
  const h = emptyHistory();
  for (let d = 29; d >= 0; d--) {
    const day = now - d * DAY;
    const n = 3 + ((d * 7) % 6);
    for (let i = 0; i < n; i++) {
      recordOutcome(h, { at: day - i * 600_000, status: 'completed', kind: i % 3 ? 'hls' : 'direct', bytes: (400 + ((d + i) % 5) * 300) * 1e6, duration_s: 60 + i * 20, destination: 'default', source: i % 2 ? 'src-a' : 'src-b', reason: null });
    }
    if (d % 3 === 0) recordOutcome(h, { at: day - 3600_000, status: 'failed', kind: 'hls', bytes: 0, duration_s: null, destination: null, source: 'src-a', reason: d % 2 ? 'http_404' : 'segment_failed' });
  }
  return h;
}

beforeAll(async () => {
  ensurePanelBuilt();
  const dataDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'm3udl-stats-ui-')), 'data');
  await mkdir(dataDir, { recursive: true });
  await writeFile(path.join(dataDir, 'stats-history.json'), JSON.stringify(monthOfHistory(Date.now())));
  chrome = await launchChromium();
  ({ app, baseUrl } = await startPanelApp({ DATA_DIR: dataDir, ALERT_QUEUE_LENGTH: '1' }, { http: hangingHttp() }));
  // Two queued downloads behind a paused queue: over the queue threshold of 1.
  app.jobs.pauseQueue();
  app.jobs.create({ url: 'https://cdn.example/a.m3u8', title: 'A' });
  app.jobs.create({ url: 'https://cdn.example/b.m3u8', title: 'B' });
  const { raised } = await app.observability.alerts.evaluate();
  expect(raised.map((a) => a.id)).toEqual(['queue_long']);
});

afterAll(async () => {
  await chrome?.close();
  await app?.dispose();
});

describe('Statistics view', () => {
  for (const [name, viewport, dark] of [
    ['1280x800', { width: 1280, height: 800 }, false],
    ['390x844', { width: 390, height: 844 }, true],
  ] as const) {
    it(`shows a month of downloads as charts, the totals and the active alert (${name}${dark ? ', dark' : ''})`, async () => {
      const ctx = await chrome.browser.newContext({ viewport, colorScheme: dark ? 'dark' : 'light', deviceScaleFactor: 1, reducedMotion: 'reduce' });
      const page = await ctx.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('console', (msg) => void (msg.type() === 'error' && problems.push(msg.text())));
      try {
        await page.goto(`${baseUrl}/#/statistics`);
        await page.getByRole('heading', { name: 'Statistics' }).waitFor();
        const stats = (await (await fetch(`${baseUrl}/api/stats/downloads?range=30d`)).json()) as { completed: number; failed: number };
        expect(stats.completed).toBeGreaterThan(90);
        await expect.poll(() => page.locator('.tile', { hasText: 'Completed' }).locator('dd').textContent()).toBe(String(stats.completed));
        await page.getByText('2 downloads are waiting in the queue').waitFor();
        // Four time-series charts drawn (uPlot renders into a canvas) and the two bar lists.
        await expect.poll(() => page.locator('.chart canvas').count()).toBe(4);
        await page.getByText('src-a').waitFor();
        await page.getByText('Not found (404)').waitFor();
        // Nothing wider than the screen at 390 px.
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
        expect(overflow).toBeLessThanOrEqual(0);
        await page.screenshot({ path: await artifactPath(`statistics-${name}.png`), fullPage: true });
        // Another range redraws from the server.
        await page.getByRole('button', { name: '24 hours' }).click();
        await expect.poll(() => page.getByRole('heading', { name: 'Downloads per hour' }).count()).toBe(1);
        expect(problems).toEqual([]);
      } finally {
        await ctx.close();
      }
    });
  }
});

describe('Settings → Alerts', () => {
  it('an admin changes a threshold in the panel and the server uses it', async () => {
    const ctx = await chrome.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, reducedMotion: 'reduce' });
    const page = await ctx.newPage();
    try {
      await page.goto(`${baseUrl}/#/settings`);
      const form = page.getByRole('form', { name: 'Alert thresholds' });
      const queue = form.getByLabel('More downloads waiting than');
      await expect.poll(() => queue.inputValue()).toBe('1');
      await queue.fill('25');
      await form.getByRole('button', { name: 'Save thresholds' }).click();
      await expect.poll(() => app.settings.effective().alert_queue_length).toBe(25);
      await form.getByText('the add-on option is 1').waitFor();
    } finally {
      await ctx.close();
    }
  });
});
