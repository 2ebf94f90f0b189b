/**
 * The log lines a surface shows for a request (Replicate's `logs` text, fal's `logs` list): what
 * the translation could not honour exactly, when the work started, its progress, what the engine
 * applied and could not apply, what was made, and why it failed. Built from the stored request each
 * time, so every surface and every poll tells the same story.
 */
import type { RequestRecord } from '../../../requests/types.js';
import type { SurfacePart } from './record.js';

export interface LogLine {
  /** ms since epoch. */
  at: number;
  level: 'INFO' | 'WARN' | 'ERROR';
  message: string;
}

interface EditLike {
  kind?: unknown;
  text?: unknown;
}

const BAR = 20;

/**
 * A progress line in the shape of a tqdm bar (" 42%|████████▍           | 42/100"), which is what
 * Replicate's clients read progress from (`parseProgressFromLogs`).
 */
export function progressLine(fraction: number): string {
  const pct = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  const filled = Math.round((pct / 100) * BAR);
  return `${String(pct).padStart(3)}%|${'█'.repeat(filled)}${' '.repeat(BAR - filled)}| ${pct}/100`;
}

export function requestLogs(record: RequestRecord, surface: SurfacePart | undefined, options: { left?: number } = {}): LogLine[] {
  const lines: LogLine[] = [];
  for (const note of surface?.notes ?? []) lines.push({ at: record.createdAt, level: 'WARN', message: note });
  if (record.startedAt !== null) {
    lines.push({ at: record.startedAt, level: 'INFO', message: record.attempts > 1 ? `Started (attempt ${record.attempts})` : 'Started' });
  }
  if (record.status === 'in_progress') lines.push({ at: Date.now(), level: 'INFO', message: progressLine(record.progress) });
  const end = record.finishedAt ?? record.createdAt;
  if (record.status === 'completed' && record.result) {
    lines.push({ at: end, level: 'INFO', message: progressLine(1) });
    for (const e of record.result.edits as EditLike[]) {
      const text = typeof e.text === 'string' && e.text ? ` ("${e.text}")` : '';
      lines.push({ at: end, level: 'INFO', message: `Applied ${String(e.kind)}${text}` });
    }
    for (const w of record.result.warnings) lines.push({ at: end, level: 'WARN', message: w });
    const files = record.result.files;
    const sizes = [...new Set(files.map((f) => `${f.width}x${f.height}`))].join(', ');
    const took = record.startedAt !== null ? ` in ${((end - record.startedAt) / 1000).toFixed(1)}s` : '';
    const by = record.result.engine ? ` by the ${record.result.engine} engine` : '';
    lines.push({ at: end, level: 'INFO', message: `Generated ${files.length} image${files.length === 1 ? '' : 's'} (${sizes})${by}${took}` });
    if (options.left) {
      lines.push({
        at: end,
        level: 'WARN',
        message: `The prompt made ${files.length} images and max_images is ${files.length - options.left}: the last ${options.left} ${options.left === 1 ? 'is' : 'are'} left out here (all are in retouch's library).`,
      });
    }
  }
  if (record.status === 'failed' && record.error) lines.push({ at: end, level: 'ERROR', message: record.error.message });
  if (record.status === 'cancelled') lines.push({ at: end, level: 'INFO', message: 'Cancelled before it started' });
  return lines;
}
