/** The page asks for an API key before anything else, and says where to find one. */
import { AuthenticationError } from '@retouch/client';
import { useState } from 'preact/hooks';
import { Session } from '../session.js';

export function KeyPrompt({ refusal, onKey }: { refusal?: string; onKey: (key: string) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [checking, setChecking] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const key = value.trim();
    if (!key) {
      setError('Paste a key first.');
      return;
    }
    setChecking(true);
    setError(undefined);
    try {
      // Any call that needs a key proves it: the account's key list is a cheap one.
      await new Session(key, () => undefined).listKeys();
      onKey(key);
    } catch (err) {
      setError(err instanceof AuthenticationError ? `This key was refused: ${err.message}` : `The server could not be asked: ${String((err as Error).message ?? err)}`);
    } finally {
      setChecking(false);
    }
  };

  return (
    <main id="main" class="key-gate">
      <form class="card key-card" onSubmit={submit} noValidate>
        <p class="brand big">
          <span class="brand-mark" aria-hidden="true" />
          retouch
        </p>
        <h1>Paste your API key</h1>
        {refusal && !error ? (
          <p class="banner warn" role="alert">
            The server refused the key this page had: {refusal.replace(/\.$/, '')}. Paste another one to go on.
          </p>
        ) : null}
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          placeholder="rt_…"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'api-key-error api-key-help' : 'api-key-help'}
          autoFocus
        />
        {error ? (
          <p id="api-key-error" class="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={checking}>
          {checking ? 'Checking…' : 'Continue'}
        </button>
        <div id="api-key-help" class="help">
          <p>
            <strong>Where is my key?</strong> The first time retouch starts, it prints a key beginning with <code>rt_</code> in
            the terminal where you ran <code>npm start</code>. It is shown only that once.
          </p>
          <p>
            Lost it? In the retouch folder, run <code>npx retouch keys create</code> to make another (use the same{' '}
            <code>--data-dir</code> as the server). The key stays in this browser only.
          </p>
        </div>
      </form>
    </main>
  );
}
