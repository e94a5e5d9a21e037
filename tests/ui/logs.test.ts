/** The Logs view in Chromium: readable system lines with a filter and raw JSON, and roles respected. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogBuffer } from '../../addon/platform/log-buffer.js';
import type { TestApp } from '../helpers/app.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { ensurePanelBuilt, launchChromium, startPanelApp, type LaunchedBrowser } from './harness.js';

let app: TestApp;
let baseUrl: string;
let chrome: LaunchedBrowser;
const logs = new LogBuffer(100);

beforeAll(async () => {
  ensurePanelBuilt();
  chrome = await launchChromium();
  ({ app, baseUrl } = await startPanelApp({}, { http: hangingHttp(), logBuffer: logs }));
});
afterAll(async () => {
  await chrome?.close();
  await app?.dispose();
});

async function open(key: string | null) {
  const ctx = await chrome.browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  if (key) await ctx.addInitScript(`localStorage.setItem('m3udl.apiKey', ${JSON.stringify(key)})`);
  const page = await ctx.newPage();
  const refused: string[] = [];
  page.on('response', (r) => void (r.status() === 401 || r.status() === 403 ? refused.push(`${r.status()} ${r.url()}`) : undefined));
  return { ctx, page, refused };
}

describe('Logs view', () => {
  it('an admin reads system lines, filters them, and opens one line as raw JSON', async () => {
    logs.push(JSON.stringify({ level: 30, time: Date.now(), msg: 'source synced', source: 'Local provider', new_items: 3 }));
    logs.push(JSON.stringify({ level: 50, time: Date.now(), msg: 'destination check failed', destination: 'NAS', code: 'destination_unreachable' }));
    const { ctx, page, refused } = await open(null);
    try {
      await page.goto(`${baseUrl}/#/logs`);
      await page.getByRole('button', { name: 'System log' }).click();
      const log = page.getByRole('log', { name: 'System log' });
      const line = log.locator('summary', { hasText: 'destination check failed' });
      await line.waitFor();
      await page.getByPlaceholder('Filter').fill('unreachable');
      await expect.poll(() => log.locator('details').count()).toBe(1);
      await line.click();
      await expect.poll(() => log.locator('pre.raw').first().textContent()).toContain('"code": "destination_unreachable"');
      expect(refused).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('a viewer is told the logs are for operators, and nothing is refused', async () => {
    const key = await app.auth.createKey({ name: 'viewer', role: 'viewer' }, 'test');
    const { ctx, page, refused } = await open(key.key);
    try {
      await page.goto(`${baseUrl}/#/logs`);
      await page.getByText('Logs are for operators and admins').waitFor();
      expect(await page.getByRole('button', { name: 'System log' }).count()).toBe(0);
      expect(refused).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
