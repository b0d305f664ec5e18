/**
 * Validates request objects against the shapes of AWS's own service models (botocore `service-2.json`, the JSON the
 * AWS SDKs are generated from), so that a test proves a request is what the AWS API accepts, not only what a mock
 * received. aws-sdk-client-mock bypasses the SDK's serializer; this validator stands in for the service's own
 * input validation.
 *
 * Checked: required members, unknown members (a typo would be silently dropped by the SDK), union structures
 * (exactly one member), string enums, string lengths (in Unicode code points) and patterns, numeric types and
 * bounds, list and map lengths, map keys and values, nested structures, timestamps and blobs.
 *
 * Patterns are matched against the whole value (`^(?:pattern)$`): that is how SageMaker and CloudWatch apply them
 * server-side, and it is the stricter reading. A model pattern that JavaScript cannot compile is not skipped: the
 * validator reports it as an issue, so a test can never pass by ignoring a constraint.
 *
 * The model files are copied unchanged into `test/support/aws-models/` (see SOURCE.md there for their provenance
 * and checksums), so that CI needs nothing outside the repository.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One way in which a value does not fit its shape. `path` is like `AlgorithmSpecification.MetricDefinitions[0].Regex`. */
export interface ShapeIssue {
  readonly path: string;
  readonly message: string;
}

interface MemberRef {
  readonly shape: string;
}

interface ShapeDef {
  readonly type: string;
  readonly required?: readonly string[];
  readonly members?: Record<string, MemberRef>;
  readonly member?: MemberRef;
  readonly key?: MemberRef;
  readonly value?: MemberRef;
  readonly enum?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly union?: boolean;
}

interface OperationDef {
  readonly name: string;
  readonly input?: MemberRef;
  readonly output?: MemberRef;
  readonly errors?: readonly MemberRef[];
}

interface ServiceModelJson {
  readonly metadata: { readonly serviceId: string; readonly apiVersion: string };
  readonly operations: Record<string, OperationDef>;
  readonly shapes: Record<string, ShapeDef>;
}

/** The service models shipped in `test/support/aws-models/`. */
export const MODEL_FILES = {
  sagemaker: 'sagemaker-2017-07-24.service-2.json',
  cloudwatch: 'cloudwatch-2010-08-01.service-2.json',
} as const;

export type ServiceName = keyof typeof MODEL_FILES;

/** Java regex constructs that JavaScript spells differently (POSIX classes inside a character class). */
const JAVA_POSIX_CLASSES: Record<string, string> = {
  '\\p{Alnum}': 'a-zA-Z0-9',
  '\\p{Alpha}': 'a-zA-Z',
  '\\p{Digit}': '0-9',
  '\\p{Upper}': 'A-Z',
  '\\p{Lower}': 'a-z',
};

