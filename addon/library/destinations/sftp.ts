import { z } from 'zod';
import { host, hostKeyFingerprint, port, privateKey, remoteFolder, secret, username } from './fields.js';
import { defineDestinationKind } from './kind.js';
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import type { Client, ConnectConfig, SFTPWrapper, Stats } from 'ssh2';

type Ssh2Module = typeof import('ssh2');
let ssh2Module: Promise<Ssh2Module> | null = null;
/** ssh2 adds ~16 MB of RSS at import; only SFTP destinations need it. */
const loadSsh2 = (): Promise<Ssh2Module> => (ssh2Module ??= import('ssh2'));
import { AppError } from '../../errors.js';
import { abortError, destinationError, isAbortError, throwIfAborted } from './errors.js';
import { joinPosix, normRel, splitRel } from './paths.js';
import { Pacer, kibToBytesPerSecond } from './throttle.js';
import type {
  Destination,
  DestinationCapabilities,
  DestinationConfig,
  DestinationDeps,
  ProbeOptions,
  ProbeResult,
  RemoteStat,
  UploadOptions,
} from './types.js';
import type { Logger } from '../../platform/logger.js';

/** SFTP status codes (draft-ietf-secsh-filexfer-02, what OpenSSH speaks). */
const FX_NO_SUCH_FILE = 2;
const FX_PERMISSION_DENIED = 3;

/** Bytes of writes in flight at once; also how far a resume rewinds (see upload()). */
const IN_FLIGHT_BYTES = 4 * 1024 * 1024;
const MAX_CHUNK = 128 * 1024;

interface Session {
  client: Client;
  sftp: SFTPWrapper;
  /** Called (once) when the connection is gone; ssh2 does not always fail pending requests then. */
  onLost: Set<(err: Error) => void>;
  lost?: Error;
}

/**
 * SFTP with the `ssh2` library (pure JavaScript, in process): password, keyboard-interactive and
 * private-key auth; one connection per destination reused across operations and re-opened
 * after the server went away.
 *
 * Uploads are pipelined positional writes (up to 4 MiB in flight), which is what makes them
 * fast, and which gives exact progress, the bandwidth limit and a prompt abort.
 * Resume: the .part is opened without truncation and rewritten from (its size - 4 MiB): a
 * server that completed the in-flight writes out of order can only have left holes in that
 * last window, so the rewind covers them.
 */
export class SftpDestination implements Destination {
  readonly kind = 'sftp' as const;
  readonly id: string;
  readonly capabilities: DestinationCapabilities = { resume: true, atomicUpload: false, rename: true, freeSpace: true, localLink: false };
  private readonly config: DestinationConfig;
  private readonly host: string;
  private readonly port: number;
  private readonly user: string;
  private readonly base: string;
  private readonly bytesPerSecond: number;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private session: Promise<Session> | undefined;
  private seenFingerprint: string | undefined;
  /** Uploads running; the idle timer never closes the connection under them. */
  private active = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(config: DestinationConfig, deps: DestinationDeps) {
    if (!config.host) throw destinationError('destination_invalid_config', `SFTP destination "${config.name}" needs a host`);
    if (!config.username) throw destinationError('destination_invalid_config', `SFTP destination "${config.name}" needs a username`);
    if (!config.password && !config.private_key) {
      throw destinationError('destination_invalid_config', `SFTP destination "${config.name}" needs a password or a private key`);
    }
    this.config = config;
    this.id = config.id;
    this.host = config.host;
    this.port = config.port ?? 22;
    this.user = config.username;
    // absolute ('/srv/media') or relative to the login directory ('media', '' = home)
    const raw = config.base_path ?? '';
    this.base = raw.startsWith('/') ? `/${normRel(raw.slice(1), { allowEmpty: true })}` : normRel(raw, { allowEmpty: true });
    this.bytesPerSecond = kibToBytesPerSecond(config.bandwidth_limit_kbps);
    this.timeoutMs = config.timeout_ms ?? 20_000;
    this.logger = deps.logger;
  }

  describe(relPath = ''): string {
    const p = joinPosix(this.base, relPath ? normRel(relPath) : '');
    return `sftp://${this.user}@${this.host}:${this.port}${p.startsWith('/') ? '' : '/~/'}${p}`;
  }

  private remote(rel: string, allowEmpty = false): string {
    const r = joinPosix(this.base, normRel(rel, { allowEmpty }));
    return r === '' ? '.' : r;
  }

  // ---- connection -------------------------------------------------------------------------

