/**
 * An images field: files by drag-and-drop or the picker, or URLs; thumbnails in request order,
 * reorderable by dragging or with the arrow buttons. A file is checked in the browser against the
 * model's rules (the seed's messages) before it is uploaded with `POST /v1/files`; a refused one
 * stays in the list with its message, and is not sent.
 */
import { RetouchError } from '@retouch/client';
import { useMemo, useRef, useState } from 'preact/hooks';
import { newId, nameOfUrl, type ImageItem } from '../form-state.js';
import { checkImageFile } from '../image-check.js';
import { imageRules, type Field } from '../schema.js';
import type { Session } from '../session.js';

interface Props {
  session: Session;
  field: Field;
  items: ImageItem[];
  error?: string;
  onItems: (change: (items: ImageItem[]) => ImageItem[]) => void;
  onError: (message: string) => void;
}

export function ImageField({ session, field, items, error, onItems, onError }: Props) {
  const rules = useMemo(() => imageRules(field.schema), [field.schema]);
  const [url, setUrl] = useState('');
  const [urlError, setUrlError] = useState<string | undefined>();
  const [dropping, setDropping] = useState(false);
  const dragged = useRef<string | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const max = field.schema.maxItems ?? Infinity;
  const min = field.schema.minItems ?? 0;
  const key = field.key;
  const accept = rules.formats?.types.join(',') ?? 'image/*';

  const patch = (id: string, p: Partial<ImageItem>) => onItems((list) => list.map((i) => (i.id === id ? { ...i, ...p } : i)));
  const room = () => max - items.length;
  const tooMany = (wanted: number) => onError(`Supports ${min}–${max} images (got ${wanted}); the rest were left out.`);

  const addFiles = (files: File[]) => {
    if (files.length === 0) return;
    const wanted = items.length + files.length;
    const accepted = files.slice(0, Math.max(0, room()));
    for (const file of accepted) {
      const id = newId();
      const preview = URL.createObjectURL(file);
      onItems((list) => [...list, { id, name: file.name || 'image', source: 'file', preview, state: 'checking' }]);
      void (async () => {
        const check = await checkImageFile(file, rules);
        if (!check.ok) {
          patch(id, { state: 'refused', error: check.message, width: check.image?.width, height: check.image?.height });
          return;
        }
        patch(id, { state: 'uploading', width: check.image.width || undefined, height: check.image.height || undefined });
        try {
          const uploaded = await session.guard(() => session.client.upload(file, { filename: file.name || undefined }));
          patch(id, { state: 'ready', url: uploaded.url, width: uploaded.width, height: uploaded.height });
        } catch (err) {
          const message = err instanceof RetouchError ? (err.detail[0]?.msg ?? err.message) : String(err);
          patch(id, { state: 'refused', error: message });
        }
      })();
    }
    // After the additions, which clear the field's error.
    if (accepted.length < files.length) tooMany(wanted);
  };

  const addUrl = () => {
    const value = url.trim();
    if (!value) return;
    try {
      new URL(value);
    } catch {
      setUrlError('Enter a full URL, such as https://example.com/photo.jpg.');
      return;
    }
    if (room() <= 0) {
      tooMany(items.length + 1);
      return;
    }
    onItems((list) => [...list, { id: newId(), name: nameOfUrl(value), source: 'url', url: value, preview: value, state: 'ready' }]);
    setUrl('');
    setUrlError(undefined);
  };

  const remove = (item: ImageItem) => {
    if (item.source === 'file' && item.preview) URL.revokeObjectURL(item.preview);
    onItems((list) => list.filter((i) => i.id !== item.id));
  };

  const move = (id: string, to: number) =>
    onItems((list) => {
      const from = list.findIndex((i) => i.id === id);
      if (from < 0 || to < 0 || to >= list.length || from === to) return list;
      const next = [...list];
      const [it] = next.splice(from, 1);
      next.splice(to, 0, it!);
      return next;
    });

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDropping(false);
    if (dragged.current) return; // a thumbnail dropped outside another: nothing to do
    addFiles([...(e.dataTransfer?.files ?? [])]);
  };

  const count = items.length;
  const describedBy = [`hint-${key}`, error ? `error-${key}` : ''].filter(Boolean).join(' ');

  return (
    <fieldset class={`field images-field${error ? ' has-error' : ''}`} id={`field-${key}`} aria-describedby={describedBy}>
      <legend>
        <span>
          {field.label}
          {field.required ? <span class="required" aria-hidden="true"> *</span> : null}
        </span>
        <span class="counter">
          {count} / {max === Infinity ? '∞' : max}
        </span>
      </legend>
      <div
        class={`dropzone${dropping ? ' dropping' : ''}`}
        onDragOver={(e) => {
          if (dragged.current) return;
          e.preventDefault();
          setDropping(true);
        }}
        onDragLeave={() => setDropping(false)}
        onDrop={onDrop}
      >
        <p>
          <strong>Drop {rules.formats ? `${formatNames(rules.formats.types)} ` : ''}images here</strong> or{' '}
          <button type="button" class="link" onClick={() => picker.current?.click()}>
            choose files
          </button>
        </p>
        <input
          ref={picker}
          id={`input-${key}`}
          class="visually-hidden"
          type="file"
          accept={accept}
          multiple
          tabIndex={-1}
          aria-label={`Add ${field.label.toLowerCase()} from files`}
          onChange={(e) => {
            addFiles([...(e.currentTarget.files ?? [])]);
            e.currentTarget.value = '';
          }}
        />
        <p class="hint" id={`hint-${key}`}>
          {[
            rules.formats ? formatNames(rules.formats.types) : '',
            rules.maxBytes ? `≤ ${Math.round(rules.maxBytes.value / 1024 / 1024)} MB` : '',
            rules.maxWidth && rules.maxHeight ? `up to ${rules.maxWidth.value}×${rules.maxHeight.value}` : '',
            rules.minAspect && rules.maxAspect ? `aspect ratio ${ratio(rules.minAspect.value)} to ${ratio(rules.maxAspect.value)}` : '',
            max !== Infinity ? `${min}–${max} images, in the order the prompt refers to them` : '',
          ]
            .filter(Boolean)
            .join(' · ')}
        </p>
      </div>
      <div class="url-row">
        <label class="visually-hidden" for={`url-${key}`}>
          Image URL
        </label>
        <input
          id={`url-${key}`}
          type="url"
          inputMode="url"
          placeholder="…or paste an image URL"
          value={url}
          aria-invalid={urlError ? 'true' : undefined}
          aria-describedby={urlError ? `url-error-${key}` : undefined}
          onInput={(e) => setUrl(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Enter adds the URL; it must not submit the whole form.
            if (e.key === 'Enter') {
              e.preventDefault();
              addUrl();
            }
          }}
        />
        <button type="button" class="secondary" onClick={addUrl}>
          Add URL
        </button>
      </div>
      {urlError ? (
        <p class="field-error" id={`url-error-${key}`} role="alert">
          {urlError}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={`error-${key}`} role="alert">
          {error}
        </p>
      ) : null}
      {items.length > 0 ? (
        <ol class="thumbs" aria-label={`${field.label}, in request order`}>
          {items.map((item, index) => (
            <li
              key={item.id}
              class={`thumb ${item.state}${item.error ? ' has-error' : ''}`}
              draggable
              onDragStart={(e) => {
                dragged.current = item.id;
                e.dataTransfer?.setData('text/plain', item.id);
              }}
              onDragEnd={() => (dragged.current = null)}
              onDragOver={(e) => dragged.current && e.preventDefault()}
              onDrop={(e) => {
                e.preventDefault();
                e.stopPropagation();
                if (dragged.current) move(dragged.current, index);
                dragged.current = null;
              }}
            >
              <Thumb item={item} index={index} />
              <div class="thumb-info">
                <span class="thumb-name" title={item.name}>
                  {item.name}
                </span>
                <span class="muted small">
                  {item.state === 'checking'
                    ? 'Checking…'
                    : item.state === 'uploading'
                      ? 'Uploading…'
                      : item.width && item.height
                        ? `${item.width}×${item.height}`
                        : item.source === 'url'
                          ? 'URL'
                          : ''}
                </span>
                {item.error ? (
                  <span class="field-error small" role="alert">
                    {item.error}
                  </span>
                ) : null}
              </div>
              <div class="thumb-actions">
                <button type="button" class="icon" disabled={index === 0} onClick={() => move(item.id, index - 1)} aria-label={`Move image ${index + 1} earlier`}>
                  ←
                </button>
                <button
                  type="button"
                  class="icon"
                  disabled={index === items.length - 1}
                  onClick={() => move(item.id, index + 1)}
                  aria-label={`Move image ${index + 1} later`}
                >
                  →
                </button>
                <button type="button" class="icon danger" onClick={() => remove(item)} aria-label={`Remove image ${index + 1} (${item.name})`}>
                  ✕
                </button>
              </div>
            </li>
          ))}
        </ol>
      ) : null}
    </fieldset>
  );
}

/** The picture, or its number and name when it cannot be shown (a URL of another site: the page's CSP allows only this server). */
function Thumb({ item, index }: { item: ImageItem; index: number }) {
  const [broken, setBroken] = useState(false);
  return (
    <div class="thumb-pic">
      {item.preview && !broken ? (
        <img src={item.preview} alt="" draggable={false} onError={() => setBroken(true)} />
      ) : (
        <svg class="thumb-placeholder" viewBox="0 0 24 24" aria-hidden="true">
          <rect x="3" y="4" width="18" height="16" rx="2" />
          <circle cx="9" cy="10" r="2" />
          <path d="M4 18l5-5 4 4 3-3 4 4" />
        </svg>
      )}
      <span class="thumb-index" aria-hidden="true">
        {index + 1}
      </span>
    </div>
  );
}

/** 1/3 → "1:3", 3 → "3:1". */
function ratio(r: number): string {
  return r < 1 ? `1:${Number((1 / r).toFixed(2))}` : `${Number(r.toFixed(2))}:1`;
}

/** ['image/jpeg', 'image/png'] → "JPEG or PNG". */
function formatNames(types: string[]): string {
  const names = types.map((t) => t.replace('image/', '').toUpperCase());
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : (names[0] ?? '');
}
