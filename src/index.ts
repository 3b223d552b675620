/**
 * cimd2-mock: a rules-driven, scriptable mock SMSC speaking Nokia CIMD2.
 *
 * Start here: {@link createMockSmsc}. The protocol codec is in `cimd2-mock/protocol`, the CIMD2
 * test client and manual clock in `cimd2-mock/testing`.
 */
export {
  createMockSmsc,
  MockSmsc,
  VERSION,
  type MockSmscOptions,
  type MockSmscEvents,
  type MockSmscStats,
  type DeliverRequest,
  type StatusReportRequest,
  type ScenarioSourceOption,
  type ScenarioInput,
  type ScenarioInfo,
  type ResetOptions,
  type ResetResult,
  type WaitForOptions,
} from './mock-smsc.js';
export {
  startControlApi,
  isLoopbackHost,
  type ControlApi,
  type ControlApiOptions,
} from './control-api.js';

// Server core: the SMSCserverCIMD2 component API.
export {
  SmscServer,
  type SmscServerOptions,
  type DeliverMessage,
  type DeliverStatusReport,
  type DeliverResult,
  type LoginScheduleItem,
} from './server/smsc-server.js';
export type { Session, OutboundResult } from './server/session.js';
export type {
  ServerEvents,
  CloseReason,
  ConnectionRequest,
  TraceEvent,
  LoginEvent,
  DeliverResponseEvent,
  SubmitEvent,
  SubmitOptions,
  SubmitTime,
  SubmitCompletedEvent,
  MultipartExpiredEvent,
  ScheduledItemEvent,
  LimitReachedEvent,
} from './server/events.js';
export type {
  Responder,
  Decision,
  Step,
  TerminalStep,
  Afterward,
  RequestContext,
  RequestFields,
  SessionInfo,
  TextEncoding,
} from './server/ports.js';
export { createDefaultResponder } from './server/default-responder.js';

// Scenarios.
export {
  loadScenarioFile,
  loadScenarioText,
  loadScenarioObject,
  loadDefaultScenario,
  validateScenarioText,
  explainScenario,
  formatIssue,
  RuleEngine,
  ScenarioError,
  ScenarioWatcher,
  DEFAULT_MAX_SCENARIO_BYTES,
  type ScenarioLoadOptions,
  type CompiledScenario,
  type CompiledRule,
  type ScenarioIssue,
  type RuleStat,
} from './scenario/index.js';

// Transcripts and assertions.
export {
  readTranscript,
  parseTranscript,
  Transcript,
  TranscriptRecorder,
  currentEpoch,
  epochStart,
  FileSink,
  MemorySink,
  TeeSink,
  nearestRecords,
  checkFrames,
  checkSequence,
  checkAnsweredWithin,
  checkNoUnmatched,
  checkNoFrameErrors,
  checkAllRulesUsed,
  checkRuleUsed,
  checkStatusReportFor,
  checkRecords,
  expectFrames,
  expectSequence,
  expectAnsweredWithin,
  expectNoUnmatched,
  expectNoFrameErrors,
  expectAllRulesUsed,
  expectRuleUsed,
  expectStatusReportFor,
  expectRecords,
  checkNoFindings,
  checkFindings,
  expectNoFindings,
  expectFindings,
  type FindingRecord,
  type FindingsSpec,
  type NoFindingsSpec,
  loadExpectations,
  runExpectations,
  formatFailures,
  diffTranscripts,
  formatDiff,
  showTranscript,
  TranscriptError,
  TranscriptParseError,
  ExpectationsError,
  SelectorError,
  validateSelector,
  assertValidSelector,
  type TranscriptRecord,
  type FrameRecord,
  type ResetRecord,
  type ScenarioOrigin,
  type RecordFilter,
  type RecordSelector,
  type ExpectationsDocument,
  type ExpectationsResult,
  type TranscriptSink,
  type TranscriptFileMode,
  type CheckResult,
  type ValueMatcher,
  type MatchSpec,
  type ShowOptions,
  type DiffOptions,
  type TranscriptDifference,
} from './transcript/index.js';

// The client judge (docs/judge.md).
export {
  CHECKS,
  CHECK_IDS,
  ClientJudge,
  resolveChecks,
  type CheckId,
  type CheckInfo,
  type CheckSetting,
  type ChecksSpec,
  type ClientJudgeOptions,
  type FindingBody,
  type Severity,
} from './judge/index.js';

// Errors and time.
export {
  Cimd2MockError,
  FrameError,
  FrameSyntaxError,
  UnsupportedParameterError,
  ParameterFormatError,
  ChecksumError,
  MissingEtxError,
  FrameTooLongError,
  ReservedByteError,
  EncodingError,
  SessionClosedError,
  UnknownSessionError,
  AckTimeoutError,
  ConfigError,
  LimitError,
} from './errors.js';
export { systemClock, offsetClock, type Clock, type TimerHandle } from './util/clock.js';
