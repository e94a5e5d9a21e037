/**
 * A fake Telegram Bot API on 127.0.0.1: POST /bot<token>/<method> with JSON, answering
 * `{ok: true, result}` like the real one. Records requests (with the time each arrived);
 * `rateLimitNext` answers 429 with parameters.retry_after; getUpdates long-polls until an update
 * is queued with `pushUpdate` or its `timeout` passes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TelegramRequest {
  method: string;
  token: string;
  body: Record<string, unknown>;
  at: number;
  status: number;
}

export interface FakeTelegram {
  url: string;
  requests: TelegramRequest[];
  /** Requests other than getUpdates and setMyCommands. */
  sent(): TelegramRequest[];
  rateLimitNext(count: number, retryAfterS: number): void;
  failNext(count: number, status: number, description: string): void;
  pushUpdate(message: { chatId: number; text: string }): void;
  close(): Promise<void>;
}

export async function startFakeTelegram(): Promise<FakeTelegram> {
  let rateLimits = { count: 0, retryAfter: 0 };
  let failures = { count: 0, status: 0, description: '' };
  let updateId = 1000;
  let messageId = 1;
  const updates: { update_id: number; message: unknown }[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<import('node:net').Socket>();

  const fake: FakeTelegram = {
    url: '',
    requests: [],
    sent: () => fake.requests.filter((r) => r.method !== 'getUpdates' && r.method !== 'setMyCommands'),
    rateLimitNext(count, retryAfterS) {
      rateLimits = { count, retryAfter: retryAfterS };
    },
    failNext(count, status, description) {
      failures = { count, status, description };
    },
    pushUpdate({ chatId, text }) {
      updates.push({ update_id: ++updateId, message: { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private' }, from: { id: chatId, is_bot: false, first_name: 'T' }, text } });
      for (const wake of [...waiters]) wake();
    },
    close: () =>
      new Promise((resolve) => {
        for (const wake of [...waiters]) wake();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
      const body = (chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {}) as Record<string, unknown>;
      const record: TelegramRequest = { method: match?.[2] ?? '?', token: match?.[1] ?? '', body, at: Date.now(), status: 0 };
      fake.requests.push(record);
      const send = (status: number, payload: unknown): void => {
        record.status = status;
        if (res.writableEnded || res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (!match) return send(404, { ok: false, error_code: 404, description: 'Not Found' });
      const method = match[2]!;
      if (method === 'getUpdates') {
        const offset = typeof body.offset === 'number' ? body.offset : 0;
        const pending = (): typeof updates => updates.filter((u) => u.update_id >= offset);
        const answer = (): void => send(200, { ok: true, result: pending() });
        if (pending().length > 0) return answer();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          answer();
        }, Number(body.timeout ?? 0) * 1000);
        const wake = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
          answer();
        };
        waiters.add(wake);
        req.socket.once('close', () => {
          clearTimeout(timer);
          waiters.delete(wake);
        });
        return;
      }
      if (rateLimits.count > 0) {
        rateLimits.count--;
        return send(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${rateLimits.retryAfter}`, parameters: { retry_after: rateLimits.retryAfter } });
      }
      if (failures.count > 0) {
        failures.count--;
        return send(failures.status, { ok: false, error_code: failures.status, description: failures.description });
      }
      if (method === 'sendMessage' || method === 'sendPhoto') {
        return send(200, { ok: true, result: { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(body.chat_id) }, text: body.text ?? body.caption } });
      }
      if (method === 'setMyCommands') return send(200, { ok: true, result: true });
      send(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
