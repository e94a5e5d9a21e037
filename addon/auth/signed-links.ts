import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Short-lived links for what a browser fetches without our headers (a <video> element, a plain
 * download): the path and an expiry signed with a key that lives only in this process, so a
 * restart ends every link. The signature is never logged: it is only good for that one path.
 */
export class LinkSigner {
  private readonly key: Buffer;

  constructor(key: Buffer = randomBytes(32)) {
    this.key = key;
  }

  sign(path: string, expiresAtMs: number): string {
    return createHmac('sha256', this.key).update(`${path}\n${expiresAtMs}`).digest('base64url');
  }

  verify(path: string, expiresAt: string | undefined, signature: string | undefined, nowMs: number): boolean {
    if (!expiresAt || !signature || !/^\d{1,15}$/.test(expiresAt)) return false;
    const exp = Number(expiresAt);
    if (exp < nowMs) return false;
    const expected = Buffer.from(this.sign(path, exp));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
