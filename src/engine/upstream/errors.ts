/**
 * What an upstream engine reports beyond the router's three errors: a job the provider ran but
 * whose outcome retouch cannot deliver. The request fails with a code of its own and no other
 * engine is tried, since the provider has already been paid for the work.
 */
import { PublicError } from '../../errors.js';

export type UpstreamOutcomeReason =
  /** The provider made the images, but their links had expired before retouch could fetch them. */
  | 'output_expired'
  /** The provider ran the job and reported a failure that is neither the request's fault nor an outage. */
  | 'upstream_failed'
  /**
   * An earlier attempt called a provider that keeps no job to follow (Ark answers on the open
   * connection), and its worker stopped before the answer: calling again could bill twice.
   */
  | 'upstream_outcome_unknown';

export class UpstreamOutcomeError extends PublicError {
  constructor(readonly reason: UpstreamOutcomeReason, message: string, options?: { cause?: unknown }) {
    super(502, 502001, message, [], options);
  }
}
