/**
 * The transcript: JSONL records of everything the mock does (record.ts, the contract of
 * `schemas/transcript.schema.json`), the recorder and sinks that write them, and the tools that
 * read, query, assert, diff and show them.
 */
export type {
  AckTimeoutRecord,
  AssembledRecord,
  ChecksumState,
  CloseInfo,
  DecisionAction,
  DecisionRecord,
  FiredRecord,
  FindingRecord,
  FrameDirection,
  FrameErrorAnswer,
  FrameErrorRecord,
  FrameFields,
  FrameRecord,
  JsonValue,
  MultipartExpiredRecord,
  ParamPair,
  RecordKind,
  RecordOf,
  ResetRecord,
  ScenarioIssueInfo,
  ScenarioLoadedRecord,
  ScenarioOrigin,
  ScenarioRejectedRecord,
  ScheduledRecord,
  ServerStartRecord,
  ServerStopRecord,
  SessionCloseRecord,
  SessionOpenRecord,
  TranscriptCounts,
  TranscriptRecord,
  UnexpectedResponseRecord,
  UnmatchedRecord,
} from './record.js';
export { RECORD_KINDS, isFrameRecord, isRecordKind } from './record.js';
export { currentEpoch, epochStart } from './epoch.js';
export {
  ExpectationsError,
  TranscriptError,
  TranscriptParseError,
  type ExpectationIssue,
} from './errors.js';
export { REDACTED, frameFields } from './frame-fields.js';
export {
  TranscriptRecorder,
  checksumOf,
  type AttachOptions,
  type RecordBody,
  type RecordableServer,
  type TranscriptRecorderOptions,
} from './recorder.js';
export {
  FileSink,
  MemorySink,
  TeeSink,
  type FileSinkEvents,
  type FileSinkOptions,
  type ReopenReason,
  type TranscriptFileMode,
  type MemorySinkOptions,
  type TranscriptLines,
  type TranscriptSink,
  type WaitForOptions,
} from './sinks.js';
export { parseTranscript, readTranscript, type TranscriptSource } from './reader.js';
export {
  Transcript,
  filterScore,
  type RecordFilter,
  type RecordSelector,
  type RequestPair,
  type TranscriptFilter,
} from './query.js';
export {
  assertValidSelector,
  SelectorError,
  validateSelector,
  type SelectorCheckOptions,
} from './selector-check.js';
export {
  describeMatcher,
  matchOp,
  matchValue,
  type MatchSpec,
  type ValueMatcher,
} from './matcher.js';
export {
  assertionErrorOf,
  checkAllRulesUsed,
  checkAnsweredWithin,
  checkFrames,
  checkNoFrameErrors,
  checkNoUnmatched,
  checkRecords,
  checkRuleUsed,
  checkSequence,
  checkStatusReportFor,
  describeFilter,
  expectAllRulesUsed,
  expectAnsweredWithin,
  expectFrames,
  expectNoFrameErrors,
  expectNoUnmatched,
  expectRecords,
  expectRuleUsed,
  expectSequence,
  expectStatusReportFor,
  nearestRecords,
  type CheckResult,
  type CountSpec,
  type StatusReportSpec,
} from './assertions.js';
export {
  checkFindings,
  checkNoFindings,
  expectFindings,
  expectNoFindings,
  type FindingsSpec,
  type NoFindingsSpec,
} from './finding-checks.js';
export {
  EXPECTATION_KINDS,
  durationMs,
  expectationKind,
  expectationsSchemaUrl,
  formatFailures,
  loadExpectations,
  runExpectations,
  type CountBounds,
  type DurationValue,
  type Expectation,
  type ExpectationFailure,
  type ExpectationKind,
  type ExpectationsDocument,
  type ExpectationsResult,
} from './expectations.js';
export {
  diffTranscripts,
  fieldChanges,
  formatDiff,
  normaliseTranscript,
  type DiffOptions,
  type FieldChange,
  type FormatDiffOptions,
  type NormalisedEntry,
  type NormalisedRecord,
  type TranscriptDifference,
} from './diff.js';
export { showTranscript, type ShowOptions } from './show.js';
export { describeRecord, summarize } from './summary.js';
