import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { downloadQuality, headers, httpUrl, isHttpUrl, qualityPreference, strictObjectOptions } from '../../addon/domain/validators.js';

const issues = (schema: z.ZodType, value: unknown): string[] => {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => i.message);
};

describe('shared validators (addon/domain/validators.ts)', () => {
  it.each([
    ['https://cdn.example/a.m3u8', true],
    ['http://127.0.0.1:8080/x', true],
    ['ftp://host/file', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
    ['https://', false],
  ])('isHttpUrl(%s) = %s', (url, ok) => {
    expect(isHttpUrl(url)).toBe(ok);
  });

  it('httpUrl trims, requires, caps the length and names the problem', () => {
    expect(httpUrl.parse('  https://a.example/x  ')).toBe('https://a.example/x');
    expect(issues(httpUrl, '')[0]).toBe('is required');
    expect(issues(httpUrl, 'ftp://a')).toEqual(['must be an http(s) URL']);
    expect(issues(httpUrl, `https://a.example/${'x'.repeat(9000)}`)).toContain('is too long');
    expect(issues(httpUrl, 42)).toEqual(['must be a string']);
  });

  it('headers refuse bad names, managed headers, line breaks and more than 50', () => {
    expect(issues(headers, { Referer: 'https://a.example/', 'X-Token': 'abc' })).toEqual([]);
    expect(issues(headers, { 'Bad Name': 'x' })).toEqual(['"Bad Name" is not a valid header name']);
    expect(issues(headers, { Host: 'evil' })).toEqual(['"Host" is managed by the downloader']);
    expect(issues(headers, { Range: 'bytes=0-' })).toEqual(['"Range" is managed by the downloader']);
    expect(issues(headers, { 'X-A': 'a\r\nInjected: 1' })).toEqual(['header values cannot contain line breaks']);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`X-H${i}`, 'v']));
    expect(issues(headers, many)).toEqual(['at most 50 headers']);
  });

  it('strict objects name the unknown fields', () => {
    const schema = z.strictObject({ a: z.number() }, strictObjectOptions);
    expect(issues(schema, { a: 1, b: 2, c: 3 })).toEqual(['unknown field(s): b, c']);
  });

  it.each([
    ['best', 'best'],
    ['WORST', 'worst'],
    [' 720P ', '720p'],
    ['2160p', '2160p'],
  ])('qualityPreference accepts %j as %j', (input, out) => {
    expect(qualityPreference.parse(input)).toBe(out);
  });

  it.each(['720', '72p', 'hd', '720p@2500000'])('qualityPreference refuses %j (an exact variant is for downloads only)', (input) => {
    expect(qualityPreference.safeParse(input).success).toBe(false);
  });

  it('downloadQuality also takes an exact variant as the probe lists it', () => {
    expect(downloadQuality.parse('720p@2500000')).toBe('720p@2500000');
    expect(downloadQuality.parse('best')).toBe('best');
    expect(downloadQuality.safeParse('720p@').success).toBe(false);
    expect(downloadQuality.safeParse('@2500000').success).toBe(false);
  });
});