  /** The connection is dropped after this long without any operation (health checks reconnect). */
  private static readonly IDLE_MS = 60_000;

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.active === 0) void this.close();
      else this.touch();
    }, SftpDestination.IDLE_MS);
    this.idleTimer.unref();
  }

  private connect(signal?: AbortSignal): Promise<Session> {
    this.touch();
    if (!this.session) {
      const s = this.open();
      this.session = s;
      s.catch(() => {
        if (this.session === s) this.session = undefined;
      });
    }
    const current = this.session;
    if (!signal) return current;
    throwIfAborted(signal);
    return new Promise<Session>((resolve, reject) => {
      const onAbort = (): void => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      current.then(
        (s) => {
          signal.removeEventListener('abort', onAbort);
          resolve(s);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err as Error);
        },
      );
    });
  }

  private async open(): Promise<Session> {
    const ssh2 = await loadSsh2();
    return new Promise<Session>((resolve, reject) => {
      const client = new ssh2.Client();
      let hostKeyRejected = false;
      let ready = false;
      const rawPin = this.config.host_key_fingerprint?.trim();
      const pinned = rawPin ? (rawPin.startsWith('SHA256:') ? rawPin : `SHA256:${rawPin}`) : undefined;
      const cfg: ConnectConfig = {
        host: this.host,
        port: this.port,
        username: this.user,
        readyTimeout: this.timeoutMs,
        keepaliveInterval: 10_000,
        keepaliveCountMax: 3,
        tryKeyboard: true,
        hostVerifier: (key: Buffer): boolean => {
          const fp = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
          this.seenFingerprint = fp;
          if (pinned && pinned.replace(/=+$/, '') !== fp) {
            hostKeyRejected = true;
            return false;
          }
          return true;
        },
      };
      if (this.config.password) cfg.password = this.config.password;
      if (this.config.private_key) {
        cfg.privateKey = this.config.private_key;
        if (this.config.private_key_passphrase) cfg.passphrase = this.config.private_key_passphrase;
      }
      client.on('keyboard-interactive', (_name, _instr, _lang, prompts, finish) => {
        finish(prompts.map(() => this.config.password ?? ''));
      });
      const fail = (err: unknown): void => {
        client.destroy();
        reject(this.mapConnectError(err, hostKeyRejected));
      };
      let settled = false;
      client.once('error', (err) => {
        if (!ready && !settled) {
          settled = true;
          fail(err);
        }
      });
      client.once('close', () => {
        if (!ready && !settled) {
          settled = true;
          fail(Object.assign(new Error('the server closed the connection during login'), { code: 'ECONNRESET' }));
        }
      });
      client.once('ready', () => {
        ready = true;
        client.sftp((err, sftp) => {
          if (err) return fail(err);
          const session: Session = { client, sftp, onLost: new Set() };
          const lose = (err: Error): void => {
            if (session.lost) return;
            session.lost = err;
            for (const fn of session.onLost) fn(err);
            session.onLost.clear();
          };
          client.on('close', () => lose(new Error('connection closed')));
          client.on('error', (e) => lose(e));
          sftp.on('close', () => lose(new Error('sftp channel closed')));
          resolve(session);
        });
      });
      const forget = (): void => {
        // next operation reconnects
        void this.session?.then((s) => {
          if (s.client === client) this.session = undefined;
        }, () => undefined);
      };
      client.on('close', forget);
      client.on('error', (err) => {
        if (ready) {
          this.logger.debug({ destination: this.id, err: err.message }, 'sftp connection error');
          forget();
        }
      });
      try {
        client.connect(cfg);
      } catch (err) {
        // e.g. a private key that cannot be parsed
        fail(err);
      }
    });
  }

  private mapConnectError(err: unknown, hostKeyRejected: boolean): AppError {
    if (err instanceof AppError) return err;
    const e = err as Error & { level?: string; code?: string };
    const where = `${this.host}:${this.port}`;
    if (hostKeyRejected) {
      return destinationError(
        'destination_host_key_mismatch',
        `The SSH host key of ${where} (${this.seenFingerprint}) is not the pinned one (${this.config.host_key_fingerprint}): if the server was reinstalled, update the fingerprint`,
        err,
      );
    }
    if (e.level === 'client-authentication') {
      return destinationError(
        'destination_auth_failed',
        `SFTP login refused for user ${this.user} on ${where}: check username and ${this.config.private_key ? 'private key' : 'password'}`,
        err,
      );
    }
    if (/Cannot parse privateKey|Encrypted private OpenSSH key|passphrase/i.test(e.message)) {
      return destinationError('destination_invalid_config', `The private key for ${where} cannot be used: ${e.message}`, err);
    }
    if (e.level === 'client-timeout' || ['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'].includes(e.code ?? '')) {
      return destinationError('destination_unreachable', `Cannot reach SFTP server ${where} (${e.code ?? e.message}); is it up?`, err);
    }
    return destinationError('destination_unreachable', `SFTP connection to ${where} failed: ${e.message}`, err);
  }

  /** Map an SFTP request error; `what` names the path for the message. */
  private mapError(err: unknown, what: string): AppError {
    if (err instanceof AppError) return err;
    const e = err as Error & { code?: number | string };
    const where = `${this.describe()} (${what})`;
    if (e.code === FX_NO_SUCH_FILE) return destinationError('destination_not_found', `Not found on ${where}`, err);
    if (e.code === FX_PERMISSION_DENIED) {
      return destinationError('destination_permission_denied', `User ${this.user} may not write there: ${where}`, err);
    }
    if (typeof e.code === 'number') return destinationError('destination_protocol_error', `SFTP error on ${where}: ${e.message}`, err);
    // No response / connection lost / channel closed
    return destinationError('destination_unreachable', `Lost the SFTP connection to ${this.host}:${this.port}: ${e.message}`, err);
  }

  private call<T>(what: string, fn: (cb: (err: Error | undefined | null, value?: T) => void) => void, session?: Session): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const onLost = (err: Error): void => {
        if (settled) return;
        settled = true;
        reject(destinationError('destination_unreachable', `Lost the SFTP connection to ${this.host}:${this.port}: ${err.message}`, err));
      };
      if (session) {
        if (session.lost) return onLost(session.lost);
        session.onLost.add(onLost);
      }
      try {
        fn((err, value) => {
          session?.onLost.delete(onLost);
          if (settled) return;
          settled = true;
          if (err) reject(this.mapError(err, what));
          else resolve(value as T);
        });
      } catch (err) {
        session?.onLost.delete(onLost);
        settled = true;
        reject(this.mapError(err, what));
      }
    });
  }

  // ---- operations -------------------------------------------------------------------------

  async probe(options: ProbeOptions = {}): Promise<ProbeResult> {
    const { signal } = options;
    try {
      const started = performance.now();
      const session = await this.connect(signal);
    const { sftp } = session;
      await this.call<string>('realpath', (cb) => sftp.realpath('.', cb), session);
      const latencyMs = performance.now() - started;
      if (options.write !== false) {
        await this.mkdirp('', signal);
        const probe = `.m3u-probe-${process.pid}-${Date.now()}`;
        const handle = await this.call<Buffer>(probe, (cb) => sftp.open(this.remote(probe), 'w', cb), session);
        await this.call(probe, (cb) => sftp.write(handle, Buffer.from('probe'), 0, 5, 0, cb), session);
        await this.call(probe, (cb) => sftp.close(handle, cb), session);
        await this.remove(probe, signal);
      }
      const space = await this.space(session).catch(() => null);
      const result: ProbeResult = { ok: true, status: 'online', latencyMs, freeBytes: space?.free ?? null, totalBytes: space?.total ?? null };
      if (this.seenFingerprint) result.hostKeyFingerprint = this.seenFingerprint;
      return result;
    } catch (err) {
      if (isAbortError(err) || signal?.aborted) throw abortError(signal);
      const app = err instanceof AppError ? err : this.mapError(err, 'probe');
      const result: ProbeResult = {
        ok: false,
        status: app.code === 'destination_unreachable' ? 'offline' : 'error',
        latencyMs: null,
        freeBytes: null,
        totalBytes: null,
        code: app.code,
        message: app.message,
      };
      if (this.seenFingerprint) result.hostKeyFingerprint = this.seenFingerprint;
      return result;
    }
  }

  async upload(localFile: string, relPath: string, options: UploadOptions = {}): Promise<void> {
    const { signal } = options;
    const target = this.remote(relPath);
    const local = await fsp.open(localFile, 'r');
    this.active++;
    try {
      const size = (await local.stat()).size;
      const session = await this.connect(signal);
      const { sftp, client } = session;
      const maxWrite = (sftp as unknown as { _maxWriteLen?: number })._maxWriteLen ?? 32 * 1024;
      const chunk = Math.max(4096, Math.min(MAX_CHUNK, maxWrite));
      const window = Math.max(4, Math.min(64, Math.ceil(IN_FLIGHT_BYTES / chunk)));
      const requested = options.resumeFrom && options.resumeFrom > 0 && options.resumeFrom <= size ? options.resumeFrom : 0;
      const start = requested > 0 ? Math.max(0, requested - IN_FLIGHT_BYTES) : 0;
      // 'r+' keeps what is there (resume); 'w' truncates.
      const handle = await this.call<Buffer>(target, (cb) => sftp.open(target, start > 0 ? 'r+' : 'w', cb), session);
      const pacer = new Pacer(this.bytesPerSecond);
      let next = start;
      let acked = start;
      let inFlight = 0;
      let failure: unknown;
      let wake: (() => void) | undefined;
      const kick = (): void => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      const onLost = (err: Error): void => {
        failure ??= destinationError('destination_unreachable', `Lost the SFTP connection to ${this.host}:${this.port}: ${err.message}`, err);
        kick();
      };
      session.onLost.add(onLost);
      if (session.lost) onLost(session.lost);
      signal?.addEventListener('abort', kick);
      try {
        while ((next < size || inFlight > 0) && failure === undefined && !signal?.aborted) {
          if (next < size && inFlight < window) {
            const len = Math.min(chunk, size - next);
            const buf = Buffer.allocUnsafe(len);
            const at = next;
            const { bytesRead } = await local.read(buf, 0, len, at);
            if (bytesRead !== len) {
              failure = destinationError('destination_protocol_error', `${localFile} changed size while uploading`);
              break;
            }
            if (pacer.limited) await pacer.take(len, signal).catch(() => undefined);
            if (signal?.aborted || failure !== undefined) break;
            next += len;
            inFlight++;
            // ssh2 copies buf into its packet right away; the callback is the server's answer
            sftp.write(handle, buf, 0, len, at, (err) => {
              inFlight--;
              if (err) failure ??= err;
              else {
                acked += len;
                options.onProgress?.(acked);
              }
              kick();
            });
            continue;
          }
          await new Promise<void>((r) => {
            wake = r;
          });
        }
        if (signal?.aborted || failure !== undefined) {
          // Let the writes in flight settle so the handle can be closed cleanly; a connection
          // that is gone or a server that does not answer within 2 s is dropped instead.
          const settled = session.lost
            ? false
            : await waitFor(() => inFlight === 0 || session.lost !== undefined, 2000, (r) => {
                wake = r;
              });
          if (!settled || session.lost) client.destroy();
          else await this.call(target, (cb) => sftp.close(handle, cb), session).catch(() => undefined);
          if (signal?.aborted) throw abortError(signal);
          throw await this.explainWriteFailure(session, failure, relPath);
        }
        if ((sftp as unknown as { _extensions?: Record<string, string> })._extensions?.['fsync@openssh.com']) {
          await this.call(target, (cb) => sftp.ext_openssh_fsync(handle, cb), session);
        }
        await this.call(target, (cb) => sftp.close(handle, cb), session);
      } finally {
        session.onLost.delete(onLost);
        signal?.removeEventListener('abort', kick);
      }
    } finally {
      this.active--;
      this.touch();
      await local.close();
    }
  }

  /** OpenSSH reports a full disk as a bare "Failure": check the free space to say so. */
  private async explainWriteFailure(session: Session, failure: unknown, relPath: string): Promise<AppError> {
    const mapped = this.mapError(failure, relPath);
    if (mapped.code !== 'destination_protocol_error' || session.lost) return mapped;
    const space = await this.space(session).catch(() => null);
    if (space && space.free < MAX_CHUNK * 2) {
      return destinationError('destination_no_space', `No space left on ${this.describe()}`, failure);
    }
    return mapped;
  }

  async mkdirp(relDir: string, signal?: AbortSignal): Promise<void> {
    const full = this.remote(relDir, true);
    if (full === '.' || full === '/') return;
    const session = await this.connect(signal);
    const { sftp } = session;
    const existing = await this.statRaw(session, full);
    if (existing?.isDirectory()) return;
    const absolute = full.startsWith('/');
    const parts = splitRel(absolute ? full.slice(1) : full);
    let cur = absolute ? '' : '';
    for (const part of parts) {
      throwIfAborted(signal);
      cur = cur === '' ? (absolute ? `/${part}` : part) : `${cur}/${part}`;
      const st = await this.statRaw(session, cur);
      if (st?.isDirectory()) continue;
      if (st) throw destinationError('destination_protocol_error', `Cannot create folder ${cur}: a file of that name exists`);
      const dir = cur;
      await this.call(dir, (cb) => sftp.mkdir(dir, cb), session).catch(async (err: unknown) => {
        const again = await this.statRaw(session, dir); // created meanwhile by a parallel transfer?
        if (!again?.isDirectory()) throw err;
      });
    }
  }

  private async statRaw(session: Session, p: string): Promise<Stats | null> {
    const { sftp } = session;
    try {
      return await this.call<Stats>(p, (cb) => sftp.stat(p, cb), session);
    } catch (err) {
      if (err instanceof AppError && err.code === 'destination_not_found') return null;
      throw err;
    }
  }

  async rename(fromRel: string, toRel: string, signal?: AbortSignal): Promise<void> {
    const session = await this.connect(signal);
    const { sftp } = session;
    const from = this.remote(fromRel);
    const to = this.remote(toRel);
    // SSH_FXP_RENAME does not replace on OpenSSH (it links), but other servers may: check first.
    if (await this.statRaw(session, to)) throw destinationError('destination_exists', `${this.describe(toRel)} already exists; not replaced`);
    try {
      await this.call(to, (cb) => sftp.rename(from, to, cb), session);
    } catch (err) {
      if (await this.statRaw(session, to).catch(() => null)) {
        throw destinationError('destination_exists', `${this.describe(toRel)} already exists; not replaced`, err);
      }
      throw err;
    }
  }

  async stat(relPath: string, signal?: AbortSignal): Promise<RemoteStat | null> {
    const session = await this.connect(signal);
    const { sftp } = session;
    const st = await this.statRaw(session, this.remote(relPath));
    return st ? { size: st.size, isDirectory: st.isDirectory() } : null;
  }

  async remove(relPath: string, signal?: AbortSignal): Promise<void> {
    const session = await this.connect(signal);
    const { sftp } = session;
    const p = this.remote(relPath);
    try {
      await this.call(p, (cb) => sftp.unlink(p, cb), session);
    } catch (err) {
      if (err instanceof AppError && err.code === 'destination_not_found') return;
      throw err;
    }
  }

  async freeSpace(signal?: AbortSignal): Promise<number | null> {
    const session = await this.connect(signal);
    const { sftp } = session;
    return (await this.space(session))?.free ?? null;
  }

  private async space(session: Session): Promise<{ free: number; total: number } | null> {
    const { sftp } = session;
    if (!(sftp as unknown as { _extensions?: Record<string, string> })._extensions?.['statvfs@openssh.com']) return null;
    const base = this.remote('', true);
    const st = await this.call<Record<string, number | bigint>>(base, (cb) => sftp.ext_openssh_statvfs(base, cb), session);
    const n = (k: string): number => Number(st[k] ?? 0);
    const unit = n('f_frsize') || n('f_bsize');
    return { free: n('f_bavail') * unit, total: n('f_blocks') * unit };
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const s = this.session;
    this.session = undefined;
    if (!s) return;
    const session = await s.catch(() => undefined);
    if (!session) return;
    await new Promise<void>((resolve) => {
      session.client.once('close', () => resolve());
      session.client.end();
      setTimeout(() => {
        session.client.destroy();
        resolve();
      }, 1000).unref();
    });
  }
}

