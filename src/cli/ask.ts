/**
 * `sagetune ask`: the optimizer as a stateless JSON filter, for any language. The input names the search space
 * (SageMaker's `ParameterRanges`), the objective direction and every trial so far; the output is the next
 * suggestions. Nothing is stored: the caller keeps the history and sends it again on every call.
 */
import { z } from 'zod';
import { createOptimizer, MAX_ASK, SearchSpace, validateParameterRanges } from '../core';
import type { HistoryTrial, OptimizerHistory, ParameterRanges, StrategyName, Suggestion } from '../core/types';
import { suggestKey } from '../study/request';
import { showValue as show } from '../study/text';
import { UsageError } from './errors';

const HistoryEntrySchema = z.strictObject({
  id: z.string().min(1).optional(),
  hyperParameters: z.record(z.string(), z.union([z.number(), z.string()])),
  value: z.number().optional(),
  state: z.enum(['completed', 'failed', 'pending']).optional(),
  reason: z.string().optional(),
});

const AskInputSchema = z.strictObject({
  ParameterRanges: z.unknown(),
  Objective: z.strictObject({ Type: z.enum(['Minimize', 'Maximize']) }).optional(),
  Strategy: z.enum(['Bayesian', 'Random', 'Sobol', 'Grid']).optional(),
  RandomSeed: z.int().min(0).optional(),
  n: z.int().min(1).max(MAX_ASK).optional(),
  history: z.array(HistoryEntrySchema).optional(),
  modelState: z.record(z.string(), z.unknown()).optional(),
});

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(AskInputSchema.shape),
  Objective: ['Type'],
  history: Object.keys(HistoryEntrySchema.shape),
};

/** The parsed input of `sagetune ask`. */
export interface AskInput {
  readonly ParameterRanges: ParameterRanges;
  readonly Objective: { readonly Type: 'Minimize' | 'Maximize' };
  readonly Strategy: StrategyName;
  readonly RandomSeed: number;
  readonly n: number;
  readonly history: OptimizerHistory;
}

/** The output of `sagetune ask`. */
export interface AskOutput {
  readonly suggestions: Suggestion[];
  readonly modelState?: Readonly<Record<string, unknown>>;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(input)' : out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${show(value)}`;
}

/** A zod type name as a phrase: `number` -> `a number`. */
function expectedName(expected: string): string {
  const names: Record<string, string> = {
    number: 'a number',
    int: 'an integer',
    string: 'a string',
    array: 'a list',
    object: 'an object',
    record: 'an object',
    boolean: 'true or false',
  };
  return names[expected] ?? expected;
}

function zodIssues(error: z.ZodError, input: unknown): string[] {
  // A missing ParameterRanges is reported once, by parseAskInput, with what it should be.
  const issues = error.issues.filter((i) => !(i.path.length === 1 && i.path[0] === 'ParameterRanges' && valueAt(input, i.path) === undefined));
  return issues.flatMap((issue): string[] => {
    const path = issue.path;
    const value = valueAt(input, path);
    const at = formatPath(path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = KNOWN_KEYS[path.filter((p) => typeof p === 'string').join('.')] ?? [];
        return issue.keys.map((key) => {
          const hint = suggestKey(key, known);
          return `${formatPath([...path, key])}: unknown field${hint ? ` (did you mean ${hint}?)` : ''}; allowed: ${known.join(', ')}`;
        });
      }
      case 'invalid_type':
        if (value === undefined) return [`${at}: is required (${expectedName(issue.expected)})`];
        if (typeof value === 'number' && !Number.isFinite(value)) return [`${at}: must be a finite number; got ${show(value)}`];
        return [`${at}: must be ${expectedName(issue.expected)}, not ${typeName(value)}`];
      case 'invalid_value':
        return [`${at}: must be one of ${issue.values.map((v) => show(v)).join(', ')}; got ${show(value)}`];
      case 'too_small':
      case 'too_big':
        return [`${at}: must be ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(issue.code === 'too_small' ? issue.minimum : issue.maximum)}${
          issue.origin === 'string' ? ' characters long' : ''
        }; got ${show(value)}`];
      case 'invalid_union':
        return [`${at}: must be a number or a string, not ${typeName(value)}`];
      default:
        return [`${at}: ${issue.message}${value === undefined ? '' : `; got ${show(value)}`}`];
    }
  });
}

