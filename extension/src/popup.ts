import { listDestinations, type SendRequest, type Settings } from './api.js';
import { formatBytes, formatDuration, qualityChoices, visibleEntries, type Entry } from './detect.js';
import { MESSAGES } from './messages.js';
import { loadEntries, loadSettings, tabKey } from './storage.js';

const CONTENT_TYPES: Array<[string, string]> = [['', 'Type: automatic'], ['movie', 'Movie'], ['series', 'Series'], ['novela', 'Novela'], ['other', 'Other']];
const STATUS_TEXT: Record<string, string> = {
  pending: 'Queued', downloading: 'Downloading', merging: 'Merging', transferring: 'Moving to the library', completed: 'Completed', failed: 'Failed', paused: 'Paused', cancelled: 'Cancelled',
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

async function currentTabId(): Promise<number | null> {
  // ?tab=<id> opens the popup for a given tab (the browser tests; a pinned popup window).
  const param = new URLSearchParams(location.search).get('tab');
  if (param && /^\d+$/.test(param)) return Number(param);
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

/** Inputs the user is editing survive re-renders (storage changes arrive every poll). */
const drafts = new Map<string, { title?: string; quality?: string; contentType?: string; destination?: string }>();
let destinations: Array<{ id: string; name: string }> = [];

function facts(entry: Entry): string {
  if (entry.probe?.state !== 'done') return entry.size !== null ? formatBytes(entry.size) : '';
  const r = entry.probe.result;
  const parts: string[] = [];
  if (r.live) parts.push('Live');
  if (r.duration_s !== null) parts.push(formatDuration(r.duration_s));
  if (r.variants.length > 0) parts.push(`${r.variants.length} ${r.variants.length === 1 ? 'quality' : 'qualities'}`);
  if (r.audio.length > 0) parts.push(`audio: ${r.audio.map((a) => a.language ?? a.name).join(', ')}`);
  if (r.subtitles.length > 0) parts.push(`subtitles: ${r.subtitles.map((s) => s.language ?? s.name).join(', ')}`);
  if (r.estimated_bytes !== null) parts.push(`~${formatBytes(r.estimated_bytes)}`);
  if (r.container) parts.push(r.container.toUpperCase());
  return parts.join(' · ');
}

function select(name: string, label: string, options: Array<[string, string]>, value: string, onChange: (v: string) => void): HTMLSelectElement {
  const s = el('select', { name });
  s.setAttribute('aria-label', label);
  for (const [v, label] of options) s.append(el('option', { value: v, textContent: label, selected: v === value }));
  s.addEventListener('change', () => onChange(s.value));
  return s;
}

function renderEntry(entry: Entry, tabId: number, settings: Settings): HTMLElement {
  const draft = drafts.get(entry.url) ?? {};
  drafts.set(entry.url, draft);
  const card = el('article', { className: 'entry' });
  card.dataset.url = entry.url;
  card.dataset.kind = entry.kind;
  const name = decodeURIComponent(new URL(entry.url).pathname.split('/').pop() || entry.url);
  card.append(el('div', { className: 'top' }, el('span', { className: 'kind', textContent: entry.kind === 'direct' ? 'FILE' : entry.kind.toUpperCase() }), el('span', { className: 'url', title: entry.url, textContent: `${new URL(entry.url).host} · ${name}` })));

  const probe = entry.probe;
  const factsLine = el('div', { className: 'facts', textContent: facts(entry) });
  card.append(factsLine);
  const drm = probe?.state === 'done' && probe.result.drm;
  if (probe?.state === 'pending') factsLine.textContent = 'Asking the server…';
  if (probe?.state === 'error') {
    card.append(el('div', { className: probe.code === 'dash_not_supported' ? 'status warn' : 'status bad', textContent: probe.message }));
    if (probe.code !== 'dash_not_supported') {
      const retry = el('button', { textContent: 'Ask again', type: 'button' });
      retry.addEventListener('click', () => void chrome.runtime.sendMessage({ type: 'probe', tabId, url: entry.url }));
      card.append(el('div', { className: 'actions' }, retry));
    }
  }
  if (drm) card.append(el('div', { className: 'status bad', textContent: MESSAGES.drm }));
  else if (probe?.state === 'done' && probe.result.note) card.append(el('div', { className: 'note muted', textContent: probe.result.note }));

  if (entry.job) {
    const job = entry.job;
    const status = el('div', { className: `status ${job.status === 'completed' ? 'ok' : job.status === 'failed' ? 'bad' : ''}` });
    status.dataset.status = job.status;
    status.textContent =
      job.status === 'completed' ? `Completed${job.location ? `: ${job.location}` : ''}` : job.status === 'failed' ? `Failed: ${job.error ?? 'unknown error'}` : `${STATUS_TEXT[job.status] ?? job.status} ${Math.round(job.progress)}%`;
    const bar = el('div', { className: 'progress' }, el('div'));
    (bar.firstElementChild as HTMLElement).style.width = `${Math.max(0, Math.min(100, job.progress))}%`;
    card.append(status);
    if (job.status !== 'completed' && job.status !== 'failed') card.append(bar);
    return card;
  }

  const sendable = probe?.state === 'done' && !drm;
  // The server's suggestion once the probe answered (it weighs the file's own name and tag above
  // the page title it was sent), the page title until then.
  const suggested = (probe?.state === 'done' ? probe.result.title : undefined) ?? entry.pageTitle ?? '';
  const title = el('input', { type: 'text', name: 'title', value: draft.title ?? suggested, placeholder: 'Title' });
  title.setAttribute('aria-label', 'Title');
  title.addEventListener('input', () => (draft.title = title.value));
  card.append(title);
  const qualities = qualityChoices(probe?.state === 'done' ? probe.result : null);
  const row = el('div', { className: 'row' });
  if (qualities.length > 0) {
    const wanted = draft.quality ?? (qualities.some((q) => q.value === settings.defaultQuality) ? settings.defaultQuality : 'best');
    row.append(select('quality', 'Quality', [['best', 'Best quality'], ...qualities.map((q): [string, string] => [q.value, q.label])], wanted, (v) => (draft.quality = v)));
  }
  row.append(select('content_type', 'Content type', CONTENT_TYPES, draft.contentType ?? settings.defaultContentType, (v) => (draft.contentType = v)));
  if (destinations.length > 0) {
    row.append(select('destination', 'Library destination', [['', 'Library: default'], ...destinations.map((d): [string, string] => [d.id, d.name])], draft.destination ?? settings.defaultDestination, (v) => (draft.destination = v)));
  }
  card.append(row);
  const error = el('div', { className: 'send-error bad' });
  const sendButton = el('button', { className: 'primary', textContent: 'Send', type: 'button', disabled: !sendable });
  sendButton.addEventListener('click', async () => {
    sendButton.disabled = true;
    error.textContent = '';
    const quality = draft.quality ?? (qualities.length ? (qualities.some((q) => q.value === settings.defaultQuality) ? settings.defaultQuality : 'best') : undefined);
    const contentType = draft.contentType ?? settings.defaultContentType;
    const destination = draft.destination ?? settings.defaultDestination;
    const request: SendRequest = {
      url: entry.url,
      // Only a title the user typed is sent as one (and kept); an untouched suggestion is left to
      // the server, which names the job from the same evidence and may find more once the download starts.
      ...(title.value.trim() && title.value.trim() !== suggested ? { title: title.value.trim() } : {}),
      ...(quality ? { quality } : {}),
      ...(contentType ? { content_type: contentType } : {}),
      ...(destination && destinations.some((d) => d.id === destination) ? { destination } : {}),
      ...(entry.referer ? { referer: entry.referer } : {}),
      ...(Object.keys(entry.headers).length ? { headers: entry.headers } : {}),
      ...(entry.pageUrl ? { page_url: entry.pageUrl } : {}),
      ...(entry.pageTitle ? { page_title: entry.pageTitle } : {}),
    };
    const answer = (await chrome.runtime.sendMessage({ type: 'send', tabId, entryUrl: entry.url, request })) as { ok: boolean; error?: string };
    if (!answer.ok) {
      error.textContent = answer.error ?? 'could not send';
      sendButton.disabled = false;
    }
  });
  card.append(error, el('div', { className: 'actions' }, sendButton));
  return card;
}

async function render(tabId: number): Promise<void> {
  const settings = await loadSettings();
  const main = document.getElementById('entries')!;
  const notice = document.getElementById('notice')!;
  const panel = document.getElementById('panel') as HTMLAnchorElement;
  panel.hidden = !settings.serverUrl;
  if (settings.serverUrl) panel.href = settings.serverUrl;
  notice.replaceChildren();
  notice.hidden = true;
  if (!settings.serverUrl || !settings.apiKey) {
    notice.hidden = false;
    const open = el('button', { textContent: 'Open options', type: 'button' });
    open.addEventListener('click', () => void chrome.runtime.openOptionsPage());
    notice.append(el('div', { textContent: MESSAGES.notConfigured }), open);
  } else if (!(await chrome.permissions.contains({ origins: ['<all_urls>'] }))) {
    notice.hidden = false;
    const grant = el('button', { textContent: 'Allow on all sites', type: 'button' });
    grant.addEventListener('click', () => void chrome.permissions.request({ origins: ['<all_urls>'] }).then(() => render(tabId)));
    notice.append(el('div', { textContent: 'To see the streams a page plays (often from another host), the extension needs access to all sites. Then reload the page.' }), grant);
  }
  const entries = visibleEntries(await loadEntries(tabId));
  const focused = document.activeElement instanceof HTMLInputElement || document.activeElement instanceof HTMLSelectElement ? (document.activeElement.closest('.entry') as HTMLElement | null)?.dataset.url : undefined;
  if (focused && entries.some((e) => e.url === focused && !e.job)) return; // do not pull the field from under the user's fingers
  main.replaceChildren(...(entries.length > 0 ? entries.map((e) => renderEntry(e, tabId, settings)) : [el('p', { className: 'empty', textContent: 'Nothing found yet. Play the video, then open this again.' })]));
}

async function start(): Promise<void> {
  document.getElementById('options')!.addEventListener('click', (e) => {
    e.preventDefault();
    void chrome.runtime.openOptionsPage();
  });
  const tabId = await currentTabId();
  if (tabId === null) return;
  const settings = await loadSettings();
  if (settings.serverUrl && settings.apiKey) destinations = (await listDestinations(settings).catch(() => ({ items: [] }))).items;
  await render(tabId);
  chrome.storage.onChanged.addListener((changes, area) => {
    if ((area === 'session' && changes[tabKey(tabId)]) || (area === 'local' && changes.settings)) void render(tabId);
  });
}

void start();
