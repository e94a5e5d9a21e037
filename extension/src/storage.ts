import { DEFAULT_SETTINGS, type Settings } from './api.js';
import type { Entry } from './detect.js';

/**
 * Where state lives: settings (and the API key) in storage.local, never synced and never logged;
 * each tab's entries and the jobs being watched in storage.session (kept while the browser runs,
 * across service-worker restarts, gone when it closes).
 */
export async function loadSettings(): Promise<Settings> {
  const stored = (await chrome.storage.local.get('settings')) as { settings?: Partial<Settings> };
  return { ...DEFAULT_SETTINGS, ...(stored.settings ?? {}) };
}

export async function saveSettings(settings: Settings): Promise<void> {
  await chrome.storage.local.set({ settings });
}

export const tabKey = (tabId: number): string => `tab:${tabId}`;

export async function loadEntries(tabId: number): Promise<Entry[]> {
  const key = tabKey(tabId);
  const stored = (await chrome.storage.session.get(key)) as Record<string, Entry[] | undefined>;
  return stored[key] ?? [];
}

/** A watched job: sent from this browser, reported by a notification when it ends. */
export interface WatchedJob {
  jobId: string;
  tabId: number | null;
  url: string | null;
  title: string;
}

export async function loadWatched(): Promise<WatchedJob[]> {
  const stored = (await chrome.storage.session.get('watched')) as { watched?: WatchedJob[] };
  return stored.watched ?? [];
}

export async function saveWatched(watched: WatchedJob[]): Promise<void> {
  await chrome.storage.session.set({ watched });
}
