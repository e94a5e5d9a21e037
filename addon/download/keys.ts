import { AppError } from '../errors.js';

/**
 * A key must be 16 raw bytes. Some servers send it as hex or base64 text, and a failing one
 * sends an HTML page; accept the first two, explain the third.
 */
export function normaliseKey(body: Buffer, uri: string): Buffer {
  if (body.length === 16) return body;
  const text = body.toString('utf8').trim();
  if (/^(0x)?[0-9a-fA-F]{32}$/.test(text)) return Buffer.from(text.replace(/^0x/, ''), 'hex');
  if (/^[A-Za-z0-9+/]{22}(==)?$/.test(text)) {
    const decoded = Buffer.from(text, 'base64');
    if (decoded.length === 16) return decoded;
  }
  const host = (() => {
    try {
      return new URL(uri).host;
    } catch {
      return 'the key server';
    }
  })();
  const hint = /^\s*</.test(text) ? ' (looks like an HTML page: the key URL may need a Referer or a login)' : '';
  throw new AppError('bad_key', `the AES-128 key from ${host} is ${body.length} bytes, expected 16${hint}`);
}

/** Fetches each key URI once per job, however many segments share it. */
export class KeyCache {
  private readonly keys = new Map<string, Promise<Buffer>>();

  constructor(private readonly fetchKey: (uri: string) => Promise<Buffer>) {}

  get(uri: string): Promise<Buffer> {
    let key = this.keys.get(uri);
    if (!key) {
      key = this.fetchKey(uri).then((body) => normaliseKey(body, uri));
      // A failed fetch must not poison the cache for the retry.
      key.catch(() => this.keys.delete(uri));
      this.keys.set(uri, key);
    }
    return key;
  }
}
