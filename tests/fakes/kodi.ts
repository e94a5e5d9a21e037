/**
 * A loopback Kodi web server speaking JSON-RPC 2.0. Relied on (kodi.wiki JSON-RPC_API/v12 and
 * xbmc/interfaces/json-rpc): `POST /jsonrpc` with `Content-Type: application/json`; HTTP Basic
 * auth when a password is set (401 otherwise); `jsonrpc` must be "2.0" and the id is echoed;
 * `JSONRPC.Ping` -> "pong"; `Files.GetSources {"media":"video"}` -> `{sources:[{file,label}]}`;
 * `VideoLibrary.Scan {"directory","showdialogs"}` -> "OK". Kodi stores source folders with a
 * trailing separator: the fake refuses a directory without one, and one outside every source,
 * with -32602 "Invalid params.".
 */
import { sendJson, startFakeHttp, type FakeHttp } from './media-server-common.js';

export interface FakeKodi extends FakeHttp {
  username: string;
  password: string;
  sources: Array<{ file: string; label: string }>;
  /** Accepted scans: the directory, or null for a whole-library scan. */
  scans: Array<string | null>;
  protocolErrors: string[];
}

export async function startFakeKodi(): Promise<FakeKodi> {
  const state = {
    username: 'kodi',
    password: 'couch potato 42',
    sources: [
      { file: '/storage/movies/', label: 'Movies' },
      { file: 'smb://nas/tv/', label: 'TV' },
    ],
    scans: [] as Array<string | null>,
    protocolErrors: [] as string[],
  };
  // eslint-disable-next-line prefer-const -- the handler needs the object the test mutates
  let fake: FakeKodi;
  const http = await startFakeHttp((req, res) => {
    if (req.path !== '/jsonrpc') return void res.writeHead(404).end();
    if (req.method !== 'POST') return void res.writeHead(405).end();
    if (req.headers.authorization !== `Basic ${Buffer.from(`${fake.username}:${fake.password}`).toString('base64')}`) return void res.writeHead(401).end();
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      fake.protocolErrors.push(`content-type ${req.headers['content-type']}`);
      return void res.writeHead(415).end();
    }
    let call: { jsonrpc?: unknown; method?: unknown; params?: Record<string, unknown>; id?: unknown };
    try {
      call = JSON.parse(req.body);
    } catch {
      return sendJson(res, 200, { id: null, jsonrpc: '2.0', error: { code: -32700, message: 'Parse error.' } });
    }
    const reply = (result: unknown): void => sendJson(res, 200, { id: call.id, jsonrpc: '2.0', result });
    const invalid = (): void => sendJson(res, 200, { id: call.id, jsonrpc: '2.0', error: { code: -32602, message: 'Invalid params.' } });
    if (call.jsonrpc !== '2.0' || call.id === undefined) {
      fake.protocolErrors.push(`not a JSON-RPC 2.0 call: ${req.body}`);
      return sendJson(res, 200, { id: null, jsonrpc: '2.0', error: { code: -32600, message: 'Invalid request.' } });
    }
    switch (call.method) {
      case 'JSONRPC.Ping':
        return reply('pong');
      case 'Files.GetSources':
        if (call.params?.media !== 'video') return invalid();
        return reply({ limits: { start: 0, end: fake.sources.length, total: fake.sources.length }, sources: fake.sources });
      case 'VideoLibrary.Scan': {
        const dir = call.params?.directory;
        if (dir === undefined || dir === '') {
          fake.scans.push(null);
          return reply('OK');
        }
        if (typeof dir !== 'string' || !/[/\\]$/.test(dir) || !fake.sources.some((s) => dir.startsWith(s.file))) {
          fake.protocolErrors.push(`scan of ${String(dir)}`);
          return invalid();
        }
        fake.scans.push(dir);
        return reply('OK');
      }
      default:
        return sendJson(res, 200, { id: call.id, jsonrpc: '2.0', error: { code: -32601, message: 'Method not found.' } });
    }
  });
  fake = Object.assign(http, state);
  return fake;
}
