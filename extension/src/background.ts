/**
 * The service worker (Chromium) or event page (Firefox): watches each tab's requests, keeps the
 * tab's entries, asks the server to probe them, sends downloads and watches them to the end.
 * Listeners are registered at the top level and state lives in storage, because the browser
 * stops this worker after ~30 s idle and starts it again on the next event.
 */
import { getJob, probe, sendDownload, ServerError, type SendRequest, type ServerJob, type Settings } from './api.js';
import { captureHeaders, classifyResponse, entryKey, upsertEntry, visibleEntries, type Entry, type JobState } from './detect.js';
import { MESSAGES } from './messages.js';
import { loadEntries, loadSettings, loadWatched, saveWatched, tabKey, type WatchedJob } from './storage.js';

const MENU_ID = 'send-to-downloader';
const POLL_MS = 1500;
const FINAL = new Set(['completed', 'failed', 'cancelled']);

// --- one writer per tab: webRequest events arrive in bursts; read-modify-write must not interleave.
const queues = new Map<number, Promise<unknown>>();
function withTab<T>(tabId: number, fn: (entries: Entry[]) => Promise<{ entries: Entry[]; result: T }> | { entries: Entry[]; result: T }): Promise<T> {
  const previous = queues.get(tabId) ?? Promise.resolve();
  const run = previous.then(async () => {
    const { entries, result } = await fn(await loadEntries(tabId));
    await chrome.storage.session.set({ [tabKey(tabId)]: entries });
    await updateBadge(tabId, entries);
    return result;
  });
  queues.set(tabId, run.catch(() => undefined));
  return run;
}

async function updateBadge(tabId: number, entries: Entry[]): Promise<void> {
  const count = visibleEntries(entries).length;
  await chrome.action.setBadgeText({ tabId, text: count > 0 ? String(count) : '' }).catch(() => undefined);
}

// --- request headers, kept for the few milliseconds until the response arrives.
const sentHeaders = new Map<string, chrome.webRequest.HttpHeader[]>();
let includeCookies = false;
void loadSettings().then((s) => (includeCookies = s.sendCookies));
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && changes.settings) includeCookies = (changes.settings.newValue as Settings | undefined)?.sendCookies ?? false;
});

const ALL = { urls: ['<all_urls>'] };
// Chromium hides Referer, Origin and Cookie unless asked with 'extraHeaders'; Firefox has no such option.
const extra = (chrome.webRequest as unknown as { OnSendHeadersOptions?: { EXTRA_HEADERS?: string } }).OnSendHeadersOptions?.EXTRA_HEADERS;
const sendOptions = (extra ? ['requestHeaders', extra] : ['requestHeaders']) as chrome.webRequest.OnSendHeadersOptions[];

chrome.webRequest.onSendHeaders.addListener(
  (details) => {
    if (details.tabId < 0 || !details.requestHeaders) return;
    sentHeaders.set(details.requestId, details.requestHeaders);
    if (sentHeaders.size > 2000) sentHeaders.delete(sentHeaders.keys().next().value as string);
  },
  ALL,
  sendOptions,
);

chrome.webRequest.onBeforeRequest.addListener((details) => {
  // A new page in the tab: what the old page played is gone.
  if (details.type === 'main_frame' && details.tabId >= 0) void withTab(details.tabId, () => ({ entries: [], result: undefined }));
  return undefined;
}, ALL);

chrome.webRequest.onErrorOccurred.addListener((details) => void sentHeaders.delete(details.requestId), ALL);

chrome.webRequest.onHeadersReceived.addListener(
  (details) => {
    const headers = sentHeaders.get(details.requestId) ?? [];
    sentHeaders.delete(details.requestId);
    if (details.tabId < 0) return undefined;
    const found = classifyResponse({ url: details.url, method: details.method, type: details.type, statusCode: details.statusCode, responseHeaders: details.responseHeaders ?? [] });
    if (!found) return undefined;
    const captured = captureHeaders(headers, { includeCookies });
    void noteMedia(details.tabId, { url: details.url, kind: found.kind, size: found.size, referer: captured.referer, headers: captured.headers });
    return undefined;
  },
  ALL,
  ['responseHeaders'],
);

