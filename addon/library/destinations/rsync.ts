import { createHash } from 'node:crypto';
import { z } from 'zod';
import { host, hostKeyFingerprint, port, privateKey, remoteFolder, secret, username } from './fields.js';
import { defineDestinationKind } from './kind.js';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppError } from '../../errors.js';
import { abortError, destinationError, isAbortError, throwIfAborted } from './errors.js';
import { baseName, joinPosix, normRel, parentRel, splitRel } from './paths.js';
import { runProgram, type RunResult } from './run.js';
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

/** Where rsync keeps an interrupted file (relative to the target folder); resumed from next time. */
export const PARTIAL_DIR = '.m3u-partial';

/**
 * rsync, to a daemon (`rsync://user@host:port/module/...`, password in RSYNC_PASSWORD) or over
 * OpenSSH (`-e ssh`, password through a private SSH_ASKPASS script, key in a private 0600 file).
 *
 * rsync writes every file to a hidden temp name and renames it when complete, so the final name
 * only ever appears complete (capabilities.atomicUpload): transferFile uploads straight to the
 * final name, and there is no rename(). `--partial-dir` keeps an interrupted file aside and the
 * next run continues from it (rsync's delta algorithm uses it as the basis), which is the resume.
 * remove() uses rsync's own --delete with a filter naming the one file; free space is not
 * something the rsync protocol tells.
 */
export class RsyncDestination implements Destination {
  readonly kind = 'rsync' as const;
  readonly id: string;
  readonly capabilities: DestinationCapabilities = { resume: true, atomicUpload: true, rename: false, freeSpace: false, localLink: false };
  private readonly config: DestinationConfig;
  private readonly ssh: boolean;
  private readonly host: string;
  private readonly port: number;
  private readonly user: string | undefined;
  private readonly base: string;
  private readonly rsync: string;
  private readonly sshProgram: string;
  private readonly tmpRoot: string;
  private readonly timeoutSec: number;
  private readonly keyscanProgram: string;
  /** The host key fingerprint the server showed last (SHA256:...), reported by probe(). */
  private seenFingerprint: string | undefined;

  constructor(config: DestinationConfig, deps: DestinationDeps) {
    if (!config.host) throw destinationError('destination_invalid_config', `rsync destination "${config.name}" needs a host`);
    this.config = config;
    this.id = config.id;
    this.ssh = config.transport === 'ssh';
    this.host = config.host;
    this.port = config.port ?? (this.ssh ? 22 : 873);
    this.user = config.username || undefined;
    const raw = config.base_path ?? '';
    if (this.ssh) {
      this.base = raw.startsWith('/') ? `/${normRel(raw.slice(1), { allowEmpty: true })}` : normRel(raw, { allowEmpty: true });
    } else {
      this.base = normRel(raw, { allowEmpty: true });
      if (this.base === '') {
        throw destinationError('destination_invalid_config', `rsync destination "${config.name}": base_path must start with the daemon module name (module/sub/folder)`);
      }
    }
    if (this.user && /[@:/\s]/.test(this.user)) throw destinationError('destination_invalid_config', `Invalid rsync username "${this.user}"`);
    this.rsync = deps.programs?.rsync ?? 'rsync';
    this.sshProgram = deps.programs?.ssh ?? 'ssh';
    this.keyscanProgram = deps.programs?.sshKeyscan ?? 'ssh-keyscan';
    this.tmpRoot = deps.tmpDir ?? os.tmpdir();
    this.timeoutSec = Math.max(5, Math.round((config.timeout_ms ?? 30_000) / 1000));
  }

  private get module(): string {
    return splitRel(this.base)[0] ?? '';
  }

  describe(relPath = ''): string {
    const p = joinPosix(this.base, relPath ? normRel(relPath) : '');
    return this.ssh ? `rsync+ssh://${this.user ? `${this.user}@` : ''}${this.host}:${this.port}${p.startsWith('/') ? '' : '/~/'}${p}` : `rsync://${this.user ? `${this.user}@` : ''}${this.host}:${this.port}/${p}`;
  }

