/**
 * How a followed request shows on stderr: on a terminal, one line redrawn in place (status, queue
 * position, a progress bar, the time since it started); otherwise a plain line for each change, so
 * that logs and pipes get text without carriage returns. stdout is kept for the results.
 */
import type { QueueUpdate } from '@retouch/client';

const BAR_WIDTH = 24;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function describe(u: QueueUpdate): string {
  switch (u.status) {
    case 'in_queue':
      return u.queue_position === undefined ? 'queued' : `queued, ${u.queue_position} ahead`;
    case 'in_progress':
      return u.progress === undefined ? 'in progress' : `in progress ${Math.round(u.progress * 100)}%`;
    default:
      return u.status;
  }
}

export class ProgressLine {
  private current: QueueUpdate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private lastPlain = '';
  private readonly started = Date.now();

  constructor(
    private readonly out: NodeJS.WritableStream,
    /** Redraw in place: only when stdout and stderr are both a terminal. */
    private readonly live: boolean,
    private readonly label: string,
  ) {
    if (live) {
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    }
  }

  /** A line of its own (uploads, notes), above the live line. */
  note(text: string): void {
    if (this.live) this.out.write(`\r\x1b[2K${text}\n`);
    else this.out.write(`${text}\n`);
    this.draw();
  }

  update(u: QueueUpdate): void {
    // The final status gets its own line from finish(), with what came of it.
    if (u.status === 'completed' || u.status === 'failed' || u.status === 'cancelled') return;
    this.current = u;
    if (this.live) return this.draw();
    // Plain lines: every status and queue position, and progress in steps of a quarter.
    const step = u.status === 'in_progress' ? { ...u, progress: Math.floor((u.progress ?? 0) * 4) / 4 } : u;
    const text = describe(step);
    if (text === this.lastPlain) return;
    this.lastPlain = text;
    this.out.write(`${this.label}: ${text} [${seconds(Date.now() - this.started)}]\n`);
  }

  /** Ends the live line with a last plain one. */
  finish(text: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live) this.out.write(`\r\x1b[2K`);
    this.out.write(`${this.label}: ${text} [${seconds(Date.now() - this.started)}]\n`);
  }

  private draw(): void {
    if (!this.live || !this.current) return;
    const u = this.current;
    const spin = SPINNER[this.frame++ % SPINNER.length];
    let middle = describe(u);
    if (u.status === 'in_progress') {
      const p = Math.max(0, Math.min(1, u.progress ?? 0));
      const filled = Math.round(p * BAR_WIDTH);
      middle = `in progress [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(p * 100)).padStart(3)}%`;
    }
    this.out.write(`\r\x1b[2K${spin} ${this.label}: ${middle}  ${seconds(Date.now() - this.started)}`);
  }
}
