/**
 * A real OpenSSH server for tests: its own host key and config, a free loopback port, password
 * and public-key login for one test account, `internal-sftp` as the sftp subsystem, and a shell
 * (so rsync over ssh works too). The account's password is set in /etc/shadow (chpasswd);
 * PAM is off, so nothing else on the machine is involved.
 */
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ensureSystemUser, execFileP, findProgram, freePort, HOST, spawnServer, tempDir, daemonLifecycle, type ServerHandle } from './common.js';

export interface SshdOptions {
  user?: string;
  password?: string;
  port?: number;
}

export interface SshdServer extends ServerHandle {
  readonly host: string;
  readonly user: string;
  readonly password: string;
  /** OpenSSH-format private key text whose public half is authorized for the user. */
  readonly privateKey: string;
  /** `SHA256:...` of the server's host key, as ssh-keygen -lf prints it. */
  readonly hostKeyFingerprint: string;
}

export async function startSshd(options: SshdOptions = {}): Promise<SshdServer> {
  const user = options.user ?? 'm3u-sftp-test';
  const password = options.password ?? 'sftp-Secret-1';
  const port = options.port ?? (await freePort());
  const { uid, gid } = await ensureSystemUser(user);
  await setPassword(user, password);
  await fsp.mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir

  const dir = await tempDir('m3u-sshd-');
  await fsp.chmod(dir, 0o755);
  const root = path.join(dir, 'root');
  await fsp.mkdir(root);
  await fsp.chown(root, uid, gid);
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKey = path.join(dir, 'client_ed25519');
  await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'm3u-test-host', '-f', hostKey]);
  await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'm3u-test-client', '-f', clientKey]);
  const authorized = path.join(dir, 'authorized_keys');
  await fsp.copyFile(`${clientKey}.pub`, authorized);
  await fsp.chmod(authorized, 0o644);
  const { stdout: fpOut } = await execFileP('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]);
  const hostKeyFingerprint = fpOut.split(/\s+/)[1] ?? '';
  const conf = path.join(dir, 'sshd_config');
  await fsp.writeFile(
    conf,
    `ListenAddress ${HOST}
Port ${port}
HostKey ${hostKey}
PidFile ${dir}/sshd.pid
AuthorizedKeysFile ${authorized}
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
UsePAM no
StrictModes no
AllowUsers ${user}
PermitEmptyPasswords no
MaxStartups 50
Subsystem sftp internal-sftp
LogLevel ERROR
`,
  );
  const sshd = findProgram('sshd');
  const handle: SshdServer = Object.assign(
    daemonLifecycle({
      what: 'sshd',
      port,
      dir,
      logFile: path.join(dir, 'sshd.log'),
      launch: () => spawnServer(sshd, ['-D', '-e', '-f', conf], path.join(dir, 'sshd.log')),
    }),
    {
      host: HOST,
      port,
      root,
      user,
      password,
      privateKey: await fsp.readFile(clientKey, 'utf8'),
      hostKeyFingerprint,
    },
  );
  await handle.start();
  return handle;
}

async function setPassword(user: string, password: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const p = spawn('chpasswd', [], { stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd failed: ${err}`))));
        p.stdin.end(`${user}:${password}\n`);
      });
      return;
    } catch (err) {
      // another test file may hold the shadow lock at this moment
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
