/**
 * The account's past requests (`GET /v1/requests`, newest first, a page at a time), and one
 * request with its input (`GET /v1/requests/{id}`): run it again, open it in the form, delete it.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { EditsAndWarnings, Results } from '../components/results.js';
import { FocusButton } from '../components/focus-button.js';
import { ago, dateTime, seconds, shortId, STATUS_LABEL } from '../format.js';
import { go, hrefOf } from '../route.js';
import { parseSizeChoice } from '../schema.js';
import type { LibraryItem, ModelInfo, RequestDetail, Session } from '../session.js';
import { ErrorBanner, FailedBanner } from '../components/notes.js';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

export function LibraryPage({ session }: { session: Session }) {
  const [items, setItems] = useState<LibraryItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();

  const load = useCallback(
    async (before: string | null) => {
      setLoading(true);
      setError(undefined);
      try {
        const page = await session.listRequests(before);
        setItems((old) => (before ? [...old, ...page.requests] : page.requests));
        setCursor(page.next_cursor);
      } catch (err) {
        setError((err as Error).message);
      } finally {
        setLoading(false);
      }
    },
    [session],
  );

  useEffect(() => void load(null), [load]);

  return (
    <div class="library">
      <div class="page-head">
        <div>
          <h1 tabIndex={-1}>Library</h1>
          <p class="summary">Every request made with this account's keys, newest first. Requests and their files are kept for the server's retention period.</p>
        </div>
        <button type="button" class="secondary" onClick={() => void load(null)} disabled={loading}>
          Refresh
        </button>
      </div>
      <ErrorBanner message={error} />
      {!loading && !error && items.length === 0 ? (
        <div class="card empty">
          <p>
            <strong>Nothing here yet.</strong>
          </p>
          <p class="muted">
            Requests appear here as soon as they are submitted, from this page or from any client using a key of this account. <a href="#/">Make one</a>.
          </p>
        </div>
      ) : null}
      <ul class="library-list" aria-label="Requests" aria-busy={loading}>
        {items.map((item) => (
          <li key={item.request_id}>
            <a class="library-item card" href={hrefOf.library(item.request_id)}>
              <span class="library-thumb">
                {item.thumbnail_url ? <img src={item.thumbnail_url} alt="" loading="lazy" /> : <span class={`thumb-status ${item.status}`} aria-hidden="true" />}
              </span>
              <span class="library-text">
                <span class="library-prompt">{item.prompt?.trim() ? item.prompt : <em class="muted">No prompt</em>}</span>
                <span class="library-meta">
                  <span class={`badge ${item.status}`}>{STATUS_LABEL[item.status]}</span>
                  <time dateTime={item.created_at} title={dateTime(item.created_at)}>
                    {ago(item.created_at)}
                  </time>
                  <span class="muted">
                    {item.image_count} {item.image_count === 1 ? 'image' : 'images'} in
                    {item.output ? ` · ${item.output.images.length} out` : ''}
                  </span>
                </span>
              </span>
            </a>
          </li>
        ))}
      </ul>
      {loading ? <p class="muted loading">Loading…</p> : null}
      {cursor && !loading ? (
        <button type="button" class="secondary more" onClick={() => void load(cursor)}>
          Load older requests
        </button>
      ) : null}
    </div>
  );
}

interface DetailProps {
  session: Session;
  requestId: string;
  models?: ModelInfo[];
  onReuse: (modelId: string, input: Record<string, unknown>, runNow: boolean) => void;
}

export function LibraryDetail({ session, requestId, models, onReuse }: DetailProps) {
  const [request, setRequest] = useState<RequestDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState<string | undefined>();

  useEffect(() => {
    let stop = false;
    setRequest(undefined);
    setError(undefined);
    const load = async () => {
      try {
        const r = await session.getRequest(requestId);
        if (stop) return;
        setRequest(r);
        // Still moving: look again shortly.
        if (!FINAL.has(r.status)) setTimeout(() => !stop && void load(), 1000);
      } catch (err) {
        if (!stop) setError((err as Error).message);
      }
    };
    void load();
    return () => {
      stop = true;
    };
  }, [session, requestId]);

  const remove = async () => {
    try {
      await session.deleteRequest(requestId);
      go(hrefOf.library());
    } catch (err) {
      setDeleteError((err as Error).message);
      setConfirming(false);
    }
  };

  const model = request ? models?.find((m) => m.id === request.model_id) : undefined;
  const input = request?.input ?? {};
  const images = Object.entries(input).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].every((v) => typeof v === 'string'));
  // Objects are not parameters: a request made through another API's surface carries `surface`.
  const params = Object.entries(input).filter(([k, v]) => !Array.isArray(v) && k !== 'prompt' && (typeof v !== 'object' || v === null));
  const via = (input.surface as { name?: unknown } | undefined)?.name;
  const took = request?.started_at && request.finished_at ? Date.parse(request.finished_at) - Date.parse(request.started_at) : undefined;

  return (
    <div class="library-detail">
      <p>
        <a href={hrefOf.library()}>← Library</a>
      </p>
      <div class="page-head">
        <div>
          <h1 tabIndex={-1}>Request {shortId(requestId)}</h1>
          {request ? (
            <p class="library-meta">
              <span class={`badge ${request.status}`}>{STATUS_LABEL[request.status]}</span>
              <time dateTime={request.created_at} title={dateTime(request.created_at)}>
                {dateTime(request.created_at)}
              </time>
              {took !== undefined ? <span class="muted">took {seconds(took)}</span> : null}
              <code class="muted small">{request.model_id}</code>
              {typeof via === 'string' ? <span class="muted small">via {via} API</span> : null}
            </p>
          ) : null}
        </div>
        {request ? (
          <div class="actions">
            {model ? (
              <>
                <button type="button" class="primary" onClick={() => onReuse(request.model_id, input, true)}>
                  Run again
                </button>
                <button type="button" class="secondary" onClick={() => onReuse(request.model_id, input, false)}>
                  Open in form
                </button>
              </>
            ) : null}
            {confirming ? (
              <span class="confirm" role="group" aria-label="Confirm deletion">
                <FocusButton class="danger" onClick={() => void remove()}>
                  Delete it and its files
                </FocusButton>
                <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                  Keep
                </button>
              </span>
            ) : (
              <button type="button" class="secondary danger-text" onClick={() => setConfirming(true)} disabled={!FINAL.has(request.status)}>
                Delete
              </button>
            )}
          </div>
        ) : null}
      </div>
      <ErrorBanner message={error} />
      <ErrorBanner message={deleteError} />
      {!request && !error ? <p class="muted loading">Loading…</p> : null}
      {request ? (
        <div class="detail-grid">
          <section class="card" aria-labelledby="detail-input">
            <h2 id="detail-input">Input</h2>
            <dl class="params">
              <dt>Prompt</dt>
              <dd class="prompt-text">{typeof input.prompt === 'string' && input.prompt ? input.prompt : <em class="muted">none</em>}</dd>
              {params.map(([k, v]) => {
                const size = typeof v === 'string' ? parseSizeChoice(v) : undefined;
                return [
                  <dt key={`${k}-t`}>{model?.input_schema.properties?.[k]?.title ?? k}</dt>,
                  <dd key={`${k}-d`}>{size ? `${size.width}×${size.height} (${size.ratio})` : typeof v === 'boolean' ? (v ? 'Yes' : 'No') : String(v)}</dd>,
                ];
              })}
            </dl>
            {images.map(([k, urls]) => (
              <div key={k}>
                <h3>{model?.input_schema.properties?.[k]?.title ?? k}</h3>
                <ol class="input-images">
                  {urls.map((u, i) => (
                    <li key={i}>
                      <InputImage src={u} index={i} />
                    </li>
                  ))}
                </ol>
              </div>
            ))}
          </section>
          <section class="card" aria-labelledby="detail-output">
            <h2 id="detail-output">Output</h2>
            {request.status === 'failed' && request.error ? <FailedBanner error={request.error} /> : null}
            {request.output ? <Results images={request.output.images} /> : null}
            {!FINAL.has(request.status) ? <p class="muted">{STATUS_LABEL[request.status]}…</p> : null}
            <EditsAndWarnings edits={request.edits} warnings={request.warnings} engine={request.engine} />
          </section>
        </div>
      ) : null}
    </div>
  );
}

function InputImage({ src, index }: { src: string; index: number }) {
  const [broken, setBroken] = useState(false);
  return broken ? (
    <span class="input-image-missing" title={src}>
      Image {index + 1}: not shown here (another site, or expired)
    </span>
  ) : (
    <img src={src} alt={`Input image ${index + 1}`} loading="lazy" onError={() => setBroken(true)} />
  );
}
