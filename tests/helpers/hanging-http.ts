import type { HttpClient } from '../../addon/platform/http.js';

/** An HTTP client whose requests never answer until aborted: jobs stay "downloading". */
export function hangingHttp(): HttpClient & { requests: number } {
  const client = {
    requests: 0,
    get(request: { signal: AbortSignal }) {
      client.requests++;
      return new Promise<never>((_resolve, reject) => {
        request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
      });
    },
    close() {},
  };
  return client as HttpClient & { requests: number };
}
