/** Hash routes (#/sources/abc): the document path never changes, so nothing escapes a proxy prefix. */
export type Route =
  | { name: 'downloads' }
  | { name: 'sources' }
  | { name: 'review'; id: string }
  | { name: 'library' }
  | { name: 'channels' }
  | { name: 'settings' }
  | { name: 'statistics' }
  | { name: 'logs' };

function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'sources':
      return parts[1] ? { name: 'review', id: parts[1] } : { name: 'sources' };
    case 'library':
      return { name: 'library' };
    case 'channels':
      return { name: 'channels' };
    case 'settings':
      return { name: 'settings' };
    case 'logs':
      return { name: 'logs' };
    case 'statistics':
      return { name: 'statistics' };
    default:
      return { name: 'downloads' };
  }
}

class Router {
  route = $state<Route>(parse(typeof location === 'undefined' ? '' : location.hash));

  constructor() {
    if (typeof window !== 'undefined') {
      window.addEventListener('hashchange', () => {
        this.route = parse(location.hash);
      });
    }
  }
}

export const router = new Router();

export function href(path: string): string {
  return `#/${path}`;
}
