/**
 * The shell: the key gate, the header and its navigation, and the state that outlives a page (each
 * model's form and its current run), so that going to the library and back loses nothing.
 */
import { ValidationError, type ResultResponse } from '@retouch/client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { applyDetail, applyFailure, emptyForm, formFromInput, inputOf, type FormState } from './form-state.js';
import { KeyPrompt } from './pages/key-prompt.js';
import { KeysPage } from './pages/keys.js';
import { LibraryDetail, LibraryPage } from './pages/library.js';
import { ModelPage } from './pages/model.js';
import { UsagePage } from './pages/usage.js';
import { go, hrefOf, useRoute, type Route } from './route.js';
import { follow, type RunState } from './runner.js';
import { fieldsOf } from './schema.js';
import { fetchModels, maskKey, Session, storedKey, storeKey, type ModelInfo } from './session.js';

export function App() {
  const [key, setKey] = useState<string | null>(() => storedKey());
  const [refusal, setRefusal] = useState<string | undefined>();
  const [models, setModels] = useState<ModelInfo[] | undefined>();
  const [modelsError, setModelsError] = useState<string | undefined>();
  const [forms, setForms] = useState<Record<string, FormState>>({});
  const [runs, setRuns] = useState<Record<string, RunState>>({});
  const aborts = useRef(new Map<string, AbortController>());
  const route = useRoute();

  const session = useMemo(
    () =>
      key
        ? new Session(key, (message) => {
            storeKey(null);
            setKey(null);
            setRefusal(message);
          })
        : null,
    [key],
  );

  useEffect(() => {
    fetchModels().then(setModels, (err: unknown) => setModelsError(err instanceof Error ? err.message : String(err)));
  }, []);

  // A session that ends stops following its requests.
  useEffect(() => () => aborts.current.forEach((a) => a.abort()), [session]);

  // A key kept from an earlier visit may have been revoked since: ask now rather than at the first Run.
  useEffect(() => void session?.listKeys().catch(() => undefined), [session]);

  const updateForm = useCallback((modelId: string, change: (f: FormState) => FormState) => {
    setForms((all) => {
      const model = models?.find((m) => m.id === modelId);
      const current = all[modelId] ?? (model ? emptyForm(fieldsOf(model.input_schema)) : undefined);
      return current ? { ...all, [modelId]: change(current) } : all;
    });
  }, [models]);

  const run = useCallback(
    async (model: ModelInfo, formOverride?: FormState) => {
      if (!session) return;
      const fields = fieldsOf(model.input_schema);
      const form = formOverride ?? forms[model.id] ?? emptyForm(fields);
      const input = inputOf(fields, form);
      aborts.current.get(model.id)?.abort();
      const abort = new AbortController();
      aborts.current.set(model.id, abort);
      const update = (patch: Partial<RunState>) =>
        setRuns((all) => (aborts.current.get(model.id) === abort ? { ...all, [model.id]: { ...all[model.id]!, ...patch } } : all));
      setRuns((all) => ({ ...all, [model.id]: { phase: 'submitting', startedAt: Date.now() } }));
      // A new run clears what the server said about the last one.
      setForms((all) => ({ ...all, [model.id]: clearErrors(form) }));
      let result: ResultResponse;
      try {
        result = await follow(session, model.id, input, update, abort.signal);
      } catch (err) {
        if (abort.signal.aborted) return;
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof ValidationError) {
          setForms((all) => ({ ...all, [model.id]: applyDetail(fields, all[model.id] ?? form, err.detail, message) }));
          setRuns((all) => {
            const { [model.id]: _dropped, ...rest } = all;
            return rest;
          });
        } else {
          update({ phase: 'done', error: message, endedAt: Date.now() });
        }
        return;
      }
      if (result.status === 'failed' && result.error) {
        const message = result.error.message;
        setForms((all) => ({ ...all, [model.id]: applyFailure(fields, all[model.id] ?? form, message) }));
      }
    },
    [session, forms],
  );

  const cancel = useCallback(
    async (modelId: string) => {
      const requestId = runs[modelId]?.requestId;
      if (!session || !requestId) return;
      await session.guard(() => session.client.cancel(requestId)).catch(() => undefined);
    },
    [session, runs],
  );

  /** The library's "run again" and "open in form": the stored input back into the model's form. */
  const reuse = useCallback(
    (modelId: string, input: Record<string, unknown>, runNow: boolean) => {
      const model = models?.find((m) => m.id === modelId);
      if (!model) return;
      const form = formFromInput(fieldsOf(model.input_schema), input);
      setForms((all) => ({ ...all, [modelId]: form }));
      go(hrefOf.model(modelId));
      if (runNow) void run(model, form);
    },
    [models, run],
  );

  if (!session) {
    return (
      <KeyPrompt
        refusal={refusal}
        onKey={(k) => {
          storeKey(k);
          setRefusal(undefined);
          setKey(k);
        }}
      />
    );
  }

  const signOut = () => {
    storeKey(null);
    setRefusal(undefined);
    setKey(null);
  };

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header route={route} models={models} maskedKey={maskKey(session.key)} onChangeKey={signOut} />
      <main id="main" tabIndex={-1}>
        <Page
          route={route}
          session={session}
          models={models}
          modelsError={modelsError}
          forms={forms}
          runs={runs}
          updateForm={updateForm}
          run={run}
          cancel={cancel}
          reuse={reuse}
        />
      </main>
    </>
  );
}

