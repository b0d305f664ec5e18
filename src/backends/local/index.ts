/**
 * The local backend: trials as processes on this machine, with SageMaker's script-mode contract.
 */
export { LocalBackend } from './local-backend';
export type { LocalBackendData, LocalBackendOptions } from './local-backend';
export { checkLocalCommand, checkLocalRequest, checkMetricDefinitions, resolveProgram } from './validate';
export type { LocalCheckOptions } from './validate';
export { compileMetricDefinitions, MetricDefinitionError, MetricScanner, parseMetricValue } from './metrics';
export type { MetricDefinition } from './metrics';
export { compilePythonRegex, translatePythonRegex, PythonRegexError } from '../../study/python-regex';
export { resolveChannelLocation } from './contract';
export { DEFAULT_MAX_RUNTIME_SECONDS } from './request-view';
