/**
 * The address a browser extension should use to reach this server. The panel's own address only
 * works when the panel is opened directly; behind Home Assistant's ingress the extension cannot
 * pass Home Assistant's sign-in, so it uses the add-on's own port on the same host.
 */
export const ADDON_PORT = 8099;

export function extensionServerUrl(baseUri: string, viaIngress: boolean): string {
  const base = new URL('.', baseUri);
  if (viaIngress) return `http://${base.hostname}:${ADDON_PORT}`;
  return base.toString().replace(/\/+$/, '');
}
