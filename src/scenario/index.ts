export type { AfterwardTemplate, StatusChoice, StatusReportTemplate } from './actions.js';
export {
  explainAfterward,
  explainStep,
  isTerminal,
  pickStatus,
  resolveAfterward,
} from './actions.js';
export type {
  Account,
  CompiledRule,
  CompiledScenario,
  ScheduledItem,
  ServerSettings,
} from './compile.js';
export { DEFAULT_STATUS_REPORT_DELAY_MS, TEMPLATE_NAMES } from './compile.js';
export type { ScenarioDocument } from './document.js';
export { formatDuration, parseDuration } from './durations.js';
export { INITIAL_STATE, RuleEngine } from './engine.js';
export type { RuleEngineOptions, RuleStat, RuleUsage } from './engine.js';
export { explainRule, explainScenario } from './explain.js';
export { formatIssue, ScenarioError } from './issues.js';
export type { ScenarioIssue } from './issues.js';
export type { ScenarioLoadOptions } from './load.js';
export {
  analyzeScenarioText,
  DEFAULT_MAX_SCENARIO_BYTES,
  defaultScenarioPath,
  defaultScenarioUrl,
  loadDefaultScenario,
  loadScenarioFile,
  loadScenarioObject,
  loadScenarioText,
  readScenarioFile,
  validateScenarioText,
} from './load.js';
export type { Matcher } from './matchers.js';
export { mulberry32 } from './random.js';
export { scenarioSchema, scenarioSchemaPath, scenarioSchemaUrl } from './validate.js';
export { ScenarioWatcher } from './watcher.js';
export type { ScenarioWatcherEvents, ScenarioWatcherOptions } from './watcher.js';
