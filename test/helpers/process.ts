/** `retouch` as a user runs it: a child process of the built CLI (run `npm run build` first; `npm test` does). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { BIN } from './paths.js';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export function retouch(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `retouch serve` (or `retouch api`) on a free port and waits until it listens. */
export async function startServe(args: string[], env: Record<string, string> = {}, command: 'serve' | 'api' = 'serve'): Promise<ServeProcess> {
  return startRetouch(command, ['--port', '0', ...args], env);
}

/**
 * Starts `retouch serve|api|worker` and waits until it is ready: listening (its own address, which is
 * `url` unless it listens on none), or for a worker, taking requests.
 */
export async function startRetouch(command: 'serve' | 'api' | 'worker', args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, command, ...args], {
    env: { ...process.env, RETOUCH_API_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${out}\n${err}`)), 30_000);
    const check = () => {
      const line = out.split('\n').find((l) => l.includes(command === 'worker' ? '"worker started"' : '"public_url"'));
      if (line) {
        clearTimeout(timer);
        const parsed = JSON.parse(line);
        // The public URL may name a load balancer; the address is this process's own.
        resolve(parsed.public_url && command !== 'serve' ? String(parsed.address) : (parsed.public_url ?? ''));
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`${command} exited:\n${out}\n${err}`)));
  });
  return { child, url, stdout: () => out, stderr: () => err, exited };
}
