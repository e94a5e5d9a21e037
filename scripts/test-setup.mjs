#!/usr/bin/env node
// The first step of `npm test`: make sure the real programs the tests drive are installed.
// On Debian/Ubuntu as root it installs what is missing with apt-get; anywhere else it stops at
// once with the exact install line for this system. Nothing is downloaded from anywhere else.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';

/** Program -> the package that provides it, per package manager. */
const NEEDS = [
  { program: 'ffmpeg', apt: 'ffmpeg', apk: 'ffmpeg', dnf: 'ffmpeg', brew: 'ffmpeg' },
  { program: 'ffprobe', apt: 'ffmpeg', apk: 'ffmpeg', dnf: 'ffmpeg', brew: 'ffmpeg' },
  { program: 'mosquitto', apt: 'mosquitto', apk: 'mosquitto', dnf: 'mosquitto', brew: 'mosquitto' },
  { program: 'smbd', apt: 'samba', apk: 'samba', dnf: 'samba', brew: 'samba' },
  { program: 'smbclient', apt: 'smbclient', apk: 'samba-client', dnf: 'samba-client', brew: 'samba' },
  { program: 'sshd', apt: 'openssh-server', apk: 'openssh-server', dnf: 'openssh-server', brew: null },
  { program: 'ssh', apt: 'openssh-client', apk: 'openssh-client', dnf: 'openssh-clients', brew: null },
  { program: 'rsync', apt: 'rsync', apk: 'rsync', dnf: 'rsync', brew: 'rsync' },
  { program: process.env.CHROMIUM_PATH ?? 'chromium', apt: 'chromium', apk: 'chromium', dnf: 'chromium', brew: null },
];

const SEARCH = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'].filter(Boolean);

function found(program) {
  if (program.includes('/')) return canRun(program);
  return SEARCH.some((dir) => canRun(path.join(dir, program)));
}

function canRun(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function osRelease() {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const get = (k) => new RegExp(`^${k}="?([^"\\n]*)"?`, 'm').exec(text)?.[1] ?? '';
    return { id: get('ID'), like: get('ID_LIKE') };
  } catch {
    return { id: process.platform, like: '' };
  }
}

function manager() {
  if (process.platform === 'darwin') return 'brew';
  const { id, like } = osRelease();
  const family = `${id} ${like}`;
  if (/debian|ubuntu/.test(family)) return 'apt';
  if (/alpine/.test(family)) return 'apk';
  if (/fedora|rhel|centos/.test(family)) return 'dnf';
  return null;
}

const missing = NEEDS.filter((n) => !found(n.program));
if (missing.length === 0) process.exit(0);

const pm = manager();
const packages = pm ? [...new Set(missing.map((n) => n[pm]).filter(Boolean))] : [];
const names = missing.map((n) => n.program).join(', ');
const root = typeof process.getuid === 'function' && process.getuid() === 0;

if (pm === 'apt' && root) {
  console.log(`test setup: installing ${packages.join(' ')} (missing: ${names})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...packages]]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) {
      console.error(`test setup: apt-get ${args[0]} failed (exit ${r.status}); install them by hand: apt-get install -y ${packages.join(' ')}`);
      process.exit(1);
    }
  }
  const still = NEEDS.filter((n) => !found(n.program)).map((n) => n.program);
  if (still.length > 0) {
    console.error(`test setup: still missing after apt-get: ${still.join(', ')}`);
    process.exit(1);
  }
  process.exit(0);
}

const line =
  pm === 'apt' ? `sudo apt-get install -y ${packages.join(' ')}`
  : pm === 'apk' ? `sudo apk add ${packages.join(' ')}`
  : pm === 'dnf' ? `sudo dnf install -y ${packages.join(' ')}`
  : pm === 'brew' ? `brew install ${packages.join(' ')}${missing.some((n) => !n.brew) ? ' (and a Chromium and an OpenSSH server, which Homebrew does not package)' : ''}`
  : null;
console.error(`The tests drive real programs, and these are missing: ${names}.`);
console.error(line ? `Install them, then run npm test again:\n  ${line}` : 'Install them with your system\'s package manager (Debian names: ffmpeg mosquitto samba smbclient openssh-server openssh-client rsync chromium), then run npm test again.');
process.exit(1);
