/**
 * The form of a model, one widget per property of its input schema (see schema.ts for which).
 * Every control is labelled, its hint and its error are tied to it with aria-describedby, and an
 * error the server reports about a field is shown under that field.
 */
import type { ComponentChildren } from 'preact';
import type { FormState } from '../form-state.js';
import { firstSentence, parseSizeChoice, type Field } from '../schema.js';
import type { Session } from '../session.js';
import { ImageField } from './image-field.js';
import { ErrorBanner, FieldNotes } from './notes.js';

interface Props {
  session: Session;
  fields: Field[];
  form: FormState;
  onChange: (change: (f: FormState) => FormState) => void;
  onSubmit: () => void;
  busy: boolean;
  pending: boolean;
}

export function SchemaForm({ session, fields, form, onChange, onSubmit, busy, pending }: Props) {
  const setValue = (key: string, value: unknown) =>
    onChange((f) => {
      const { [key]: _cleared, ...errors } = f.errors;
      return { ...f, values: { ...f.values, [key]: value }, errors };
    });
  const refused = Object.values(form.images).some((list) => list.some((i) => i.state === 'refused'));
  const submit = (e: Event) => {
    e.preventDefault();
    if (!busy && !pending) onSubmit();
  };
  return (
    <form class="schema-form" onSubmit={submit} noValidate>
      {fields.map((field) => {
        const error = form.errors[field.key];
        if (field.kind === 'images') {
          return (
            <ImageField
              key={field.key}
              session={session}
              field={field}
              items={form.images[field.key] ?? []}
              error={error}
              onItems={(change) =>
                onChange((f) => {
                  const { [field.key]: _cleared, ...errors } = f.errors;
                  return { ...f, images: { ...f.images, [field.key]: change(f.images[field.key] ?? []) }, errors };
                })
              }
              onError={(message) => onChange((f) => ({ ...f, errors: { ...f.errors, [field.key]: message } }))}
            />
          );
        }
        return (
          <Control
            key={field.key}
            field={field}
            value={form.values[field.key]}
            error={error}
            onValue={(v) => setValue(field.key, v)}
            onShortcut={() => !busy && !pending && onSubmit()}
          />
        );
      })}
      <ErrorBanner message={form.formError} />
      <div class="run-row">
        <button type="submit" class="primary run" disabled={busy || pending}>
          {busy ? 'Running…' : 'Run'}
        </button>
        <span class="muted small" aria-live="polite">
          {pending ? 'Waiting for the images to upload…' : refused ? 'Refused images are left out of the request.' : 'Ctrl+Enter in the prompt runs too.'}
        </span>
      </div>
    </form>
  );
}

function FieldShell({ field, error, hint, children, counter }: { field: Field; error?: string; hint?: string; children: ComponentChildren; counter?: ComponentChildren }) {
  return (
    <div class={`field${error ? ' has-error' : ''}`} id={`field-${field.key}`}>
      <div class="label-row">
        <label for={`input-${field.key}`}>
          {field.label}
          {field.required ? <span class="required" aria-hidden="true"> *</span> : null}
        </label>
        {counter}
      </div>
      {children}
      <FieldNotes id={field.key} hint={hint} error={error} />
    </div>
  );
}

