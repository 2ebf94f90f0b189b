/** URLs a provider hands back (status and result links), followed only where they are expected. */

/** A URL the provider returned, kept only when it points at the configured base's origin. */
export function sameOrigin(raw: unknown, base: string): string | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    return new URL(raw).origin === new URL(base).origin ? raw : undefined;
  } catch {
    return undefined;
  }
}

export function withQuery(raw: string, key: string, value: string): string {
  const url = new URL(raw);
  url.searchParams.set(key, value);
  return url.href;
}