/** Wait until cond() holds, re-checking whenever `arm`'s resolver is called; false after ms. */
async function waitFor(cond: () => boolean, ms: number, arm: (wake: () => void) => void): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((r) => {
      const t = setTimeout(r, Math.min(left, 100));
      arm(() => {
        clearTimeout(t);
        r();
      });
    });
  }
  return true;
}

/** A server reachable over SSH, through the ssh2 SFTP client (in process). */
export const sftpKind = defineDestinationKind({
  kind: 'sftp',
  label: 'SFTP',
  help: 'A server reachable over SSH.',
  settings: z
    .object({
      host: host('sftp'),
      port: port('22'),
      username: username('sftp'),
      password: secret(1024, 'Password').optional(),
      private_key: privateKey().optional(),
      private_key_passphrase: secret(1024, 'Key passphrase').optional(),
      host_key_fingerprint: hostKeyFingerprint(),
      base_path: remoteFolder('Folder', 'Absolute, or relative to the login folder'),
    })
    .superRefine((s, ctx) => {
      if (!s.password && !s.private_key) ctx.addIssue({ code: 'custom', path: ['password'], message: 'sftp destinations need a password or a private_key' });
    }),
  secrets: ['password', 'private_key', 'private_key_passphrase'],
  defaults: { base_path: '' },
  create: (settings, ctx) => new SftpDestination({ ...ctx.destination, ...settings, kind: 'sftp' }, ctx),
});
