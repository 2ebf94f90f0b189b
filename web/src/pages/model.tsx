/**
 * A model's page: its form (drawn from the model's JSON Schema) or the same call as code, and
 * beside it the live run and its results.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { curlCode, sdkCode } from '../code.js';
import { CodeBlock } from '../components/code-block.js';
import { SchemaForm } from '../components/schema-form.js';
import { RunView } from '../components/run-view.js';
import { Tabs } from '../components/tabs.js';
import { inputOf, type FormState } from '../form-state.js';
import { go, hrefOf } from '../route.js';
import type { RunState } from '../runner.js';
import type { Field } from '../schema.js';
import { maskKey, type ModelInfo, type Session } from '../session.js';

interface Props {
  session: Session;
  model: ModelInfo;
  models: ModelInfo[];
  fields: Field[];
  form: FormState;
  run?: RunState;
  onChange: (change: (f: FormState) => FormState) => void;
  onRun: () => void;
  onCancel: () => void;
}

export function ModelPage({ session, model, models, fields, form, run, onChange, onRun, onCancel }: Props) {
  const [tab, setTab] = useState<'form' | 'api'>('form');
  const busy = run !== undefined && run.phase !== 'done';
  const pending = Object.values(form.images).some((list) => list.some((i) => i.state === 'checking' || i.state === 'uploading'));
  const input = useMemo(() => inputOf(fields, form), [fields, form]);

  // On a phone the output is below the form: bring it into view when a run starts (not when the page opens).
  const output = useRef<HTMLElement>(null);
  const seen = useRef(run?.startedAt);
  useEffect(() => {
    if (!run || run.startedAt === seen.current) return;
    seen.current = run.startedAt;
    const top = output.current?.getBoundingClientRect().top ?? 0;
    if (top > innerHeight * 0.6) output.current?.scrollIntoView({ block: 'start' });
  }, [run?.startedAt]);

  return (
    <div class="model-page">
      <div class="page-head">
        <div>
          <h1 tabIndex={-1}>{model.title}</h1>
          <p class="model-id">
            <code>{model.id}</code>
          </p>
          <p class="summary">{model.summary}</p>
          {model.engines?.length ? (
            <p class="engines" aria-label="Engines">
              Runs on{' '}
              {model.engines.map((e, i) => (
                <span key={e.name}>
                  {i > 0 ? <span class="muted"> then </span> : null}
                  <code title={`type: ${e.type}`}>{e.name}</code>
                </span>
              ))}
              {model.engines.length > 1 ? <span class="muted"> (tried in this order)</span> : null}
            </p>
          ) : null}
        </div>
        {models.length > 1 ? (
          <label class="model-picker">
            Model
            <select value={model.id} onChange={(e) => go(hrefOf.model(e.currentTarget.value))}>
              {models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.title}
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </div>
      <div class="model-grid">
        <section class="card input-card" aria-label="Input">
          <Tabs
            label="Input"
            selected={tab}
            onSelect={(t) => setTab(t as 'form' | 'api')}
            tabs={[
              { id: 'form', label: 'Form' },
              { id: 'api', label: 'API' },
            ]}
          />
          <div role="tabpanel" id="panel-form" aria-labelledby="tab-form" hidden={tab !== 'form'}>
            <SchemaForm
              session={session}
              fields={fields}
              form={form}
              onChange={onChange}
              onSubmit={onRun}
              busy={busy}
              pending={pending}
            />
          </div>
          <div role="tabpanel" id="panel-api" aria-labelledby="tab-api" hidden={tab !== 'api'}>
            <p class="muted">The same request as the form, with its current values. Uploaded images are the URLs the server gave them.</p>
            <CodeBlock title="curl" code={curlCode({ baseUrl: location.origin, modelId: model.id, input, maskedKey: maskKey(session.key) })} />
            <CodeBlock
              title="TypeScript (@retouch/client)"
              code={sdkCode({ baseUrl: location.origin, modelId: model.id, input, maskedKey: maskKey(session.key) })}
            />
          </div>
        </section>
        <section class="card output-card" aria-labelledby="output-title" ref={output}>
          <h2 id="output-title">Output</h2>
          <RunView run={run} onCancel={onCancel} />
        </section>
      </div>
    </div>
  );
}
