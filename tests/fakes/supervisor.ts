/**
 * A fake Home Assistant Supervisor on 127.0.0.1 speaking the real wire format:
 * GET /services/mqtt -> {"result": "ok", "data": {...}} (or 400 when no MQTT service), and
 * the core API proxy: POST /core/api/events/<type>, POST /core/api/services/<domain>/<service>.
 * Records every request; `failNext` scripts errors.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SupervisorRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

export interface FakeSupervisor {
  url: string;
  token: string;
  requests: SupervisorRequest[];
  /** What GET /services/mqtt returns; null answers 400 "Service not enabled". */
  mqtt: Record<string, unknown> | null;
  /** The next `count` core API requests answer `status`. */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

export async function startFakeSupervisor(options: { token?: string; mqtt?: Record<string, unknown> | null } = {}): Promise<FakeSupervisor> {
  const token = options.token ?? 'supervisor-secret-token-123';
  let failures: { count: number; status: number } = { count: 0, status: 0 };
  const fake: FakeSupervisor = {
    url: '',
    token,
    requests: [],
    mqtt: options.mqtt ?? null,
    failNext(count, status) {
      failures = { count, status };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      const path = req.url ?? '/';
      fake.requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      const send = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { result: 'error', message: 'Unauthorized' });
      if (req.method === 'GET' && path === '/services/mqtt') {
        return fake.mqtt ? send(200, { result: 'ok', data: fake.mqtt }) : send(400, { result: 'error', message: 'Service not enabled' });
      }
      const event = /^\/core\/api\/events\/([^/]+)$/.exec(path);
      const service = /^\/core\/api\/services\/([^/]+)\/([^/]+)$/.exec(path);
      if (req.method === 'POST' && (event || service)) {
        if (failures.count > 0) {
          failures.count--;
          return send(failures.status, { message: 'Bad gateway' });
        }
        return event ? send(200, { message: `Event ${event[1]} fired.` }) : send(200, []);
      }
      send(404, { result: 'error', message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
