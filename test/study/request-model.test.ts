/**
 * The request schema against the authority, the SageMaker service model: a full request is valid for both, and
 * every boundary the model sets on a field of that request (enums, integer bounds, string lengths, patterns, list
 * sizes, types) is enforced at the same path by parseTuningRequest.
 */
import { TRAINING_INSTANCE_TYPES } from '../../src/study/aws-instance-types';
import { RequestValidationError } from '../../src/study/errors';
import { parseTuningRequest } from '../../src/study/request';
import { AwsServiceModel } from '../support/aws-model';
import { fullSageMakerRequest as fullRequest } from './helpers';

const model = AwsServiceModel.load('sagemaker');

const withBackend = (req: Record<string, unknown>): Record<string, unknown> => ({ ...req, Sagetune: { Backend: 'sagemaker' } });

function ourIssuePaths(req: Record<string, unknown>): string[] {
  try {
    parseTuningRequest(withBackend(req));
    return [];
  } catch (error) {
    if (!(error instanceof RequestValidationError)) throw error;
    return error.issues.map((i) => i.path);
  }
}

interface Shape {
  type: string;
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  value?: { shape: string };
  enum?: readonly string[];
  min?: number;
  max?: number;
  pattern?: string;
}

/** Values at the edges of a shape's constraints (some valid, some not). */
function boundaryValues(shape: Shape): unknown[] {
  switch (shape.type) {
    case 'integer':
    case 'long': {
      const out: unknown[] = [1.5, 'seven'];
      if (shape.min !== undefined) out.push(shape.min - 1, shape.min);
      if (shape.max !== undefined) out.push(shape.max, shape.max + 1);
      return out;
    }
    case 'float':
    case 'double':
      return ['high'];
    case 'boolean':
      return ['yes', 1];
    case 'string': {
      if (shape.enum) return ['NotAValue', shape.enum[shape.enum.length - 1], 3];
      const out: unknown[] = [42, '!!', ''];
      if (shape.min !== undefined && shape.min > 1) out.push('a'.repeat(shape.min - 1));
      if (shape.max !== undefined) out.push('a'.repeat(shape.max), 'a'.repeat(shape.max + 1));
      return out;
    }
    default:
      return [];
  }
}

interface Mutation {
  path: string;
  value: unknown;
  segments: (string | number)[];
}

function formatPath(segments: readonly (string | number)[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function setAt(req: Record<string, unknown>, segments: readonly (string | number)[], value: unknown): void {
  let holder: Record<string | number, unknown> = req;
  for (const seg of segments.slice(0, -1)) holder = holder[seg] as Record<string | number, unknown>;
  holder[segments[segments.length - 1]] = value;
}

/** Walks the request alongside its model shapes and proposes boundary mutations of every scalar and list it holds. */
function mutations(value: unknown, shapeName: string, segments: (string | number)[], out: Mutation[]): void {
  const shape = model.shape(shapeName) as Shape;
  const push = (v: unknown): void => {
    out.push({ path: formatPath(segments), value: v, segments });
  };
  if (shape.type === 'structure' && value && typeof value === 'object') {
    for (const [key, member] of Object.entries(shape.members ?? {})) {
      const child = (value as Record<string, unknown>)[key];
      if (child !== undefined) mutations(child, member.shape, [...segments, key], out);
    }
    return;
  }
  if (shape.type === 'list' && Array.isArray(value)) {
    if (shape.min !== undefined && shape.min > 0) push([]);
    if (shape.max !== undefined) push(Array.from({ length: shape.max + 1 }, () => structuredClone(value[0])));
    value.forEach((item, i) => mutations(item, shape.member!.shape, [...segments, i], out));
    return;
  }
  if (shape.type === 'map' && value && typeof value === 'object') {
    for (const key of Object.keys(value)) mutations((value as Record<string, unknown>)[key], shape.value!.shape, [...segments, key], out);
    return;
  }
  for (const v of boundaryValues(shape)) push(v);
}

/** Where sagetune deliberately differs from the model, and why. */
const DELIBERATE: { path: RegExp; sagetune: 'accepts' | 'rejects'; value?: (v: unknown) => boolean; why: string }[] = [
  {
    path: /ParameterRanges\.\w+\[\d+\]\.(Name|MinValue|MaxValue|ScalingType)$/,
    sagetune: 'rejects',
    why: "the optimizer's range rules: named parameters, numeric bounds, a scaling that fits the type",
  },
  {
    path: /ParameterRanges\.\w+\[\d+\]\.(MinValue|MaxValue)$|StaticHyperParameters\./,
    sagetune: 'accepts',
    value: (v) => typeof v === 'number',
    why: 'numbers are accepted where the API wants strings, and converted',
  },
  {
    path: /MetricDefinitions\[\d+\]\.Regex$/,
    sagetune: 'rejects',
    why: 'a metric regex must compile in JavaScript and capture the value',
  },
  {
    path: /StoppingCondition\.MaxWaitTimeInSeconds$/,
    sagetune: 'rejects',
    value: (v) => typeof v === 'number' && v < 3600, // the full request's MaxRuntimeInSeconds
    why: 'with spot training, MaxWaitTimeInSeconds must be at least MaxRuntimeInSeconds (SageMaker refuses the training job otherwise)',
  },
];

describe('request schema vs the SageMaker service model', () => {
  it('copies TrainingInstanceType from the model', () => {
    expect([...TRAINING_INSTANCE_TYPES]).toEqual(model.shape('TrainingInstanceType').enum);
  });

  it('a full request is valid for the model and for sagetune', () => {
    expect(model.validateInput('CreateHyperParameterTuningJob', fullRequest())).toEqual([]);
    expect(ourIssuePaths(fullRequest())).toEqual([]);
  });

  it('enforces every boundary the model sets, at the same path', () => {
    const all: Mutation[] = [];
    mutations(fullRequest(), 'CreateHyperParameterTuningJobRequest', [], all);
    expect(all.length).toBeGreaterThan(250);
    const mismatches: string[] = [];
    const used = new Set<string>();
    let rejected = 0;
    for (const m of all) {
      const req = fullRequest();
      setAt(req, m.segments, m.value);
      const modelFlags = model.validateInput('CreateHyperParameterTuningJob', req).some((i) => i.path === m.path || i.path.startsWith(`${m.path}[`) || i.path.startsWith(`${m.path}.`));
      const ours = ourIssuePaths(req).some((p) => p === m.path || p.startsWith(`${m.path}[`) || p.startsWith(`${m.path}.`));
      if (modelFlags) rejected++;
      if (modelFlags === ours) continue;
      const allowed = DELIBERATE.find((d) => d.path.test(m.path) && d.sagetune === (ours ? 'rejects' : 'accepts') && (d.value ?? (() => true))(m.value));
      if (allowed) used.add(allowed.why);
      else mismatches.push(`${m.path} = ${JSON.stringify(m.value)?.slice(0, 40)}: model ${modelFlags ? 'rejects' : 'accepts'}, sagetune ${ours ? 'rejects' : 'accepts'}`);
    }
    expect(mismatches).toEqual([]);
    // Every deliberate difference is real (the allowance list hides nothing unused).
    expect([...used].sort()).toEqual(DELIBERATE.map((d) => d.why).sort());
    expect(rejected).toBeGreaterThan(150);
  });
});
