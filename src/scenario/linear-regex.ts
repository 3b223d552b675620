/**
 * The linear-time engine of scenario regexes and globs lives in `util/` (transcript matchers run
 * on it too); this module keeps its scenario-side name.
 */
export * from '../util/linear-regex.js';