async function pageInfo(tabId: number): Promise<{ pageUrl: string | null; pageTitle: string | null }> {
  const tab = await chrome.tabs.get(tabId).catch(() => null);
  let title = tab?.title ?? null;
  try {
    // og:title names the video better than a title like "Watch | Site"; needs the page's host access.
    const [frame] = await chrome.scripting.executeScript({
      target: { tabId },
      func: () => (document.querySelector('meta[property="og:title"]') as HTMLMetaElement | null)?.content?.trim() || document.title,
    });
    if (typeof frame?.result === 'string' && frame.result) title = frame.result;
  } catch {
    // No access to this page (or it is still loading): the tab title will do.
  }
  return { pageUrl: tab?.url && /^https?:/.test(tab.url) ? tab.url : null, pageTitle: title };
}

async function noteMedia(tabId: number, seen: Pick<Entry, 'url' | 'kind' | 'size' | 'referer' | 'headers'>): Promise<void> {
  // A live playlist is fetched every few seconds: read the page's title only for a new entry.
  const known = (await loadEntries(tabId)).find((e) => e.url === entryKey(seen.url));
  const page = known ? { pageUrl: known.pageUrl, pageTitle: known.pageTitle } : await pageInfo(tabId);
  const added = await withTab(tabId, (entries) => {
    const r = upsertEntry(entries, { ...seen, pageUrl: page.pageUrl, pageTitle: page.pageTitle }, Date.now());
    return { entries: r.entries, result: r.added };
  });
  if (added) await probeEntry(tabId, entryKey(seen.url));
}

/** Asks the server what an entry is; the answer decides its qualities and collapses its variants. */
export async function probeEntry(tabId: number, url: string): Promise<void> {
  const settings = await loadSettings();
  const entry = (await loadEntries(tabId)).find((e) => e.url === url);
  if (!entry) return;
  const setProbe = (probeState: Entry['probe']): Promise<void> =>
    withTab(tabId, (entries) => ({ entries: entries.map((e) => (e.url === url ? { ...e, probe: probeState } : e)), result: undefined }));
  if (!settings.serverUrl || !settings.apiKey) return setProbe({ state: 'error', code: 'not_configured', message: MESSAGES.notConfigured });
  await setProbe({ state: 'pending' });
  try {
    const result = await probe(settings, {
      url,
      ...(entry.referer ? { referer: entry.referer } : {}),
      ...(Object.keys(entry.headers).length ? { headers: entry.headers } : {}),
      // The page's title is a title candidate: the server's suggestion falls back to it, not to the URL.
      ...(entry.pageTitle ? { page_title: entry.pageTitle } : {}),
    });
    await setProbe({ state: 'done', result });
  } catch (err) {
    const e = err instanceof ServerError ? err : new ServerError(String(err), 0, 'error');
    await setProbe({ state: 'error', code: e.code, message: e.code === 'dash_not_supported' ? MESSAGES.dashNotYet : e.message });
  }
}

// --- sending and watching jobs.

function jobState(job: ServerJob): JobState {
  return { id: job.id, status: job.status, progress: job.progress, location: job.location ?? job.file_path ?? null, error: job.error?.message ?? null };
}

async function setEntryJob(tabId: number | null, url: string | null, job: JobState): Promise<void> {
  if (tabId === null || url === null) return;
  await withTab(tabId, (entries) => ({ entries: entries.map((e) => (e.url === url ? { ...e, job } : e)), result: undefined }));
}

export async function send(request: SendRequest, from: { tabId: number | null; entryUrl: string | null }): Promise<ServerJob> {
  const settings = await loadSettings();
  const job = await sendDownload(settings, request);
  await setEntryJob(from.tabId, from.entryUrl, jobState(job));
  const watched = await loadWatched();
  watched.push({ jobId: job.id, tabId: from.tabId, url: from.entryUrl, title: job.title || request.title || request.url });
  await saveWatched(watched);
  startPolling();
  return job;
}

let polling = false;
/** Follows watched jobs until they end; each round's storage calls also keep the worker alive. */
function startPolling(): void {
  if (polling) return;
  polling = true;
  const round = async (): Promise<void> => {
    const watched = await loadWatched();
    if (watched.length === 0) {
      polling = false;
      return;
    }
    const settings = await loadSettings();
    const still: WatchedJob[] = [];
    for (const w of watched) {
      try {
        const job = await getJob(settings, w.jobId);
        await setEntryJob(w.tabId, w.url, jobState(job));
        if (FINAL.has(job.status)) await notifyEnd(w, job);
        else still.push(w);
      } catch (err) {
        // A server that is briefly away keeps the job watched; a deleted job ends the watch.
        if (!(err instanceof ServerError && err.status === 404)) still.push(w);
      }
    }
    await saveWatched(still);
    setTimeout(() => void round().catch(() => (polling = false)), POLL_MS);
  };
  void round().catch(() => (polling = false));
}

