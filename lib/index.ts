export * from './tuning-service';
export * from './stack';
export { TuningServicePropsError } from './private/props';
