// GENERATED FILE, do not edit. Made by scripts/gen-client-types.mjs from the server's schemas
// (src/models/*.ts through src/models/catalogue.ts, src/contract/schemas.ts, src/api/routes/uploads.ts).
// Regenerate with `npm run gen:client`; test/client/generated.test.ts fails when it is out of date.

/** `failed` is retouch's documented addition to the hosted service's four statuses. */
export type RequestStatus = "in_queue" | "in_progress" | "completed" | "failed" | "cancelled";

/** The outputs of a completed request. */
export interface Output {
  /**
   * Set when there is exactly one image.
   * Schema: format uri.
   */
  image?: string;
  /** Signed, expiring URLs; no bearer token needed. */
  images: string[];
}

/** Where a problem is (`loc`, FastAPI-style) and what it is. */
export interface ErrorDetail {
  loc: Array<string | number>;
  msg: string;
}

/** One edit the engine applied, with the part of the prompt it came from. */
export interface Edit {
  kind: string;
  params: {
    [key: string]: unknown;
  };
  /** Schema: minItems 2, maxItems 2. */
  span?: number[];
  text?: string;
  [key: string]: unknown;
}

/** The body of every error answer: `{error_code, message, detail}`. */
export interface ErrorEnvelope {
  /** Six digits: the HTTP status and a number, e.g. 422001. */
  error_code: number;
  message: string;
  detail: ErrorDetail[];
  /** On 500001: the id that the server log line carries too. */
  request_id?: string;
}

/** The answer to a submit: the request id and where to follow it. */
export interface SubmitResponse {
  /** The request id (a UUID). */
  request_id: string;
  status: RequestStatus;
  /** Schema: format uri. */
  status_url: string;
  /** Schema: format uri. */
  result_url: string;
  /** Schema: format uri. */
  cancel_url: string;
}

/** `GET /v1/requests/{id}/status`. */
export interface StatusResponse {
  /** The request id (a UUID). */
  request_id: string;
  status: RequestStatus;
  /** Requests ahead of this one; only while in_queue. */
  queue_position?: number;
  /**
   * Fraction done; only while in_progress.
   * Schema: minimum 0, maximum 1.
   */
  progress?: number;
  /** Schema: format date-time. */
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** What the engine applied, with the part of the prompt it came from. */
  edits?: Edit[];
  /** What the prompt asked for that was not applied. */
  warnings?: string[];
  /** The name of the engine that produced the outputs (`builtin`, or one the server configures); once completed. */
  engine?: string;
}

/** `GET /v1/requests/{id}/result`: The outputs when completed; the error when failed; otherwise the status body, to keep polling. */
export interface ResultResponse {
  /** The request id (a UUID). */
  request_id: string;
  status: RequestStatus;
  /** Requests ahead of this one; only while in_queue. */
  queue_position?: number;
  /**
   * Fraction done; only while in_progress.
   * Schema: minimum 0, maximum 1.
   */
  progress?: number;
  /** Schema: format date-time. */
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** What the engine applied, with the part of the prompt it came from. */
  edits?: Edit[];
  /** What the prompt asked for that was not applied. */
  warnings?: string[];
  /** The name of the engine that produced the outputs (`builtin`, or one the server configures); once completed. */
  engine?: string;
  output?: Output;
  error?: {
    code: string;
    message: string;
  };
}

/** `POST /v1/requests/{id}/cancel` on a queued request. */
export interface CancelResponse {
  /** The request id (a UUID). */
  request_id: string;
  status: "cancelled";
}

/** `data` of a `status` event of `GET /v1/requests/{id}/status/stream`: One per status the request enters; the event id resumes the stream. */
export interface StatusEventData {
  /** The request id (a UUID). */
  request_id: string;
  status: RequestStatus;
  /** Schema: format date-time. */
  at: string;
}

/** `data` of a `progress` event of the status stream: the queue position or the progress changed. */
export interface ProgressEventData {
  /** The request id (a UUID). */
  request_id: string;
  status: RequestStatus;
  /** While in_queue: requests ahead. */
  queue_position?: number;
  /**
   * While in_progress: fraction done.
   * Schema: minimum 0, maximum 1.
   */
  progress?: number;
}

/** `POST /v1/files`: an uploaded image, whose `url` goes into `image_urls`. */
export interface UploadResponse {
  /**
   * Put it in image_urls; it expires with the upload.
   * Schema: format uri.
   */
  url: string;
  file_id: string;
  content_type: string;
  width: number;
  height: number;
  bytes: number;
  /** Schema: format date-time. */
  expires_at: string;
}

/**
 * The input of `bytedance/dreamina-4-0/edit` (Dreamina 4.0 Edit).
 *
 * Produce 4K edits with structure-aware adjustments, multi-reference fusion, accurate text replacement, and controlled prompt influence.
 */
export interface Dreamina40EditInput {
  /**
   * Only JPEG and PNG formats are supported; JPEG is recommended. Supports 1–10 images; larger or more images increase processing time. Recommended to use no more than 6 images; too many reference images may reduce quality.
   * Schema: minItems 1, maxItems 10.
   * Checked on each file: Each image file must be ≤ 15 MB. Maximum resolution is 4096x4096. The input image aspect ratio must be within [1/3, 3].
   */
  image_urls: string[];
  /** Schema: maxLength 800. */
  prompt: string;
  /**
   * Aspect Ratio (W:H)
   * @default "2048x2048(1:1)"
   */
  "width×height"?: "1024x1024(1:1)" | "2048x2048(1:1)" | "2304x1728(4:3)" | "2496x1664(3:2)" | "2560x1440(16:9)" | "3024x1296(21:9)" | "4096x4096(1:1)" | "4694x3520(4:3)" | "4992x3328(3:2)" | "5404x3040(16:9)" | "6198x2656(21:9)";
  /**
   * Controls how strongly the text prompt influences the result relative to input images. Higher values increase text influence.
   * Schema: minimum 0, maximum 1.
   * @default 0.5
   */
  scale?: number;
  /**
   * Whether to force generation of a single image. More images per set increase latency; for stability, specify group count/resolution or pass width and height.
   * @default false
   */
  force_single?: boolean;
}

/** Every model the server runs, by id, with its input type. */
export interface ModelInputs {
  "bytedance/dreamina-4-0/edit": Dreamina40EditInput;
}

/** The model ids, as values. */
export const MODEL_IDS = ["bytedance/dreamina-4-0/edit"] as const;
