/**
 * Field validators every layer shares (URLs, request headers, strict objects): zod only, so the
 * HTTP routes, MQTT commands and Telegram messages check input the same way.
 */
import { z } from 'zod';

/** An absolute http(s) URL with a host: the only kind of URL the downloader ever fetches. */
export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export const httpUrl = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'is required')
  .max(8192, 'is too long')
  .refine(isHttpUrl, 'must be an http(s) URL');

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'range']);

export const headers = z
  .record(z.string(), z.string({ error: 'header values must be strings' }).max(8192))
  .superRefine((value, ctx) => {
    const names = Object.keys(value);
    if (names.length > 50) ctx.addIssue({ code: 'custom', message: 'at most 50 headers' });
    for (const name of names) {
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: `"${name}" is not a valid header name`, path: [name] });
      else if (FORBIDDEN_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', message: `"${name}" is managed by the downloader`, path: [name] });
      if (/[\r\n\0]/.test(value[name] ?? '')) ctx.addIssue({ code: 'custom', message: 'header values cannot contain line breaks', path: [name] });
    }
  });

/** Unknown fields are an error, named in the message. */
export const strictObjectOptions = {
  error: (issue: { code: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${(issue.keys ?? []).join(', ')}` : undefined),
};

/** A quality preference: "best", "worst" or a height such as "720p" (the best variant not above it). */
export const qualityPreference = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(best|worst|\d{3,4}p)$/, 'must be "best", "worst" or a height such as "720p"');

/**
 * A download's quality: a preference as above, or one exact variant as POST /api/probe lists it
 * (`variants[].quality`, "720p@2500000": that height at that declared bandwidth), which the
 * download takes or fails over, never swapping for another.
 */
export const downloadQuality = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(best|worst|\d{3,4}p|\d{2,5}p@\d{1,12})$/, 'must be "best", "worst" or a height such as "720p", or a variant such as "720p@2500000"');
