/**
 * What the client commands (`edit`, `status`, `result`, `cancel`, `watch`) share: where the server
 * is and who calls it, the exit codes, and turning the SDK's errors into a message and a code.
 */
import { Option, type Command } from 'commander';
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  DEFAULT_BASE_URL,
  RetouchClient,
  RetouchError,
  ValidationError,
  type RequestStatus,
} from '@retouch/client';

export const EXIT = {
  completed: 0,
  failed: 1,
  usage: 2,
  cancelled: 3,
  unreachable: 4,
  /** Ctrl-C while the request was already running: it goes on on the server. */
  interrupted: 130,
} as const;

export const EXIT_HELP = `
Exit codes:
  0    completed (or, for status and result, not finished yet; for cancel, cancelled)
  1    the request failed, or the server refused the call (a bad key, an unknown id, …)
  2    usage: a bad option or argument, or input the server refused as invalid (400, 422)
  3    the request was cancelled (Ctrl-C while it is queued cancels it)
  4    the server could not be reached
  130  Ctrl-C while the request was running: it goes on on the server

Environment:
  RETOUCH_URL      the server (default: ${DEFAULT_BASE_URL}); --url overrides it
  RETOUCH_API_KEY  the API key; --key overrides it`;

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {}

export function exitCodeOf(status: RequestStatus): number {
  if (status === 'failed') return EXIT.failed;
  if (status === 'cancelled') return EXIT.cancelled;
  return EXIT.completed;
}

/** The connection options, and usage errors that exit 2 as the other mistakes do. */
export function remoteCommand(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', `server URL [env: RETOUCH_URL] (default: ${DEFAULT_BASE_URL})`))
    .addOption(new Option('--key <key>', 'API key [env: RETOUCH_API_KEY]; prefer the variable: flags show in process lists'))
    .addHelpText('after', EXIT_HELP)
    .exitOverride((err) => {
      if (err.exitCode === 0) process.exit(0);
      process.exit(err.exitCode === 1 ? EXIT.usage : err.exitCode);
    });
}

export function clientFrom(opts: { url?: string; key?: string }): RetouchClient {
  const baseUrl = opts.url ?? (process.env.RETOUCH_URL || DEFAULT_BASE_URL);
  try {
    const parsed = new URL(baseUrl);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`--url / RETOUCH_URL must be an http(s) URL (got "${baseUrl}")`);
  }
  return new RetouchClient({ baseUrl, apiKey: opts.key ?? (process.env.RETOUCH_API_KEY || undefined) });
}

/** Writes everything out before the process ends, whatever stdout is (a pipe, a file, a terminal). */
export async function exit(code: number): Promise<never> {
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}

/** Runs a command's work; any error becomes a message on stderr and its exit code. */
export function action<A extends unknown[]>(work: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let code: number;
    try {
      code = await work(...args);
    } catch (err) {
      code = report(err);
    }
    await exit(code);
  };
}

function report(err: unknown): number {
  const say = (text: string) => process.stderr.write(`retouch: ${text}\n`);
  if (err instanceof UsageError) {
    say(err.message);
    return EXIT.usage;
  }
  if (err instanceof ConnectionError) {
    say(`${err.message}. Is the server running? Set RETOUCH_URL or --url.`);
    return EXIT.unreachable;
  }
  if (err instanceof ValidationError || err instanceof BadRequestError) {
    say(err.message);
    return EXIT.usage;
  }
  if (err instanceof AuthenticationError) {
    say(`${err.message} Set RETOUCH_API_KEY or --key (\`retouch keys create\` makes a key).`);
    return EXIT.failed;
  }
  if (err instanceof RetouchError) {
    say(err.errorCode ? `${err.message} (${err.errorCode})` : err.message);
    return EXIT.failed;
  }
  say(err instanceof Error ? err.message : String(err));
  return EXIT.failed;
}
