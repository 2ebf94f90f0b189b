/** The account's keys: create one (shown once), list them, revoke one. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { dateTime } from '../format.js';
import { FocusButton } from '../components/focus-button.js';
import type { KeyInfo, Session } from '../session.js';
import { ErrorBanner } from '../components/notes.js';

export function KeysPage({ session }: { session: Session }) {
  const [keys, setKeys] = useState<KeyInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<(KeyInfo & { key: string }) | undefined>();
  const [confirming, setConfirming] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  const load = useCallback(async () => {
    try {
      setKeys((await session.listKeys()).keys);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [session]);

  useEffect(() => void load(), [load]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      setCreated(await session.createKey(name.trim()));
      setName('');
      setCopied(false);
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const revoke = async (key: KeyInfo) => {
    setConfirming(null);
    try {
      await session.revokeKey(key.id);
      // The list is read with the page's key: if that was the one revoked, the server says 401 and the page asks for another.
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      // Select it by hand.
    }
  };

  return (
    <div class="keys">
      <div class="page-head">
        <div>
          <h1 tabIndex={-1}>Keys</h1>
          <p class="summary">The account's API keys. A key is shown once, when it is made; the server keeps only its hash.</p>
        </div>
      </div>
      <ErrorBanner message={error} />
      <section class="card" aria-labelledby="new-key">
        <h2 id="new-key">New key</h2>
        <form class="inline-form" onSubmit={create}>
          <label for="key-name">Name</label>
          <input id="key-name" type="text" maxLength={100} placeholder="e.g. laptop, CI" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit" class="primary">
            Create key
          </button>
        </form>
        {created ? (
          <div class="new-key" role="status">
            <p>
              <strong>Copy the key “{created.name}” now: it will not be shown again.</strong>
            </p>
            <div class="copy-row">
              <input type="text" readOnly value={created.key} aria-label="The new key" onFocus={(e) => e.currentTarget.select()} />
              <button type="button" class="secondary" onClick={() => void copy(created.key)}>
                {copied ? 'Copied' : 'Copy'}
              </button>
            </div>
          </div>
        ) : null}
      </section>
      <section class="card" aria-labelledby="key-list">
        <h2 id="key-list">Keys of this account</h2>
        {!keys ? <p class="muted loading">Loading…</p> : null}
        {keys ? (
          <div class="table-wrap">
            <table class="key-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Created</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <tr key={k.id} class={k.revoked_at ? 'revoked' : ''}>
                    <td>{k.name || <em class="muted">unnamed</em>}</td>
                    <td>
                      <code>{k.prefix}…</code>
                    </td>
                    <td>{dateTime(k.created_at)}</td>
                    <td>
                      {k.revoked_at ? (
                        <span class="badge cancelled">Revoked</span>
                      ) : k.current ? (
                        <span class="badge completed">In use here</span>
                      ) : (
                        <span class="badge in_progress">Active</span>
                      )}
                    </td>
                    <td class="row-actions">
                      {k.revoked_at ? null : confirming === k.id ? (
                        <span class="confirm" role="group" aria-label={`Confirm revoking ${k.name || k.prefix}`}>
                          <FocusButton class="danger small" onClick={() => void revoke(k)}>
                            {k.current ? 'Revoke (and sign out)' : 'Revoke'}
                          </FocusButton>
                          <button type="button" class="secondary small" onClick={() => setConfirming(null)}>
                            Keep
                          </button>
                        </span>
                      ) : (
                        <button type="button" class="secondary small danger-text" onClick={() => setConfirming(k.id)} aria-label={`Revoke ${k.name || k.prefix}`}>
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </div>
  );
}