function clearErrors(form: FormState): FormState {
  const images = Object.fromEntries(
    Object.entries(form.images).map(([k, list]) => [k, list.map((i) => (i.state === 'ready' && i.error ? { ...i, error: undefined } : i))]),
  );
  return { ...form, images, errors: {}, formError: undefined };
}

function Header({ route, models, maskedKey, onChangeKey }: { route: Route; models?: ModelInfo[]; maskedKey: string; onChangeKey: () => void }) {
  const first = models?.[0];
  const links: { href: string; label: string; current: boolean }[] = [
    { href: first ? hrefOf.model(first.id) : '#/', label: 'Playground', current: route.page === 'model' },
    { href: hrefOf.library(), label: 'Library', current: route.page === 'library' },
    { href: hrefOf.keys(), label: 'Keys', current: route.page === 'keys' },
    { href: hrefOf.usage(), label: 'Usage', current: route.page === 'usage' },
  ];
  return (
    <header class="topbar">
      <a class="brand" href={first ? hrefOf.model(first.id) : '#/'}>
        <span class="brand-mark" aria-hidden="true" />
        retouch
      </a>
      <nav aria-label="Main">
        <ul>
          {links.map((l) => (
            <li key={l.href}>
              <a href={l.href} aria-current={l.current ? 'page' : undefined}>
                {l.label}
              </a>
            </li>
          ))}
          <li>
            <a href="/docs">API docs</a>
          </li>
        </ul>
      </nav>
      <div class="key-chip">
        <span class="muted" title="The API key this page uses">
          Key <code>{maskedKey}</code>
        </span>
        <button type="button" class="link" onClick={onChangeKey} title="Remove the key from this browser, to paste another">
          Forget key
        </button>
      </div>
    </header>
  );
}

interface PageProps {
  route: Route;
  session: Session;
  models?: ModelInfo[];
  modelsError?: string;
  forms: Record<string, FormState>;
  runs: Record<string, RunState>;
  updateForm: (modelId: string, change: (f: FormState) => FormState) => void;
  run: (model: ModelInfo) => Promise<void>;
  cancel: (modelId: string) => Promise<void>;
  reuse: (modelId: string, input: Record<string, unknown>, runNow: boolean) => void;
}

function Page(p: PageProps) {
  const { route, session } = p;
  // Each page's heading takes the focus when the page changes, so a screen reader says where it is.
  const last = useRef('');
  const where = JSON.stringify(route);
  useEffect(() => {
    if (last.current && last.current !== where) document.querySelector<HTMLElement>('main h1')?.focus();
    last.current = where;
    const heading = document.querySelector('main h1')?.textContent;
    document.title = heading ? `${heading} · retouch` : 'retouch playground';
  });

  switch (route.page) {
    case 'library':
      return route.requestId ? (
        <LibraryDetail session={session} requestId={route.requestId} models={p.models} onReuse={p.reuse} />
      ) : (
        <LibraryPage session={session} />
      );
    case 'keys':
      return <KeysPage session={session} />;
    case 'usage':
      return <UsagePage session={session} />;
    case 'model': {
      if (p.modelsError) return <p class="banner error" role="alert">The catalogue could not be loaded: {p.modelsError}</p>;
      if (!p.models) return <p class="muted loading">Loading the catalogue…</p>;
      const model = route.modelId ? p.models.find((m) => m.id === route.modelId) : p.models[0];
      if (!model) return <p class="banner error" role="alert">This server has no model {route.modelId}.</p>;
      const fields = fieldsOf(model.input_schema);
      return (
        <ModelPage
          key={model.id}
          session={session}
          model={model}
          models={p.models}
          fields={fields}
          form={p.forms[model.id] ?? emptyForm(fields)}
          run={p.runs[model.id]}
          onChange={(change) => p.updateForm(model.id, change)}
          onRun={() => void p.run(model)}
          onCancel={() => void p.cancel(model.id)}
        />
      );
    }
  }
}
