/**
 * The inputs module: fetching and checking the reference images of a request. The worker calls
 * `loadImages`; the API calls `checkImage` for uploads (and may check data URIs at submit with
 * `decodeDataUri` + `checkImage`); the composition root builds and validates the policy.
 */
export { forbiddenRange, isForbiddenAddress } from './address.js';
export { checkImage } from './check.js';
export { decodeDataUri, isDataUri } from './data-uri.js';
export { SOURCE_FAIL_ON } from './decode.js';
export { ImageInputError, type ImageInputReason } from './errors.js';
export { USER_AGENT } from './fetch.js';
export { loadImages, type LoadOptions, type Lookup, type LookupAddress } from './load.js';
export { defaultInputPolicy, MIB, validateInputPolicy } from './policy.js';
export type { InputPolicy, LocalSourceReader, SourceImage } from './types.js';
export { redactUrl } from './url.js';
