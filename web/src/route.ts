/**
 * Hash routes, so the server serves one page at `/` and nothing else:
 *   #/models/<model id>   the model page (the first model when empty)
 *   #/library, #/library/<request id>, #/keys, #/usage
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'model'; modelId?: string }
  | { page: 'library'; requestId?: string }
  | { page: 'keys' }
  | { page: 'usage' };

export function parseHash(hash: string): Route {
  const path = decodeURIComponent(hash.replace(/^#\/?/, ''));
  const [head, ...rest] = path.split('/');
  const tail = rest.join('/');
  switch (head) {
    case 'library':
      return tail ? { page: 'library', requestId: tail } : { page: 'library' };
    case 'keys':
      return { page: 'keys' };
    case 'usage':
      return { page: 'usage' };
    case 'models':
      return tail ? { page: 'model', modelId: tail } : { page: 'model' };
    default:
      return { page: 'model' };
  }
}

export const hrefOf = {
  model: (id: string) => `#/models/${id}`,
  library: (id?: string) => (id ? `#/library/${encodeURIComponent(id)}` : '#/library'),
  keys: () => '#/keys',
  usage: () => '#/usage',
};

export function go(href: string): void {
  if (location.hash !== href) location.hash = href;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
