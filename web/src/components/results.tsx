/** Output images as a grid, a full-size view, downloads; and what the engine did with the prompt. */
import type { Edit } from '@retouch/client';
import { useEffect, useRef, useState } from 'preact/hooks';

export function Results({ images }: { images: string[] }) {
  const [open, setOpen] = useState<number | null>(null);
  return (
    <>
      <ul class={`results${images.length === 1 ? ' single' : ''}`} aria-label="Output images">
        {images.map((src, i) => (
          <li key={src}>
            <OutputImage src={src} index={i} count={images.length} onOpen={() => setOpen(i)} />
          </li>
        ))}
      </ul>
      {open !== null && images[open] ? <Lightbox src={images[open]} title={`Output ${open + 1} of ${images.length}`} onClose={() => setOpen(null)} /> : null}
    </>
  );
}

function fileName(src: string, index: number): string {
  try {
    const ext = new URL(src).pathname.split('.').pop();
    return `retouch-${index + 1}.${ext && ext.length <= 4 ? ext : 'jpg'}`;
  } catch {
    return `retouch-${index + 1}.jpg`;
  }
}

function OutputImage({ src, index, count, onOpen }: { src: string; index: number; count: number; onOpen: () => void }) {
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const name = `Output ${index + 1}${count > 1 ? ` of ${count}` : ''}`;
  return (
    <figure class="output">
      <button type="button" class="output-open" onClick={onOpen} aria-label={`${name}: view full size`}>
        <img src={src} alt={name} onLoad={(e) => setSize({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })} />
      </button>
      <figcaption>
        <span class="output-size">{size ? `${size.w} × ${size.h}` : 'Loading…'}</span>
        <span class="output-actions">
          <button type="button" class="link" onClick={onOpen}>
            Full size
          </button>
          <a href={src} download={fileName(src, index)}>
            Download
          </a>
        </span>
      </figcaption>
    </figure>
  );
}

/** A modal dialog: Escape or the Close button closes it, and the focus goes back where it was. */
function Lightbox({ src, title, onClose }: { src: string; title: string; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const back = document.activeElement as HTMLElement | null;
    dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      back?.focus();
    };
  }, []);
  return (
    <dialog ref={ref} class="lightbox" aria-label={title} onClose={onClose} onClick={(e) => e.target === ref.current && onClose()}>
      <div class="lightbox-bar">
        <span>{title}</span>
        <span class="output-actions">
          <a href={src} target="_blank" rel="noopener">
            Open original
          </a>
          <a href={src} download>
            Download
          </a>
          <button type="button" class="secondary small" onClick={onClose} autoFocus>
            Close
          </button>
        </span>
      </div>
      <div class="lightbox-image">
        <img src={src} alt={title} />
      </div>
    </dialog>
  );
}

/** `{amount: 1.4, anchor: {relation: 'beside'}}` → `amount 1.4, anchor (relation beside)`: plain words, no JSON. */
function describeParams(params: Record<string, unknown>): string {
  const value = (v: unknown): string => {
    if (typeof v === 'number') return String(Number(v.toFixed(2)));
    if (Array.isArray(v)) return v.map(value).join(', ');
    if (v && typeof v === 'object') return `(${describeParams(v as Record<string, unknown>)})`;
    return String(v);
  };
  return Object.entries(params)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${value(v)}`)
    .join(', ');
}

export function EditsAndWarnings({ edits, warnings, engine }: { edits?: Edit[]; warnings?: string[]; engine?: string }) {
  if (!edits?.length && !warnings?.length && !engine) return null;
  return (
    <div class="report">
      {engine ? (
        <p class="engine-line">
          Made by the engine <code>{engine}</code>
        </p>
      ) : null}
      {edits?.length ? (
        <>
          <h3>What was done</h3>
          <ul class="edits">
            {edits.map((e, i) => (
              <li key={i}>
                <strong>{e.kind.replace(/_/g, ' ')}</strong>
                {e.text ? <> from “{e.text}”</> : null}
                {Object.keys(e.params ?? {}).length ? <span class="muted"> — {describeParams(e.params)}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {warnings?.length ? (
        <>
          <h3>Not done, or done another way</h3>
          <ul class="warnings">
            {warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
