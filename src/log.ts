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
