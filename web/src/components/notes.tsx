/** Small messages the pages share, each announced to screen readers and absent when empty. */
import type { ComponentChildren } from 'preact';

/** An error above a page or a form. */
export function ErrorBanner({ message }: { message: ComponentChildren }) {
  return message ? (
    <p class="banner error" role="alert">
      {message}
    </p>
  ) : null;
}

/** A failed request, as the run view and the library both show it. */
export function FailedBanner({ error }: { error: { code: string; message: string } }) {
  return (
    <div class="banner error" role="alert">
      <strong>The request failed.</strong> {error.message} <span class="muted">({error.code})</span>
    </div>
  );
}

/** A field's hint and error, with the ids its input points at through aria-describedby. */
export function FieldNotes({ id, hint, error }: { id: string; hint?: ComponentChildren; error?: ComponentChildren }) {
  return (
    <>
      {hint ? (
        <p class="hint" id={`hint-${id}`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={`error-${id}`} role="alert">
          {error}
        </p>
      ) : null}
    </>
  );
}
