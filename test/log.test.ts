/**
 * The process's last log line and its exit (src/log.ts): a process whose stdout reader has gone still
 * ends. Regression: pino flushed what was pending at exit with a writer that retries EPIPE forever.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';

/** Runs a script that logs at `level` and ends with exitAfterLastLine, its stdout reader gone at once. */
async function endWithReaderGone(level: string): Promise<number | string> {
  const script = `
    import { createLogger, exitAfterLastLine } from ${JSON.stringify(path.join(ROOT, 'src/log.ts'))};
    const log = createLogger(${JSON.stringify(level)});
    setTimeout(() => {
      for (let i = 0; i < 3; i++) log.warn({ i }, 'a line on its way');
      exitAfterLastLine(log, 0, { level: 'info', msg: 'stopped' });
    }, 300);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.destroy();
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const ended = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running after 8 s'), 8_000))]);
  if (typeof ended === 'string') child.kill('SIGKILL');
  return ended;
}

describe('exitAfterLastLine', () => {
  it('ends the process when stdout has no reader, with the last line logged', async () => {
    expect(await endWithReaderGone('info')).toBe(0);
  }, 20_000);

  it('ends it too when the last line is below the level, with earlier lines still on their way', async () => {
    expect(await endWithReaderGone('warn')).toBe(0);
  }, 20_000);
});
