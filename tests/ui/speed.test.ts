/** The speed limit and its weekly schedule in the panel (Chromium), against the real API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { artifactPath, ensurePanelBuilt, launchChromium, startPanelApp, type LaunchedBrowser } from './harness.js';

let app: TestApp;
let baseUrl: string;
let chrome: LaunchedBrowser;

beforeAll(async () => {
  ensurePanelBuilt();
  chrome = await launchChromium();
  ({ app, baseUrl } = await startPanelApp({}, { http: hangingHttp() }));
});
afterAll(async () => {
  await chrome?.close();
  await app?.dispose();
});

describe('Settings → Speed', () => {
  it('turns the limit on (the header shows it), then saves a schedule rule the server describes', async () => {
    const ctx = await chrome.browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, reducedMotion: 'reduce' });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    try {
      await page.goto(`${baseUrl}/#/settings`);
      const limit = page.getByRole('form', { name: 'Speed limit' });
      await expect.poll(() => page.getByTestId('speed-now').textContent()).toBe('No limit');
      await limit.getByLabel('Limit speed').check();
      await limit.getByLabel('Limit (KB/s, all downloads together)').fill('1024');
      await limit.getByRole('button', { name: 'Apply' }).click();
      await expect.poll(() => page.getByTestId('speed-chip').textContent()).toBe('≤ 1.0 MB/s');
      expect(app.speed.current().state).toMatchObject({ mode: 'limited', limit_bps: 1024 * 1024 });

      const schedule = page.getByRole('form', { name: 'Speed schedule' });
      await schedule.getByRole('button', { name: 'Add a rule' }).click();
      const rule = schedule.getByRole('listitem', { name: 'Rule 1' });
      await rule.getByLabel('Name').fill('Weekend nights');
      for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']) await rule.getByRole('button', { name: day }).click();
      for (const day of ['Sat', 'Sun']) await rule.getByRole('button', { name: day }).click();
      await rule.getByLabel('From').fill('23:00');
      await rule.getByLabel('To').fill('07:00');
      await rule.getByLabel('Do').selectOption('unlimited');
      await schedule.getByRole('button', { name: 'Save schedule' }).click();
      await expect.poll(() => app.speed.current().settings.schedule.length).toBe(1);
      const res = (await (await fetch(`${baseUrl}/api/speed-limit`)).json()) as { schedule: Array<{ summary: string }> };
      expect(res.schedule.map((r) => r.summary)).toEqual(['Sat, Sun 23:00-07:00: no limit']);
      await page.screenshot({ path: await artifactPath('speed-1280x800.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByRole('heading', { name: 'Speed' }).scrollIntoViewIfNeeded();
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: await artifactPath('speed-390x844.png') });
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
