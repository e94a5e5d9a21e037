/**
 * Credentials that ride inside URLs, removed before a URL reaches a log line, an error message or
 * an API response. Pure.
 *
 * IPTV providers put the account in the URL itself: Xtream Codes stream URLs are
 * `/{movie|series|live|timeshift}/{user}/{password}/{id}.{ext}` (live also `/{user}/{password}/{id}`),
 * and list URLs are `get.php?username=U&password=P`. Userinfo (`http://u:p@host`) and token-like
 * query parameters are the generic cases.
 */

export const REDACTED = '[redacted]';

const XTREAM_KINDS = new Set(['movie', 'movies', 'series', 'live', 'timeshift', 'vod']);
const SECRET_PARAM = /^(?:pass(?:word|wd)?|pwd|token|access_token|api_key|apikey|key|auth|secret|signature|sig|username|user)$/i;

/**
 * The URL with its credentials masked and everything else kept (host, path, stream id, harmless
 * query parameters), so a person can still tell which stream it is.
 */
export function redactCredentials(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  if (u.password) {
    u.password = REDACTED;
    changed = true;
  }
  const segments = u.pathname.split('/');
  // ['', kind, user, pass, id] (possibly under a prefix path): mask the two after the kind.
  for (let i = 1; i + 3 < segments.length; i++) {
    if (XTREAM_KINDS.has(segments[i]!.toLowerCase()) && segments[i + 1] && segments[i + 2] && segments[i + 3]) {
      segments[i + 1] = REDACTED;
      segments[i + 2] = REDACTED;
      changed = true;
      break;
    }
  }
  if (!changed && segments.length === 4 && segments[1] && segments[2] && /^\d+(?:\.(?:ts|m3u8))?$/i.test(segments[3]!)) {
    // Xtream live shorthand /{user}/{password}/{id}
    segments[1] = REDACTED;
    segments[2] = REDACTED;
    changed = true;
  }
  if (changed) u.pathname = segments.join('/');
  let query = '';
  if (u.search) {
    const parts = u.search.slice(1).split('&');
    let masked = false;
    for (let i = 0; i < parts.length; i++) {
      const eq = parts[i]!.indexOf('=');
      const name = eq === -1 ? parts[i]! : parts[i]!.slice(0, eq);
      if (eq !== -1 && SECRET_PARAM.test(decodeURIComponentSafe(name))) {
        parts[i] = `${name}=${REDACTED}`;
        masked = true;
      }
    }
    if (masked) {
      query = `?${parts.join('&')}`;
      u.search = '';
      changed = true;
    }
  }
  if (!changed) return url;
  return u.toString().replace(/%5Bredacted%5D/g, REDACTED) + query;
}

/** Every http(s) URL inside a free text (an error message) passed through redactCredentials. */
export function redactUrlsInText(text: string): string {
  if (text.indexOf('://') === -1) return text;
  return text.replace(/https?:\/\/[^\s"'<>]+/gi, (m) => redactCredentials(m));
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
