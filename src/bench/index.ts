/** The load generator of `cimd2-mock bench` (also used by `npm run bench`). */
export { runLoad, LoadError, type LoadOptions, type LoadResult } from './load.js';
export { cimdProtocol, cimdSubmitFrame, type CimdLoadOptions } from './cimd.js';
export { LatencyHistogram, type LatencySummary } from './histogram.js';
export type { LoadCodec, LoadProtocol, ResponseSink } from './protocol.js';
