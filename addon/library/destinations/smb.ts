import { z } from 'zod';
import { host, port, remoteFolder, secret, text, username } from './fields.js';
import { defineDestinationKind } from './kind.js';
import { constants as fsc, createReadStream, openSync } from 'node:fs';
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AppError } from '../../errors.js';
import { abortError, destinationError, isAbortError, throwIfAborted } from './errors.js';
import { ancestors, joinPosix, normRel, splitRel } from './paths.js';
import { runProgram, type RunResult } from './run.js';
import { kibToBytesPerSecond, progressStream, throttleStream } from './throttle.js';
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

/**
 * SMB2/3 through Samba's own `smbclient` (the only client measured to work against a default
 * Samba / Synology DSM 7: NTLMv2 only, SMB2+; see shared notes/dependencies.md).
 *
 * - Secrets: the password goes in the child's environment (PASSWD), the username (and domain) in
 *   an authentication file (-A) in a private 0700 temp dir that is deleted after each run.
 *   Nothing secret is ever on a command line.
 * - Commands are written to smbclient's stdin, one per line, so names may contain ';' (the -c
 *   option splits on ';' even inside quotes). smbclient's exit status is 0 even when a command
 *   fails in this mode, so success is read from the output: any NT_STATUS_* that the caller did
 *   not declare harmless is an error.
 * - Data: at full speed smbclient reads the local file itself (through a symlink with a plain
 *   name in the private dir) and progress is its read position from /proc/<pid>/fdinfo: as fast
 *   as a plain `smbclient put`. With a bandwidth limit it reads a FIFO in the private dir that
 *   this process fills at the allowed rate. Abort kills the child mid-stream either way.
 * - No resume: smbclient's `reput` can only continue from the remote file's size, and Samba
 *   completes pipelined writes out of order, so an interrupted .part can have holes before its
 *   end; a retry rewrites the .part from the start instead.
 */
export class SmbDestination implements Destination {
  readonly kind = 'smb' as const;
  readonly id: string;
  readonly capabilities: DestinationCapabilities = { resume: false, atomicUpload: false, rename: true, freeSpace: true, localLink: false };
  private readonly host: string;
  private readonly port: number;
  private readonly share: string;
  private readonly user: string;
  private readonly domain: string | undefined;
  private readonly password: string;
  private readonly base: string;
  private readonly bytesPerSecond: number;
  private readonly timeoutSec: number;
  private readonly smbclient: string;
  private readonly tmpRoot: string;

