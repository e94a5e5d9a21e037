/**
 * One manifest source for both builds. Chromium browsers run the background as a service worker;
 * Firefox (MV3) runs `background.scripts` as an event page and needs its gecko id. Each browser
 * ignores the other's keys, but the two builds stay separate so each one lints clean.
 */
export type Target = 'chromium' | 'firefox';

export const GECKO_ID = 'm3u-downloader@home-assistant-addon';

export function buildManifest(target: Target, version: string): Record<string, unknown> {
  const common = {
    manifest_version: 3,
    name: 'M3U Downloader: send to NAS',
    short_name: 'Downloader',
    version,
    description: 'Finds the video streams a page plays (HLS, DASH, files) and sends them, with the page\'s headers, to your self-hosted downloader.',
    // webRequest: see the page's media requests and the headers they carry. storage: settings and
    // per-tab findings. contextMenus: "Send to downloader" on links and videos. activeTab: the
    // page a menu was used on. notifications: a job that ends. scripting: read og:title.
    permissions: ['webRequest', 'storage', 'contextMenus', 'activeTab', 'notifications', 'scripting'],
    // Media usually comes from a CDN, not the page's host, so webRequest needs all hosts. Firefox
    // grants these at run time (the popup asks); Chromium users can narrow them in the
    // extension's "Site access" menu.
    host_permissions: ['<all_urls>'],
    action: { default_popup: 'popup.html', default_title: 'Send to downloader', default_icon: { '128': 'icon-128.png' } },
    options_ui: { page: 'options.html', open_in_tab: true },
    icons: { '128': 'icon-128.png' },
  };
  if (target === 'chromium') {
    return { ...common, minimum_chrome_version: '116', background: { service_worker: 'background.js' } };
  }
  return {
    ...common,
    background: { scripts: ['background.js'] },
    browser_specific_settings: {
      // 140: the first Firefox that knows data_collection_permissions (AMO requires it since 2025-11).
      gecko: { id: GECKO_ID, strict_min_version: '140.0', data_collection_permissions: { required: ['none'] } },
      gecko_android: { strict_min_version: '142.0' },
    },
    // Firefox's default MV3 policy adds upgrade-insecure-requests, which silently turns a home
    // server's http://192.168.x.y:8099 into https and fails. Same script rule, without the upgrade.
    content_security_policy: { extension_pages: "script-src 'self'" },
  };
}
