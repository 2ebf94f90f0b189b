/**
 * One Run: submit, follow the request's server-sent events (queue position, progress), then read
 * its result. The caller keeps the state; this reports every change through `update`.
 */
import type { RequestStatus, ResultResponse } from '@retouch/client';
import type { Session } from './session.js';

export interface RunState {
  phase: 'submitting' | 'following' | 'done';
  requestId?: string;
  status?: RequestStatus;
  /** Requests ahead, while queued. */
  queuePosition?: number;
  /** 0 to 1, while running. */
  progress?: number;
  /** The page's clock when Run was pressed, and when the request ended. */
  startedAt: number;
  endedAt?: number;
  result?: ResultResponse;
  /** Following failed (the connection, not the request). */
  error?: string;
}

export async function follow(
  session: Session,
  modelId: string,
  input: Record<string, unknown>,
  update: (patch: Partial<RunState>) => void,
  signal: AbortSignal,
): Promise<ResultResponse> {
  const client = session.client;
  const submitted = await session.guard(() => client.submit(modelId, input, { signal }));
  update({ phase: 'following', requestId: submitted.request_id, status: submitted.status });
  return followExisting(session, submitted.request_id, update, signal);
}

export async function followExisting(
  session: Session,
  requestId: string,
  update: (patch: Partial<RunState>) => void,
  signal: AbortSignal,
): Promise<ResultResponse> {
  const client = session.client;
  await session.guard(async () => {
    for await (const event of client.stream(requestId, { signal })) {
      if (event.type === 'status') {
        update({ status: event.data.status, ...(event.data.status === 'in_progress' ? { queuePosition: undefined } : {}) });
      } else {
        const patch: Partial<RunState> = { status: event.data.status };
        if (event.data.queue_position !== undefined) patch.queuePosition = event.data.queue_position;
        if (event.data.progress !== undefined) patch.progress = event.data.progress;
        update(patch);
      }
    }
  });
  const result = await session.guard(() => client.result(requestId, { signal }));
  update({ phase: 'done', status: result.status, result, endedAt: Date.now() });
  return result;
}
