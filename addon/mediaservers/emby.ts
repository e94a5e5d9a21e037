import { z } from 'zod';
import type { ProviderKind } from '../domain/provider.js';
import { secretText, serverUrl } from './http.js';
import { createMediaBrowserServer, type MediaBrowserSettings } from './mediabrowser.js';
import type { MediaServer, MediaServerDeps } from './types.js';

/** Emby: an API key from Settings -> Advanced -> API Keys; see mediabrowser.ts for the wire format. */
export const embyKind: ProviderKind<'emby', MediaBrowserSettings, MediaServer, MediaServerDeps> = {
  kind: 'emby',
  label: 'Emby',
  settings: z.strictObject({
    url: serverUrl.describe('Server URL, e.g. http://192.168.1.10:8096'),
    api_key: secretText('an API key').describe('API key (Settings -> Advanced -> API Keys)'),
  }),
  secrets: ['api_key'],
  defaults: { url: 'http://localhost:8096' },
  create: (settings, deps) => createMediaBrowserServer('Emby', settings, deps),
};
