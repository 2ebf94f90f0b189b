import type { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';

/**
 * The process logger: JSON lines on stdout. Keys, signatures and request bodies are never logged;
 * the redaction below is a second line of defence for headers that could carry them.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', 'key'], censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * Logs the process's last line and ends it with `code` once that line has been written, or could not
 * be (the reader of stdout is gone), or after `waitMs`. Never `process.exit` straight after logging:
 * pino then writes what is pending synchronously, and its writer retries a broken pipe every 100 ms
 * forever, so a server whose stdout reader had died never stopped on SIGTERM. Once the write in
 * flight has failed with EPIPE, pino mutes the stream and the exit is clean.
 */
export function exitAfterLastLine(log: Logger, code: number, line: { level: 'info' | 'warn' | 'error'; msg: string; fields?: object }, waitMs = 2_000): void {
  process.exitCode = code;
  let exited = false;
  const exit = () => {
    if (exited) return;
    exited = true;
    process.exit(code);
  };
  const stream = (log as unknown as Record<symbol, EventEmitter>)[pino.symbols.streamSym];
  if (!stream) return exit();
  // Both come once the write of everything logged so far has ended; pino's own listener, added
  // before this one, has muted the stream by the time an error gets here.
  stream.once('drain', exit);
  stream.once('error', exit);
  const logged = log.isLevelEnabled(line.level);
  if (logged) log[line.level](line.fields ?? {}, line.msg);
  // With nothing logged here, an earlier line may still be on its way, or nothing is: a short wait
  // covers the first case.
  setTimeout(exit, logged ? waitMs : Math.min(waitMs, 200)).unref();
}
