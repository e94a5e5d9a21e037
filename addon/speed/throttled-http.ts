import { Transform } from 'node:stream';
import type { HttpClient } from '../platform/http.js';
import type { TokenBucket } from './token-bucket.js';

/**
 * The engine's HTTP client with every response body paced by the shared bucket. Waiting in the
 * transform stops reading the socket, so TCP itself slows the origin down: nothing is buffered
 * beyond one chunk per connection.
 */
export function throttledHttp(http: HttpClient, bucket: TokenBucket): HttpClient {
  return {
    async get(request) {
      const response = await http.get(request);
      if (bucket.bytesPerSecond === null) return response;
      const paced = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bucket.take(chunk.length, request.signal).then(() => cb(null, chunk), cb);
        },
      });
      response.body.on('error', (err) => paced.destroy(err));
      paced.on('close', () => response.body.destroy());
      return { ...response, body: response.body.pipe(paced) };
    },
    close: () => http.close(),
  };
}
