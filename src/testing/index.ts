export {
  CimdClient,
  CimdRequestError,
  CimdTimeoutError,
  type CimdClientOptions,
  type CimdClientEvents,
  type SubmitInput,
  type SubmitResult,
  type SubmitPartResult,
  type DeliverEvent,
  type StatusReportEvent,
  type DeliveredMessage,
} from './cimd-client.js';
export { ManualClock } from './manual-clock.js';