/**
 * Validates the input of `sagetune ask` and reports every problem at once as a {@link UsageError}: unknown or
 * mistyped fields, bad ranges (with the core's own rules), history entries outside the space or without a
 * result.
 */
export function parseAskInput(input: unknown, overrides: { n?: number } = {}): AskInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new UsageError(`ask input must be a JSON object with ParameterRanges and history; got ${typeName(input)}`);
  }
  const result = AskInputSchema.safeParse(input);
  const problems = result.success ? [] : zodIssues(result.error, input);
  const raw = input as Record<string, unknown>;
  const strategy = (result.success ? result.data.Strategy : undefined) ?? 'Bayesian';
  if (raw.ParameterRanges === undefined) problems.push('ParameterRanges: is required (SageMaker ParameterRanges)');
  else problems.push(...validateParameterRanges(raw.ParameterRanges, strategy).map((i) => `${i.path}: ${i.message}`));

  const trials: HistoryTrial[] = [];
  if (result.success) {
    const space = problems.length === 0 ? SearchSpace.fromRanges(raw.ParameterRanges, strategy) : undefined;
    const ids = new Set<string>();
    (result.data.history ?? []).forEach((entry, i) => {
      const at = `history[${i}]`;
      const id = entry.id ?? `h${i + 1}`;
      if (ids.has(id)) problems.push(`${at}.id: ${show(id)} appears twice; ids must be unique`);
      ids.add(id);
      const problem = space?.check(entry.hyperParameters);
      if (problem) problems.push(`${at}.hyperParameters: ${problem}`);
      const state = entry.state ?? (entry.value !== undefined ? 'completed' : undefined);
      if (state === undefined) {
        problems.push(`${at}: needs "value" (a completed trial) or "state": "failed" or "pending"`);
        return;
      }
      if (state === 'completed' && (entry.value === undefined || !Number.isFinite(entry.value))) {
        problems.push(`${at}.value: a completed trial needs a finite number; got ${show(entry.value)}`);
      }
      if (state !== 'completed' && entry.value !== undefined) {
        problems.push(`${at}.value: a ${state} trial has no value (give either "value" or "state": "${state}")`);
      }
      trials.push({ id, hyperParameters: entry.hyperParameters, state, ...(state === 'completed' ? { value: entry.value } : {}), ...(entry.reason ? { reason: entry.reason } : {}) });
    });
  }
  if (overrides.n !== undefined && (!Number.isInteger(overrides.n) || overrides.n < 1 || overrides.n > MAX_ASK)) {
    problems.push(`--count: must be an integer from 1 to ${MAX_ASK}; got ${show(overrides.n)}`);
  }
  if (problems.length > 0 || !result.success) {
    throw new UsageError(`invalid ask input (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const data = result.data;
  return {
    ParameterRanges: data.ParameterRanges as ParameterRanges,
    Objective: { Type: data.Objective?.Type ?? 'Minimize' },
    Strategy: strategy,
    RandomSeed: data.RandomSeed ?? 0,
    n: overrides.n ?? data.n ?? 1,
    history: { trials, ...(data.modelState ? { modelState: data.modelState } : {}) },
  };
}

/** Runs one stateless ask: rebuilds the optimizer from the history and asks it for `n` suggestions. */
export async function runAsk(input: AskInput): Promise<AskOutput> {
  const optimizer = createOptimizer(
    { ParameterRanges: input.ParameterRanges, Objective: input.Objective, Strategy: input.Strategy, RandomSeed: input.RandomSeed },
    input.history,
  );
  const suggestions = await optimizer.ask(input.n);
  const { modelState } = optimizer.history();
  return { suggestions, ...(modelState ? { modelState } : {}) };
}