  /** The remote spec of a relative path, as rsync takes it. */
  private spec(rel: string, { dirSlash = false, glob = false } = {}): string {
    let p = joinPosix(this.base, rel === '' ? '' : normRel(rel));
    if (glob) p = escapeGlob(p); // a remote SOURCE is wildcard-expanded by the server
    if (dirSlash) p = `${p.replace(/\/+$/, '')}/`;
    if (this.ssh) return `${this.user ? `${this.user}@` : ''}${bracketHost(this.host)}:${p === '' ? '.' : p}`;
    return `rsync://${this.user ? `${this.user}@` : ''}${bracketHost(this.host)}:${this.port}/${p}`;
  }

  // ---- running rsync ----------------------------------------------------------------------

  private async run(args: string[], opts: { signal?: AbortSignal | undefined; onLine?: (l: string) => void; okNotFound?: boolean } = {}): Promise<RunResult> {
    const dir = await fsp.mkdtemp(path.join(this.tmpRoot, 'm3u-rsync-'));
    try {
      await fsp.chmod(dir, 0o700);
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LC_ALL: 'C.UTF-8' };
      const common = [`--timeout=${this.timeoutSec}`, '--no-h'];
      if (this.ssh) {
        common.push('-s', '-e', await this.sshCommand(dir, env));
      } else {
        common.push(`--contimeout=${this.timeoutSec}`);
        env.RSYNC_PASSWORD = this.config.password ?? '';
      }
      const res = await runProgram(this.rsync, [...common, ...args], {
        env,
        installHint: 'Debian: apt-get install rsync; Alpine: apk add rsync',
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onLine ? { onLine: opts.onLine } : {}),
      });
      if (res.code !== 0) {
        const err = this.mapFailure(res);
        if (!(opts.okNotFound && err.code === 'destination_not_found')) throw err;
      }
      return res;
    } catch (err) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      throw err;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  /** `-e` value for rsync over ssh; secrets go in files in the private dir, never in argv. */
  private async sshCommand(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
    if (/[\s"'\\]/.test(dir)) throw destinationError('destination_invalid_config', `The temp directory path must not contain spaces or quotes: ${dir}`);
    const knownHosts = path.join(dir, 'known_hosts');
    const pinned = await this.pinnedHostKey(knownHosts);
    const opts = [
      this.sshProgram,
      '-p', String(this.port),
      '-o', `ConnectTimeout=${this.timeoutSec}`,
      '-o', 'ServerAliveInterval=10',
      '-o', 'ServerAliveCountMax=3',
      // Pinned (host_key_fingerprint): only the key with that fingerprint is accepted, as for
      // SFTP. Not pinned: any key, and the one seen is reported so it can be pinned.
      '-o', `StrictHostKeyChecking=${pinned ? 'yes' : 'no'}`,
      '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      ...(pinned ? ['-o', `HostKeyAlgorithms=${hostKeyAlgorithms(pinned)}`] : []),
      '-o', 'LogLevel=ERROR',
    ];
    const methods: string[] = [];
    if (this.config.private_key) {
      const key = path.join(dir, 'id');
      const text = this.config.private_key.endsWith('\n') ? this.config.private_key : `${this.config.private_key}\n`;
      await fsp.writeFile(key, text, { mode: 0o600 });
      opts.push('-i', key, '-o', 'IdentitiesOnly=yes');
      methods.push('publickey');
    }
    if (this.config.password || this.config.private_key_passphrase) {
      const askpass = path.join(dir, 'askpass');
      await fsp.writeFile(askpass, '#!/bin/sh\nprintf \'%s\\n\' "$M3U_SSH_SECRET"\n', { mode: 0o700 });
      env.SSH_ASKPASS = askpass;
      env.SSH_ASKPASS_REQUIRE = 'force';
      env.DISPLAY = env.DISPLAY ?? ':0';
      // asked once: the key's passphrase if there is a key with one, else the password
      env.M3U_SSH_SECRET = this.config.private_key && this.config.private_key_passphrase ? this.config.private_key_passphrase : (this.config.password ?? '');
      if (this.config.password) methods.push('password', 'keyboard-interactive');
      opts.push('-o', 'NumberOfPasswordPrompts=1');
    } else {
      opts.push('-o', 'BatchMode=yes');
    }
    if (methods.length) opts.push('-o', `PreferredAuthentications=${methods.join(',')}`);
    return opts.join(' ');
  }

  /**
   * With a pinned fingerprint: fetch the server's host keys (ssh-keyscan), keep the one whose
   * SHA256 fingerprint is the pinned one in a private known_hosts, and return its key type.
   * OpenSSH then refuses any other key, also one swapped in between the scan and the login.
   * A server that shows no key with the pinned fingerprint is refused here, with both prints.
   */
  private async pinnedHostKey(knownHosts: string): Promise<string | null> {
    const raw = this.config.host_key_fingerprint?.trim();
    if (!raw) return null;
    const pinned = (raw.startsWith('SHA256:') ? raw : `SHA256:${raw}`).replace(/=+$/, '');
    const keys = await this.scanHostKeys();
    const match = keys.find((k) => k.fingerprint === pinned);
    if (!match) {
      this.seenFingerprint = keys[0]?.fingerprint;
      const seen = keys.map((k) => k.fingerprint).join(', ') || 'none';
      throw destinationError(
        'destination_host_key_mismatch',
        `The SSH host key of ${this.host}:${this.port} (${seen}) is not the pinned one (${pinned}): if the server was reinstalled, update the fingerprint`,
      );
    }
    this.seenFingerprint = match.fingerprint;
    const hostPattern = this.port === 22 ? this.host : `[${this.host}]:${this.port}`;
    await fsp.writeFile(knownHosts, `${hostPattern} ${match.type} ${match.blob}\n`, { mode: 0o600 });
    return match.type;
  }

  /** The server's host keys with their fingerprints, preferred type first (as OpenSSH negotiates). */
  private async scanHostKeys(): Promise<Array<{ type: string; blob: string; fingerprint: string }>> {
    const res = await runProgram(this.keyscanProgram, ['-p', String(this.port), '-T', String(this.timeoutSec), '-t', 'ed25519,ecdsa,rsa', '--', this.host], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' },
      installHint: 'Debian: apt-get install openssh-client; Alpine: apk add openssh-client',
    });
    const order = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];
    const keys = res.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length >= 3 && !f[0]!.startsWith('#'))
      .map(([, type, blob]) => ({ type: type!, blob: blob!, fingerprint: `SHA256:${createHash('sha256').update(Buffer.from(blob!, 'base64')).digest('base64').replace(/=+$/, '')}` }));
    if (keys.length === 0) {
      throw destinationError('destination_unreachable', `Cannot reach SSH server ${this.host}:${this.port} to check its host key: ${lastLines(res.stderr) || 'no answer'}`);
    }
    return keys.sort((a, b) => (order.indexOf(a.type) + 1 || 99) - (order.indexOf(b.type) + 1 || 99));
  }

  private mapFailure(res: RunResult): AppError {
    const text = `${res.stderr}\n${res.stdout}`;
    const where = this.describe();
    const who = this.user ?? '(none)';
    if (res.signal) return destinationError('destination_unreachable', `rsync was stopped (${res.signal}) while talking to ${where}`);
    if (/@ERROR: auth failed/i.test(text)) {
      return destinationError('destination_auth_failed', `rsync login refused for user ${who} on module "${this.module}" at ${this.host}:${this.port}: check username and password`);
    }
    if (/Permission denied \((publickey|password|keyboard)/i.test(text)) {
      return destinationError('destination_auth_failed', `SSH login refused for user ${who} on ${this.host}:${this.port}: check username and ${this.config.private_key ? 'private key' : 'password'}`);
    }
    if (/@ERROR: Unknown module/i.test(text)) {
      return destinationError('destination_not_found', `The rsync module "${this.module}" does not exist on ${this.host}:${this.port}: the first folder of base_path must be a module name`);
    }
    if (/@ERROR: access denied|module is read only|read-only file system|Permission denied \(13\)/i.test(text)) {
      return destinationError('destination_permission_denied', `User ${who} may not write to ${where}: ${lastLines(text)}`);
    }
    if (/No space left on device|Disk quota exceeded/i.test(text)) {
      return destinationError('destination_no_space', `No space left on ${where}`);
    }
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(text)) {
      return destinationError('destination_host_key_mismatch', `The SSH host key of ${this.host}:${this.port} changed while connecting and is not the pinned one (${this.config.host_key_fingerprint}): if the server was reinstalled, update the fingerprint`);
    }
    if (res.code === 23 && /No such file or directory \(2\)/.test(text)) {
      // a missing source (stat of nothing) also makes the other side hang up: not a network error
      return destinationError('destination_not_found', `Not found on ${where}: ${lastLines(text)}`);
    }
    if (
      [10, 12, 30, 35, 255].includes(res.code ?? -1) ||
      /Connection refused|No route to host|Name or service not known|Temporary failure in name resolution|timed out|connection unexpectedly closed|Connection reset|Broken pipe/i.test(text)
    ) {
      return destinationError('destination_unreachable', `Cannot reach ${this.ssh ? 'SSH' : 'rsync'} server ${this.host}:${this.port}: ${lastLines(text)}`);
    }
    if (/No such file or directory \(2\)/.test(text)) {
      return destinationError('destination_not_found', `Not found on ${where}: ${lastLines(text)}`);
    }
    return destinationError('destination_protocol_error', `rsync failed (exit ${res.code}) on ${where}: ${lastLines(text)}`);
  }

  // ---- operations -------------------------------------------------------------------------

  async probe(options: ProbeOptions = {}): Promise<ProbeResult> {
    const { signal } = options;
    try {
      if (options.write !== false) await this.mkdirp('', signal);
      const started = performance.now();
      await this.run(['--list-only', '-d', this.spec('', { glob: true })], { signal });
      const latencyMs = performance.now() - started;
      if (options.write !== false) {
        const probe = `.m3u-probe-${process.pid}-${Date.now()}`;
        const dir = await fsp.mkdtemp(path.join(this.tmpRoot, 'm3u-probe-'));
        try {
          await fsp.writeFile(path.join(dir, 'probe'), 'probe');
          await this.upload(path.join(dir, 'probe'), probe, signal ? { signal } : {});
        } finally {
          await fsp.rm(dir, { recursive: true, force: true });
        }
        await this.remove(probe, signal);
      }
      if (this.ssh && !this.seenFingerprint) this.seenFingerprint = (await this.scanHostKeys().catch(() => []))[0]?.fingerprint;
      return { ok: true, status: 'online', latencyMs, freeBytes: null, totalBytes: null, ...(this.seenFingerprint ? { hostKeyFingerprint: this.seenFingerprint } : {}) };
    } catch (err) {
      if (isAbortError(err) || signal?.aborted) throw abortError(signal);
      const app = err instanceof AppError ? err : destinationError('destination_protocol_error', String(err), err);
      return {
        ok: false,
        status: app.code === 'destination_unreachable' ? 'offline' : 'error',
        latencyMs: null,
        freeBytes: null,
        totalBytes: null,
        code: app.code,
        message: app.message,
        ...(this.seenFingerprint ? { hostKeyFingerprint: this.seenFingerprint } : {}),
      };
    }
  }

  async upload(localFile: string, relPath: string, options: UploadOptions = {}): Promise<void> {
    const { signal } = options;
    throwIfAborted(signal);
    const source = path.resolve(localFile); // absolute: a ':' in the name is not a host
    await fsp.access(source);
    const args = [`--partial-dir=${PARTIAL_DIR}`, '--info=progress2'];
    const kbps = this.config.bandwidth_limit_kbps;
    if (kbps && kbps > 0) args.push(`--bwlimit=${Math.max(1, Math.round(kbps))}`);
    if (options.noReplace) args.push('--ignore-existing');
    // The remote name is given in full, so the local name never matters.
    args.push('--', source, this.spec(relPath));
    // A receiver that was killed outright (server crash) leaves its hidden temp file
    // (.name.XXXXXX) instead of a partial: clear such leftovers of this name first.
    await this.deleteMatching(parentRel(relPath), `${escapeGlob(`.${baseName(relPath)}`)}.??????`, signal);
    let last = -1;
    await this.run(args, {
      signal,
      onLine: (line) => {
        const m = /^\s*([\d,.]+)\s+\d+%/.exec(line);
        if (!m?.[1]) return;
        const bytes = Number(m[1].replace(/[,.]/g, ''));
        if (Number.isFinite(bytes) && bytes !== last) {
          last = bytes;
          options.onProgress?.(bytes);
        }
      },
    });
  }

  /** rsync creates only the last missing folder: send an empty tree of the folders instead. */
  async mkdirp(relDir: string, signal?: AbortSignal): Promise<void> {
    const parts = splitRel(relDir, { allowEmpty: true });
    const skel = await fsp.mkdtemp(path.join(this.tmpRoot, 'm3u-skel-'));
    try {
      await fsp.chmod(skel, 0o755);
      if (parts.length) await fsp.mkdir(path.join(skel, ...parts), { recursive: true, mode: 0o755 });
      // rsync makes the top (base) folder if only it is missing; for a deeper missing base,
      // send the base's own tree from its first missing ancestor.
      const res = await this.run(['-r', `${skel}/`, this.spec('', { dirSlash: true })], { signal, okNotFound: true });
      if (res.code !== 0) await this.mkdirBase(signal);
      if (res.code !== 0) await this.run(['-r', `${skel}/`, this.spec('', { dirSlash: true })], { signal });
    } finally {
      await fsp.rm(skel, { recursive: true, force: true });
    }
  }

  private async mkdirBase(signal?: AbortSignal): Promise<void> {
    // daemon: module root always exists; send base's sub folders under it
    const baseParts = splitRel(this.base.replace(/^\//, ''), { allowEmpty: true });
    const skel = await fsp.mkdtemp(path.join(this.tmpRoot, 'm3u-skel-'));
    try {
      await fsp.chmod(skel, 0o755);
      const rootParts = this.ssh ? [] : baseParts.slice(0, 1);
      const sub = this.ssh ? baseParts : baseParts.slice(1);
      if (sub.length) await fsp.mkdir(path.join(skel, ...sub), { recursive: true, mode: 0o755 });
      const root = this.ssh ? (this.base.startsWith('/') ? '/' : '.') : rootParts.join('/');
      const target = this.ssh
        ? `${this.user ? `${this.user}@` : ''}${bracketHost(this.host)}:${root}${root.endsWith('/') ? '' : '/'}`
        : `rsync://${this.user ? `${this.user}@` : ''}${bracketHost(this.host)}:${this.port}/${root}/`;
      await this.run(['-r', `${skel}/`, target], { signal });
    } finally {
      await fsp.rm(skel, { recursive: true, force: true });
    }
  }

  async rename(): Promise<void> {
    throw destinationError('destination_unsupported', 'rsync cannot rename on the server; uploads are atomic instead');
  }

  async stat(relPath: string, signal?: AbortSignal): Promise<RemoteStat | null> {
    const res = await this.run(['--list-only', '-d', this.spec(relPath, { glob: true })], { signal, okNotFound: true });
    if (res.code !== 0) return null;
    return parseListing(res.stdout);
  }

  async remove(relPath: string, signal?: AbortSignal): Promise<void> {
    await this.deleteMatching(parentRel(relPath), escapeGlob(baseName(relPath)), signal);
  }

  /** Delete the entries of a folder matching an rsync pattern: rsync --delete with a filter. */
  private async deleteMatching(relDir: string, pattern: string, signal?: AbortSignal): Promise<void> {
    const empty = await fsp.mkdtemp(path.join(this.tmpRoot, 'm3u-empty-'));
    try {
      await this.run(['-d', '--delete', `--include=/${pattern}`, '--exclude=*', `${empty}/`, this.spec(relDir, { dirSlash: true })], {
        signal,
        okNotFound: true,
      });
    } finally {
      await fsp.rm(empty, { recursive: true, force: true });
    }
  }

  async discardPartial(relPath: string, signal?: AbortSignal): Promise<void> {
    const parent = parentRel(relPath);
    await this.remove(joinPosix(joinPosix(parent, PARTIAL_DIR), baseName(relPath)), signal);
  }

  async freeSpace(): Promise<number | null> {
    return null;
  }

  async close(): Promise<void> {
    // one rsync per operation; nothing held open
  }
}

/** The host key algorithms that use a key of this type (an RSA key signs with SHA-2 today). */
function hostKeyAlgorithms(type: string): string {
  return type === 'ssh-rsa' ? 'rsa-sha2-512,rsa-sha2-256,ssh-rsa' : type;
}

/** Backslash-escape rsync wildcard characters (used for remote sources and filter rules). */
export function escapeGlob(p: string): string {
  return p.replace(/[*?[]/g, (c) => `\\${c}`);
}

function bracketHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function lastLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-2)
    .join(' | ');
}

