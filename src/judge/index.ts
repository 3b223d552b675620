/** The client judge (docs/judge.md): protocol conformance findings about the client. */
export {
  CHECKS,
  CHECK_IDS,
  CHECK_SETTINGS,
  DEFAULT_LEVELS,
  checkIndex,
  checkInfo,
  isCheckId,
  resolveChecks,
  severityOf,
  type CheckId,
  type CheckInfo,
  type CheckLevel,
  type CheckLevels,
  type CheckSetting,
  type ChecksSpec,
  type Severity,
} from './checks.js';
export {
  ClientJudge,
  type ClientJudgeOptions,
  type FindingBody,
  type JudgedServer,
} from './judge.js';
export { ALIVE_MIN_GAP_MS } from './session-judge.js';