function describedBy(field: Field, hint: boolean, error: boolean, extra?: string): string | undefined {
  const ids = [extra, hint ? `hint-${field.key}` : '', error ? `error-${field.key}` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Control({ field, value, error, onValue, onShortcut }: { field: Field; value: unknown; error?: string; onValue: (v: unknown) => void; onShortcut: () => void }) {
  const s = field.schema;
  const id = `input-${field.key}`;
  const hint = firstSentence(field.description);
  switch (field.kind) {
    case 'longtext': {
      const text = typeof value === 'string' ? value : '';
      const max = s.maxLength;
      const counter =
        max !== undefined ? (
          <span id={`count-${field.key}`} class={`counter${text.length >= max ? ' at-limit' : ''}`} aria-label={`${text.length} of ${max} characters`}>
            {text.length} / {max}
          </span>
        ) : undefined;
      return (
        <FieldShell field={field} error={error} hint={hint} counter={counter}>
          <textarea
            id={id}
            rows={4}
            maxLength={max}
            value={text}
            placeholder={typeof s.default === 'string' ? `e.g. ${s.default}` : undefined}
            aria-invalid={error ? 'true' : undefined}
            aria-required={field.required}
            aria-describedby={describedBy(field, !!hint, !!error, max !== undefined ? `count-${field.key}` : undefined)}
            onInput={(e) => onValue(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                onShortcut();
              }
            }}
          />
        </FieldShell>
      );
    }
    case 'size':
      return <SizeField field={field} value={String(value ?? '')} error={error} onValue={onValue} />;
    case 'choice':
      return (
        <FieldShell field={field} error={error} hint={hint}>
          <select id={id} value={String(value ?? '')} aria-describedby={describedBy(field, !!hint, !!error)} onChange={(e) => onValue(e.currentTarget.value)}>
            {(s.enum ?? []).map((v) => (
              <option key={String(v)} value={String(v)}>
                {String(v)}
              </option>
            ))}
          </select>
        </FieldShell>
      );
    case 'slider': {
      const n = typeof value === 'number' ? value : Number(s.default ?? s.minimum ?? 0);
      const min = s.minimum ?? 0;
      const max = s.maximum ?? 1;
      const step = max - min <= 1 ? 0.05 : max - min <= 10 ? 0.1 : 1;
      return (
        <FieldShell field={field} error={error} hint={hint} counter={<output for={id} class="slider-value">{n.toFixed(step < 1 ? 2 : 0)}</output>}>
          <div class="slider">
            <span class="muted small" aria-hidden="true">
              {min}
            </span>
            <input
              id={id}
              type="range"
              min={min}
              max={max}
              step={step}
              value={n}
              aria-describedby={describedBy(field, !!hint, !!error)}
              onInput={(e) => onValue(Number(e.currentTarget.value))}
            />
            <span class="muted small" aria-hidden="true">
              {max}
            </span>
          </div>
        </FieldShell>
      );
    }
    case 'number':
      return (
        <FieldShell field={field} error={error} hint={hint}>
          <input
            id={id}
            type="number"
            min={s.minimum}
            max={s.maximum}
            step={s.type === 'integer' ? 1 : 'any'}
            value={typeof value === 'number' ? value : ''}
            aria-describedby={describedBy(field, !!hint, !!error)}
            onInput={(e) => onValue(e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value))}
          />
        </FieldShell>
      );
    case 'toggle':
      return (
        <div class={`field toggle-field${error ? ' has-error' : ''}`} id={`field-${field.key}`}>
          <label class="switch" for={id}>
            <input
              id={id}
              type="checkbox"
              role="switch"
              checked={value === true}
              aria-describedby={describedBy(field, !!hint, !!error)}
              onChange={(e) => onValue(e.currentTarget.checked)}
            />
            <span class="track" aria-hidden="true" />
            <span>{field.label}</span>
          </label>
          <FieldNotes id={field.key} hint={hint} error={error} />
        </div>
      );
    default:
      return (
        <FieldShell field={field} error={error} hint={hint}>
          <input
            id={id}
            type="text"
            value={typeof value === 'string' ? value : ''}
            maxLength={s.maxLength}
            aria-describedby={describedBy(field, !!hint, !!error)}
            onInput={(e) => onValue(e.currentTarget.value)}
          />
        </FieldShell>
      );
  }
}

/** The size choices as a radio group, each with its aspect drawn to scale. */
function SizeField({ field, value, error, onValue }: { field: Field; value: string; error?: string; onValue: (v: unknown) => void }) {
  const choices = (field.schema.enum ?? []).map(String);
  return (
    <fieldset class={`field size-field${error ? ' has-error' : ''}`} id={`field-${field.key}`} aria-describedby={error ? `error-${field.key}` : undefined}>
      <legend>{field.label}</legend>
      <div class="size-grid">
        {choices.map((choice) => {
          const size = parseSizeChoice(choice)!;
          const long = Math.max(size.width, size.height);
          return (
            <label key={choice} class={`size-option${choice === value ? ' selected' : ''}`}>
              <input type="radio" name={`input-${field.key}`} value={choice} checked={choice === value} onChange={() => onValue(choice)} />
              <span class="aspect-box" aria-hidden="true">
                <span class="aspect" style={{ width: `${(size.width / long) * 100}%`, height: `${(size.height / long) * 100}%` }} />
              </span>
              <span class="ratio">{size.ratio}</span>
              <span class="px">
                {size.width}×{size.height}
              </span>
            </label>
          );
        })}
      </div>
      {error ? (
        <p class="field-error" id={`error-${field.key}`} role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
