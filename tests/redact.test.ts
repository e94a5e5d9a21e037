import { describe, expect, it } from 'vitest';
import { jobView } from '../addon/jobs/view.js';
import type { Job } from '../addon/jobs/model.js';
import { redactUrl } from '../addon/platform/http.js';
import { redactCredentials, redactUrlsInText } from '../addon/redact.js';

describe('redactCredentials', () => {
  it.each([
    ['http://p.example:8080/movie/joao/s3cr3t/123.mp4', 'http://p.example:8080/movie/[redacted]/[redacted]/123.mp4'],
    ['http://p.example/series/joao/s3cr3t/9.mkv', 'http://p.example/series/[redacted]/[redacted]/9.mkv'],
    ['http://p.example/live/joao/s3cr3t/9.ts', 'http://p.example/live/[redacted]/[redacted]/9.ts'],
    ['http://p.example/joao/s3cr3t/12345', 'http://p.example/[redacted]/[redacted]/12345'],
    ['http://p.example/movie/{username}/{password}/5.mp4', 'http://p.example/movie/[redacted]/[redacted]/5.mp4'],
    ['http://p.example/get.php?username=joao&password=s3cr3t&type=m3u_plus', 'http://p.example/get.php?username=[redacted]&password=[redacted]&type=m3u_plus'],
    ['https://user:pw@cdn.example/a.m3u8', 'https://user:[redacted]@cdn.example/a.m3u8'],
    ['https://cdn.example/a.m3u8?token=abc&x=1', 'https://cdn.example/a.m3u8?token=[redacted]&x=1'],
    ['https://cdn.example/show/master.m3u8', 'https://cdn.example/show/master.m3u8'],
    ['https://cdn.example/movies/2024/best.mp4', 'https://cdn.example/movies/2024/best.mp4'],
    ['not a url', 'not a url'],
  ])('%s', (input, expected) => {
    expect(redactCredentials(input)).toBe(expected);
  });

  it('scrubs URLs inside messages, and log URLs lose the path credentials too', () => {
    expect(redactUrlsInText('HTTP 404 from http://h/movie/u/pw/1.mp4 after 3 tries')).toBe('HTTP 404 from http://h/movie/[redacted]/[redacted]/1.mp4 after 3 tries');
    expect(redactUrl('http://h:1/movie/u/pw/1.mp4?token=1')).toBe('http://h:1/movie/[redacted]/[redacted]/1.mp4?…');
  });

  it('the downloads API shows a source job without the account; the job keeps the real URL', () => {
    const job = { url: 'http://h/movie/u/pw/1.mp4', referer: null, headers: { Cookie: 'a=b', 'User-Agent': 'VLC' }, error: { code: 'http_404', message: 'HTTP 404 from http://h/movie/u/pw/1.mp4' } } as unknown as Job;
    const view = jobView(job);
    expect(JSON.stringify(view)).not.toContain('pw');
    expect(view.headers).toEqual({ Cookie: '[redacted]', 'User-Agent': 'VLC' });
    expect(job.url).toBe('http://h/movie/u/pw/1.mp4');
  });
});
