/**
 * Response bodies. The same TypeBox schemas serialize the responses (fast-json-stringify) and
 * document them in /openapi.json.
 */
import { Type, type Static } from 'typebox';

export const RequestId = Type.String({ description: 'The request id (a UUID).' });

export const Status = Type.Union(
  [Type.Literal('in_queue'), Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')],
  { description: '`failed` is retouch\'s documented addition to the hosted service\'s four statuses.' },
);

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const ErrorEnvelope = Type.Object(
  {
    error_code: Type.Integer({ description: 'Six digits: the HTTP status and a number, e.g. 422001.' }),
    message: Type.String(),
    detail: Type.Array(Type.Object({ loc: Type.Array(Type.Union([Type.String(), Type.Integer()])), msg: Type.String() })),
    request_id: Type.Optional(Type.String({ description: 'On 500001: the id that the server log line carries too.' })),
  },
  { $id: 'ErrorEnvelope', title: 'Error' },
);

export const SubmitResponse = Type.Object(
  {
    request_id: RequestId,
    status: Status,
    status_url: Type.String({ format: 'uri' }),
    result_url: Type.String({ format: 'uri' }),
    cancel_url: Type.String({ format: 'uri' }),
  },
  { title: 'Submitted' },
);

const Edit = Type.Object(
  {
    kind: Type.String(),
    params: Type.Record(Type.String(), Type.Unknown()),
    span: Type.Optional(Type.Array(Type.Integer(), { minItems: 2, maxItems: 2 })),
    text: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** Shared by the status and result bodies. */
const statusFields = {
  request_id: RequestId,
  status: Status,
  queue_position: Type.Optional(Type.Integer({ description: 'Requests ahead of this one; only while in_queue.' })),
  progress: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Fraction done; only while in_progress.' })),
  created_at: Timestamp,
  started_at: NullableTimestamp,
  finished_at: NullableTimestamp,
  edits: Type.Optional(Type.Array(Edit, { description: 'What the engine applied, with the part of the prompt it came from.' })),
  warnings: Type.Optional(Type.Array(Type.String(), { description: 'What the prompt asked for that was not applied.' })),
  engine: Type.Optional(
    Type.String({ description: 'The name of the engine that produced the outputs (`builtin`, or one the server configures); once completed.' }),
  ),
};

export const StatusResponse = Type.Object(statusFields, { title: 'Status' });

export const Output = Type.Object(
  {
    image: Type.Optional(Type.String({ format: 'uri', description: 'Set when there is exactly one image.' })),
    images: Type.Array(Type.String({ format: 'uri' }), { description: 'Signed, expiring URLs; no bearer token needed.' }),
  },
  { title: 'Output' },
);

export const ResultResponse = Type.Object(
  {
    ...statusFields,
    output: Type.Optional(Output),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  },
  { title: 'Result', description: 'The outputs when completed; the error when failed; otherwise the status body, to keep polling.' },
);

export const CancelResponse = Type.Object({ request_id: RequestId, status: Type.Literal('cancelled') }, { title: 'Cancelled' });

/** `data` of a `status` event of the status stream: a status the request entered, and when. */
export const StatusEventData = Type.Object(
  { request_id: RequestId, status: Status, at: Timestamp },
  { title: 'Status event', description: 'One per status the request enters; the event id resumes the stream.' },
);

/** `data` of a `progress` event of the status stream: the queue position or the progress changed. */
export const ProgressEventData = Type.Object(
  {
    request_id: RequestId,
    status: Status,
    queue_position: Type.Optional(Type.Integer({ description: 'While in_queue: requests ahead.' })),
    progress: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'While in_progress: fraction done.' })),
  },
  { title: 'Progress event' },
);

export type StatusEventData = Static<typeof StatusEventData>;
export type ProgressEventData = Static<typeof ProgressEventData>;
export type SubmitResponse = Static<typeof SubmitResponse>;
export type StatusResponse = Static<typeof StatusResponse>;
export type ResultResponse = Static<typeof ResultResponse>;

export const RequestParams = Type.Object({ request_id: Type.String({ maxLength: 100 }) });

export const errorResponses = {
  401: Type.Ref('ErrorEnvelope'),
  422: Type.Ref('ErrorEnvelope'),
};