function compilePattern(pattern: string): RegExp | Error {
  let source = pattern;
  for (const [java, js] of Object.entries(JAVA_POSIX_CLASSES)) source = source.split(java).join(js);
  const anchored = `^(?:${source})$`;
  // Unicode mode first (needed for \p{L} and friends); it rejects identity escapes such as `\_` that Java and
  // JavaScript's legacy mode accept, so fall back to the legacy mode only when the pattern has no \p{...}.
  try {
    return new RegExp(anchored, 'u');
  } catch (unicodeError) {
    if (/\\p\{/.test(source)) return unicodeError as Error;
    try {
      return new RegExp(anchored);
    } catch (legacyError) {
      return legacyError as Error;
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** A loaded service model: validates operation inputs and any named shape. */
export class AwsServiceModel {
  private readonly patterns = new Map<string, RegExp | Error>();

  constructor(private readonly model: ServiceModelJson) {}

  /** Loads one of the models in `test/support/aws-models/`. Cached per process. */
  static load(service: ServiceName): AwsServiceModel {
    let model = loaded.get(service);
    if (!model) {
      const json = JSON.parse(readFileSync(join(__dirname, 'aws-models', MODEL_FILES[service]), 'utf8')) as ServiceModelJson;
      model = new AwsServiceModel(json);
      loaded.set(service, model);
    }
    return model;
  }

  get serviceId(): string {
    return this.model.metadata.serviceId;
  }

  /** The raw definition of a shape (throws on an unknown name: a test must not validate against nothing). */
  shape(name: string): ShapeDef {
    const shape = this.model.shapes[name];
    if (!shape) throw new Error(`${this.serviceId} model has no shape ${name}`);
    return shape;
  }

  /** The input shape name of an operation (e.g. `CreateTrainingJob` -> `CreateTrainingJobRequest`). */
  inputShapeOf(operation: string): string {
    const op = this.model.operations[operation];
    if (!op) throw new Error(`${this.serviceId} model has no operation ${operation}`);
    if (!op.input) throw new Error(`${this.serviceId} operation ${operation} takes no input`);
    return op.input.shape;
  }

  /** The error shape names an operation declares (e.g. `ResourceInUse`, `ResourceLimitExceeded`). */
  errorsOf(operation: string): string[] {
    const op = this.model.operations[operation];
    if (!op) throw new Error(`${this.serviceId} model has no operation ${operation}`);
    return (op.errors ?? []).map((e) => e.shape);
  }

  /** Validates the input of an operation; an empty array means valid. */
  validateInput(operation: string, input: unknown): ShapeIssue[] {
    return this.validateShape(this.inputShapeOf(operation), input);
  }

  /** Validates a value against a named shape; an empty array means valid. */
  validateShape(shapeName: string, value: unknown, path = ''): ShapeIssue[] {
    const issues: ShapeIssue[] = [];
    this.check(shapeName, value, path, issues);
    return issues;
  }

  private check(shapeName: string, value: unknown, path: string, issues: ShapeIssue[]): void {
    const shape = this.shape(shapeName);
    const at = path || '(root)';
    const fail = (message: string): void => {
      issues.push({ path: at, message: `${message} (shape ${shapeName})` });
    };
    switch (shape.type) {
      case 'structure':
        this.checkStructure(shapeName, shape, value, path, issues);
        return;
      case 'list': {
        if (!Array.isArray(value)) return fail(`expected a list, got ${describe(value)}`);
        this.checkLength(shape, value.length, 'list length', fail);
        value.forEach((item, i) => {
          if (item === undefined || item === null) fail(`list element [${i}] is ${String(item)}`);
          else this.check(shape.member!.shape, item, `${path}[${i}]`, issues);
        });
        return;
      }
      case 'map': {
        if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
          return fail(`expected a map, got ${describe(value)}`);
        }
        const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
        this.checkLength(shape, entries.length, 'number of entries', fail);
        for (const [k, v] of entries) {
          const keyIssues = this.validateShape(shape.key!.shape, k, `${path}{key ${JSON.stringify(k)}}`);
          issues.push(...keyIssues);
          this.check(shape.value!.shape, v, `${path}.${k}`, issues);
        }
        return;
      }
      case 'string': {
        if (typeof value !== 'string') return fail(`expected a string, got ${describe(value)}`);
        if (shape.enum && !shape.enum.includes(value)) {
          return fail(`${describe(value)} is not one of ${shape.enum.join(', ')}`);
        }
        this.checkLength(shape, [...value].length, 'string length', fail);
        if (shape.pattern !== undefined) {
          const re = this.pattern(shape.pattern);
          if (re instanceof Error) fail(`pattern ${shape.pattern} cannot be checked in JavaScript: ${re.message}`);
          else if (!re.test(value)) fail(`${describe(value)} does not match pattern ${shape.pattern}`);
        }
        return;
      }
      case 'integer':
      case 'long':
        if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`expected an integer, got ${describe(value)}`);
        this.checkRange(shape, value, fail);
        return;
      case 'float':
      case 'double':
        if (typeof value !== 'number' || Number.isNaN(value)) return fail(`expected a number, got ${describe(value)}`);
        this.checkRange(shape, value, fail);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') fail(`expected a boolean, got ${describe(value)}`);
        return;
      case 'timestamp':
        if (!(value instanceof Date && !Number.isNaN(value.getTime())) && !(typeof value === 'number' && Number.isFinite(value))) {
          fail(`expected a timestamp (Date or epoch seconds), got ${describe(value)}`);
        }
        return;
      case 'blob':
        if (!(value instanceof Uint8Array) && typeof value !== 'string') fail(`expected bytes, got ${describe(value)}`);
        return;
      default:
        fail(`unsupported shape type ${shape.type}`);
    }
  }

  private checkStructure(shapeName: string, shape: ShapeDef, value: unknown, path: string, issues: ShapeIssue[]): void {
    const at = path || '(root)';
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
      issues.push({ path: at, message: `expected a structure, got ${describe(value)} (shape ${shapeName})` });
      return;
    }
    const record = value as Record<string, unknown>;
    const members = shape.members ?? {};
    const join = (name: string): string => (path ? `${path}.${name}` : name);
    for (const name of shape.required ?? []) {
      if (record[name] === undefined || record[name] === null) {
        issues.push({ path: join(name), message: `required member of ${shapeName} is missing` });
      }
    }
    const present = Object.keys(record).filter((k) => record[k] !== undefined);
    for (const name of present) {
      const member = members[name];
      if (!member) {
        issues.push({ path: join(name), message: `${shapeName} has no member ${name}` });
        continue;
      }
      if (record[name] === null) {
        issues.push({ path: join(name), message: `null is not a value (omit the member instead)` });
        continue;
      }
      this.check(member.shape, record[name], join(name), issues);
    }
    if (shape.union && present.length !== 1) {
      issues.push({ path: at, message: `union ${shapeName} needs exactly one member, got ${present.length}` });
    }
  }

  private checkLength(shape: ShapeDef, length: number, what: string, fail: (m: string) => void): void {
    if (shape.min !== undefined && length < shape.min) fail(`${what} ${length} is below the minimum ${shape.min}`);
    if (shape.max !== undefined && length > shape.max) fail(`${what} ${length} is above the maximum ${shape.max}`);
  }

  private checkRange(shape: ShapeDef, value: number, fail: (m: string) => void): void {
    if (shape.min !== undefined && value < shape.min) fail(`${value} is below the minimum ${shape.min}`);
    if (shape.max !== undefined && value > shape.max) fail(`${value} is above the maximum ${shape.max}`);
  }

  private pattern(pattern: string): RegExp | Error {
    let re = this.patterns.get(pattern);
    if (!re) {
      re = compilePattern(pattern);
      this.patterns.set(pattern, re);
    }
    return re;
  }
}

const loaded = new Map<ServiceName, AwsServiceModel>();

/** Formats issues one per line, for a failing assertion's message. */
export function formatIssues(issues: readonly ShapeIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}

/**
 * Throws (failing the test) unless `input` is a valid input of `operation` in the given service's model.
 * The error lists every issue with its path.
 */
export function assertValidInput(service: ServiceName, operation: string, input: unknown): void {
  const issues = AwsServiceModel.load(service).validateInput(operation, input);
  if (issues.length > 0) {
    throw new Error(`${operation} input does not fit the ${service} model:\n${formatIssues(issues)}`);
  }
}