async function notifyEnd(w: WatchedJob, job: ServerJob): Promise<void> {
  if (job.status === 'cancelled') return;
  const ok = job.status === 'completed';
  await chrome.notifications
    .create(`job:${job.id}`, {
      type: 'basic',
      iconUrl: chrome.runtime.getURL('icon-128.png'),
      title: ok ? `Downloaded: ${w.title}` : `Download failed: ${w.title}`,
      // Title, message and icon only: Firefox rejects the options it does not support (contextMessage, buttons).
      message: ok ? `In the library: ${job.location ?? job.file_path ?? ''}` : (job.error?.message ?? 'the download failed'),
    })
    .catch(() => undefined);
}

chrome.notifications.onClicked.addListener((id) => {
  if (!id.startsWith('job:')) return;
  void loadSettings().then((s) => {
    if (s.serverUrl) void chrome.tabs.create({ url: s.serverUrl });
  });
});

// --- the context menu on links, videos and audio.

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.removeAll(() => {
    chrome.contextMenus.create({ id: MENU_ID, title: 'Send to downloader', contexts: ['link', 'video', 'audio'] });
  });
});

export async function onContextMenu(info: Pick<chrome.contextMenus.OnClickData, 'menuItemId' | 'linkUrl' | 'srcUrl' | 'pageUrl' | 'frameUrl'>, tab: Pick<chrome.tabs.Tab, 'id' | 'title' | 'url'> | undefined): Promise<ServerJob | null> {
  if (info.menuItemId !== MENU_ID) return null;
  const url = info.srcUrl ?? info.linkUrl ?? '';
  const notify = (title: string, message: string): Promise<unknown> =>
    chrome.notifications.create({ type: 'basic', iconUrl: chrome.runtime.getURL('icon-128.png'), title, message }).catch(() => undefined);
  if (!/^https?:/.test(url)) {
    await notify('Cannot send this video', url.startsWith('blob:') ? MESSAGES.blobUrl : `Only http(s) links can be sent (${url.slice(0, 60)}).`);
    return null;
  }
  // Headers the page sent for this very URL, when the tab fetched it; else the page as Referer.
  const tabId = tab?.id ?? null;
  const known = tabId !== null ? (await loadEntries(tabId)).find((e) => e.url === entryKey(url)) : undefined;
  const page = info.frameUrl ?? info.pageUrl ?? tab?.url;
  const settings = await loadSettings();
  const request: SendRequest = {
    url,
    ...(known?.referer ?? (page && /^https?:/.test(page) ? page : null) ? { referer: (known?.referer ?? page)! } : {}),
    ...(known && Object.keys(known.headers).length ? { headers: known.headers } : {}),
    ...(tab?.url && /^https?:/.test(tab.url) ? { page_url: tab.url } : {}),
    ...(tab?.title ? { page_title: tab.title } : {}),
    ...(settings.defaultQuality ? { quality: settings.defaultQuality } : {}),
    ...(settings.defaultDestination ? { destination: settings.defaultDestination } : {}),
    ...(settings.defaultContentType ? { content_type: settings.defaultContentType } : {}),
  };
  try {
    const job = await send(request, { tabId, entryUrl: known ? known.url : null });
    await notify('Sent to the downloader', job.title || url);
    return job;
  } catch (err) {
    await notify('Could not send to the downloader', err instanceof Error ? err.message : String(err));
    return null;
  }
}

chrome.contextMenus.onClicked.addListener((info, tab) => void onContextMenu(info, tab));

chrome.tabs.onRemoved.addListener((tabId) => {
  queues.delete(tabId);
  void chrome.storage.session.remove(tabKey(tabId));
});

// --- messages from the popup.

export type BackgroundMessage =
  | { type: 'send'; tabId: number; entryUrl: string; request: SendRequest }
  | { type: 'probe'; tabId: number; url: string };

chrome.runtime.onMessage.addListener((message: BackgroundMessage, _sender, reply) => {
  const done = (p: Promise<unknown>): true => {
    p.then((value) => reply({ ok: true, value }), (err: unknown) => reply({ ok: false, error: err instanceof Error ? err.message : String(err) }));
    return true;
  };
  if (message.type === 'send') return done(send(message.request, { tabId: message.tabId, entryUrl: message.entryUrl }));
  if (message.type === 'probe') return done(probeEntry(message.tabId, message.url));
  return false;
});

// A worker started again while jobs were being watched picks the watch up again.
startPolling();

// The context-menu path, reachable from the worker's own console and the browser tests (pages cannot reach it).
(globalThis as unknown as { m3udl: unknown }).m3udl = { onContextMenu, probeEntry };
