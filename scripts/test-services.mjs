// Throwaway servers for the tests that need PostgreSQL or an S3-compatible bucket: Debian's
// PostgreSQL (initdb and pg_ctl as the postgres user, in a temporary directory, on a free loopback
// port) and s3rver (in this process, on a free loopback port). `npm test` starts one of each for the
// whole run (scripts/test.mjs); a test file run alone starts its own (test/helpers/services.ts).
// Nothing is left behind: each is stopped and its directory removed, even when the tests fail.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const OWNER_FILE = 'retouch-owner-pid';
const DIR_PREFIX = 'retouch-pg-';

/** A port nobody listens on right now (the kernel picks it; closed again before use). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The newest installed PostgreSQL's bin directory (Debian keeps them in /usr/lib/postgresql/N/bin). */
function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length) return path.join(root, versions[0], 'bin');
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 ? path.dirname(which.stdout.trim()) : undefined;
}

/** Whether this machine can install Debian packages without asking anyone: Debian, as root. */
export function canAptInstall() {
  return process.platform === 'linux' && process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get');
}

/**
 * Installs a Debian package non-interactively; a fresh machine may have no package lists yet, so
 * they are fetched once if the first try fails. True when it worked.
 */
export function aptInstall(pkg) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-q', pkg], { stdio: 'inherit', env }).status === 0;
  if (install()) return true;
  spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  return install();
}

/** Installs Debian's postgresql package when no initdb is found, as the test command does for Chromium. */
export function ensurePostgres() {
  if (postgresBinDir()) return true;
  if (!canAptInstall()) {
    console.warn('PostgreSQL is not installed, and it can only be installed here as root on Debian: the PostgreSQL tests will fail.');
    return false;
  }
  console.log("Installing Debian's postgresql for the scale-out tests…");
  if (!aptInstall('postgresql')) console.warn('apt-get could not install postgresql: the PostgreSQL tests will fail.');
  return Boolean(postgresBinDir());
}

const asRoot = () => process.getuid?.() === 0;

/** Runs a PostgreSQL program; as root it runs as the postgres user, which initdb and postgres insist on. */
function pgRun(bin, program, args, options = {}) {
  const file = path.join(bin, program);
  const [cmd, argv] = asRoot() ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Clusters whose test run was killed outright (SIGKILL, a crash) keep running: stop those whose
 * owner is gone, so that a machine does not fill up with them. Live owners' clusters are untouched.
 */
function reapOrphans(bin) {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    const owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim() || 0);
    if (!owner || alive(owner)) continue;
    try {
      pgRun(bin, 'pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Not running.
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts a throwaway cluster and returns its URL. fsync and full-page writes are off (they protect
 * against a crash of the machine, which a test never survives anyway); synchronous_commit stays
 * on, so a crash of PostgreSQL itself (pg_ctl -m immediate) loses nothing that was acknowledged.
 */
export async function startPostgres() {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql); scripts/test.mjs installs it as root.');
  try {
    reapOrphans(bin);
  } catch {
    // Best effort.
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
  const data = path.join(dir, 'data');
  fs.mkdirSync(data, { mode: 0o700 });
  if (asRoot()) {
    const pgUser = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const pgGroup = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    fs.chmodSync(dir, 0o755);
    fs.chownSync(dir, Number(pgUser), Number(pgGroup));
    fs.chownSync(data, Number(pgUser), Number(pgGroup));
  }
  pgRun(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  const settings = [
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`,
    '-c fsync=off -c full_page_writes=off -c max_connections=300',
  ].join(' ');
  const cluster = {
    dir,
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** pg_ctl start; waits until it accepts connections. */
    start() {
      pgRun(bin, 'pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', settings, '-w', '-t', '30', 'start']);
    },
    /** pg_ctl stop; `immediate` is a crash as far as clients can tell. */
    stopServer(mode = 'fast') {
      pgRun(bin, 'pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']);
    },
    /** Stops the server and removes its directory. */
    async stop() {
      try {
        cluster.stopServer('immediate');
      } catch {
        // Already stopped.
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}

/** s3rver in this process, with the access key it expects (S3RVER / S3RVER); a fresh directory. */
export async function startS3() {
  const { default: S3rver } = await import('s3rver');
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'retouch-s3-'));
  const port = await freePort();
  const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    directory,
    async stop() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
