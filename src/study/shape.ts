/**
 * A structural check of a stored study document, so that a damaged or foreign file (edited by hand, truncated to
 * valid JSON, written by another tool) is refused with one message naming what is wrong, before any code reads
 * its fields. It checks what every command relies on, not every optional field.
 */
import { isRecord } from '../core/errors';

/** The first structural problem of a stored study, naming its field, or undefined when it has the shape of a `Study`. */
export function studyShapeProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'the study is not an object';
  if (value.schemaVersion !== 1) return `schemaVersion is ${JSON.stringify(value.schemaVersion) ?? 'missing'}; this sagetune reads version 1`;
  if (typeof value.name !== 'string' || value.name === '') return 'name is missing';
  if (!isRecord(value.request) || !isRecord(value.request.HyperParameterTuningJobConfig)) return 'request.HyperParameterTuningJobConfig is missing';
  if (typeof value.status !== 'string') return 'status is missing';
  if (!Array.isArray(value.trials)) return 'trials is not a list';
  for (let i = 0; i < value.trials.length; i++) {
    const t: unknown = value.trials[i];
    if (!isRecord(t)) return `trials[${i}] is not an object`;
    if (!Number.isInteger(t.number)) return `trials[${i}].number is missing`;
    if (typeof t.status !== 'string') return `trials[${i}].status is missing`;
    if (!isRecord(t.hyperParameters)) return `trials[${i}].hyperParameters is missing`;
  }
  return undefined;
}