/** First entry of `rsync --list-only` ("-rw-r--r--  209715200 2024/01/01 12:00:00 name"). */
export function parseListing(out: string): RemoteStat | null {
  for (const line of out.split('\n')) {
    const m = /^([dlcbps-])[rwxsStT-]{9}\S*\s+([\d,.]+)\s+\d{4}\/\d\d\/\d\d/.exec(line);
    if (m?.[1] && m[2]) return { isDirectory: m[1] === 'd', size: Number(m[2].replace(/[,.]/g, '')) };
  }
  return null;
}

/**
 * rsync to a daemon module or over SSH. Everything rsync-specific about its settings is here: the
 * transport (daemon unless set), and that a daemon needs a module in base_path. Host keys are not
 * pinned over ssh (no host_key_fingerprint field).
 */
export const rsyncKind = defineDestinationKind({
  kind: 'rsync',
  label: 'rsync',
  help: 'An rsync daemon module or rsync over SSH.',
  settings: z
    .object({
      host: host('rsync'),
      port: port('873 (daemon) or 22 (ssh)'),
      username: username().optional(),
      password: secret(1024, 'Password').optional(),
      private_key: privateKey().optional().meta({ visibleWhen: { transport: 'ssh' } }),
      private_key_passphrase: secret(1024, 'Key passphrase').optional().meta({ visibleWhen: { transport: 'ssh' } }),
      // Pinned like SFTP's (over ssh only): ssh-keyscan + a private known_hosts, see pinnedHostKey().
      host_key_fingerprint: hostKeyFingerprint(),
      transport: z.enum(['daemon', 'ssh'], { error: 'must be daemon or ssh' }).default('daemon').meta({ title: 'Transport', description: 'daemon: rsync://host/module; ssh: rsync over OpenSSH' }),
      base_path: remoteFolder('Module and folder', 'Daemon: module/optional/sub/dir; ssh: a folder on the remote host'),
    })
    .superRefine((s, ctx) => {
      if (s.transport === 'daemon' && s.base_path.replace(/^\/+/, '') === '') {
        ctx.addIssue({ code: 'custom', path: ['base_path'], message: 'is required for an rsync daemon: the module, optionally with a folder (module/sub/dir)' });
      }
    }),
  secrets: ['password', 'private_key', 'private_key_passphrase'],
  defaults: { base_path: '', transport: 'daemon' },
  create: (settings, ctx) => new RsyncDestination({ ...ctx.destination, ...settings, kind: 'rsync' }, ctx),
});
