import { listDestinations, normalizeServerUrl, testConnection, type Settings } from './api.js';
import { MESSAGES } from './messages.js';
import { loadSettings, saveSettings } from './storage.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const result = $<HTMLParagraphElement>('result');

function show(text: string, kind: 'ok' | 'bad' | ''): void {
  result.textContent = text;
  result.className = `message ${kind}`;
}

function read(): Settings {
  return {
    serverUrl: normalizeServerUrl($<HTMLInputElement>('serverUrl').value) ?? $<HTMLInputElement>('serverUrl').value.trim(),
    apiKey: $<HTMLInputElement>('apiKey').value.trim(),
    sendCookies: $<HTMLInputElement>('sendCookies').checked,
    defaultQuality: $<HTMLSelectElement>('defaultQuality').value,
    defaultContentType: $<HTMLSelectElement>('defaultContentType').value,
    defaultDestination: $<HTMLSelectElement>('defaultDestination').value,
  };
}

async function fillDestinations(settings: Settings): Promise<void> {
  const select = $<HTMLSelectElement>('defaultDestination');
  const items = (await listDestinations(settings).catch(() => ({ items: [] }))).items;
  select.replaceChildren(new Option("The server's default", ''), ...items.map((d) => new Option(d.name, d.id)));
  select.value = items.some((d) => d.id === settings.defaultDestination) ? settings.defaultDestination : '';
}

async function start(): Promise<void> {
  const settings = await loadSettings();
  $<HTMLInputElement>('serverUrl').value = settings.serverUrl;
  $<HTMLInputElement>('apiKey').value = settings.apiKey;
  $<HTMLInputElement>('sendCookies').checked = settings.sendCookies;
  $<HTMLSelectElement>('defaultQuality').value = settings.defaultQuality;
  $<HTMLSelectElement>('defaultContentType').value = settings.defaultContentType;
  if (settings.serverUrl && settings.apiKey) await fillDestinations(settings);
  $<HTMLSelectElement>('defaultDestination').value = settings.defaultDestination;

  $('test').addEventListener('click', async () => {
    show('Testing…', '');
    const current = read();
    try {
      show(await testConnection(current), 'ok');
      await fillDestinations(current);
    } catch (err) {
      show(err instanceof Error ? err.message : String(err), 'bad');
    }
  });
  $<HTMLFormElement>('form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const current = read();
    if (!normalizeServerUrl(current.serverUrl)) return show(MESSAGES.badUrl, 'bad');
    await saveSettings(current);
    show('Saved.', 'ok');
  });
}

void start();