  constructor(config: DestinationConfig, deps: DestinationDeps) {
    if (!config.host) throw destinationError('destination_invalid_config', `SMB destination "${config.name}" needs a host`);
    if (!config.share) throw destinationError('destination_invalid_config', `SMB destination "${config.name}" needs a share name`);
    if (/[\\/"]/.test(config.share)) throw destinationError('destination_invalid_config', `Invalid SMB share name "${config.share}" (give the share alone, without slashes)`);
    this.id = config.id;
    this.host = config.host;
    this.port = config.port ?? 445;
    this.share = config.share;
    const rawUser = config.username ?? 'guest';
    const slash = rawUser.indexOf('\\');
    this.domain = slash > 0 ? rawUser.slice(0, slash) : undefined;
    this.user = slash > 0 ? rawUser.slice(slash + 1) : rawUser;
    if (/[\r\n]/.test(rawUser)) throw destinationError('destination_invalid_config', 'Invalid SMB username');
    this.password = config.password ?? '';
    this.base = normRel(config.base_path ?? '', { allowEmpty: true });
    checkSmbPath(this.base);
    this.bytesPerSecond = kibToBytesPerSecond(config.bandwidth_limit_kbps);
    this.timeoutSec = Math.max(1, Math.round((config.timeout_ms ?? 20_000) / 1000));
    this.smbclient = deps.programs?.smbclient ?? 'smbclient';
    this.tmpRoot = deps.tmpDir ?? os.tmpdir();
  }

  describe(relPath = ''): string {
    return `//${this.host}:${this.port}/${this.share}/${joinPosix(this.base, relPath ? normRel(relPath) : '')}`.replace(/\/+$/, '');
  }

  private remote(rel: string, allowEmpty = false): string {
    const r = joinPosix(this.base, normRel(rel, { allowEmpty }));
    checkSmbPath(r);
    return r;
  }

  async probe(options: ProbeOptions = {}): Promise<ProbeResult> {
    const { signal } = options;
    try {
      if (options.write !== false) {
        await this.mkdirp('', signal);
      }
      const started = performance.now(); // one smbclient run: connect, log in, ask for the space
      const out = await this.session(this.base ? [`cd ${q(this.base)}`, 'du'] : ['du'], { signal });
      const latencyMs = performance.now() - started;
      const space = parseDu(out.stdout);
      if (options.write !== false) {
        const probe = `.m3u-probe-${process.pid}-${Date.now()}`;
        await this.withPrivateDir(async (dir) => {
          const tmp = path.join(dir, 'probe');
          await fsp.writeFile(tmp, 'probe');
          await this.upload(tmp, probe, signal ? { signal } : {});
        });
        await this.remove(probe, signal);
      }
      return { ok: true, status: 'online', latencyMs, freeBytes: space?.free ?? null, totalBytes: space?.total ?? null };
    } catch (err) {
      if (isAbortError(err)) throw err;
      const app = err as AppError;
      return {
        ok: false,
        status: app.code === 'destination_unreachable' ? 'offline' : 'error',
        latencyMs: null,
        freeBytes: null,
        totalBytes: null,
        code: app.code ?? 'destination_protocol_error',
        message: app.message,
      };
    }
  }

  async upload(localFile: string, relPath: string, options: UploadOptions = {}): Promise<void> {
    const { signal } = options;
    const target = this.remote(relPath);
    throwIfAborted(signal);
    await fsp.access(localFile, fsc.R_OK);
    const st = await fsp.stat(localFile);
    await this.withPrivateDir(async (dir) => {
      let source: string;
      let feed: (exited: Promise<void>, pid: number | undefined) => Promise<void>;
      if (this.bytesPerSecond > 0) {
        // paced: smbclient reads a FIFO that we fill at the allowed rate
        source = path.join(dir, 'data');
        const mk = await runProgram('mkfifo', ['-m', '600', source], { installHint: 'coreutils or busybox' });
        if (mk.code !== 0) throw destinationError('destination_protocol_error', `mkfifo failed: ${mk.stderr.trim()}`);
        feed = (exited) => this.feedFifo(source, localFile, exited, options);
      } else {
        // full speed: smbclient reads the file itself (a symlink with a plain name, so no
        // quoting trouble); progress is its read position, from /proc
        source = path.join(dir, 'src');
        await fsp.symlink(path.resolve(localFile), source);
        feed = (exited, pid) => watchReadPosition(pid, st, exited, options.onProgress);
      }
      const result = await this.session([`put ${q(source)} ${q(target)}`], { signal, dir, feed });
      if (!/putting file/.test(result.stdout + result.stderr)) {
        throw destinationError('destination_protocol_error', `smbclient did not confirm the upload of ${this.describe(relPath)}: ${tail(result)}`);
      }
      options.onProgress?.(st.size);
    });
  }

  /**
   * Stream the file into the FIFO once smbclient has opened it for reading. The FIFO is opened
   * non-blocking (ENXIO until the reader is there, so we poll): a blocking open would hold a
   * libuv thread, and a few of those starve every other fs call in the process.
   */
  private async feedFifo(fifo: string, localFile: string, exited: Promise<void>, options: UploadOptions): Promise<void> {
    let childGone = false;
    void exited.then(() => {
      childGone = true;
    });
    let fd: number | undefined;
    while (fd === undefined) {
      if (childGone) return; // smbclient ended before reading (login failed...): its output says why
      try {
        fd = openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
        await sleep(5);
      }
    }
    const sink = new net.Socket({ fd, readable: false, writable: true });
    const stages: NodeJS.ReadWriteStream[] = [];
    if (this.bytesPerSecond > 0) stages.push(throttleStream(this.bytesPerSecond, options.signal));
    stages.push(progressStream(0, options.onProgress));
    await pipeline(
      [createReadStream(localFile, { highWaterMark: 1024 * 1024 }), ...stages, sink],
      options.signal ? { signal: options.signal } : {},
    );
  }

  async mkdirp(relDir: string, signal?: AbortSignal): Promise<void> {
    const dirs = ancestors(this.remote(relDir, true));
    if (dirs.length === 0) return;
    // One session: each level is created if missing ("already exists" is fine), then the
    // last one is described to check it is a folder.
    const last = dirs[dirs.length - 1] ?? '';
    const res = await this.session([...dirs.map((d) => `mkdir ${q(d)}`), `allinfo ${q(last)}`], {
      signal,
      ok: ['NT_STATUS_OBJECT_NAME_COLLISION'],
    });
    const st = parseAllinfo(res.stdout);
    if (!st?.isDirectory) {
      throw destinationError('destination_protocol_error', `Could not create the folder ${this.describe(relDir)}${st ? ' (a file of that name exists)' : ''}`);
    }
  }

  async rename(fromRel: string, toRel: string, signal?: AbortSignal): Promise<void> {
    // smbclient's rename does not replace (only `rename -f` would): a taken name is
    // NT_STATUS_OBJECT_NAME_COLLISION.
    await this.session([`rename ${q(this.remote(fromRel))} ${q(this.remote(toRel))}`], { signal });
  }

  async stat(relPath: string, signal?: AbortSignal): Promise<RemoteStat | null> {
    return this.statRemote(this.remote(relPath), signal);
  }

  private async statRemote(remote: string, signal?: AbortSignal): Promise<RemoteStat | null> {
    const res = await this.session([`allinfo ${q(remote)}`], {
      signal,
      ok: ['NT_STATUS_OBJECT_NAME_NOT_FOUND', 'NT_STATUS_OBJECT_PATH_NOT_FOUND', 'NT_STATUS_NO_SUCH_FILE', 'NT_STATUS_NOT_FOUND'],
    });
    return parseAllinfo(res.stdout);
  }

  async remove(relPath: string, signal?: AbortSignal): Promise<void> {
    await this.session([`del ${q(this.remote(relPath))}`], {
      signal,
      ok: ['NT_STATUS_OBJECT_NAME_NOT_FOUND', 'NT_STATUS_OBJECT_PATH_NOT_FOUND', 'NT_STATUS_NO_SUCH_FILE'],
    });
  }

  async freeSpace(signal?: AbortSignal): Promise<number | null> {
    const out = await this.session(this.base ? [`cd ${q(this.base)}`, 'du'] : ['du'], { signal });
    return parseDu(out.stdout)?.free ?? null;
  }

  async close(): Promise<void> {
    // one smbclient per operation; nothing held open
  }

  /** A private 0700 directory for the auth file and FIFO, removed afterwards whatever happens. */
  private async withPrivateDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = await fsp.mkdtemp(path.join(this.tmpRoot, 'm3u-smb-'));
    try {
      await fsp.chmod(dir, 0o700);
      return await fn(dir);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * One smbclient connection running `commands`. Throws the mapped AppError for the first
   * NT_STATUS not in `ok`, or for a failed connection.
   */
  private async session(
    commands: string[],
    opts: { signal?: AbortSignal | undefined; ok?: string[]; dir?: string; feed?: (exited: Promise<void>, pid: number | undefined) => Promise<void> },
  ): Promise<RunResult> {
    const run = async (dir: string): Promise<RunResult> => {
      const authFile = path.join(dir, 'auth');
      const auth = `username = ${this.user}\n${this.domain ? `domain = ${this.domain}\n` : ''}`;
      await fsp.writeFile(authFile, auth, { mode: 0o600 });
      const args = [
        '-s', '/dev/null', // no host smb.conf: the same behaviour in every image
        `//${this.host}/${this.share}`,
        '-p', String(this.port),
        '-m', 'SMB3',
        '-A', authFile,
        '-t', String(this.timeoutSec),
      ];
      // no password (guest shares): say so, or smbclient would read one from stdin (our commands)
      if (this.password === '') args.push('-N');
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', PASSWD: this.password, LC_ALL: 'C.UTF-8', HOME: dir };
      const res = await runProgram(this.smbclient, args, {
        env,
        input: `${commands.join('\n')}\nexit\n`,
        installHint: 'Debian: apt-get install smbclient; Alpine: apk add samba-client',
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.feed ? { feed: opts.feed } : {}),
      });
      const err = this.errorFrom(res, opts.ok ?? []);
      if (err) throw err;
      return res;
    };
    try {
      return opts.dir ? await run(opts.dir) : await this.withPrivateDir(run);
    } catch (err) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      throw err;
    }
  }

  private errorFrom(res: RunResult, ok: string[]): AppError | undefined {
    const text = `${res.stdout}\n${res.stderr}`;
    const statuses = [...text.matchAll(/NT_STATUS_[A-Z0-9_]+/g)].map((m) => m[0]);
    const bad = statuses.find((s) => !ok.includes(s));
    if (bad) return this.mapStatus(bad, text);
    if (res.signal) return destinationError('destination_unreachable', `smbclient was stopped (${res.signal}) while talking to ${this.where()}`);
    if (res.code !== 0) {
      return destinationError('destination_protocol_error', `smbclient failed (exit ${res.code}) on ${this.where()}: ${tail(res)}`);
    }
    return undefined;
  }

  private where(): string {
    return `//${this.host}/${this.share}`;
  }

  private mapStatus(status: string, text: string): AppError {
    const line = text.split('\n').find((l) => l.includes(status))?.trim() ?? status;
    const where = this.where();
    switch (status) {
      case 'NT_STATUS_LOGON_FAILURE':
      case 'NT_STATUS_WRONG_PASSWORD':
      case 'NT_STATUS_NO_SUCH_USER':
      case 'NT_STATUS_ACCOUNT_DISABLED':
      case 'NT_STATUS_ACCOUNT_LOCKED_OUT':
      case 'NT_STATUS_ACCOUNT_RESTRICTION':
      case 'NT_STATUS_PASSWORD_EXPIRED':
      case 'NT_STATUS_PASSWORD_MUST_CHANGE':
      case 'NT_STATUS_INVALID_ACCOUNT_NAME':
        return destinationError(
          'destination_auth_failed',
          `SMB login refused for user ${this.user} on ${where}: check username and password (${status})`,
        );
      case 'NT_STATUS_BAD_NETWORK_NAME':
        return destinationError('destination_not_found', `The share "${this.share}" does not exist on ${this.host}: check the share name (${status})`);
      case 'NT_STATUS_ACCESS_DENIED':
      case 'NT_STATUS_MEDIA_WRITE_PROTECTED':
      case 'NT_STATUS_NETWORK_ACCESS_DENIED':
        return destinationError(
          'destination_permission_denied',
          `User ${this.user} may not write there on ${where}: give the user write access to the share and folder (${line})`,
        );
      case 'NT_STATUS_DISK_FULL':
      case 'NT_STATUS_QUOTA_EXCEEDED':
        return destinationError('destination_no_space', `No space left on ${where} (${status})`);
      case 'NT_STATUS_OBJECT_NAME_COLLISION':
        return destinationError('destination_exists', `Already exists on ${where}; nothing was replaced (${line})`);
      case 'NT_STATUS_OBJECT_PATH_NOT_FOUND':
      case 'NT_STATUS_OBJECT_NAME_NOT_FOUND':
      case 'NT_STATUS_NO_SUCH_FILE':
        return destinationError('destination_not_found', `Not found on ${where}: ${line}`);
      case 'NT_STATUS_CONNECTION_REFUSED':
      case 'NT_STATUS_HOST_UNREACHABLE':
      case 'NT_STATUS_NETWORK_UNREACHABLE':
      case 'NT_STATUS_IO_TIMEOUT':
      case 'NT_STATUS_CONNECTION_RESET':
      case 'NT_STATUS_CONNECTION_DISCONNECTED':
      case 'NT_STATUS_CONNECTION_ABORTED':
      case 'NT_STATUS_END_OF_FILE':
      case 'NT_STATUS_PIPE_BROKEN':
      case 'NT_STATUS_INVALID_NETWORK_RESPONSE':
      case 'NT_STATUS_NETWORK_NAME_DELETED':
      case 'NT_STATUS_UNEXPECTED_NETWORK_ERROR':
      case 'NT_STATUS_BAD_NETWORK_PATH':
      case 'NT_STATUS_UNSUCCESSFUL':
      case 'NT_STATUS_INVALID_HANDLE':
      case 'NT_STATUS_USER_SESSION_DELETED':
      case 'NT_STATUS_NETWORK_SESSION_EXPIRED':
        return destinationError('destination_unreachable', `Cannot reach SMB server ${this.host}:${this.port} (${status}); is it up?`);
      default:
        return destinationError('destination_protocol_error', `SMB error on ${where}: ${line}`);
    }
  }
}

/**
 * Report how far a child has read `file` (its fd position in /proc/<pid>/fdinfo), every 100 ms
 * until it exits. Linux only; elsewhere there is simply no progress until the end.
 */
async function watchReadPosition(
  pid: number | undefined,
  file: { dev: number; ino: number },
  exited: Promise<void>,
  onProgress: ((bytes: number) => void) | undefined,
): Promise<void> {
  if (!onProgress || pid === undefined) return;
  let done = false;
  void exited.then(() => {
    done = true;
  });
  let fd: string | undefined;
  let last = -1;
  while (!done) {
    await Promise.race([sleep(100), exited]);
    if (done) break;
    try {
      if (fd === undefined) {
        for (const n of await fsp.readdir(`/proc/${pid}/fd`)) {
          const st = await fsp.stat(`/proc/${pid}/fd/${n}`).catch(() => undefined);
          if (st && st.ino === file.ino && st.dev === file.dev) {
            fd = n;
            break;
          }
        }
      }
      if (fd === undefined) continue;
      const info = await fsp.readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      const pos = Number(/^pos:\s*(\d+)/m.exec(info)?.[1] ?? -1);
      if (pos > last) {
        last = pos;
        onProgress(pos);
      }
    } catch {
      fd = undefined; // not there yet, already closed, or no /proc
    }
  }
}

/** Quote an smbclient argument. Names with '"' cannot be quoted (and are illegal in SMB). */
function q(p: string): string {
  if (p.includes('"')) throw destinationError('destination_invalid_path', `Invalid character '"' in SMB path: ${p}`);
  return `"${p}"`;
}

/** Characters Windows/SMB forbid in names (the naming module strips them before we get here). */
function checkSmbPath(p: string): void {
  for (const part of splitRel(p, { allowEmpty: true })) {
    if (/[<>:"|?*]/.test(part)) {
      throw destinationError('destination_invalid_path', `Character not allowed on SMB in "${part}"`);
    }
  }
}

function tail(res: RunResult): string {
  const text = `${res.stdout}\n${res.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('Try "help"'));
  return text.slice(-3).join(' | ') || `exit ${res.code}`;
}

/** `allinfo` output -> size/dir, or null when there was nothing to describe. */
export function parseAllinfo(out: string): RemoteStat | null {
  const attrs = /^attributes:\s*(\S*)\s*\(([0-9a-f]+)\)/im.exec(out);
  if (!attrs) return null;
  const flags = parseInt(attrs[2] ?? '0', 16);
  const isDirectory = (flags & 0x10) !== 0;
  const stream = /^stream:\s*\[::\$DATA\],\s*(\d+)\s*bytes/im.exec(out);
  return { isDirectory, size: stream ? Number(stream[1]) : 0 };
}

/** `du` output ("N blocks of size B. M blocks available") -> bytes. */
export function parseDu(out: string): { free: number; total: number } | null {
  const m = /(\d+)\s+blocks of size\s+(\d+)\.\s+(\d+)\s+blocks available/i.exec(out);
  if (!m) return null;
  const size = Number(m[2]);
  return { total: Number(m[1]) * size, free: Number(m[3]) * size };
}

/** An SMB share (Windows, Synology, QNAP, Samba) through smbclient. */
export const smbKind = defineDestinationKind({
  kind: 'smb',
  label: 'SMB share',
  help: 'A Windows or NAS share (Synology, QNAP, Samba).',
  settings: z.object({
    host: host('smb'),
    port: port('445'),
    username: username().optional(),
    password: secret(1024, 'Password').optional(),
    share: text(80, { kind: 'smb', hint: 'the share name, e.g. media' })
      .trim()
      .min(1, 'is required for smb destinations (the share name, e.g. media)')
      .regex(/^[^\\/"[\]:|<>+=;,*?\0]+$/, 'must be the share name alone, without slashes (e.g. media)')
      .meta({ title: 'Share', description: 'The share name alone, e.g. media' }),
    base_path: remoteFolder('Folder in the share', 'Empty for the share itself'),
  }),
  secrets: ['password'],
  defaults: { base_path: '' },
  create: (settings, ctx) => new SmbDestination({ ...ctx.destination, ...settings, kind: 'smb' }, ctx),
});
