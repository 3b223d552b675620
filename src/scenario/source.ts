/**
 * The YAML source of a scenario: the shared {@link YamlSource} (parsing with positions, locating
 * a path back to `file:line:col`) under the scenario's names.
 */
export { YamlSource as ScenarioSource } from '../util/yaml-source.js';
export type { DocPath, IssueOptions } from '../util/yaml-source.js';
