/**
 * Which fal call a request is. The fal client speaks to three hosts (queue.fal.run, fal.run and
 * rest.fal.ai); retouch serves them under /fal/queue, /fal/sync and /fal/rest, and under /fal/proxy
 * when the client is given a `proxyUrl` and names the real URL in `x-fal-target-url`. Both ways end
 * here, so a call behaves the same however it arrives.
 */
import { PublicError } from '../../../errors.js';

export type FalCall =
  | { kind: 'submit'; endpoint: string; query: URLSearchParams }
  | { kind: 'run'; endpoint: string; query: URLSearchParams }
  | { kind: 'status' | 'stream'; app: string; id: string; query: URLSearchParams }
  | { kind: 'result' | 'cancel'; app: string; id: string }
  | { kind: 'initiate' };

/** A target URL whose path is not valid percent-encoding (`%zz`): the caller's mistake, never a 500. */
export class MalformedTargetError extends PublicError {
  constructor() {
    super(400, 400002, 'Invalid request: the path of the x-fal-target-url header is not valid percent-encoding.');
  }
}

function decodedPath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    throw new MalformedTargetError();
  }
}

const REQUEST_PATH = /^(.+?)\/requests\/([^/]+)(\/status(\/stream)?|\/cancel)?$/;

/** A path under queue.fal.run (without its leading slash). */
export function queueCall(method: string, path: string, query: URLSearchParams): FalCall | undefined {
  const clean = path.replace(/^\/+|\/+$/g, '');
  const m = REQUEST_PATH.exec(clean);
  if (!m) return method === 'POST' && clean ? { kind: 'submit', endpoint: clean, query } : undefined;
  const [, app, id, suffix, stream] = m as unknown as [string, string, string, string | undefined, string | undefined];
  if (suffix === '/cancel') return method === 'PUT' ? { kind: 'cancel', app, id } : undefined;
  if (method !== 'GET') return undefined;
  if (!suffix) return { kind: 'result', app, id };
  return { kind: stream ? 'stream' : 'status', app, id, query };
}

/** The call an `x-fal-target-url` names, if it is one retouch serves; throws MalformedTargetError. */
export function targetCall(method: string, target: string): FalCall | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const path = decodedPath(url.pathname);
  if (url.host === 'queue.fal.run') return queueCall(method, path, url.searchParams);
  if (url.host === 'fal.run') {
    const endpoint = path.replace(/^\/+|\/+$/g, '');
    return method === 'POST' && endpoint ? { kind: 'run', endpoint, query: url.searchParams } : undefined;
  }
  if ((url.host === 'rest.fal.ai' || url.host === 'rest.alpha.fal.ai') && path === '/storage/upload/initiate' && method === 'POST') {
    return { kind: 'initiate' };
  }
  return undefined;
}
