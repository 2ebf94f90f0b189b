/** The live run: status from the event stream (queue position, progress, elapsed time), then the result. */
import { useEffect, useState } from 'preact/hooks';
import { seconds, shortId, STATUS_LABEL } from '../format.js';
import { hrefOf } from '../route.js';
import type { RunState } from '../runner.js';
import { EditsAndWarnings, Results } from './results.js';
import { ErrorBanner, FailedBanner } from './notes.js';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

export function RunView({ run, onCancel }: { run?: RunState; onCancel: () => void }) {
  const [now, setNow] = useState(Date.now());
  const live = run !== undefined && run.phase !== 'done';
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, [live]);

  if (!run) {
    return (
      <div class="empty">
        <p>
          <strong>Your edits appear here.</strong>
        </p>
        <p class="muted">Add one or more images, say what to change, and press Run. The request is followed live until its images are ready.</p>
      </div>
    );
  }

  const elapsed = (run.endedAt ?? now) - run.startedAt;
  const label = run.phase === 'submitting' ? 'Submitting…' : run.status ? STATUS_LABEL[run.status] : '…';
  const detail =
    run.phase !== 'done' && run.status === 'in_queue'
      ? run.queuePosition
        ? `${run.queuePosition} ${run.queuePosition === 1 ? 'request' : 'requests'} ahead`
        : 'next in line'
      : run.status === 'in_progress' && run.progress !== undefined
        ? `${Math.round(run.progress * 100)}%`
        : '';
  const progress = run.status === 'in_progress' ? (run.progress ?? 0) : run.status === 'completed' ? 1 : undefined;
  const result = run.result;

  return (
    <div class="run">
      <div class={`status-line status-${run.status ?? 'submitting'}`}>
        <span class={`badge ${run.status ?? 'in_queue'}`}>{label}</span>
        {detail ? <span class="status-detail">{detail}</span> : null}
        <span class="elapsed muted" title="Elapsed time">
          {seconds(elapsed)}
        </span>
        {run.status === 'in_queue' && run.phase === 'following' ? (
          <button type="button" class="small secondary" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      <div
        class={`progress${progress === undefined ? ' indeterminate' : ''}`}
        role="progressbar"
        aria-label="Progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={progress === undefined ? undefined : Math.round(progress * 100)}
        hidden={run.phase === 'done' && run.status !== 'completed'}
      >
        <span style={{ width: `${Math.round((progress ?? 0) * 100)}%` }} />
      </div>
      <p class="visually-hidden" aria-live="polite">
        {run.phase === 'done' ? `${label}.` : run.status ? label : ''}
      </p>
      {run.requestId ? (
        <p class="muted small">
          Request <a href={hrefOf.library(run.requestId)}>{shortId(run.requestId)}</a>
        </p>
      ) : null}
      {run.phase !== 'done' && !FINAL.has(run.status ?? 'in_queue') ? <p class="muted waiting">The edited images appear here when the request completes.</p> : null}
      <ErrorBanner message={run.error} />
      {result?.status === 'failed' && result.error ? <FailedBanner error={result.error} /> : null}
      {result?.status === 'cancelled' ? <p class="banner warn">The request was cancelled before it started.</p> : null}
      {result?.output ? <Results images={result.output.images} /> : null}
      {result ? <EditsAndWarnings edits={result.edits} warnings={result.warnings} engine={result.engine} /> : null}
    </div>
  );
}
