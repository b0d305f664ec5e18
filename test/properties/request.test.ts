/**
 * Properties of the request parser (fast-check): arbitrary JSON, and a valid request with any one field replaced by
 * arbitrary JSON, never crash it: the result is a valid request or a RequestValidationError whose every issue names
 * a path and says what is wrong.
 */
import fc from 'fast-check';
import { RequestValidationError } from '../../src/study/errors';
import { parseTuningRequest } from '../../src/study/request';
import { fullSageMakerRequest, rawRequest } from '../study/helpers';

function outcome(input: unknown): 'valid' | 'invalid' {
  try {
    parseTuningRequest(input);
    return 'valid';
  } catch (error) {
    if (!(error instanceof RequestValidationError)) throw error;
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(typeof issue.path).toBe('string');
      expect(issue.message.length).toBeGreaterThan(0);
    }
    // One line per issue, no stack trace in the message.
    expect(error.message).not.toMatch(/\n\s+at /);
    return 'invalid';
  }
}

/** Every path to a value inside a JSON document. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value !== null && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

function replaced(doc: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let at = copy;
  for (const p of path.slice(0, -1)) at = at[p] as Record<string | number, unknown>;
  at[path[path.length - 1]] = value;
  return copy;
}

test('arbitrary JSON: a valid request or a RequestValidationError, never a crash', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (json) => {
      outcome(json);
    }),
    { numRuns: 1000, seed: 20261205 },
  );
});

test('arbitrary objects with the right top-level keys: the same', () => {
  const keys = ['HyperParameterTuningJobName', 'HyperParameterTuningJobConfig', 'TrainingJobDefinition', 'Sagetune', 'Tags', 'WarmStartConfig'];
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...keys), fc.jsonValue()), (json) => {
      outcome(json);
    }),
    { numRuns: 500, seed: 20261205 },
  );
});

test.each([
  ['a local request', rawRequest({ HyperParameterTuningJobConfig: { TrainingJobEarlyStoppingType: 'Auto', TuningJobCompletionCriteria: { TargetObjectiveMetricValue: 0.1 } } })],
  ['a full SageMaker request', { ...fullSageMakerRequest(), Sagetune: { Backend: 'sagemaker' } }],
])('%s with any one field replaced by arbitrary JSON: the same', (_name, valid) => {
  expect(outcome(valid)).toBe('valid');
  const all = paths(valid);
  fc.assert(
    fc.property(fc.constantFrom(...all), fc.oneof(fc.jsonValue(), fc.constantFrom(null, '', -1, 0, 1e308, '__proto__', [], {}, '../../etc', 'x'.repeat(5000))), (path, value) => {
      outcome(replaced(valid, path, value));
    }),
    { numRuns: 800, seed: 20261205 },
  );
});
