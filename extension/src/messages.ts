/** Every sentence the extension shows about the server, in one place (tests compare them exactly). */
export const MESSAGES = {
  notConfigured: 'Set the server address and API key in the extension options first.',
  badUrl: 'The server address must start with http:// or https:// (for example http://192.168.1.10:8099).',
  unreachable: (url: string) => `Cannot reach the server at ${url}. Is it running, and is the address right?`,
  unreachableTls: (url: string) =>
    `Cannot reach the server at ${url}. If it is running with a self-signed certificate, open ${url} in a browser tab, accept the certificate, then try again (or use its http:// address on your home network).`,
  notOurServer: (url: string) => `${url} answered, but it is not the downloader (no /api/health). Check the address and port.`,
  keyRejected: 'The server rejected the API key (401). Create a key in the panel with "Connect a browser" and paste it here.',
  wrongRole: (role: string) => `This API key has the ${role} role; sending downloads needs an operator (or admin) key.`,
  oldServer: (version: string) => `The server (version ${version}) is too old for this extension: it has no /api/probe. Update the add-on.`,
  connected: (version: string, name: string, role: string) => `Connected to the downloader ${version} as "${name}" (${role}).`,
  drm: 'This stream is encrypted with DRM and cannot be downloaded.',
  dashNotYet: 'DASH (.mpd): not supported yet by this server.',
  blobUrl: 'This video plays from a blob: URL (a stream fed by script). Open the extension popup and pick the stream the page loaded.',
} as const;
